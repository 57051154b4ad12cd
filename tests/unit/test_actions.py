"""Operator actions: what each does to a run, what is refused, and the correction times of the summary."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import simpy
import yaml

from lalert_sim.analysis.corrections import corrections_so_far, recipients_reached
from lalert_sim.analysis.kpis import replication_kpis
from lalert_sim.console.recording import action_from_control, store_alert_file
from lalert_sim.engine.actions import ActionError, Steering, apply_action
from lalert_sim.engine.trace import Event
from lalert_sim.errors import ScenarioError
from lalert_sim.model.actions import IssueAction
from lalert_sim.model.alert_files import ALERT_FILE_MAX_BYTES
from lalert_sim.model.alerts import Alert, AlertCategory, AlertMode, AlertSystem
from lalert_sim.model.cap import write_cap
from lalert_sim.prepare import Prepared, load, load_text
from lalert_sim.runner import build, run, summarise
from tests.conftest import ROOT, cli

FLAGSHIP = ROOT / "scenarios" / "jalert_missile_drill_aomori.yaml"
LATER = {"id": "later", "system": "j_alert", "category": "evacuation_order", "areas": ["02201"], "issue_s": 1500}
CANCEL = {"id": "missile-drill-1:cancel1", "system": "j_alert", "category": "ballistic_missile", "areas": ["02"]}


def _data(actions: list[dict[str, Any]], *alerts: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    data["alerts"] += list(alerts)
    data["actions"] = actions
    return data


def _prepared(actions: list[dict[str, Any]], *alerts: dict[str, Any]) -> Prepared:
    return load_text(yaml.safe_dump(_data(actions, *alerts)), str(ROOT / "scenarios" / "steered.yaml"))


def test_an_alert_issued_early_enters_the_network_once_at_the_action() -> None:
    prepared = _prepared([{"at_s": 500, "do": "issue", "alert": "later"}], LATER)
    result = run(prepared)
    later = next(alert for alert in result.alerts if alert.spec.id == "later")
    issued = [row for row in result.trace.rows if row[1] == later.index and row[5] == Event.ISSUED]
    assert [row[0] for row in issued] == [500.0]
    assert later.emitted and min(later.emitted.values()) > 500.0
    assert summarise(prepared, result).alerts[1].issue_s == 500.0


def test_a_cancel_sent_as_an_action_stops_outputs_as_the_same_cancel_in_the_scenario_does() -> None:
    """The board learns what the original sounds when a correction joins its chain mid-run."""
    outputs = {"sounding_s": {"outdoor_loudspeaker": 900, "cell_broadcast": 900}}
    steered = _data([{"at_s": 400, "do": "cancel", "alert": "missile-drill-1"}])
    chain = {"event": "missile-drill-1", "serial": 2, "kind": "cancel", "references": ["missile-drill-1"]}
    planned = _data([], {**CANCEL, "issue_s": 400, "chain": chain, "origin": "national/launch-decision"})
    for data in (steered, planned):
        data["outputs"] = outputs
    by_action, in_scenario = (
        summarise(p, run(p)) for p in (load_text(yaml.safe_dump(d), "steered.yaml") for d in (steered, planned))
    )
    assert by_action.alerts[1].chain is not None and by_action.alerts[1].chain.outputs_stopped > 10
    assert by_action.alerts[1].chain == in_scenario.alerts[1].chain
    assert by_action.alerts[0].chain == in_scenario.alerts[0].chain
    assert by_action.corrections == in_scenario.corrections


def test_an_incident_action_counts_its_window_from_the_action() -> None:
    incident = {"type": "outage", "name": "pulled plug", "nodes": {"ids": ["m-02201/startup"]}, "end_s": 100}
    result = run(_prepared([{"at_s": 300.5, "do": "incident", "incident": incident}]))
    rows = [row for row in result.availability.rows if row[2] == "m-02201/startup" and "pulled plug" in row[4]]
    assert [(t, down) for t, _kind, _name, down, _cause in rows] == [(300.5, True), (400.5, False)]


@pytest.mark.parametrize(
    ("actions", "field", "words"),
    [
        ([{"at_s": 10, "do": "issue", "alert": "nope"}], "actions[0].alert", "no alert with id 'nope'"),
        ([{"at_s": 10, "do": "issue", "alert": "missile-drill-1"}], "actions[0].alert", "issued already"),
        ([{"at_s": 100, "do": "cancel", "alert": "later"}], "actions[0].alert", "not issued yet"),
        ([{"at_s": 4000, "do": "cancel", "alert": "missile-drill-1"}], "actions[0].at_s", "after the end"),
        (
            [{"at_s": 50, "do": "cancel", "alert": "missile-drill-1"}, {"at_s": 20, "do": "issue", "alert": "later"}],
            "actions[1].at_s",
            "before the action ahead",
        ),
        (
            [{"at_s": 50, "do": "update", "alert": "missile-drill-1", "id": "later"}],
            "actions[0].id",
            "used already",
        ),
        ([{"at_s": 50, "do": "sing", "alert": "later"}], "actions[0]", "do"),
        ([{"at_s": 50, "do": "cap", "file": "missing.xml"}], "actions[0].file", "missing.xml"),
        ([{"at_s": 50, "do": "cap", "file": "../outside.xml"}], "actions[0].file", "outside the scenario's folder"),
        (
            [{"at_s": 50, "do": "incident", "incident": {"type": "outage", "nodes": {"ids": ["no/such"]}}}],
            "actions[0].incident",
            "selects no node",
        ),
    ],
)
def test_an_impossible_action_in_a_scenario_is_refused_naming_its_field(
    tmp_path: Path, actions: list[dict[str, Any]], field: str, words: str
) -> None:
    path = tmp_path / "bad.yaml"
    with pytest.raises(ScenarioError) as refused:
        load_text(yaml.safe_dump(_data(actions, LATER)), str(path))
    assert any(problem.field.startswith(field) and words in str(problem) for problem in refused.value.problems), [
        str(problem) for problem in refused.value.problems
    ]


def test_validate_refuses_an_impossible_action_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_data([{"at_s": 100, "do": "cancel", "alert": "later"}], LATER)), encoding="utf-8")
    done = cli("validate", path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "actions[0].alert" in done.stderr and "not issued yet" in done.stderr and "Traceback" not in done.stderr


def _steering() -> Steering:
    prepared = _prepared([], LATER)
    sim, _ = build(prepared)
    return Steering(sim, prepared)


def test_live_actions_that_cannot_be_done_now_are_refused_and_change_nothing(tmp_path: Path) -> None:
    steering = _steering()
    steering.advance(200.0)
    rows = len(steering.sim.trace.rows)
    refused = [
        ({"action": "issue", "alert": "missile-drill-1"}, "issued already"),  # issued at 0
        ({"action": "cancel", "alert": "later"}, "not issued yet"),
        ({"action": "update", "alert": "ghost"}, "no alert with id 'ghost'"),
        ({"action": "update", "alert": "missile-drill-1", "origin": "nowhere"}, "origin: .*nowhere"),
        ({"action": "incident", "type": "outage", "nodes": {"ids": ["no/such"]}}, "incident: .*selects no node"),
        ({"action": "incident", "type": "volcano"}, "type"),
        ({"action": "launch"}, "do"),
        ({"action": "cap", "name": "x.xml", "content": "<alert>not CAP</alert>"}, "x.xml"),
        ({"action": "cap", "name": "x.xml"}, "content"),
        ({"action": "cap", "name": "x.xml", "content": "\ud800"}, "not text"),
        ({"action": "issue", "alert": ["a"]}, "alert"),
        ({"action": "update", "alert": "missile-drill-1", "headline": "x" * 3000}, "headline"),
    ]
    for control, words in refused:
        with pytest.raises(ActionError, match=words):
            steering.act(action_from_control(control, 200.0, tmp_path))
    with pytest.raises(ActionError, match="JSON object"):
        action_from_control(["issue"], 200.0, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ActionError, match="stands at 200"):
        apply_action(steering.sim, steering.prepared, IssueAction(at_s=150, do="issue", alert="later"))
    assert steering.applied == [] and len(steering.sim.trace.rows) == rows


def _cap_text(mode: AlertMode = AlertMode.EXERCISE) -> str:
    alert = Alert(id="flood", system=AlertSystem.J_ALERT, category=AlertCategory.OTHER, areas=["02201"], mode=mode)
    return write_cap(alert, datetime(2026, 11, 22, tzinfo=UTC)).decode("utf-8")


def test_an_alert_file_cannot_bring_an_id_the_run_has_nor_a_real_alert_unless_allowed(tmp_path: Path) -> None:
    steering = _steering()
    steering.advance(10.0)
    real = {"action": "cap", "name": "real.xml", "content": _cap_text(AlertMode.ACTUAL)}
    with pytest.raises(ActionError, match="ACTUAL"):
        steering.act(action_from_control(real, 10, tmp_path))
    steering.act(action_from_control({"action": "cap", "name": "flood.xml", "content": _cap_text()}, 10, tmp_path))
    with pytest.raises(ActionError, match="used already"):
        steering.act(action_from_control({"action": "cap", "name": "again.xml", "content": _cap_text()}, 10, tmp_path))
    assert [action.do for action in steering.applied] == ["cap"]


def test_an_uploaded_file_is_kept_inside_the_results_folder_whatever_its_name(tmp_path: Path) -> None:
    path = store_alert_file(tmp_path / "out", "../../etc/passwd", "<x/>")
    assert path.parent == (tmp_path / "out").absolute() and path.name.startswith("cap-1-")
    with pytest.raises(ActionError, match="bytes"):
        store_alert_file(tmp_path / "out", "big.xml", "x" * (ALERT_FILE_MAX_BYTES + 1))


def test_a_drill_whose_recorded_action_fails_when_run_names_it(tmp_path: Path) -> None:
    (tmp_path / "flood.xml").write_text(_cap_text(), encoding="utf-8")
    actions = [{"at_s": 10, "do": "cap", "file": "flood.xml"}, {"at_s": 20, "do": "cap", "file": "flood.xml"}]
    prepared = load_text(yaml.safe_dump(_data(actions)), str(tmp_path / "drill.yaml"))
    with pytest.raises(ScenarioError, match=r"actions\[1\]: alert id 'flood' is used already"):
        run(prepared)


def _reach(codes: list[str], population: list[float], warned: list[list[float]]) -> Any:
    return SimpleNamespace(
        municipalities=[SimpleNamespace(code=c) for c in codes],
        population=np.array(population),
        by_municipality=np.array(warned),
        times_s=np.array([0.0, 100.0, 200.0]),
    )


def test_correction_times_count_the_originals_recipients_reached_first() -> None:
    """80 of 100 and 120 of 300 got the original; the correction reaches 100 % and 40 % of each town, linearly."""
    before = _reach(["01", "02"], [100, 300], [[0, 0.5, 0.8], [0, 0.3, 0.4]])
    after = _reach(["02", "01", "03"], [300, 100, 50], [[0, 0.2, 0.4], [0, 1.0, 1.0], [0, 1, 1]])
    curve, recipients = recipients_reached(before, after)
    assert recipients == pytest.approx(200.0)
    assert curve == pytest.approx([0.0, (80 + 60) / 200, 1.0])


def test_a_sweep_row_carries_the_correction_times() -> None:
    prepared = load(ROOT / "scenarios" / "jalert_missile_false_alarm_aomori.yaml")
    result = run(prepared)
    summary = summarise(prepared, result)
    (correction,) = summary.corrections
    assert result.steered is not None
    assert corrections_so_far(result.steered, result) == summary.corrections  # as the console shows them
    row = replication_kpis(summary)
    assert row["false-missile-1:cancel1.correction_95pct_s"] == correction.t95_s
    assert correction.t50_s is not None and 0 < correction.t50_s < row["false-missile-1:cancel1.correction_95pct_s"]


SMALL = """\
metadata: {name: small}
duration_s: 200
topology:
  nodes:
    - {id: centre, kind: origin, system: j_alert}
    - {id: rx, kind: relay, area: "02201"}
    - {id: speaker, kind: emitter, channel: outdoor_loudspeaker, area: "02201"}
  links:
    - {id: sat, medium: satellite_geo, source: centre, target: rx}
    - {id: radio, medium: municipal_disaster_radio, source: rx, target: speaker}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile, areas: ["02201"]}
  - {id: b, system: j_alert, category: ballistic_missile, areas: ["02201"], issue_s: 150}
