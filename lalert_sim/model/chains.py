"""Which message of a chain replaces which: the one rule the feed reader and the engine share."""

from __future__ import annotations

from lalert_sim.model.alerts import Alert, MessageKind

STOPPING = frozenset({MessageKind.CANCEL, MessageKind.LIFT})
"""Kinds that end the chain: the outputs still sounding it stop."""
_RANK = {
    MessageKind.ISSUE: 0,
    MessageKind.UPDATE: 0,
    MessageKind.CORRECTION: 1,
    MessageKind.CANCEL: 2,
    MessageKind.LIFT: 2,
}


def event_of(alert: Alert) -> str:
    """The chain an alert belongs to: its chain's event, else its own id (it heads a chain of its own)."""
    return alert.chain.event if alert.chain is not None else alert.id


def order_of(alert: Alert) -> tuple[int, int]:
    """Where an alert stands in its chain: (serial, rank of its kind); a greater one replaces a lesser.

    At the same serial a correction outranks an issue or update, and a cancel or lift outranks both.
    """
    if alert.chain is None:
        return (1, 0)
    return (alert.chain.serial, _RANK[alert.chain.kind])
