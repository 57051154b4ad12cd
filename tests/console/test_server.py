"""The console server as its users meet it: a real ``lalert-sim console`` / ``replay`` process on a free
loopback port, read over HTTP and server-sent events, steered with and without its token."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SCENARIOS, cli
from tests.console.conftest import Served, Stream

DRILL = SCENARIOS / "jalert_missile_drill_aomori.yaml"
SHORT_S = 400  # the drill cut after its emissions (about 290–370 s): 4 s of wall time at 100×


@pytest.fixture
def short_drill(tmp_path: Path) -> Path:
    """The flagship drill ending at 400 simulated seconds."""
    text = DRILL.read_text(encoding="utf-8")
    assert "\nduration_s: 1800\n" in text
    path = tmp_path / "short_drill.yaml"
    path.write_text(text.replace("\nduration_s: 1800\n", f"\nduration_s: {SHORT_S}\n"), encoding="utf-8")
    return path


def _sim_s(message: dict[str, Any]) -> float:
    return float(message["clock"]["sim_s"])


def _ended(message: dict[str, Any]) -> bool:
    return message["clock"]["state"] == "ended"


def test_controls_refuse_a_request_without_the_token_or_with_a_wrong_one(serve: Callable[..., Served]) -> None:
    console = serve("console", DRILL, "--speed", "10")
    assert console.url.startswith("http://127.0.0.1:")
    assert len(console.token) >= 32
    status, body = console.post({"action": "start"}, token=None)
    assert status == 401 and body["ok"] is False
    status, body = console.post({"action": "start"}, token="not-" + console.token)
    assert status == 403 and body["ok"] is False
    stream = console.stream()
    time.sleep(0.5)
    assert stream.latest()["clock"]["state"] == "ready"  # neither request started it
    status, body = console.post({"action": "start"})
    assert (status, body["ok"]) == (200, True)


def test_bad_control_requests_are_answered_with_reasons_not_errors(serve: Callable[..., Served]) -> None:
    console = serve("console", DRILL)
    assert console.post(None, raw=b"{not json")[0] == 400
    assert console.post([1, 2])[0] == 400
    assert console.post({"action": "explode"})[0] == 400
    assert console.post({"action": "speed", "speed": "fast"})[0] == 400
    assert console.post({"action": "speed", "speed": 1000})[0] == 400
    assert console.post({"action": "speed", "speed": float("nan")}, raw=b'{"action":"speed","speed":NaN}')[0] == 400
    assert console.post({"action": "pause"})[0] == 422  # not running yet
    assert console.post({"action": "seek", "sim_s": 10})[0] == 422  # a live run cannot go back
    status, body = console.post({"action": "start"})
    assert status == 200
    assert console.post({"action": "start"})[0] == 422  # once
    assert console.post(None, raw=b"x" * (3 * 1024 * 1024))[0] == 413
    assert console.get("/api/scenario")[0] == 200  # still serving


def test_layout_and_stream_need_the_token_the_page_does_not(serve: Callable[..., Served]) -> None:
    console = serve("console", DRILL)
    for path in ("/api/scenario", "/api/stream"):
        assert console.get(path, token=None)[0] == 401
        assert console.get(path, token="not-it")[0] == 403
        assert console.get(f"{path}?token=not-it", token=None)[0] == 403
    assert console.get("/", token=None)[0] == 200  # the page itself holds nothing of the drill
    assert console.get(f"/api/scenario?token={console.token}", token=None)[0] == 200
    status, body, headers = console.get("/api/scenario")
    layout = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert layout["mode"] == "live" and layout["banner"] == "exercise" and layout["until_s"] == 1800.0
    stream = console.stream()
    assert stream.content_type.startswith("text/event-stream")
    snapshot = stream.wait_for(lambda m: True)
    assert snapshot["type"] == "snapshot"
    assert set(snapshot) == {
        "type", "clock", "events", "nodes", "municipalities", "warned", "channels", "objectives", "field", "corrections"
    }  # fmt: skip
    assert len(snapshot["nodes"]) == 385 and set(snapshot["nodes"].values()) <= {"idle", "down"}
    assert snapshot["clock"] == {**snapshot["clock"], "sim_s": 0.0, "state": "ready", "speed": 1.0}


def test_pause_holds_the_clock_resume_moves_it_and_speed_sets_its_rate(
    serve: Callable[..., Served], short_drill: Path
) -> None:
    console = serve("console", short_drill, "--speed", "10")
    stream = console.stream()
    assert console.post({"action": "start"})[0] == 200
    stream.wait_for(lambda m: _sim_s(m) > 5)
    status, body = console.post({"action": "pause"})
    assert status == 200
    held = body["sim_s"]
    time.sleep(2)
    assert stream.latest()["clock"]["state"] == "paused"
    assert _sim_s(stream.latest()) == pytest.approx(held, abs=0.01)  # still, over two seconds
    assert console.post({"action": "resume"})[0] == 200
    moving = stream.wait_for(lambda m: m["clock"]["state"] == "running" and _sim_s(m) > held + 1)
    assert _sim_s(moving) > held
    assert console.post({"action": "speed", "speed": 50})[0] == 200
    first = stream.wait_for(lambda m: m["clock"]["speed"] == 50)
    later = stream.wait_for(lambda m: m["clock"]["wall_s"] >= first["clock"]["wall_s"] + 1.0)
    rate = (_sim_s(later) - _sim_s(first)) / (later["clock"]["wall_s"] - first["clock"]["wall_s"])
    assert rate == pytest.approx(50, rel=0.15)


def test_batches_come_at_most_ten_a_second_and_carry_the_drill(serve: Callable[..., Served], short_drill: Path) -> None:
    console = serve("console", short_drill, "--speed", "100")
    stream = console.stream()
    started = time.monotonic()
    console.post({"action": "start"})
    end = stream.wait_for(_ended, timeout_s=30)
    wall_s = time.monotonic() - started
    batches = [m for m in stream.messages if m["type"] == "batch"]
    assert len(batches) <= 10 * wall_s + 5
    events = [e for m in stream.messages for e in m["events"]]
    kinds = {e[1] for e in events}
    assert {"issued", "received", "emitted", "lost", "down", "action"} <= kinds
    statuses: dict[str, str] = {}
    for message in stream.messages:
        statuses |= message["nodes"]
    assert "sounding" in statuses.values() and "failed" in statuses.values()
    assert end["objectives"] and all(o["met"] is not None for o in end["objectives"])
    curve = [p for m in stream.messages for p in m["warned"]]
    assert curve[-1]["by_cohort"]["overall"] > 0.5
    assert [p["t"] for p in curve] == sorted(p["t"] for p in curve)


def _stop_once_written(console: Served, stream: Stream, out: Path) -> None:
    """Wait for the run's end and its results in ``out``, then stop the console (Ctrl-C): it exits 0."""
    stream.wait_for(_ended, timeout_s=30)
    deadline = time.monotonic() + 20
    while not (out / "summary.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    code, stdout, _ = console.stop()
    assert code == 0, stdout


def test_a_live_run_writes_what_run_writes(serve: Callable[..., Served], short_drill: Path, tmp_path: Path) -> None:
    out = tmp_path / "live"
    console = serve("console", short_drill, "--speed", "100", "--out", out)
    stream = console.stream()
    console.post({"action": "start"})
    _stop_once_written(console, stream, out)
    ran = cli("run", short_drill, "--out", tmp_path / "ran", "--no-report", "--trace-format", "csv")
    assert ran.returncode == 0, ran.stderr
    live, plain = (json.loads((folder / "summary.json").read_text()) for folder in (out, tmp_path / "ran"))
    for summary in (live, plain):
        summary["scenario"].pop("source")
    assert live == plain  # the same run, event for event, whatever the clock did
    assert (out / "nodes.csv").read_bytes() == (tmp_path / "ran" / "nodes.csv").read_bytes()


def test_many_viewers_each_get_a_snapshot_then_the_same_batches(
    serve: Callable[..., Served], short_drill: Path
) -> None:
    console = serve("console", short_drill, "--speed", "100")
    viewers = [console.stream() for _ in range(5)]
    console.post({"action": "start"})
    late = console.stream()
    for viewer in [*viewers, late]:
        viewer.wait_for(_ended, timeout_s=30)
    final = [_final_state(viewer.messages) for viewer in [*viewers, late]]
    assert all(state == final[0] for state in final)
    assert late.messages[0]["type"] == "snapshot"


def _final_state(messages: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, int], float]:
    """Node colours and channel counters after every message, and the last warned share."""
    nodes: dict[str, str] = {}
    channels: dict[str, int] = {}
    for message in messages:
        nodes |= message["nodes"]
        channels |= message["channels"]
    warned = [p for m in messages for p in m["warned"]]
    return nodes, channels, warned[-1]["by_cohort"]["overall"]