"""


def _random_action(rng: random.Random) -> dict[str, Any]:
    hostile = rng.random() < 0.15  # now and then a value that must be refused
    at_s = rng.choice([201.0, -1.0, 1e300] if hostile else [0.0, 1e-9, 49.99, 50.0, 150.0, 200.0])
    pick = rng.randrange(7)
    alert = rng.choice(["a:cancel1", "", "x" * 300, "c"] if rng.random() < 0.15 else ["a", "b"])
    if pick == 0:
        return {"at_s": at_s, "do": "issue", "alert": alert}
    if pick in (1, 2):
        return {"at_s": at_s, "do": rng.choice(["update", "cancel"]), "alert": alert, "id": rng.choice([None, "a"])}
    if pick == 3:
        return {"at_s": at_s, "do": "cap", "file": rng.choice(["/dev/zero", "../x.xml", "none.xml", ".", "\0"])}
    if pick == 4:
        nodes = {"ids": [rng.choice(["rx", "nope", "*"])]}
        end = rng.choice([10.0, 0.0, -5.0, float("inf")])
        return {"at_s": at_s, "do": "incident", "incident": {"type": "outage", "nodes": nodes, "end_s": end}}
    if pick == 5:
        return {"at_s": at_s, "do": "incident", "incident": {"type": "power_outage", "area": "02201"}}
    return {"at_s": at_s, "do": rng.choice(["sing", "", 3]), "alert": None}


def test_fuzzed_actions_end_in_a_result_or_a_scenario_error(tmp_path: Path) -> None:
    """Random action lists: each either runs (the same when the clock moves in slices) or is refused with a
    ScenarioError, never a traceback."""
    rng = random.Random(20260101)
    base = yaml.safe_load(SMALL)
    outcomes = {"ran": 0, "refused": 0}
    for _ in range(150):
        actions = sorted((_random_action(rng) for _ in range(rng.randint(1, 3))), key=lambda a: str(a["at_s"]))
        text = yaml.safe_dump({**base, "actions": actions})
        try:
            prepared = load_text(text, str(tmp_path / "fuzzed.yaml"))
            result = run(prepared)
        except ScenarioError:
            outcomes["refused"] += 1
            continue
        outcomes["ran"] += 1
        sliced = Steering(build(prepared)[0], prepared)  # the console's way: the clock in slices
        for slice_end_s in np.arange(7.3, 200.0, 7.3):
            sliced.advance(float(slice_end_s))
        assert sliced.finish(200.0).trace.rows == result.trace.rows
    assert outcomes["ran"] > 10 and outcomes["refused"] > 10, outcomes


def test_advance_stands_where_simpys_run_until_stands() -> None:
    """Events due before t are processed, those due at t are not: SimPy's ``env.run(until=t)``."""
    prepared = load_text(SMALL, "small.yaml")
    ours, _ = build(prepared)
    theirs = simpy.Environment()
    seen: dict[str, list[float]] = {"ours": [], "theirs": []}
    for env, log in ((ours.env, seen["ours"]), (theirs, seen["theirs"])):
        for delay in (1.0, 2.0, 2.0, 3.0):
            env.timeout(delay).callbacks.append(lambda _e, env=env, log=log: log.append(env.now))
    ours.advance(2.0)
    theirs.run(until=2.0)
    assert seen["ours"] == seen["theirs"] == [1.0] and ours.env.now == theirs.now == 2.0


def test_moving_the_clock_in_slices_changes_nothing() -> None:
    prepared = load(FLAGSHIP)
    whole = run(prepared)
    sim, _ = build(prepared)
    steering = Steering(sim, prepared)
    for slice_end_s in np.arange(0.37, 1800.0, 0.37):
        steering.advance(float(slice_end_s))
    sliced = steering.finish(1800.0)
    assert sliced.trace.rows == whole.trace.rows and sliced.events == whole.events
