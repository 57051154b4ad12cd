"""A drill steered live (the console's clock and actions, no browser) and `lalert-sim run RESULTS/drill.yaml`
give the same trace and the same summary.json, byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from lalert_sim.console.recording import (
    ACTIONS_FILE,
    DRILL_FILE,
    action_from_control,
    as_drill,
    console_steering,
    read_action_log,
    write_drill,
)
from lalert_sim.engine.actions import ActionError, Steering
from lalert_sim.model.alerts import Alert, AlertCategory, AlertSystem
from lalert_sim.model.cap import write_cap
from lalert_sim.prepare import load
from lalert_sim.report.files import write_results
from lalert_sim.runner import build, reaches, run, summarise
from tests.conftest import ROOT, cli

FLAGSHIP = ROOT / "scenarios" / "jalert_missile_drill_aomori.yaml"
LATER_ALERT = {
    "id": "evacuate-aomori-city",
    "system": "j_alert",
    "category": "evacuation_order",
    "areas": ["02201"],
    "issue_s": 1500,
}


def _scenario(tmp_path: Path, *extra_alerts: dict[str, object]) -> Path:
    """The flagship drill with more alerts: by default one due late in the run (for an early "issue now")."""
    data = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    data["alerts"] += list(extra_alerts) or [LATER_ALERT]
    path = tmp_path / "scenario" / "drill-with-evacuation.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _cap_text() -> str:
    alert = Alert(
        id="tsunami-aomori",
        system=AlertSystem.J_ALERT,
        category=AlertCategory.TSUNAMI_WARNING,
        areas=["02201", "02202"],
        headline="Tsunami warning",
    )
    return write_cap(alert, datetime(2026, 11, 22, tzinfo=UTC)).decode("utf-8")


# What the operator does, at about these simulated seconds (the clock's now when the request comes).
CONTROLS: list[tuple[float, dict[str, object]]] = [
    (60.0, {"action": "incident", "type": "outage", "nodes": {"ids": ["m-02201/startup"]}, "end_s": 600}),
    (420.0, {"action": "cancel", "alert": "missile-drill-1"}),
    (500.0, {"action": "issue", "alert": "evacuate-aomori-city"}),
    (900.0, {"action": "cap", "name": "tsunami.xml", "content": _cap_text()}),
    (1000.0, {"action": "update", "alert": "tsunami-aomori", "headline": "Tsunami warning, revised heights"}),
]


def _live(scenario: Path, results: Path, slice_s: float) -> tuple[str, Path]:
    """Drive a replication as the console does: the clock moves in slices, each action at the clock's now."""
    prepared = load(scenario)
    sim, _responder = build(prepared)
    steering, handle = console_steering(results)(sim, prepared)
    controls = list(CONTROLS)
    lines = []
    while sim.env.now < prepared.scenario.duration_s:
        steering.advance(min(sim.env.now + slice_s, prepared.scenario.duration_s))
        while controls and controls[0][0] <= sim.env.now:
            lines.append(handle(controls.pop(0)[1], sim.env.now))
    assert lines[1] == "cancel missile-drill-1" and lines[0] == "incident outage"
    result = steering.finish(prepared.scenario.duration_s)
    alert_reaches = reaches(prepared, result)
    summary = as_drill(summarise(prepared, result, alert_reaches), results)
    write_results(results, summary, result, parquet=False, reaches=alert_reaches)
    return summary.to_json(), write_drill(results, scenario, steering.applied)


