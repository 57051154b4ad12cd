"""Per-alert state during a run: who has it, from whom, and who emitted it."""

from __future__ import annotations

from dataclasses import dataclass, field

from lalert_sim.engine.receipts import NodeTimes, Receipts
from lalert_sim.model.alerts import Alert
from lalert_sim.model.areas import in_any


@dataclass(slots=True)
class AlertState:
    """One alert in flight: first receipts (node → (time, sender, link)) and emissions (node → time).

    ``first`` and ``emitted`` are arrays over the topology's node indices (engine/receipts.py): made for
    ``len(topology.nodes)`` nodes by the simulation (the defaults hold none, for an alert not run).

    For a message of a chain of several (``event`` set), also per emitter: until when it sounds or
    sounded (``until``), when a later message ended it (``stopped``), where it ended an earlier one
    (``stops``: time, that alert's index) and where it came too late to be emitted (``stale``).
    ``issued``: it has entered the network at its origin (scheduled alerts only; an operator may issue one early).
    """

    index: int
    spec: Alert
    origin: str
    areas: tuple[str, ...]
    first: Receipts = field(default_factory=Receipts)
    emitted: NodeTimes = field(default_factory=NodeTimes)
    event: str | None = None
    order: tuple[int, int] = (1, 0)
    until: dict[int, float] = field(default_factory=dict)
    stopped: dict[int, float] = field(default_factory=dict)
    stops: dict[int, tuple[float, int]] = field(default_factory=dict)
    stale: dict[int, float] = field(default_factory=dict)
    issued: bool = False
    _covers: dict[int, bool] = field(default_factory=dict)
    _covers_area: dict[str, bool] = field(default_factory=dict)

    def concerns(self, node_index: int, node_area: str | None) -> bool:
        """True when the node's area overlaps the alert's target areas (cached)."""
        known = self._covers.get(node_index)
        if known is None:
            known = self._covers[node_index] = in_any(node_area, self.areas)
        return known

    def concerns_area(self, area: str) -> bool:
        """True when ``area`` overlaps the alert's target areas (cached per area)."""
        known = self._covers_area.get(area)
        if known is None:
            known = self._covers_area[area] = in_any(area, self.areas)
        return known
