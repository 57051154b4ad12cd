"""Local-government codes: JIS X 0402 check digits against the packaged reference list."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from lalert_sim.model.areas import canonical_area, check_digit, covers, in_any
from lalert_sim.topology.reference import MunicipalityTable, municipalities


def test_check_digit_agrees_with_every_published_code() -> None:
    text = resources.files("lalert_sim.data").joinpath("municipalities.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == 1741
    assert all(check_digit(row["lgcode"][:5]) == row["lgcode"][5] for row in rows)


def test_reference_list_has_47_prefectures_and_1741_municipalities() -> None:
    assert len(municipalities()) == 1741
    assert len({m.prefecture_code for m in municipalities()}) == 47
    assert len(MunicipalityTable.reference().in_prefecture("02")) == 40  # Aomori
    assert (
        len(MunicipalityTable.reference().in_prefecture("13")) == 62
    )  # Tokyo: 23 wards, 26 cities, 5 towns, 8 villages


@pytest.mark.parametrize(("given", "canonical"), [("02", "02"), ("022012", "02201"), ("02201", "02201")])
def test_codes_are_kept_in_one_form(given: str, canonical: str) -> None:
    assert canonical_area(given) == canonical


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("022013", "check digit should be 2"),
        ("99", "between 01 and 47"),
        ("2", "not a local-government code"),
        ("abc", "not a local"),
    ],
)
def test_bad_codes_say_what_is_wrong(bad: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        canonical_area(bad)


def test_coverage_is_overlap_of_areas() -> None:
    assert covers("02201", "02") and covers("02", "02201") and not covers("02201", "03")
    assert covers(None, "02") and in_any("02201", ()) and not in_any("02201", ("03", "04205"))
