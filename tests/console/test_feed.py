"""The console's feed: deltas that add up to the snapshot, colours that follow the trace, a bounded log."""

from __future__ import annotations

import numpy as np

from lalert_sim.console.feed import MAX_BATCH_EVENTS, MAX_SNAPSHOT_EVENTS, Feed, NodePlaces
from lalert_sim.console.protocol import Clock
from lalert_sim.engine.trace import Event
from lalert_sim.prepare import load
from lalert_sim.runner import run
from tests.conftest import SCENARIOS

CLOCK: Clock = {"sim_s": 0.0, "wall_s": 0.0, "speed": 1.0, "state": "running"}


def test_deltas_in_any_slicing_add_up_to_the_snapshot() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    result = run(prepared)
    rows = result.trace.table()
    feed = Feed(NodePlaces.of(prepared.topology))
    nodes: dict[str, str] = {}
    channels: dict[str, int] = {}
    towns: dict[str, object] = {}
    for chunk in np.array_split(rows, 37):
        feed.add_rows(chunk, result.trace.alert_ids)
        batch = feed.take(CLOCK)
        nodes |= batch["nodes"]
        channels |= batch["channels"]
        towns |= batch["municipalities"]
        assert len(batch["events"]) <= MAX_BATCH_EVENTS
    feed.add_availability(result.availability.rows)
    nodes |= feed.take(CLOCK)["nodes"]
    snapshot = feed.snapshot(CLOCK)
    assert {n: s for n, s in snapshot["nodes"].items() if s != "idle"} == nodes
    assert snapshot["channels"] == channels
    emitted = rows[rows[:, 5] == Event.EMITTED]
    assert sum(channels.values()) == len(emitted)
    sounding = {result.trace.node_ids[int(n)] for n in emitted[:, 2]}
    assert {n for n, s in nodes.items() if s == "sounding"} == sounding
    assert {"02201", "02203"} <= {
        code for code, town in snapshot["municipalities"].items() if town["status"] == "sounding"
    }


def test_a_node_down_shows_down_and_its_colour_comes_back_when_it_is_up() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    feed = Feed(NodePlaces.of(prepared.topology))
    node = "m-02201/receiver"
    feed.add_availability([(10.0, "node", node, True, "storm"), (11.0, "link", "x", True, "storm")])
    assert feed.take(CLOCK)["nodes"] == {node: "down"}
    feed.add_availability([(20.0, "node", node, False, "storm")])
    assert feed.take(CLOCK)["nodes"] == {node: "idle"}
    assert [e[1] for e in feed.snapshot(CLOCK)["events"]] == ["down", "down", "up"]


def test_the_log_keeps_only_its_latest_lines() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    feed = Feed(NodePlaces.of(prepared.topology))
    for k in range(MAX_SNAPSHOT_EVENTS + 500):
        feed.add_log((float(k), "action", "", "", "pause"))
    events = feed.take(CLOCK)["events"]
    assert len(events) == MAX_BATCH_EVENTS and events[-1][0] == MAX_SNAPSHOT_EVENTS + 499
    assert len(feed.snapshot(CLOCK)["events"]) == MAX_SNAPSHOT_EVENTS
    assert feed.take(CLOCK)["events"] == []
