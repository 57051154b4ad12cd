"""Puts incidents to work in one replication: outages, damage draws, batteries, rain fade, congestion."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, assert_never

from lalert_sim.engine.stations import StationOutage
from lalert_sim.model.incidents import CarrierOutage, Congestion, Damage, HeavyRain, Outage, PowerOutage
from lalert_sim.model.stations import last_empty_h
from lalert_sim.streams import Stream
from lalert_sim.topology.incidents import IncidentPlan

if TYPE_CHECKING:
    from lalert_sim.engine.availability import Component
    from lalert_sim.engine.simulation import Simulation

_POWER_CAUSE = "power_outage"


def power_cause(incident_index: int) -> str:
    """The outage-log cause of a battery run empty in power outage ``incident_index``."""
    return f"{_POWER_CAUSE}-{incident_index}"


def is_power_cause(cause: str) -> bool:
    """True for a cause made by ``power_cause``."""
    return cause.startswith(_POWER_CAUSE + "-")


def apply_incidents(simulation: Simulation, plans: list[IncidentPlan]) -> None:
    """Schedule every incident's effects on the simulation's nodes and links."""
    for plan in plans:
        spec = plan.spec
        match spec:
            case Outage() | CarrierOutage():
                for component in _components(simulation, plan):
                    component.schedule_outage(spec.start_s, spec.end_s, plan.cause)
            case Damage():
                _damage(simulation, plan, spec)
            case PowerOutage():
                _power(simulation, plan, spec)
            case HeavyRain():
                for node_id in plan.nodes:
                    simulation.nodes[node_id].rain_fade.append((spec.start_s, spec.end_s, spec.satellite_loss))
            case Congestion():
                for link_id in plan.links:
                    window = (spec.start_s, spec.end_s, spec.latency_factor, spec.loss)
                    simulation.links[link_id].congestion.append(window)
            case _:
                assert_never(spec)


def _components(simulation: Simulation, plan: IncidentPlan) -> list[Component]:
    return [*(simulation.nodes[n] for n in plan.nodes), *(simulation.links[k] for k in plan.links)]


def _damage(simulation: Simulation, plan: IncidentPlan, spec: Damage) -> None:
    """Each component fails with its zone's chance, drawn from its own stream (common random numbers)."""
    end = spec.start_s + spec.repair_s if spec.repair_s is not None else math.inf
    for component_id, chance in plan.chances.items():
        draw = Stream(simulation.seed, f"damage:{plan.index}:{component_id}").uniform()
        if draw < chance:
            component = simulation.nodes.get(component_id) or simulation.links[component_id]
            component.schedule_outage(spec.start_s, end, plan.cause)


def _power(simulation: Simulation, plan: IncidentPlan, spec: PowerOutage) -> None:
    """A node on battery goes down when the battery is empty and comes back with the grid.

    A node with a battery-life distribution goes down when the last of its stations is
    empty; the stations before it are recorded (``Simulation.stations``), one draw per node.
    """
    for node_id in plan.nodes:
        node = simulation.nodes[node_id]
        if node.spec.generator:
            continue
        battery = node.spec.battery_life
        if battery is None:
            hours = node.spec.battery_h or 0.0
        else:
            offset = Stream(simulation.seed, f"battery:{plan.index}:{node_id}").uniform()
            stations = node.spec.stations
            simulation.stations.append(StationOutage(node.index, stations, battery, spec.start_s, spec.end_s, offset))
            hours = last_empty_h(battery, stations, offset)
        empty_at = spec.start_s + 3600.0 * hours
        if empty_at < spec.end_s:
            node.schedule_outage(empty_at, spec.end_s, power_cause(plan.index))
