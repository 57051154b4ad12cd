"""A user's own municipality table replaces reference rows; bad rows get file, line, column."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalert_sim import ScenarioError, load, run
from lalert_sim.reach import compute_reach
from lalert_sim.topology.reference import MunicipalityTable, municipalities

SCENARIO = """\
metadata: {name: own table}
duration_s: 3600
topology:
  municipality_table: towns.csv
  templates:
    - {template: prefecture, prefecture: "02", municipalities: ["02201", "02202"], lalert: false}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile, areas: ["02"]}
"""


def write(tmp_path: Path, table: str) -> Path:
    (tmp_path / "towns.csv").write_text(table, encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_reference_populations_sum_to_the_2020_census() -> None:
    assert sum(m.population for m in municipalities()) == 126_146_099
    aomori = [m for m in municipalities() if m.prefecture_code == "02"]
    assert sum(m.population for m in aomori) == 1_237_984
    assert 600 <= sum(m.coastal for m in municipalities()) <= 700  # about 650 coastal municipalities


def test_own_table_replaces_population_ages_and_outputs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "code,population,share_under_60,share_60s,share_70_plus,disaster_radio\n"
        "02201,275192,0.6,0.15,0.25,no\n022021,168466,,,,yes\n",
    )
    prepared = load(path)
    assert prepared.municipalities["02201"].population == 275_192
    assert prepared.municipalities["02201"].age_shares == (0.6, 0.15, 0.25)
    assert prepared.municipalities["02202"].age_shares == MunicipalityTable.reference()["02202"].age_shares  # kept
    assert "m-02201/loudspeakers" not in prepared.topology.nodes
    assert "m-02202/loudspeakers" in prepared.topology.nodes
    result = run(prepared)
    reach = compute_reach(prepared, result, result.alerts[0])
    assert int(reach.population.sum()) == 275_192 + 168_466


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("code,population\n02201,abc\n", "towns.csv: line 2: population: 'abc' is not a number"),
        ("code,population\n02999,100\n", "towns.csv: line 2: code: 02999 is not a municipality"),
        (
            "code,population,share_under_60,share_60s,share_70_plus\n02201,10,0.5,0.5,0.5\n",
            "line 2: share_70_plus: age shares sum to 1.500, not 1",
        ),
        ("code,population,colour\n02201,10,red\n", "towns.csv: line 1: unknown column 'colour'"),
        ("code,name\n02201,x\n", "required column 'population' is missing"),
        ("code,population,disaster_radio\n02201,10,maybe\n", "line 2: disaster_radio: 'maybe' is not yes/no"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path: Path, table: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(write(tmp_path, table))
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems


def test_missing_table_is_reported_at_its_field(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    with pytest.raises(ScenarioError, match="line 4: topology.municipality_table: municipality table .* not found"):
        load(path)


def test_replacing_keeps_other_rows() -> None:
    base = MunicipalityTable.reference()
    assert len(base) == 1741 and "13101" in base and base["13101"].name == "千代田区"