def test_replay_reaches_the_counts_of_the_runs_summary(
    serve: Callable[..., Served], short_drill: Path, tmp_path: Path
) -> None:
    results = tmp_path / "drill"
    ran = cli("run", short_drill, "--out", results, "--no-report", "--trace-format", "csv")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads((results / "summary.json").read_text())
    replay = serve("replay", results, "--speed", "100", "--scenario", short_drill)
    status, body, _ = replay.get("/api/scenario")
    assert json.loads(body)["mode"] == "replay"
    stream = replay.stream()
    assert replay.post({"action": "issue", "alert": "missile-drill-1"})[0] == 422
    assert replay.post({"action": "start"})[0] == 200
    stream.wait_for(_ended, timeout_s=30)
    nodes, channels, warned = _final_state(stream.messages)
    (alert,) = summary["alerts"]
    assert sum(channels.values()) == alert["emitters_reached"] > 200
    emitters = {row["node"] for row in csv.DictReader((results / "nodes.csv").open()) if row["emitted_s"]}
    assert {n for n, s in nodes.items() if s == "sounding"} == emitters
    curve = list(csv.DictReader((results / "warned.csv").open()))
    at_end = [r for r in curve if float(r["time_s"]) <= summary["scenario"]["duration_s"] - alert["issue_s"]][-1]
    assert warned == pytest.approx(float(at_end["overall"]), abs=1e-6)
    objectives = stream.latest()["objectives"]
    assert [o["met"] for o in objectives] == [o["met"] for o in summary["objectives"]]


