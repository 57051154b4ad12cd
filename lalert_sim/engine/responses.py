"""Responses at run time: requests for loaned units and power vehicles, their life cycle, roaming.

A watched node that is cut off (a loan: down, or every link into it down; a
power vehicle: down for lack of power) makes its municipality notice after a
delay and request a unit. One life cycle serves both: the request waits for a
free unit (the pool's policy decides who is served first), the unit travels
from the nearest depot that has one (distance, speed, road damage), is set up
and restores the node (a power vehicle) or brings up its substitute link (a
loaned unit, passing on whatever waited for it); a loaned unit goes back to its
depot when its loan ends.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import simpy

from lalert_sim.engine.availability import DORMANT
from lalert_sim.engine.incidents import is_power_cause
from lalert_sim.engine.pools import EquipmentPool, PoolLog, distance_km, priority_key
from lalert_sim.streams import Stream
from lalert_sim.topology.responses import ResponsePlan, RoamingPlan, UnitPlan, Watch

if TYPE_CHECKING:
    from lalert_sim.engine.links import LinkRuntime
    from lalert_sim.engine.simulation import Simulation


@dataclass
class Request:
    """One request for a unit, and what became of it (times in seconds from the epoch)."""

    equipment: str
    code: str
    node: str
    cut_off_s: float
    requested_s: float | None = None
    granted_s: float | None = None
    depot: str = ""
    transport_s: float | None = None
    setup_s: float | None = None
    active_s: float | None = None
    restored_s: float | None = None  # the municipality's alert path works again (own links or the unit)
    substitute: str | None = None  # the loaned unit's substitute link (None for a power vehicle)


@dataclass
class ResponseRecords:
    """What responses did in one replication."""

    requests: list[Request] = field(default_factory=list)
    pool_log: PoolLog = field(default_factory=list)  # time, equipment, in use, waiting
    roaming: list[tuple[str, str, float]] = field(default_factory=list)  # carrier, partner, active from


class _Need(ABC):
    """A watched node that may need a unit: when it counts as cut off, and what the unit does there."""

    def __init__(self, responder: Responder, plan: UnitPlan, watch: Watch) -> None:
        self.responder = responder
        self.plan = plan
        self.watch = watch
        self.node = responder.sim.nodes[watch.node]
        self.request: Request | None = None

    def components(self) -> list[tuple[str, str]]:
        """(kind, id) of the components whose changes may cut the node off or restore it."""
        return [("node", self.watch.node)]

    @abstractmethod
    def cut_off(self) -> bool:
        """True while the node needs the unit."""

    @abstractmethod
    def restore(self) -> None:
        """What the unit does once set up."""

    @abstractmethod
    def withdraw(self) -> None:
        """What ends when the unit leaves."""

    def changed(self) -> None:
        """Note the end of a cut-off; on the first cut-off, start the request's life cycle."""
        now = self.responder.env.now
        request = self.request
        if request is not None and request.restored_s is None and not self.cut_off():
            request.restored_s = now
        if request is None and self.cut_off():
            equipment = self.plan.rule.equipment.value
            self.request = Request(equipment, self.watch.site.code, self.watch.node, now, substitute=self.watch.link)
            self.responder.env.process(self.responder.life_cycle(self, self.request))


class _LoanNeed(_Need):
    """A municipality cut off from alerts (its node down, or every link into it): a loaned unit's link helps."""

    def __init__(self, responder: Responder, plan: UnitPlan, watch: Watch) -> None:
        super().__init__(responder, plan, watch)
        assert watch.link is not None  # a loan's watch always has its substitute link
        self.incoming = [responder.sim.links[link] for link in watch.incoming]
        self.substitute: LinkRuntime = responder.sim.links[watch.link]

    def components(self) -> list[tuple[str, str]]:
        return [*super().components(), *(("link", link) for link in self.watch.incoming)]

    def cut_off(self) -> bool:
        return bool(self.node.down) or (bool(self.incoming) and all(link.down for link in self.incoming))

    def restore(self) -> None:
        self.substitute.come_up(DORMANT)

    def withdraw(self) -> None:
        self.substitute.go_down(DORMANT)


class _PowerNeed(_Need):
    """A node down for lack of power: a power vehicle brings it back."""

    def cut_off(self) -> bool:
        return any(is_power_cause(cause) for cause in self.node.down)

    def restore(self) -> None:
        for cause in [c for c in self.node.down if is_power_cause(c)]:
            self.node.come_up(cause)

    def withdraw(self) -> None:
        """Nothing: a power vehicle stays (its pool lends for good)."""


class Responder:
    """Runs a scenario's responses in one simulation."""

    def __init__(self, simulation: Simulation, plan: ResponsePlan) -> None:
        self.sim = simulation
        self.env = simulation.env
        self.plan = plan
        self.records = ResponseRecords()
        self.pools = {eq: EquipmentPool(self.env, pool, self.records.pool_log) for eq, pool in plan.pools.items()}

    def start(self) -> None:
        """Watch for cut-offs, schedule roaming switchovers."""
        for loan in self.plan.loans:
            for watch in loan.watches:
                self._watch(_LoanNeed(self, loan, watch))
        for index, roaming in enumerate(self.plan.roaming):
            switchover = roaming.switchover_s.sample(Stream(self.sim.seed, f"roaming:{roaming.carrier}:{index}"))
            at = roaming.incident.start_s + switchover
            self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(partial(self._roam, roaming, at))
        if self.plan.power is not None:
            for watch in self.plan.power.watches:
                self._watch(_PowerNeed(self, self.plan.power, watch))

    def _watch(self, need: _Need) -> None:
        for kind, name in need.components():
            self.sim.availability.listen(kind, name, need.changed)
        need.changed()

    def _roam(self, roaming: RoamingPlan, at: float, _event: simpy.Event) -> None:
        for link_id in roaming.links:
            self.sim.links[link_id].come_up(DORMANT)
        self.records.roaming.append((roaming.carrier, roaming.partner, at))

    def life_cycle(self, need: _Need, request: Request) -> Generator[simpy.Event, Any, None]:
        """One request's process: notice, request, wait for a unit, transport, set-up, service, return."""
        env, rule, site, streams = self.env, need.plan.rule, need.watch.site, need.watch.streams
        yield env.timeout(rule.detect_s.sample(Stream(self.sim.seed, f"{streams}/detect")))
        request.requested_s = env.now
        self.records.requests.append(request)
        pool = self.pools[rule.equipment]
        depot: int = yield pool.request(priority_key(rule.policy, env.now, site), site)
        place = pool.plan.depots[depot]
        request.granted_s = env.now
        request.depot = place.name
        road_s = 3600.0 * distance_km(place.lat, place.lon, site.lat, site.lon) / rule.speed_kmh * rule.road_damage
        request.transport_s = transport_s = min(road_s, rule.max_transport_s)
        request.setup_s = rule.setup_s.sample(Stream(self.sim.seed, f"{streams}/setup"))
        yield env.timeout(transport_s + request.setup_s)
        request.active_s = env.now
        if request.restored_s is None:
            request.restored_s = env.now
        need.restore()
        if pool.plan.loan_s == math.inf:
            return
        yield env.timeout(pool.plan.loan_s)
        need.withdraw()
        yield env.timeout(transport_s)
        pool.give_back(depot)


__all__ = ["Request", "ResponseRecords", "Responder"]
