"""The bridge's latency report: a row per delivery and a row per field node, in CSV, JSON and the terminal.

Node stamps are put on the bridge's clock with the node's measured offset, so latencies are
true end-to-end figures within ± the offset's uncertainty (half the best ping round trip).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lalert_sim.hil.latency import Percentiles, ms
from lalert_sim.hil.protocol import Outcome
from lalert_sim.hil.records import BridgeRun, Delivery, NodeState, Outage
from lalert_sim.i18n import Language, messages
from lalert_sim.i18n.lines import pack_phrases

MISSED = "missed"  # a delivery's outcome when it was published but no ack came by the deadline ...
NOT_SENT = "not sent"  # ... when the broker never took it (down then and still down at the end) ...
LOST = (MISSED, NOT_SENT)  # ... else the node's Outcome; these two are deliveries lost


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery with its node stamps corrected onto the bridge's clock (times ISO 8601, UTC)."""

    field_node: str
    sim_node: str
    alert: str
    msg_id: str
    group: str | None  # the delivery group whose topic carried it; None: the node's own topic
    outcome: str
    reason: str | None
    sim_issue_s: float
    sim_arrival_s: float
    sim_emitted_s: float | None
    sim_node_delay_ms: float | None
    scheduled_at: str | None
    published_at: str | None
    puback_at: str | None
    node_received_at: str | None
    node_actuated_at: str | None
    ack_at: str | None
    offset_ms: float | None
    offset_uncertainty_ms: float | None
    publish_lag_ms: float | None
    receipt_latency_ms: float | None
    actuation_latency_ms: float | None
    ack_round_trip_ms: float | None
    publish_attempts: int
    resent_at: str | None
    duplicate_ack: bool


@dataclass(frozen=True)
class NodeRow:
    """One field node: presence, clock offset, what became of its deliveries."""

    field_node: str
    sim_nodes: str
    presence: str
    offset_ms: float | None
    offset_uncertainty_ms: float | None
    offset_after_ms: float | None
    sync_samples: int
    deliveries: int
    actuated: int
    refused: int
    rejected: int
    missed: int
    not_sent: int
    actuation_latency_p50_ms: float | None
    actuation_latency_max_ms: float | None
    node_rejections: dict[str, int]
    impairment: str | None  # the link conditions its relay applied (Impairment.describe), None: a plain connection


@dataclass(frozen=True)
class RunOptions:
    """How the run went: speed, the simulated end, the ack deadline, signed validity, sync samples."""

    speed: float
    until_s: float
    ack_deadline_s: float
    validity_s: float
    sync_samples: int


@dataclass(frozen=True)
class Totals:
    """Counts over every delivery, and the publish → actuation latency figures (ms)."""

    field_nodes: int
    deliveries: int
    actuated: int
    missed: int
    not_sent: int
    lost: int
    rejected_or_refused: int
    actuation_latency_ms: Percentiles | None
    stray_acks: int
    broker_outages: int


@dataclass(frozen=True)
class OutageRow:
    """The bridge's broker connection lost and (or not) back."""

    lost_at: str | None
    back_at: str | None
    seconds: float | None
    reason: str


@dataclass(frozen=True)
class FieldReport:
    """A whole bridge run, built once and read by every view (JSON, CSV, terminal)."""

    scenario: str
    broker: str
    started_at: str | None
    ended_at: str | None
    interrupted: bool
    error: str | None
    options: RunOptions
    totals: Totals
    nodes: list[NodeRow]
    deliveries: list[DeliveryRow]
    outages: list[OutageRow]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (what hil_report.json holds)."""
        return dataclasses.asdict(self)


DELIVERY_COLUMNS = tuple(f.name for f in dataclasses.fields(DeliveryRow))
NODE_COLUMNS = tuple(f.name for f in dataclasses.fields(NodeRow))


def _iso(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat(timespec="microseconds")


def delivery_row(delivery: Delivery, node: NodeState, deadline_s: float) -> DeliveryRow:
    """One delivery with its node stamps corrected onto the bridge's clock."""
    offset = node.offset
    ack = delivery.ack
    late = ack is not None and delivery.ack_at is not None and delivery.ack_at > delivery.due_at(deadline_s, 0.0)
    outcome, reason = _outcome(delivery, late)
    received = actuated = None
    if ack is not None and offset is not None:
        received, actuated = offset.to_bridge(ack.received_at), offset.to_bridge(ack.actuated_at)
    published = delivery.published_at

    def since_publish(t: float | None) -> float | None:
        return None if t is None or not published else ms(t - published)

    emitted = delivery.sim_emitted_s
    return DeliveryRow(
        field_node=delivery.field_node,
        sim_node=delivery.sim_node,
        alert=delivery.alert_id,
        msg_id=delivery.msg_id,
        group=delivery.group,
        outcome=outcome,
        reason=reason,
        sim_issue_s=delivery.sim_issue_s,
        sim_arrival_s=round(delivery.sim_arrival_s, 6),
        sim_emitted_s=None if emitted is None else round(emitted, 6),
        sim_node_delay_ms=None if emitted is None else ms(emitted - delivery.sim_arrival_s),
        scheduled_at=_iso(delivery.scheduled_at),
        published_at=_iso(published or None),
        puback_at=_iso(delivery.puback_at),
        node_received_at=_iso(received),
        node_actuated_at=_iso(actuated),
        ack_at=_iso(delivery.ack_at),
        offset_ms=None if offset is None else ms(offset.offset_s),
        offset_uncertainty_ms=None if offset is None else ms(offset.uncertainty_s),
        publish_lag_ms=ms(published - delivery.scheduled_at) if published else None,
        receipt_latency_ms=since_publish(received),
        actuation_latency_ms=since_publish(actuated),
        ack_round_trip_ms=since_publish(delivery.ack_at),
        publish_attempts=delivery.attempts,
        resent_at=_iso(delivery.resent_at),
        duplicate_ack=ack is not None and ack.duplicate,
    )


