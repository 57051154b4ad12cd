"""The field-node report from a hand-made bridge run: outcomes, clock correction, files and terminal."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from lalert_sim.hil.protocol import Ack, Offset, Outcome, Reason, Status
from lalert_sim.hil.records import BridgeOptions, BridgeRun, Delivery, NodeState, Outage
from lalert_sim.hil.report import DELIVERY_COLUMNS, NODE_COLUMNS, build_report, print_report, write_report


def ack(msg_id: str, outcome: Outcome, reason: Reason | None = None, actuated_at: float | None = None) -> Ack:
    return Ack(
        node_id="pi-01",
        msg_id=msg_id,
        outcome=outcome,
        reason=reason,
        received_at=100.015,
        actuated_at=actuated_at,
        sent_at=100.017,
    )


@pytest.fixture
def run() -> BridgeRun:
    """pi-01 (clock 1 ms ahead) actuates one alert and refuses another; pi-02 never shows up; the
    broker went down for 4 s and a last alert to pi-01 was never sent."""
    status = Status(node_id="pi-01", state="online", since=1.0, rejected={"expired": 2})
    nodes = {"pi-01": NodeState("pi-01", status, Offset(0.001, 0.0002, 0.0004, 8)), "pi-02": NodeState("pi-02")}
    acted = ack("m1", Outcome.ACTUATED, actuated_at=100.016)
    refused = ack("m3", Outcome.REFUSED, Reason.MODE_REFUSED)
    deliveries = [
        Delivery("pi-01", "spk", "a1", "m1", 1.0, 1.5, 100.0, 100.01, 100.02, acted, 100.03, 1.6, group="aomori"),
        Delivery("pi-02", "spk", "a1", "m2", 1.0, 1.5, 100.0, 100.01, 100.02),
        Delivery("pi-01", "spk", "a2", "m3", 1.0, 1.5, 100.0, 100.01, 100.02, refused, 100.03),
        Delivery("pi-01", "spk", "a3", "m4", 2.0, 2.5, 101.0, attempts=2),
    ]
    bindings = {"spk": ["pi-01", "pi-02"]}
    run = BridgeRun("drill.yaml", "mqtt://127.0.0.1:1883", 99.0, BridgeOptions(), nodes, bindings, deliveries)
    run.outages = [Outage(100.5, "connection lost", 104.5)]
    return run


def test_node_stamps_are_moved_onto_the_bridges_clock(run: BridgeRun) -> None:
    acted = build_report(run).deliveries[0]
    assert acted.outcome == Outcome.ACTUATED
    assert acted.actuation_latency_ms == pytest.approx(5.0)  # 100.016 on the node = 100.015 on the bridge
    assert acted.receipt_latency_ms == pytest.approx(4.0)
    assert acted.ack_round_trip_ms == pytest.approx(20.0)
    assert acted.sim_node_delay_ms == pytest.approx(100.0)


def test_outcomes_are_counted_per_node_and_in_total(run: BridgeRun) -> None:
    report = build_report(run)
    assert [d.outcome for d in report.deliveries] == ["actuated", "missed", "refused", "not sent"]
    assert [d.reason for d in report.deliveries[2:]] == ["mode_refused", "broker unreachable"]
    assert report.deliveries[3].publish_attempts == 2
    one, two = report.nodes
    assert (one.actuated, one.refused, one.missed, one.not_sent, one.node_rejections) == (1, 1, 0, 1, {"expired": 2})
    assert (two.presence, two.missed, two.offset_ms) == ("never seen", 1, None)
    totals = report.totals
    assert (totals.actuated, totals.missed, totals.not_sent, totals.lost, totals.rejected_or_refused) == (1, 1, 1, 2, 1)
    assert totals.broker_outages == 1 and report.outages[0].seconds == pytest.approx(4.0)


def test_a_node_not_heard_from_since_an_outage_is_unknown(run: BridgeRun) -> None:
    run.nodes["pi-01"].stale = True
    assert build_report(run).nodes[0].presence == "unknown"


def test_files_hold_the_same_rows(run: BridgeRun, tmp_path: Path) -> None:
    report = build_report(run)
    json_path, deliveries_path, nodes_path = write_report(report, tmp_path)
    assert json.loads(json_path.read_text())["totals"]["actuation_latency_ms"]["p50"] == pytest.approx(5.0)
    with deliveries_path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == DELIVERY_COLUMNS
    assert [r["outcome"] for r in rows] == ["actuated", "missed", "refused", "not sent"]
    assert [r["group"] for r in rows] == ["aomori", "", "", ""]  # its group's topic carried the first
    with nodes_path.open() as handle:
        nodes = list(csv.DictReader(handle))
    assert tuple(nodes[0]) == NODE_COLUMNS and json.loads(nodes[0]["node_rejections"]) == {"expired": 2}


def test_the_terminal_table_fits_80_columns(run: BridgeRun) -> None:
    from rich.console import Console

    console = Console(width=80, record=True)
    print_report(build_report(run), console)
    text = console.export_text()
    flowing = " ".join(text.split())  # the summary lines wrap at 80 columns
    assert "4 deliveries to 2 field nodes: 1 actuated, 1 missed, 1 not sent, 1 rejected or refused" in flowing
    assert "broker connection lost at" in flowing and "back after 4.0 s" in flowing
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
