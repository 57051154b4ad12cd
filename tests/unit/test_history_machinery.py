"""The history machinery: events files read and checked, rows compared, the table, the CLI verb and the README."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lalert_sim import load
from lalert_sim.errors import ScenarioError
from lalert_sim.montecarlo.history import HistoryEvent, HistoryEvents, compare_event, load_events
from lalert_sim.montecarlo.statistics import t_quantile
from lalert_sim.report.history import (
    README_END,
    README_START,
    history_markdown,
    markdown_rows_between_markers,
    published_cells,
    replace_between_markers,
)
from tests.conftest import CLI_ENV, ROOT, cli
from tests.unit.test_schema_descriptions import undocumented_fields

EVENTS_FILE = ROOT / "validation" / "events.yaml"
SCENARIO = (ROOT / "validation" / "aomori_missile_2022.yaml").as_posix()


def _event(**check: object) -> HistoryEvent:
    base = {"what": "w", "kpi": "a.x", "published": 0.5, "band": [0.4, 0.6], "band_reason": "r"}
    return HistoryEvent.model_validate(
        {
            "id": "e",
            "name": "E",
            "date": "2020-01-01",
            "scenario": "s.yaml",
            "source": "s",
            "checks": [base | check],
        }
    )


def _events_file(tmp_path: Path, checks: str, replications: int = 2) -> Path:
    path = tmp_path / "events.yaml"
    path.write_text(
        f"""events:
  - id: aomori
    name: Aomori
    date: 2022-10-04
    scenario: {SCENARIO}
    source: test
    replications: {replications}
    checks:
{checks}""",
        encoding="utf-8",
    )
    return path


IN_BAND = """      - what: median emitter
        kpi: missile-2022.emitters_50pct_s
        unit: seconds
        published: 360
        band: [0, 100000]
        band_reason: anything
