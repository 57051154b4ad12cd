"""The bridge's latency report: a row per delivery and a row per field node, in CSV, JSON and the terminal.

Node stamps are put on the bridge's clock with the node's measured offset, so latencies are
true end-to-end figures within ± the offset's uncertainty (half the best ping round trip).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from lalert_sim.hil.bridge import BridgeRun, Delivery, NodeState
from lalert_sim.hil.latency import Percentiles, ms
from lalert_sim.hil.protocol import Outcome

DELIVERY_COLUMNS = [
    "field_node",
    "sim_node",
    "alert",
    "msg_id",
    "outcome",
    "reason",
    "sim_issue_s",
    "sim_arrival_s",
    "sim_emitted_s",
    "sim_node_delay_ms",
    "scheduled_at",
    "published_at",
    "puback_at",
    "node_received_at",
    "node_actuated_at",
    "ack_at",
    "offset_ms",
    "offset_uncertainty_ms",
    "publish_lag_ms",
    "receipt_latency_ms",
    "actuation_latency_ms",
    "ack_round_trip_ms",
]
NODE_COLUMNS = [
    "field_node",
    "sim_nodes",
    "presence",
    "offset_ms",
    "offset_uncertainty_ms",
    "offset_after_ms",
    "sync_samples",
    "deliveries",
    "actuated",
    "refused",
    "rejected",
    "missed",
    "actuation_latency_p50_ms",
    "actuation_latency_max_ms",
    "node_rejections",
]


def _iso(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat(timespec="microseconds")


def delivery_row(delivery: Delivery, node: NodeState, deadline_s: float) -> dict[str, Any]:
    """One delivery with its node stamps corrected onto the bridge's clock."""
    offset = node.offset
    ack = delivery.ack
    late = ack is not None and delivery.ack_at is not None and delivery.ack_at - delivery.published_at > deadline_s
    outcome = "missed" if ack is None or late else ack.outcome.value
    received = actuated = None
    if ack is not None and offset is not None:
        received, actuated = offset.to_bridge(ack.received_at), offset.to_bridge(ack.actuated_at)
    published = delivery.published_at

    def since_publish(t: float | None) -> float | None:
        return None if t is None or not published else ms(t - published)

    emitted = delivery.sim_emitted_s
    return {
        "field_node": delivery.field_node,
        "sim_node": delivery.sim_node,
        "alert": delivery.alert_id,
        "msg_id": delivery.msg_id,
        "outcome": outcome,
        "reason": "late ack" if late else (ack.reason.value if ack is not None and ack.reason else None),
        "sim_issue_s": delivery.sim_issue_s,
        "sim_arrival_s": round(delivery.sim_arrival_s, 6),
        "sim_emitted_s": None if emitted is None else round(emitted, 6),
        "sim_node_delay_ms": None if emitted is None else ms(emitted - delivery.sim_arrival_s),
        "scheduled_at": _iso(delivery.scheduled_at),
        "published_at": _iso(published or None),
        "puback_at": _iso(delivery.puback_at),
        "node_received_at": _iso(received),
        "node_actuated_at": _iso(actuated),
        "ack_at": _iso(delivery.ack_at),
        "offset_ms": None if offset is None else ms(offset.offset_s),
        "offset_uncertainty_ms": None if offset is None else ms(offset.uncertainty_s),
        "publish_lag_ms": ms(published - delivery.scheduled_at) if published else None,
        "receipt_latency_ms": since_publish(received),
        "actuation_latency_ms": since_publish(actuated),
        "ack_round_trip_ms": since_publish(delivery.ack_at),
    }