def _outcome(delivery: Delivery, late: bool) -> tuple[str, str | None]:
    """The delivery's outcome and its reason."""
    ack = delivery.ack
    if delivery.puback_at is None and ack is None:
        return NOT_SENT, delivery.refused or "broker unreachable"
    if ack is None or late:
        return MISSED, "late ack" if late else None
    return ack.outcome.value, ack.reason.value if ack.reason else None


def outage_row(outage: Outage) -> OutageRow:
    """One outage of the bridge's broker connection."""
    back = outage.back_at
    return OutageRow(
        _iso(outage.lost_at), _iso(back), None if back is None else round(back - outage.lost_at, 3), outage.reason
    )


def _actuation_latencies(rows: list[DeliveryRow]) -> Percentiles | None:
    return Percentiles.of(
        [r.actuation_latency_ms for r in rows if r.outcome == Outcome.ACTUATED and r.actuation_latency_ms is not None]
    )


def node_row(state: NodeState, sim_nodes: list[str], rows: list[DeliveryRow], impairment: str | None = None) -> NodeRow:
    """One field node's row from its state, its deliveries' rows and its link conditions (if impaired)."""
    latency = _actuation_latencies(rows)
    offset, after, status = state.offset, state.offset_after, state.status
    outcomes = Counter(r.outcome for r in rows)
    return NodeRow(
        field_node=state.node_id,
        sim_nodes=" ".join(sim_nodes),
        presence=state.presence,
        offset_ms=None if offset is None else ms(offset.offset_s),
        offset_uncertainty_ms=None if offset is None else ms(offset.uncertainty_s),
        offset_after_ms=None if after is None else ms(after.offset_s),
        sync_samples=0 if offset is None else offset.samples,
        deliveries=len(rows),
        actuated=outcomes[Outcome.ACTUATED],
        refused=outcomes[Outcome.REFUSED],
        rejected=outcomes[Outcome.REJECTED],
        missed=outcomes[MISSED],
        not_sent=outcomes[NOT_SENT],
        actuation_latency_p50_ms=None if latency is None else latency.p50,
        actuation_latency_max_ms=None if latency is None else latency.max,
        node_rejections=dict(status.rejected) if status else {},
        impairment=impairment,
    )


def build_report(run: BridgeRun) -> FieldReport:
    """The whole report: options, a row per delivery, a row per field node, the totals."""
    deadline = run.options.ack_deadline_s
    rows = [delivery_row(d, run.nodes[d.field_node], deadline) for d in run.deliveries]
    by_node: dict[str, list[DeliveryRow]] = {n: [] for n in run.nodes}
    for row in rows:
        by_node[row.field_node].append(row)
    sim_nodes: dict[str, list[str]] = {n: [] for n in run.nodes}
    for sim_node, field_nodes in run.bindings.items():
        for field_node in field_nodes:
            sim_nodes[field_node].append(sim_node)
    outcomes = Counter(r.outcome for r in rows)
    return FieldReport(
        scenario=run.scenario,
        broker=run.broker,
        started_at=_iso(run.started_at),
        ended_at=_iso(run.ended_at),
        interrupted=run.interrupted,
        error=run.error,
        options=RunOptions(
            speed=run.options.speed,
            until_s=run.sim_until_s,
            ack_deadline_s=deadline,
            validity_s=run.options.validity_s,
            sync_samples=run.options.sync_samples,
        ),
        totals=Totals(
            field_nodes=len(run.nodes),
            deliveries=len(rows),
            actuated=outcomes[Outcome.ACTUATED],
            missed=outcomes[MISSED],
            not_sent=outcomes[NOT_SENT],
            lost=sum(outcomes[kind] for kind in LOST),
            rejected_or_refused=outcomes[Outcome.REJECTED] + outcomes[Outcome.REFUSED],
            actuation_latency_ms=_actuation_latencies(rows),
            stray_acks=len(run.stray_acks),
            broker_outages=len(run.outages),
        ),
        nodes=[node_row(state, sim_nodes[n], by_node[n], run.impairments.get(n)) for n, state in run.nodes.items()],
        deliveries=rows,
        outages=[outage_row(outage) for outage in run.outages],
    )


