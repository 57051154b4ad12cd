"""Resolves a scenario's incidents to the node and link ids they touch (checked once, at load).

What happens at run time (draws, batteries running down) is the engine's; here
every selector is matched against the built topology, and one that matches
nothing is reported, since it is almost always a typo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from lalert_sim.errors import Loc, Problem
from lalert_sim.model.areas import covers
from lalert_sim.model.incidents import CarrierOutage, Congestion, Damage, HeavyRain, Incident, Outage, PowerOutage
from lalert_sim.model.network import Channel
from lalert_sim.model.selectors import NodeSelector
from lalert_sim.topology.graph import Topology


@dataclass(frozen=True)
class IncidentPlan:
    """One incident with the components it touches, ready for the engine."""

    index: int
    spec: Incident
    nodes: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    # damage: each component's chance of failing (most specific zone covering it)
    chances: dict[str, float] = field(default_factory=dict)

    @property
    def cause(self) -> str:
        """The name this incident's effects carry in the outage log."""
        return f"{self.spec.type}-{self.index}" + (f" ({self.spec.name})" if self.spec.name else "")


def resolve_incidents(topology: Topology, incidents: list[Incident], problems: list[Problem]) -> list[IncidentPlan]:
    """A plan per incident; problems for selectors that match nothing."""
    return [_resolve(topology, index, incident, problems) for index, incident in enumerate(incidents)]


def _resolve(topology: Topology, index: int, incident: Incident, problems: list[Problem]) -> IncidentPlan:
    loc: Loc = ("incidents", index)
    match incident:
        case Outage():
            nodes = _nodes(topology, incident, loc, problems)
            return IncidentPlan(index, incident, nodes, _links(topology, incident, loc, problems))
        case Damage():
            nodes = _nodes(topology, incident, loc, problems)
            links = _links(topology, incident, loc, problems)
            return IncidentPlan(index, incident, nodes, links, _zone_chances(topology, incident, nodes, links))
        case PowerOutage():
            chosen = _in_area(topology, incident.area, loc, problems, incident.nodes)
            return IncidentPlan(index, incident, nodes=chosen)
        case HeavyRain():
            return IncidentPlan(index, incident, nodes=_in_area(topology, incident.area, loc, problems))
        case CarrierOutage():
            return _carrier(topology, index, incident, problems)
        case Congestion():
            return IncidentPlan(index, incident, links=_congested_links(topology, incident, loc, problems))
        case _:
            assert_never(incident)


def _in_area(
    topology: Topology, area: str, loc: Loc, problems: list[Problem], only: NodeSelector | None = None
) -> tuple[str, ...]:
    """Nodes in ``area`` (and chosen by ``only``, if given); a problem when there is none."""
    chosen = tuple(
        n.id
        for n in topology.nodes.values()
        if n.area is not None and n.area.startswith(area) and (only is None or only.matches(n))
    )
    if not chosen:
        problems.append(Problem(f"no node lies in area {area}", (*loc, "area")))
    return chosen


def _nodes(topology: Topology, incident: Outage | Damage, loc: Loc, problems: list[Problem]) -> tuple[str, ...]:
    if incident.nodes is None:
        return ()
    chosen = tuple(n.id for n in topology.nodes.values() if incident.nodes.matches(n))
    if not chosen:
        problems.append(Problem("selects no node", (*loc, "nodes")))
    return chosen


def _links(topology: Topology, incident: Outage | Damage, loc: Loc, problems: list[Problem]) -> tuple[str, ...]:
    if incident.links is None:
        return ()
    chosen = tuple(link.id for link in topology.links if incident.links.matches(link, topology.nodes))
    if not chosen:
        problems.append(Problem("selects no link", (*loc, "links")))
    return chosen


def _zone_chances(
    topology: Topology, damage: Damage, nodes: tuple[str, ...], links: tuple[str, ...]
) -> dict[str, float]:
    def chance(area: str | None) -> float:
        inside = [z for z in damage.zones if area is not None and area.startswith(z.area)]
        return max(inside, key=lambda z: len(z.area)).probability if inside else 0.0

    chances = {node_id: chance(topology.nodes[node_id].area) for node_id in nodes}
    by_id = {link.id: link for link in topology.links}
    for link_id in links:
        areas = [topology.nodes[t].area for t in by_id[link_id].targets]
        chances[link_id] = max(chance(a) for a in areas)
    return chances


def _carrier(topology: Topology, index: int, outage: CarrierOutage, problems: list[Problem]) -> IncidentPlan:
    """Nationwide: the carrier's core (its cell-broadcast centres) goes down. In an area: its
    cell-broadcast links into that area go down (per prefecture link, as generated)."""
    centres = tuple(
        n.id for n in topology.nodes.values() if n.carrier == outage.carrier and n.channel is not Channel.CELL_BROADCAST
    )
    emitters = [
        n for n in topology.nodes.values() if n.carrier == outage.carrier and n.channel is Channel.CELL_BROADCAST
    ]
    if not centres and not emitters:
        known = sorted({n.carrier for n in topology.nodes.values() if n.carrier})
        problems.append(
            Problem(
                f"no carrier {outage.carrier!r} in the network (carriers: {', '.join(known)})",
                ("incidents", index, "carrier"),
            )
        )
        return IncidentPlan(index, outage)
    if outage.area is None:
        return IncidentPlan(index, outage, nodes=centres)
    served = {n.id for n in emitters if n.area is not None and covers(n.area, outage.area)}
    links = tuple(link.id for link in topology.links if link.source in centres and served.intersection(link.targets))
    if not links:
        problems.append(
            Problem(f"carrier {outage.carrier!r} serves nothing in area {outage.area}", ("incidents", index, "area"))
        )
    return IncidentPlan(index, outage, links=links)


def _congested_links(topology: Topology, congestion: Congestion, loc: Loc, problems: list[Problem]) -> tuple[str, ...]:
    """Links of the congested media with their source or a target in the area (all of them: nationwide)."""
    area = congestion.area
    media = set(congestion.media)

    def inside(node_id: str) -> bool:
        node_area = topology.nodes[node_id].area
        return area is None or (node_area is not None and node_area.startswith(area))

    chosen = tuple(
        link.id
        for link in topology.links
        if link.medium in media and (inside(link.source) or any(inside(t) for t in link.targets))
    )
    if not chosen:
        where = "" if area is None else f" in area {area}"
        media_names = ", ".join(m.value for m in congestion.media)
        problems.append(Problem(f"no link of {media_names}{where} to congest", (*loc, "area" if area else "media")))
    return chosen
