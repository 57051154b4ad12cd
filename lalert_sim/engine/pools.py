"""Pools of loaned units as a SimPy resource: requests wait by policy, each is served from the nearest depot."""

from __future__ import annotations

import bisect
import math
from itertools import count
from typing import assert_never

import simpy
from simpy.resources.base import BaseResource, Get, Put

from lalert_sim.model.responses import Policy
from lalert_sim.topology.responses import PoolPlan, Site

PoolLog = list[tuple[float, str, int, int]]  # time, equipment, units in use, requests waiting


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def priority_key(policy: Policy, now: float, site: Site) -> tuple[float, ...]:
    """Sort key of a waiting request: smaller is served first."""
    match policy:
        case Policy.FIFO:
            return (now,)
        case Policy.POPULATION:
            return (-site.population,)
        case Policy.COASTAL_FIRST:
            return (0 if site.coastal else 1, now)
        case _:
            assert_never(policy)


class UnitRequest(Get["EquipmentPool"]):
    """A request for one unit for ``site``; its value, once granted, is the index of the depot it comes from."""

    def __init__(self, pool: EquipmentPool, key: tuple[float, ...], site: Site) -> None:
        self.key = (*key, next(pool.arrivals))  # ties: first come, first served
        self.site = site
        super().__init__(pool)


class UnitReturn(Put["EquipmentPool"]):
    """A unit back at its depot."""

    def __init__(self, pool: EquipmentPool, depot: int) -> None:
        self.depot = depot
        super().__init__(pool)


class _ByKey(list[UnitRequest]):
    """Waiting requests kept in order of their keys."""

    def append(self, request: UnitRequest) -> None:
        bisect.insort(self, request, key=lambda r: r.key)


class EquipmentPool(BaseResource[UnitReturn, UnitRequest]):
    """Units at depots; waiting requests served by key, each from the nearest depot that has a unit.

    Every request and every return adds a row to ``log``.
    """

    GetQueue = _ByKey

    def __init__(self, env: simpy.Environment, plan: PoolPlan, log: PoolLog) -> None:
        super().__init__(env, sum(d.units for d in plan.depots))
        self.plan = plan
        self.stock = [d.units for d in plan.depots]
        self.in_use = 0
        self.arrivals = count()
        self._log = log

    def request(self, key: tuple[float, ...], site: Site) -> UnitRequest:
        """Ask for a unit for ``site``, served in order of ``key``."""
        return UnitRequest(self, key, site)

    def give_back(self, depot: int) -> UnitReturn:
        """A unit is back at its depot."""
        return UnitReturn(self, depot)

    def _do_get(self, event: UnitRequest) -> bool:
        if not any(self.stock):
            return False
        depots, site = self.plan.depots, event.site
        depot = min(
            (i for i, n in enumerate(self.stock) if n),
            key=lambda i: (distance_km(depots[i].lat, depots[i].lon, site.lat, site.lon), i),
        )
        self.stock[depot] -= 1
        self.in_use += 1
        event.succeed(depot)
        return True

    def _do_put(self, event: UnitReturn) -> bool:
        self.stock[event.depot] += 1
        self.in_use -= 1
        event.succeed()
        return True

    def _trigger_get(self, put_event: UnitReturn | None) -> None:
        super()._trigger_get(put_event)
        self._log.append((self._env.now, self.plan.equipment.value, self.in_use, len(self.get_queue)))
