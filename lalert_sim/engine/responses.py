"""Responses at run time: pools of loaned units, requests, logistics, substitute links, roaming.

A municipality whose watched node is cut off (down, or every link into it down)
notices after a delay and requests a unit. The request waits for a free unit
(the pool's policy decides who is served first), then the unit travels from the
nearest depot that has one (distance, speed, road damage) and is set up; its
substitute link then comes up and passes on whatever waited for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from typing import TYPE_CHECKING

import simpy

from lalert_sim.engine.availability import DORMANT
from lalert_sim.engine.incidents import POWER_CAUSE
from lalert_sim.model.responses import Depot, Equipment, Loan, Policy
from lalert_sim.streams import Stream
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.responses import SETUP_S, ResponsePlan, RoamingPlan, Watch, pool_depots

if TYPE_CHECKING:
    from lalert_sim.engine.simulation import Simulation


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


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


@dataclass
class ResponseRecords:
    """What responses did in one replication."""

    requests: list[Request] = field(default_factory=list)
    pool_log: list[tuple[float, str, int, int]] = field(default_factory=list)  # time, equipment, in use, waiting
    roaming: list[tuple[str, str, float]] = field(default_factory=list)  # carrier, partner, active from


class EquipmentPool:
    """Units at depots; waiting requests served by policy, each from the nearest depot with a unit."""

    def __init__(
        self, env: simpy.Environment, equipment: Equipment, depots: list[Depot], records: ResponseRecords
    ) -> None:
        self.env = env
        self.equipment = equipment
        self.depots = depots
        self.stock = [d.units for d in depots]
        self.in_use = 0
        self.waiting: list[tuple[tuple, float, float, Callable[[int], None]]] = []
        self._records = records
        self._order = count()

    def request(self, key: tuple, lat: float, lon: float, granted: Callable[[int], None]) -> None:
        """Ask for a unit; ``granted(depot index)`` is called when one is assigned."""
        self.waiting.append(((*key, next(self._order)), lat, lon, granted))
        self._serve()

    def release(self, depot: int) -> None:
        """A unit is back at its depot."""
        self.stock[depot] += 1
        self.in_use -= 1
        self._serve()

    def _serve(self) -> None:
        while self.waiting and any(self.stock):
            self.waiting.sort(key=lambda w: w[0])
            _, lat, lon, granted = self.waiting.pop(0)
            depot = min(
                (i for i, n in enumerate(self.stock) if n),
                key=lambda i: (distance_km(self.depots[i].lat, self.depots[i].lon, lat, lon), i),
            )
            self.stock[depot] -= 1
            self.in_use += 1
            granted(depot)
        self._records.pool_log.append((self.env.now, self.equipment.value, self.in_use, len(self.waiting)))


def priority_key(policy: Policy, now: float, population: int, coastal: bool) -> tuple:
    """Sort key of a waiting request: smaller is served first."""
    if policy is Policy.POPULATION:
        return (-population,)
    if policy is Policy.COASTAL_FIRST:
        return (0 if coastal else 1, now)
    return (now,)


class Responder:
    """Runs a scenario's responses in one simulation."""

    def __init__(self, simulation: Simulation, plan: ResponsePlan, municipalities: MunicipalityTable) -> None:
        self.sim = simulation
        self.env = simulation.env
        self.plan = plan
        self.municipalities = municipalities
        self.records = ResponseRecords()
        self.pools = {
            eq: EquipmentPool(self.env, eq, pool_depots(pool), self.records) for eq, pool in plan.pools.items()
        }
        self._loan_s = {eq: pool.loan_s for eq, pool in plan.pools.items()}

    def start(self) -> None:
        """Watch for cut-offs, schedule roaming switchovers."""
        for loan_plan in self.plan.loans:
            for watch in loan_plan.watches:
                self._watch(loan_plan.index, loan_plan.loan, watch)
        for index, roaming in enumerate(self.plan.roaming):
            switchover = roaming.switchover_s.sample(Stream(self.sim.seed, f"roaming:{roaming.carrier}:{index}"))
            at = roaming.incident.start_s + switchover
            self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(partial(self._roam, roaming, at))
        for node_id in self.plan.power_watch:
            self._watch_power(node_id)

    def _roam(self, roaming: RoamingPlan, at: float, _event: simpy.Event) -> None:
        for link_id in roaming.links:
            self.sim.links[link_id].come_up(DORMANT)
        self.records.roaming.append((roaming.carrier, roaming.partner, at))

    def _watch_power(self, node_id: str) -> None:
        """A node down for lack of power gets a power vehicle, which brings it back."""
        vehicles = self.plan.power
        assert vehicles is not None
        node = self.sim.nodes[node_id]
        state: dict[str, Request | None] = {"request": None}

        def power_causes() -> list[str]:
            return [c for c in node.down if c.startswith(POWER_CAUSE)]

        def changed() -> None:
            if state["request"] is None and power_causes():
                code = node.spec.area or ""
                request = Request(Equipment.POWER_VEHICLE.value, code, node_id, self.env.now)
                state["request"] = request
                detect = vehicles.detect_s.sample(Stream(self.sim.seed, f"power:{node_id}/detect"))
                self.env.timeout(detect).callbacks.append(lambda _e: requested(request))

        def requested(request: Request) -> None:
            request.requested_s = self.env.now
            self.records.requests.append(request)
            lat, lon = node.spec.lat or 35.0, node.spec.lon or 135.0
            area = node.spec.area or ""
            population = self.municipalities[area].population if area in self.municipalities else 0
            key = priority_key(vehicles.policy, self.env.now, population, False)
            pool = self.pools[Equipment.POWER_VEHICLE]
            pool.request(key, lat, lon, lambda depot: granted(request, pool, depot, lat, lon))

        def granted(request: Request, pool: EquipmentPool, depot: int, lat: float, lon: float) -> None:
            place = pool.depots[depot]
            request.granted_s = self.env.now
            request.depot = place.name
            request.transport_s = (
                3600.0 * distance_km(place.lat, place.lon, lat, lon) / vehicles.speed_kmh * vehicles.road_damage
            )
            request.setup_s = vehicles.setup_s.sample(Stream(self.sim.seed, f"power:{node_id}/setup"))
            self.env.timeout(request.transport_s + request.setup_s).callbacks.append(lambda _e: powered(request))

        def powered(request: Request) -> None:
            request.active_s = request.restored_s = self.env.now
            for cause in power_causes():
                node.come_up(cause)

        self.sim.availability.listen("node", node_id, changed)

    def _watch(self, index: int, loan: Loan, watch: Watch) -> None:
        node = self.sim.nodes[watch.node]
        incoming = [link for link in self.sim.links.values() if node in link.targets and not link.spec.dormant]
        state: dict[str, Request | None] = {"request": None}

        def cut_off() -> bool:
            return bool(node.down) or (bool(incoming) and all(link.down for link in incoming))

        def changed() -> None:
            current = state["request"]
            if current is not None and current.restored_s is None and not cut_off():
                current.restored_s = self.env.now
            if state["request"] is None and cut_off():
                request = Request(loan.equipment.value, watch.code, watch.node, self.env.now)
                state["request"] = request
                detect = loan.detect_s.sample(Stream(self.sim.seed, f"loan:{index}:{watch.code}/detect"))
                self.env.timeout(detect).callbacks.append(lambda _e: self._request(index, loan, watch, request))

        self.sim.availability.listen("node", node.spec.id, changed)
        for link in incoming:
            self.sim.availability.listen("link", link.spec.id, changed)
        changed()

    def _request(self, index: int, loan: Loan, watch: Watch, request: Request) -> None:
        request.requested_s = self.env.now
        self.records.requests.append(request)
        m = self.municipalities[watch.code]
        key = priority_key(loan.policy, self.env.now, m.population, m.coastal)
        pool = self.pools[loan.equipment]
        pool.request(key, m.lat, m.lon, lambda depot: self._granted(index, loan, watch, request, pool, depot))

    def _granted(self, index: int, loan: Loan, watch: Watch, request: Request, pool: EquipmentPool, depot: int) -> None:
        m = self.municipalities[watch.code]
        place = pool.depots[depot]
        request.granted_s = self.env.now
        request.depot = place.name
        road_s = 3600.0 * distance_km(place.lat, place.lon, m.lat, m.lon) / loan.speed_kmh * loan.road_damage
        request.transport_s = min(road_s, loan.max_transport_s)
        setup = loan.setup_s or SETUP_S[loan.equipment]
        request.setup_s = setup.sample(Stream(self.sim.seed, f"loan:{index}:{watch.code}/setup"))
        ready = request.transport_s + request.setup_s
        self.env.timeout(ready).callbacks.append(lambda _e: self._activate(watch, request, pool, depot))

    def _activate(self, watch: Watch, request: Request, pool: EquipmentPool, depot: int) -> None:
        request.active_s = self.env.now
        if request.restored_s is None:
            request.restored_s = self.env.now
        link = self.sim.links[watch.link]
        link.come_up(DORMANT)
        loan_s = self._loan_s[pool.equipment]
        if loan_s != math.inf:

            def back(_event: simpy.Event) -> None:
                link.go_down(DORMANT)
                self.env.timeout(request.transport_s or 0.0).callbacks.append(lambda _e: pool.release(depot))

            self.env.timeout(loan_s).callbacks.append(back)


__all__ = ["POWER_CAUSE", "EquipmentPool", "Request", "ResponseRecords", "Responder", "distance_km"]
