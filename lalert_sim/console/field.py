"""The console's ``--broker`` mode: bound field nodes driven by the field-node bridge on the console's
clock, their measured answers shown beside the simulated arrivals."""

from __future__ import annotations

import time

from lalert_sim.console.protocol import FieldState
from lalert_sim.hil.records import BridgeRun
from lalert_sim.hil.report import delivery_row

WAITING = "waiting"
"""A field node's outcome while its alert is published but not yet answered."""


def field_states(record: BridgeRun) -> dict[str, FieldState]:
    """Each field node's latest delivery: publish → actuation latency (ms; receipt when it was not
    actuated) and its outcome as the latency report gives it ("waiting" while unanswered and not yet due)."""
    deadline_s = record.options.ack_deadline_s
    now = time.time()
    states: dict[str, FieldState] = {}
    for delivery in list(record.deliveries):  # the bridge's loop appends meanwhile
        node = record.nodes.get(delivery.field_node)
        if node is None:
            continue
        row = delivery_row(delivery, node, deadline_s)
        due = delivery.ack is None and not delivery.refused and now < delivery.due_at(deadline_s, float("inf"))
        outcome = WAITING if due else row.outcome
        latency = row.actuation_latency_ms if row.actuation_latency_ms is not None else row.receipt_latency_ms
        states[delivery.field_node] = {"latency_ms": latency, "outcome": outcome}
    return states
