"""Tables in the model keyed by an enum cover exactly its members; CAP words are the standard's own."""

from __future__ import annotations

from importlib import resources

from lxml import etree

from lalert_sim.model.alerts import AlertCategory, AlertMode
from lalert_sim.model.cap import _CAP_CATEGORY, _MODE_OF_STATUS, _STATUS_OF_MODE

_XS = "{http://www.w3.org/2001/XMLSchema}"


def cap_enumeration(element: str) -> set[str]:
    """The values the packaged OASIS CAP 1.2 schema allows for ``element``."""
    schema = etree.fromstring(resources.files("lalert_sim.data").joinpath("CAP-v1.2.xsd").read_bytes())
    (found,) = [e for e in schema.iter(f"{_XS}element") if e.get("name") == element]
    return {str(e.get("value")) for e in found.iter(f"{_XS}enumeration")}


def test_every_alert_category_has_a_cap_category() -> None:
    assert set(_CAP_CATEGORY) == set(AlertCategory)
    assert set(_CAP_CATEGORY.values()) <= cap_enumeration("category")


def test_every_alert_mode_has_a_cap_status() -> None:
    assert set(_STATUS_OF_MODE) == set(AlertMode)
    assert set(_STATUS_OF_MODE.values()) <= cap_enumeration("status")


def test_every_cap_status_reads_as_a_mode_and_each_mode_reads_back_as_itself() -> None:
    assert set(_MODE_OF_STATUS) == cap_enumeration("status")
    assert {mode: _MODE_OF_STATUS[status] for mode, status in _STATUS_OF_MODE.items()} == {m: m for m in AlertMode}
