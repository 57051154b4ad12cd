"""The live table of field nodes: driven through the bridge's change hook by hand, then by a real bridge and
node agents on a real Mosquitto, and shown by ``demo-hil --live``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from lalert_sim.hil.demo import fan_out_scenario as fan_out_text
from lalert_sim.hil.live import LiveNodes, live_row, show_live
from lalert_sim.hil.protocol import Ack, Offset, Outcome, Reason, Signer, Status
from lalert_sim.hil.records import BridgeOptions, BridgeRun, Delivery, NodeState
from lalert_sim.hil.report import build_report
from tests.conftest import cli
from tests.hil.conftest import fan_out_scenario, field_bridge, field_ids, run_with_virtual_nodes


@dataclass
class Watched:
    """Stands for a bridge: a record that the test changes, and the hook the table sets."""

    record: BridgeRun
    on_change: object = None

    def changed(self, node_id: str | None) -> None:
        assert callable(self.on_change)
        self.on_change(node_id)


def drill(nodes: list[str]) -> Watched:
    states = {
        n: NodeState(n, Status(node_id=n, state="online", since=1.0), Offset(0.001, 0.0001, 0.0002, 8)) for n in nodes
    }
    return Watched(BridgeRun("drill.yaml", "mqtt://127.0.0.1:1883", 99.0, BridgeOptions(), states, {"spk": nodes}))


def rendered(table: LiveNodes, height: int = 40, width: int = 120) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(table)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def ack(node: str, msg: str, outcome: Outcome, actuated_at: float | None = None) -> Ack:
    reason = None if outcome is Outcome.ACTUATED else Reason.EXPIRED
    return Ack(
        node_id=node,
        msg_id=msg,
        outcome=outcome,
        reason=reason,
        received_at=100.013,
        actuated_at=actuated_at,
        sent_at=100.02,
    )


def test_the_table_follows_each_change_the_bridge_reports() -> None:
    bridge = drill(["pi-01", "pi-02"])
    table = LiveNodes()
    table.watch(bridge)
    assert bridge.on_change == table.changed  # the table hooks itself in
    assert [(r.field_node, r.presence, r.published) for r in table.rows()] == [
        ("pi-01", "online", 0),
        ("pi-02", "online", 0),
    ]

    one = Delivery("pi-01", "spk", "a1", "m1", 1.0, 1.5, 100.0, 100.01, 100.02)
    bridge.record.deliveries.append(one)
    bridge.changed("pi-01")
    assert table.rows()[0] == live_row(bridge.record.nodes["pi-01"], [one])
    assert (table.rows()[0].published, table.rows()[0].received, table.rows()[0].latency_ms) == (1, 0, None)

    one.ack = ack("pi-01", "m1", Outcome.ACTUATED, actuated_at=100.016)  # 100.015 on the bridge's clock
    bridge.changed("pi-01")
    first = table.rows()[0]
    assert (first.received, first.actuated, first.rejected, first.latency_ms) == (1, 1, 0, pytest.approx(5.0))

    two = Delivery("pi-02", "spk", "a1", "m2", 1.0, 1.5, 100.0, 100.01, 100.02, ack("pi-02", "m2", Outcome.REJECTED))
    bridge.record.deliveries.append(two)
    bridge.record.nodes["pi-02"].stale = True
    bridge.changed(None)  # the broker connection broke: every node may have changed
    second = table.rows()[1]
    assert (second.presence, second.received, second.actuated, second.rejected) == ("unknown", 1, 0, 1)

    text = rendered(table)
    for header in ("node", "status", "published", "received", "actuated", "latency ms", "rejected"):
        assert header in text
    assert text.index("pi-02") < text.index("pi-01")  # the node in trouble first
    assert "5.0" in text and "1/2 online · 2 published · 2 received · 1 actuated · 1 rejected" in text


def test_a_long_table_is_cut_to_the_terminal_and_says_how_many_more() -> None:
    bridge = drill(field_ids(60))
    table = LiveNodes("ja")
    table.watch(bridge)
    text = rendered(table, height=20)
    assert len(text.splitlines()) <= 20
    assert "ほか" in text and "端末" in text and "動作" in text  # in Japanese


def test_the_table_is_shown_on_a_terminal_or_when_forced_but_never_quiet() -> None:
    from rich.console import Console

    pipe, terminal = Console(file=io.StringIO()), Console(file=io.StringIO(), force_terminal=True)
    assert show_live(terminal, None, False) and not show_live(pipe, None, False)
    assert show_live(pipe, True, False) and not show_live(terminal, False, False)
    assert not show_live(terminal, True, True)


def test_a_real_bridge_feeds_the_table_what_its_report_says(tmp_path: Path, broker_factory) -> None:
    ids = field_ids(3)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    prepared = fan_out_scenario(tmp_path, ids, issue_s=0.5, duration_s=1.0)
    bridge = field_bridge(prepared, signer, broker)
    table = LiveNodes()
    table.watch(bridge)
    calls: list[str | None] = []
    hook = bridge.on_change
    assert hook is not None
    bridge.on_change = lambda node: (calls.append(node), hook(node))[1]

    report = build_report(run_with_virtual_nodes(bridge, broker, signer, ids))
    assert set(ids) <= set(calls)  # statuses, publishes and acks each told the table
    rows = {row.field_node: row for row in table.rows()}
    for node in report.nodes:
        row = rows[node.field_node]
        assert (row.presence, row.published, row.received, row.actuated, row.rejected) == ("online", 1, 1, 1, 0)
        assert row.latency_ms == pytest.approx(node.actuation_latency_p50_ms, abs=0.01)


def test_demo_hil_live_shows_the_table_on_stderr(tmp_path: Path) -> None:
    scenario = tmp_path / "fan_out.yaml"
    scenario.write_text(fan_out_text(field_ids(2), issue_s=0.5, duration_s=1.0), encoding="utf-8")
    done = cli("demo-hil", scenario, "--live", "--out", tmp_path / "out", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "published" in done.stderr and "2/2 online" in done.stderr  # drawn while it ran, on stderr
    assert "published" not in done.stdout  # the report on stdout is as before


def test_a_tall_terminal_still_draws_at_most_max_rows() -> None:
    from lalert_sim.hil.live import MAX_ROWS

    table = LiveNodes()
    table.watch(drill(field_ids(200)))
    text = rendered(table, height=500)
    assert sum(line.lstrip().startswith("pi-") for line in text.splitlines()) == MAX_ROWS
    assert f"{200 - MAX_ROWS} more nodes below" in text