@pytest.mark.parametrize("slice_s", [0.37, 5.0])
def test_drill_yaml_rerun_gives_the_live_runs_trace_and_summary_byte_for_byte(tmp_path: Path, slice_s: float) -> None:
    results = tmp_path / "console"
    live_summary, drill = _live(_scenario(tmp_path), results, slice_s)
    assert drill == results / DRILL_FILE

    again = tmp_path / "again"
    done = cli("run", drill, "--out", again, "--no-report", "--trace-format", "csv", "-q")
    assert done.returncode == 0, done.stderr
    assert (again / "summary.json").read_text(encoding="utf-8") == live_summary
    assert (again / "trace.csv").read_bytes() == (results / "trace.csv").read_bytes()

    summary = json.loads(live_summary)
    ids = [alert["id"] for alert in summary["alerts"]]
    assert ids == [
        "missile-drill-1",
        "evacuate-aomori-city",
        "missile-drill-1:cancel1",
        "tsunami-aomori",
        "tsunami-aomori:update1",
    ]
    issued = {alert["id"]: alert["issue_s"] for alert in summary["alerts"]}
    assert issued["evacuate-aomori-city"] < 1500  # issued early, at the clock's now
    assert {c["correction"]: c["kind"] for c in summary["corrections"]} == {
        "missile-drill-1:cancel1": "cancel",
        "tsunami-aomori:update1": "update",
    }
    cancel = next(c for c in summary["corrections"] if c["kind"] == "cancel")
    assert cancel["t50_s"] is not None and cancel["t95_s"] is not None and cancel["t50_s"] <= cancel["t95_s"]
    logged = read_action_log(results / ACTIONS_FILE)
    replayed = load(drill).scenario.actions
    assert logged == replayed  # the uploaded file named relative to the results folder in both
    assert len(logged) == len(CONTROLS)


def test_the_drill_runs_from_its_folder_with_the_scenarios_files_copied(tmp_path: Path) -> None:
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "tsunami.xml").write_text(_cap_text(), encoding="utf-8")
    scenario = _scenario(tmp_path, {"cap": "tsunami.xml", "issue_s": 30})
    results = tmp_path / "results"
    prepared = load(scenario)
    sim, _ = build(prepared)
    steering = Steering(sim, prepared)
    steering.advance(100.0)
    steering.act(action_from_control({"action": "cancel", "alert": "tsunami-aomori"}, sim.env.now, results))
    drill = write_drill(results, scenario, steering.applied)
    scenario.unlink()
    (scenario.parent / "tsunami.xml").unlink()  # the drill must not need the original folder
    data = yaml.safe_load(drill.read_text(encoding="utf-8"))
    assert data["alerts"][1]["cap"].startswith("drill-files/")
    assert data["actions"] == [{"at_s": 100.0, "do": "cancel", "alert": "tsunami-aomori"}]
    assert steering.finish(1800).trace.rows == run(load(drill)).trace.rows


def test_an_actual_alert_is_not_issued_live_unless_allowed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, {**LATER_ALERT, "mode": "actual"})
    prepared = load(scenario)
    sim, _ = build(prepared)
    steering = Steering(sim, prepared)
    steering.advance(10.0)
    with pytest.raises(ActionError, match="ACTUAL"):
        steering.act(action_from_control({"action": "issue", "alert": "evacuate-aomori-city"}, 10.0, tmp_path))
    assert steering.applied == []
    allowed = Steering(*build(prepared)[:1], prepared, allow_actual=True)
    allowed.advance(10.0)
    allowed.act(action_from_control({"action": "issue", "alert": "evacuate-aomori-city"}, 10.0, tmp_path))
    assert len(allowed.applied) == 1


STREAMED = """\
metadata: {name: a flood of messages, epoch: 2026-07-06T10:00:00+09:00}
duration_s: 300
topology:
  nodes:
    - {id: centre, kind: origin, system: l_alert}
    - {id: rx, kind: relay, area: "34100"}
    - {id: speaker, kind: emitter, channel: outdoor_loudspeaker, area: "34100"}
  links:
    - {id: net, medium: internet, source: centre, target: rx}
    - {id: radio, medium: municipal_disaster_radio, source: rx, target: speaker}
streams:
  - id: FLOOD
    arrivals: {kind: poisson, rate_per_s: 0.2}
    message: {system: l_alert, category: evacuation_order, areas: ["34100"]}
objectives:
  - {name: speaker within a minute, fraction: 1, within_s: 60}
"""


def test_a_streams_message_cancelled_live_replays_from_the_drill(tmp_path: Path) -> None:
    scenario = tmp_path / "flood.yaml"
    scenario.write_text(STREAMED, encoding="utf-8")
    prepared = load(scenario)
    sim, _ = build(prepared)
    steering = Steering(sim, prepared)
    steering.advance(100.0)
    first = sim.alerts[0].spec.id
    steering.act(action_from_control({"action": "cancel", "alert": first}, 100.0, tmp_path))
    live = steering.finish(300.0)
    drill = write_drill(tmp_path / "results", scenario, steering.applied)
    again = run(load(drill))
    assert again.trace.rows == live.trace.rows
    assert f"{first}:cancel1" in [alert.spec.id for alert in again.alerts]