def test_replay_seeks_back_and_forth(serve: Callable[..., Served], short_drill: Path, tmp_path: Path) -> None:
    results = tmp_path / "drill"
    assert cli("run", short_drill, "--out", results, "--no-report").returncode == 0  # Parquet, with pyarrow
    replay = serve("replay", results, "--scenario", short_drill)
    stream = replay.stream()
    assert replay.post({"action": "seek", "sim_s": 390})[0] == 200
    late = stream.wait_for(lambda m: _sim_s(m) == 390)
    assert replay.post({"action": "seek", "sim_s": 10})[0] == 200
    early = stream.wait_for(lambda m: _sim_s(m) == 10)
    assert sum(late["channels"].values()) > 0  # emissions by 390 s ...
    assert early["nodes"] and set(early["nodes"].values()) <= {"idle", "down"}  # ... undone at 10 s
    assert replay.post({"action": "seek", "sim_s": "soon"})[0] == 400
    assert replay.post({"action": "seek", "sim_s": 1e12})[0] == 200  # clamped to the end
    stream.wait_for(lambda m: _sim_s(m) == SHORT_S)


def test_replay_of_a_folder_without_a_run_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = cli("replay", empty, "--port", "0")
    assert done.returncode == 2 and "summary.json missing" in done.stderr and "Traceback" not in done.stderr
    missing = cli("replay", tmp_path / "nowhere", "--port", "0")
    assert missing.returncode == 2 and "no such results folder" in missing.stderr


def test_an_actual_mode_scenario_starts_only_with_allow_actual(tmp_path: Path) -> None:
    text = DRILL.read_text(encoding="utf-8").replace("mode: exercise", "mode: actual")
    assert "mode: actual" in text
    real = tmp_path / "real.yaml"
    real.write_text(text, encoding="utf-8")
    refused = cli("console", real, "--port", "0")
    assert refused.returncode == 2 and "--allow-actual" in refused.stderr