"""
OUT_OF_BAND = IN_BAND.replace("band: [0, 100000]", "band: [0, 1]")
MISSING = IN_BAND.replace("missile-2022.emitters_50pct_s", "missile-2022.first_via.nothing")


def test_the_repository_events_file_is_valid_and_each_band_holds_its_published_figure() -> None:
    loaded = load_events(EVENTS_FILE)
    assert {e.id for e in loaded.events.events} >= {"tohoku-2011", "national-test-2018", "aomori-2022", "noto-2024"}
    for event in loaded.events.events:
        load(loaded.scenarios[event.id])  # an ordinary, valid scenario
        for check in event.checks:
            low, high = check.band
            assert low <= check.published <= high, (event.id, check.what)


def test_mean_and_ci_are_the_student_t_interval_of_the_replications() -> None:
    values = [0.41, 0.52, 0.47, 0.55, 0.50]
    (row,) = compare_event(_event(), [{"replication": i, "seed": i, "a.x": v} for i, v in enumerate(values)])
    half = t_quantile(0.975, 4) * np.std(values, ddof=1) / math.sqrt(5)
    assert row.mean == pytest.approx(np.mean(values))
    assert (row.ci95_low, row.ci95_high) == pytest.approx((np.mean(values) - half, np.mean(values) + half))
    assert row.within and row.status == "yes"


def test_share_of_warned_divides_each_replication_by_its_warned_share() -> None:
    event = _event(share_of="warned", alert="a", kpi="a.reached_by.radio", published=0.3, band=[0, 1])
    rows = [
        {"replication": 0, "seed": 0, "a.reached_by.radio": 0.2, "a.unwarned_at_deadline": 0.5},
        {"replication": 1, "seed": 1, "a.reached_by.radio": 0.3, "a.unwarned_at_deadline": 0.25},
    ]
    (row,) = compare_event(event, rows)
    assert row.mean == pytest.approx((0.2 / 0.5 + 0.3 / 0.75) / 2)
    assert row.kpi == "a.reached_by.radio / warned"


def test_a_kpi_the_runs_do_not_produce_is_reported_not_an_error() -> None:
    (row,) = compare_event(_event(kpi="a.silent_municipalities"), [{"replication": 0, "seed": 0, "a.x": 1.0}])
    assert not row.produced and not row.within
    assert row.status == "KPI not produced"
    assert "KPI not produced" in history_markdown([row])


def test_a_figure_never_reached_is_said_so() -> None:
    (row,) = compare_event(_event(), [{"replication": 0, "seed": 0, "a.x": math.nan}])
    assert row.produced and not row.within and row.status == "never reached"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"band": [0.6, 0.4]}, "low 0.6 is above high 0.4"),
        ({"share_of": "warned"}, "needs `alert`"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_a_bad_check_is_refused_with_the_reason(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("`", ".")):
        _event(**change)


def test_a_bad_events_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = _events_file(tmp_path, IN_BAND.replace("published: 360", "published: lots"))
    with pytest.raises(ScenarioError) as caught:
        load_events(path)
    (problem,) = caught.value.problems
    assert problem.field == "events[0].checks[0].published"
    assert problem.line == 12 and problem.file == str(path)


def test_an_events_file_naming_a_missing_scenario_is_refused(tmp_path: Path) -> None:
    path = _events_file(tmp_path, IN_BAND).read_text(encoding="utf-8").replace(SCENARIO, "nowhere.yaml")
    (tmp_path / "events.yaml").write_text(path, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"events\[0\]\.scenario: no scenario file nowhere.yaml"):
        load_events(tmp_path / "events.yaml")


def test_cli_history_runs_prints_the_table_and_exits_0_even_out_of_band(tmp_path: Path) -> None:
    done = cli("history", "--events", _events_file(tmp_path, IN_BAND + OUT_OF_BAND + MISSING), "-w", "1")
    assert done.returncode == 0, done.stderr
    assert "Checked against history" in done.stdout
    assert "1 of 3 rows within their band; 1 KPI not produced" in done.stdout


@pytest.mark.parametrize(("checks", "code"), [(IN_BAND, 0), (OUT_OF_BAND, 1), (MISSING, 1)])
def test_cli_history_check_exits_1_when_a_row_is_outside_or_missing(tmp_path: Path, checks: str, code: int) -> None:
    done = cli("history", "--events", _events_file(tmp_path, checks), "-n", "2", "-w", "1", "--check")
    assert done.returncode == code, done.stderr


def test_cli_history_markdown_and_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("history", "--events", _events_file(tmp_path, IN_BAND), "-w", "1", "--markdown", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| event | what | KPI | published |")
    assert "| Aomori (2022-10-04) | median emitter |" in done.stdout
    (row,) = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert row["within"] is True and row["replications"] == 2
    assert (out / "history.md").read_text(encoding="utf-8") == done.stdout


def test_cli_history_bad_events_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    done = cli("history", "--events", _events_file(tmp_path, IN_BAND.replace("band: [0, 100000]", "band: [1]")))
    assert done.returncode == 2
    assert "events.yaml: line 13: events[0].checks[0].band" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_history_without_an_events_file_here_says_what_to_do(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lalert_sim", "history"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=CLI_ENV | {"PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])},
    )
    assert done.returncode == 2
    assert "give --events" in done.stderr


def test_readme_markers_are_replaced_and_read_back() -> None:
    text = f"before\n{README_START}\nold\n{README_END}\nafter\n"
    table = "| event | what |\n|---|---|\n| A (x) | b \\| c |\n"
    new = replace_between_markers(text, table)
    assert new.startswith("before\n") and new.endswith(f"{README_END}\nafter\n") and "old" not in new
    assert markdown_rows_between_markers(new) == [["A (x)", "b | c"]]


def test_the_readme_history_table_agrees_with_the_events_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = [(r[0], r[1], r[3], r[5]) for r in markdown_rows_between_markers(readme)]
    loaded = load_events(EVENTS_FILE)
    expected = [published_cells(e, c) for e in loaded.events.events for c in e.checks]
    assert shown == expected, "rerun tools/update_readme_history.py"


def test_every_field_of_the_events_format_is_described() -> None:
    assert undocumented_fields(HistoryEvents.model_json_schema()) == []