def test_the_scenarios_own_actions_and_live_ones_are_recorded_in_the_order_done(tmp_path: Path) -> None:
    scenario = tmp_path / "flood.yaml"
    (tmp_path / "times.csv").write_text("time_s\n5\n40\n41.5\n120\n", encoding="utf-8")
    data = yaml.safe_load(STREAMED)
    data["streams"][0]["arrivals"] = {"kind": "csv", "file": "times.csv"}
    data["actions"] = [{"at_s": 50.0, "do": "cancel", "alert": "FLOOD-000000"}]
    data["variants"] = {"slow": {"duration_s": 100}}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    prepared = load(scenario)
    sim, _ = build(prepared)
    steering = Steering(sim, prepared)
    steering.advance(45.0)
    steering.act(action_from_control({"action": "update", "alert": "FLOOD-000001"}, 45.0, tmp_path))
    steering.advance(60.0)  # the scenario's own cancel at 50 s on the way
    steering.act(action_from_control({"action": "cancel", "alert": "FLOOD-000002"}, 60.0, tmp_path))
    live = steering.finish(300.0)
    drill = write_drill(tmp_path / "results", scenario, steering.applied)
    written = yaml.safe_load(drill.read_text(encoding="utf-8"))
    assert [(a["at_s"], a["do"], a["alert"]) for a in written["actions"]] == [
        (45.0, "update", "FLOOD-000001"),
        (50.0, "cancel", "FLOOD-000000"),
        (60.0, "cancel", "FLOOD-000002"),
    ]
    assert "variants" not in written and written["streams"][0]["arrivals"]["file"].startswith("drill-files/")
    assert run(load(drill)).trace.rows == live.trace.rows


def test_a_drill_stopped_early_replays_to_where_it_was_stopped(tmp_path: Path) -> None:
    # As the console does when it is stopped before the end: the run finished at the clock's now, then a
    # stop action recorded there; drill.yaml must end at the same point, not run the whole duration.
    scenario, results = _scenario(tmp_path), tmp_path / "console"
    prepared = load(scenario)
    sim, _responder = build(prepared)
    steering, handle = console_steering(results)(sim, prepared)
    steering.advance(300.0)
    handle({"action": "cancel", "alert": "missile-drill-1"}, 300.0)
    stopped_s = 733.456789
    result = steering.finish(stopped_s)
    assert handle({"action": "stop"}, result.until_s) == f"stop at {stopped_s:g} s"
    alert_reaches = reaches(prepared, result)
    live_summary = as_drill(summarise(prepared, result, alert_reaches), results)
    write_results(results, live_summary, result, parquet=False, reaches=alert_reaches)
    drill = write_drill(results, scenario, steering.applied)
    assert yaml.safe_load(drill.read_text(encoding="utf-8"))["actions"][-1] == {"at_s": stopped_s, "do": "stop"}
    assert [action.do for action in read_action_log(results / ACTIONS_FILE)] == ["cancel", "stop"]

    again = tmp_path / "again"
    done = cli("run", drill, "--out", again, "--no-report", "--trace-format", "csv", "-q")
    assert done.returncode == 0, done.stderr
    assert (again / "summary.json").read_text(encoding="utf-8") == live_summary.to_json()
    assert (again / "trace.csv").read_bytes() == (results / "trace.csv").read_bytes()
    whole = run(load(scenario))  # the same scenario left to its end goes on past the stop
    assert max(row[0] for row in whole.trace.rows) > stopped_s >= max(row[0] for row in result.trace.rows)
    with pytest.raises(ActionError, match="stopped"):
        handle({"action": "cancel", "alert": "missile-drill-1"}, stopped_s)


def test_an_action_after_a_stop_is_invalid_input(tmp_path: Path) -> None:
    data = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    data["actions"] = [{"at_s": 100, "do": "stop"}, {"at_s": 200, "do": "cancel", "alert": "missile-drill-1"}]
    path = tmp_path / "stopped.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = cli("validate", path)
    assert done.returncode == 2
    assert "actions[1]" in done.stderr or "actions.1" in done.stderr, done.stderr
    assert "after the stop at 100 s" in done.stderr