def test_console_options_out_of_range_are_invalid_input(tmp_path: Path) -> None:
    for args in (["--speed", "0"], ["--speed", "101"], ["--port", "70000"]):
        done = cli("console", DRILL, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_static_files_stay_inside_the_package(serve: Callable[..., Served]) -> None:
    console = serve("console", DRILL)
    for path in (
        "/static/../server.py",
        "/static/..%2fserver.py",
        "/static/%2e%2e/%2e%2e/cli.py",
        "/static/nothing.js",
    ):
        assert console.get(path)[0] == 404, path
    assert console.get("/api/control")[0] == 405  # controls only by POST


def test_broker_mode_needs_bound_field_nodes(tmp_path: Path) -> None:
    done = cli("console", DRILL, "--broker", "mqtt://bridge:x@127.0.0.1:1", "--port", "0")
    assert done.returncode == 2 and "field_nodes: missing" in done.stderr and "Traceback" not in done.stderr


def test_a_cancel_sent_from_the_console_is_recorded_and_drill_yaml_replays_the_drill(
    serve: Callable[..., Served], short_drill: Path, tmp_path: Path
) -> None:
    """The operator's cancel travels the network (correction times in the stream and in summary.json), goes
    into actions.jsonl and drill.yaml, and `run RESULTS/drill.yaml` gives the same summary.json, byte for byte."""
    out = tmp_path / "live"
    console = serve("console", short_drill, "--speed", "10", "--out", out)
    stream = console.stream()
    console.post({"action": "start"})
    stream.wait_for(lambda m: _sim_s(m) >= 20)
    status, body = console.post({"action": "cancel", "alert": "missile-drill-1"})
    assert (status, body["ok"]) == (200, True), body
    console.post({"action": "speed", "speed": 100})
    timed = stream.wait_for(lambda m: any(c["t50_s"] is not None for c in m["corrections"]), timeout_s=60)
    assert timed["corrections"][0]["alert"] == "missile-drill-1" and timed["corrections"][0]["kind"] == "cancel"
    _stop_once_written(console, stream, out)
    logged = [json.loads(line) for line in (out / "actions.jsonl").read_text().splitlines()]
    assert [entry["action"]["do"] for entry in logged] == ["cancel"]
    live = json.loads((out / "summary.json").read_text())
    assert [c["kind"] for c in live["corrections"]] == ["cancel"] and live["corrections"][0]["t50_s"] is not None
    again = cli("run", out / "drill.yaml", "--out", tmp_path / "again", "--no-report", "-q")
    assert again.returncode == 0, again.stderr
    assert (out / "summary.json").read_bytes() == (tmp_path / "again" / "summary.json").read_bytes()


def test_a_console_stopped_before_the_end_records_the_stop_and_drill_yaml_ends_there(
    serve: Callable[..., Served], short_drill: Path, tmp_path: Path
) -> None:
    out = tmp_path / "stopped"
    console = serve("console", short_drill, "--speed", "20", "--out", out)
    stream = console.stream()
    console.post({"action": "start"})
    stream.wait_for(lambda m: _sim_s(m) >= 60)
    code, stdout, _ = console.stop()  # Ctrl-C in the middle of the drill
    assert code == 0, stdout
    logged = [json.loads(line) for line in (out / "actions.jsonl").read_text().splitlines()]
    assert [entry["action"]["do"] for entry in logged] == ["stop"]
    stopped_s = logged[0]["at_s"]
    assert 60 <= stopped_s < SHORT_S
    again = cli("run", out / "drill.yaml", "--out", tmp_path / "again", "--no-report", "-q")
    assert again.returncode == 0, again.stderr
    assert (out / "summary.json").read_bytes() == (tmp_path / "again" / "summary.json").read_bytes()
    (trace,) = out.glob("trace.*")  # CSV or Parquet, as run writes it here
    assert trace.read_bytes() == (tmp_path / "again" / trace.name).read_bytes()


def test_a_demo_hil_folder_holds_the_simulated_run_and_replays_to_its_counts(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    """A field-node run's folder has the run's files beside the latency report, so the after-action review
    replays a bridge drill as it does a plain run."""
    results = tmp_path / "demo"
    done = cli(
        "demo-hil",
        SCENARIOS / "field_nodes_missile_drill.yaml",
        "--speed",
        "50",
        "--until",
        "60",
        "--out",
        results,
        "-q",
    )
    assert done.returncode == 0, done.stderr
    assert (results / "hil_report.json").is_file() and (results / "nodes.csv").is_file()
    summary = json.loads((results / "summary.json").read_text())
    replay = serve("replay", results, "--speed", "100")
    stream = replay.stream()
    assert replay.post({"action": "start"})[0] == 200
    stream.wait_for(_ended, timeout_s=60)
    _nodes, channels, _warned = _final_state(stream.messages)
    assert sum(channels.values()) == sum(alert["emitters_reached"] for alert in summary["alerts"]) > 0
