"""Region selectors: the whole country, prefectures, coastal municipalities, code lists."""

from __future__ import annotations

import pytest

from lalert_sim import ScenarioError, prepare
from lalert_sim.topology.reference import municipalities
from tests.conftest import scenario


def receivers(region: dict) -> set[str]:
    prepared = prepare(
        scenario(
            [], [], topology={"templates": [{"template": "region", "region": region, "lalert": False, "carriers": []}]}
        )
    )
    return {n.removeprefix("m-").removesuffix("/receiver") for n in prepared.topology.nodes if n.endswith("/receiver")}


def test_empty_region_is_the_whole_country() -> None:
    assert len(receivers({})) == 1741


def test_prefectures_and_coastal_combine() -> None:
    chosen = receivers({"prefectures": ["02", "03"], "coastal": True})
    expected = {m.code for m in municipalities() if m.prefecture_code in ("02", "03") and m.coastal}
    assert chosen == expected and 10 < len(chosen) < 80


def test_code_list_selects_exactly_those_municipalities() -> None:
    assert receivers({"municipalities": ["04205", "022012"]}) == {"04205", "02201"}


@pytest.mark.parametrize(
    ("region", "words"),
    [
        ({"municipalities": ["02999"]}, "02999 is not a municipality code"),
        ({"prefectures": ["02201"]}, "must be a two-digit prefecture code"),
        ({"prefectures": ["13"], "municipalities": ["02201"]}, "selects no municipality"),
    ],
)
def test_bad_regions_are_clear_errors(region: dict, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        receivers(region)


def test_two_templates_share_the_national_nodes() -> None:
    prepared = prepare(
        scenario(
            [],
            [],
            topology={
                "templates": [
                    {"template": "prefecture", "prefecture": "02"},
                    {"template": "region", "region": {"prefectures": ["03"]}},
                ]
            },
        )
    )
    nodes = prepared.topology.nodes
    assert "jalert/centre" in nodes and "m-02201/receiver" in nodes and "m-03201/receiver" in nodes
    assert {link.id for link in prepared.topology.links} >= {"jalert/sat-02", "jalert/sat-03"}
