"""The packaged municipalities: real census populations and register age shares, checked against published figures."""

from __future__ import annotations

import csv
import statistics
from importlib import resources
from pathlib import Path

from lalert_sim.topology.reference import municipalities
from tests.conftest import SCENARIOS, cli


def _rows() -> list[dict[str, str]]:
    text = resources.files("lalert_sim.data").joinpath("municipalities.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _by_name(prefecture: str, name: str) -> int:
    (m,) = [m for m in municipalities() if m.prefecture_code == prefecture and m.name == name]
    return m.population


def test_populations_are_the_2020_census_total_over_all_municipalities() -> None:
    table = municipalities()
    assert len(table) == 1_741
    assert sum(m.population for m in table) == 126_146_099  # 2020 census, final figures
    assert {m.code: m.population for m in table}["07546"] == 0  # Futaba: evacuated, counted 0


def test_spot_checks_match_the_census() -> None:
    population = {m.code: m.population for m in municipalities()}
    assert population["01100"] == 1_973_395  # Sapporo
    assert population["17201"] == 463_254  # Kanazawa
    assert population["17205"] == 12_929  # Suzu


def test_prefecture_sums_match_the_published_2020_prefecture_totals() -> None:
    totals: dict[str, int] = {}
    for m in municipalities():
        totals[m.prefecture_code] = totals.get(m.prefecture_code, 0) + m.population
    published = {"01": 5_224_614, "02": 1_237_984, "13": 14_047_594, "14": 9_237_337, "27": 8_837_685}
    assert {code: totals[code] for code in published} == published


def test_aomori_cities_have_their_own_populations() -> None:
    assert abs(_by_name("02", "弘前市") - 168_000) < 2_000
    assert abs(_by_name("02", "十和田市") - 60_000) < 1_000
    cities = [m.population for m in municipalities() if m.prefecture_code == "02" and m.kind == "city"]
    assert len(set(cities)) == len(cities)  # the old split gave five cities the same 95,523


def test_every_municipality_has_age_shares_that_sum_to_one() -> None:
    for m in municipalities():
        assert m.age_shares is not None
        assert all(0 < s < 1 for s in m.age_shares), m.code
        assert abs(sum(m.age_shares) - 1) < 1e-9, m.code


def test_age_shares_match_the_register_spot_checks() -> None:
    # census/SOURCES.md: Suzu <60 5,853, 60-69 2,315, 70+ 5,532 residents
    (suzu,) = [m for m in municipalities() if m.code == "17205"]
    assert suzu.age_shares is not None
    total = 5_853 + 2_315 + 5_532
    for share, count in zip(suzu.age_shares, (5_853, 2_315, 5_532), strict=True):
        assert abs(share - count / total) < 1e-4


def test_register_65plus_share_agrees_with_the_independent_census_figure() -> None:
    gaps = [
        abs(float(r["share_65plus_register"]) - float(r["share_65plus_census"]))
        for r in _rows()
        if r["share_65plus_census"]
    ]
    assert len(gaps) == 1_740  # all but Futaba
    assert statistics.median(gaps) < 0.01
    assert sum(g < 0.03 for g in gaps) / len(gaps) > 0.97
    assert sum(g < 0.05 for g in gaps) / len(gaps) > 0.99


def test_a_nationwide_run_puts_every_census_resident_in_reach_municipalities(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = cli("run", SCENARIOS / "jalert_eew_nationwide.yaml", "--out", out)
    assert done.returncode == 0, done.stderr
    with open(out / "reach_municipalities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1_740  # all but Futaba, where nobody lived (2020 census: 0)
    assert "07546" not in {r["code"] for r in rows}
    assert sum(int(r["population"]) for r in rows) == 126_146_099