def build_report(run: BridgeRun) -> dict[str, Any]:
    """The whole report as JSON-ready data: options, a row per delivery, a row per field node."""
    deadline = run.options.ack_deadline_s
    rows = [delivery_row(d, run.nodes[d.field_node], deadline) for d in run.deliveries]
    by_node: dict[str, list[dict[str, Any]]] = {n: [] for n in run.nodes}
    for row in rows:
        by_node[row["field_node"]].append(row)
    sim_nodes: dict[str, list[str]] = {n: [] for n in run.nodes}
    for sim_node, field_nodes in run.bindings.items():
        for field_node in field_nodes:
            sim_nodes[field_node].append(sim_node)
    nodes = []
    for node_id, state in run.nodes.items():
        mine = by_node[node_id]
        latency = Percentiles.of(
            [
                r["actuation_latency_ms"]
                for r in mine
                if r["actuation_latency_ms"] is not None and r["outcome"] == Outcome.ACTUATED.value
            ]
        )
        offset, after = state.offset, state.offset_after
        status = state.status
        nodes.append(
            {
                "field_node": node_id,
                "sim_nodes": " ".join(sim_nodes[node_id]),
                "presence": status.state if status else "never seen",
                "offset_ms": None if offset is None else ms(offset.offset_s),
                "offset_uncertainty_ms": None if offset is None else ms(offset.uncertainty_s),
                "offset_after_ms": None if after is None else ms(after.offset_s),
                "sync_samples": 0 if offset is None else offset.samples,
                "deliveries": len(mine),
                "actuated": sum(r["outcome"] == "actuated" for r in mine),
                "refused": sum(r["outcome"] == "refused" for r in mine),
                "rejected": sum(r["outcome"] == "rejected" for r in mine),
                "missed": sum(r["outcome"] == "missed" for r in mine),
                "actuation_latency_p50_ms": None if latency is None else latency.p50,
                "actuation_latency_max_ms": None if latency is None else latency.max,
                "node_rejections": dict(status.rejected) if status else {},
            }
        )
    actuation = [
        r["actuation_latency_ms"] for r in rows if r["outcome"] == "actuated" and r["actuation_latency_ms"] is not None
    ]
    return {
        "scenario": run.scenario,
        "broker": run.broker,
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "interrupted": run.interrupted,
        "error": run.error,
        "options": {
            "speed": run.options.speed,
            "until_s": run.sim_until_s,
            "ack_deadline_s": deadline,
            "validity_s": run.options.validity_s,
            "sync_samples": run.options.sync_samples,
        },
        "totals": {
            "field_nodes": len(run.nodes),
            "deliveries": len(rows),
            "actuated": sum(r["outcome"] == "actuated" for r in rows),
            "missed": sum(r["outcome"] == "missed" for r in rows),
            "rejected_or_refused": sum(r["outcome"] in ("rejected", "refused") for r in rows),
            "actuation_latency_ms": _figures(Percentiles.of(actuation)),
            "stray_acks": len(run.stray_acks),
        },
        "nodes": nodes,
        "deliveries": rows,
    }


def _figures(percentiles: Percentiles | None) -> dict[str, float] | None:
    return None if percentiles is None else dataclasses.asdict(percentiles)


def write_report(report: dict[str, Any], out: Path) -> list[Path]:
    """hil_report.json, hil_deliveries.csv and hil_nodes.csv in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "hil_report.json", out / "hil_deliveries.csv", out / "hil_nodes.csv"]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for path, columns, rows in (
        (paths[1], DELIVERY_COLUMNS, report["deliveries"]),
        (paths[2], NODE_COLUMNS, report["nodes"]),
    ):
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in row.items()})
    return paths


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    """A table per field node and the totals, for the debrief."""
    console = console or Console()
    totals = report["totals"]
    table = Table(
        title=f"Field nodes · {report['scenario']}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    for name in ("node", "status", "offset ms", "acted", "missed", "rej.", "p50 ms", "max ms"):
        table.add_column(name, justify="left" if name in ("node", "status") else "right", no_wrap=True)
    for node in report["nodes"]:
        offset = node["offset_ms"]
        table.add_row(
            node["field_node"],
            node["presence"],
            "–" if offset is None else f"{offset:+.1f}±{node['offset_uncertainty_ms']:.1f}",
            f"{node['actuated']}/{node['deliveries']}",
            f"[red]{node['missed']}[/red]" if node["missed"] else "0",
            str(node["rejected"] + node["refused"]),
            _num(node["actuation_latency_p50_ms"]),
            _num(node["actuation_latency_max_ms"]),
        )
    console.print(table)
    console.print("p50 / max: publish → actuation on the bridge's clock; offset: node clock − bridge clock ± bound")
    latency = totals["actuation_latency_ms"]
    figures = (
        ""
        if latency is None
        else (
            f" · publish → actuation p50 {latency['p50']:.2f} ms, "
            f"p99 {latency['p99']:.2f} ms, max {latency['max']:.2f} ms"
        )
    )
    console.print(
        f"{totals['deliveries']} deliveries to {totals['field_nodes']} field nodes: "
        f"{totals['actuated']} actuated, {totals['missed']} missed, "
        f"{totals['rejected_or_refused']} rejected or refused{figures}"
        + (" · [yellow]interrupted[/yellow]" if report["interrupted"] else "")
    )
    if report.get("error"):
        console.print(f"[red]{report['error']}[/red]")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