def write_report(report: FieldReport, out: Path) -> list[Path]:
    """hil_report.json, hil_deliveries.csv and hil_nodes.csv in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "hil_report.json", out / "hil_deliveries.csv", out / "hil_nodes.csv"]
    paths[0].write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    tables: list[tuple[Path, tuple[str, ...], list[Any]]] = [
        (paths[1], DELIVERY_COLUMNS, report.deliveries),
        (paths[2], NODE_COLUMNS, report.nodes),
    ]
    for path, columns, rows in tables:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            for row in rows:
                cells = dataclasses.asdict(row)
                writer.writerow({k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in cells.items()})
    return paths


def print_report(report: FieldReport, console: Console | None = None, lang: Language | str | None = None) -> None:
    """A table per field node and the totals, for the debrief, in ``lang`` (English when None)."""
    console = console or Console()
    m = messages(lang)
    totals = report.totals
    table = Table(
        title=m("terminal.bridge_title", scenario=escape(report.scenario)),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    names = [m("terminal.bridge_node"), m("terminal.bridge_status"), m("terminal.bridge_offset")]
    names += [m("terminal.bridge_acted"), m("terminal.bridge_lost"), m("terminal.bridge_rejected_short")]
    names += [m("terminal.bridge_p50"), m("terminal.bridge_max")]
    for index, name in enumerate(names):
        text = index < 2  # names may be long: they wrap; figures stay whole
        table.add_column(name, justify="left" if text else "right", no_wrap=not text, overflow="fold")
    for node in report.nodes:
        offset = node.offset_ms
        table.add_row(
            escape(node.field_node),
            escape(node.presence),
            "–" if offset is None else f"{offset:+.1f}±{node.offset_uncertainty_ms:.1f}",
            f"{node.actuated}/{node.deliveries}",
            f"[red]{node.missed + node.not_sent}[/red]" if node.missed + node.not_sent else "0",
            str(node.rejected + node.refused),
            _num(node.actuation_latency_p50_ms),
            _num(node.actuation_latency_max_ms),
        )
    console.print(table)
    width = console.width
    legend = [m("terminal.bridge_legend_latency"), m("terminal.bridge_legend_offset")]
    counts = [
        m(
            "terminal.bridge_deliveries",
            deliveries=totals.deliveries,
            nodes=totals.field_nodes,
            actuated=totals.actuated,
        ),
        m("terminal.bridge_missed", count=totals.missed),
        m("terminal.bridge_not_sent", count=totals.not_sent),
        m("terminal.bridge_rejected", count=totals.rejected_or_refused),
    ]
    latency = totals.actuation_latency_ms
    figures = (
        []
        if latency is None
        else [
            m("terminal.bridge_latency_p50", value=f"{latency.p50:.2f}"),
            m("terminal.bridge_latency_p99", value=f"{latency.p99:.2f}"),
            m("terminal.bridge_latency_max", value=f"{latency.max:.2f}"),
        ]
    )
    interrupted = f"[yellow]{m('terminal.bridge_interrupted')}[/yellow]" if report.interrupted else ""
    for phrases, separator in ((legend, "; "), (counts, ", "), ([*figures, interrupted], ", ")):
        for line in pack_phrases(phrases, width, separator):
            console.print(line)
    for node in report.nodes:
        if node.impairment is not None:
            console.print(m("impair.behind_relay", node=escape(node.field_node), impairment=escape(node.impairment)))
    for outage in report.outages:
        back = (
            m("terminal.bridge_not_back")
            if outage.seconds is None
            else m("terminal.bridge_back_after", seconds=f"{outage.seconds:.1f}")
        )
        lost = m("terminal.bridge_outage", at=outage.lost_at, reason=escape(outage.reason), back=back)
        console.print(f"[yellow]{lost}[/yellow]")
    if report.error:
        console.print(f"[red]{escape(report.error)}[/red]")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
