"""The built network: every node and link of a scenario, checked and indexed."""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

import numpy as np

from lalert_sim.errors import Problem, TopologyError
from lalert_sim.model.alerts import Alert, AlertCategory
from lalert_sim.model.areas import in_any
from lalert_sim.model.network import Channel, Link, Node, NodeKind
from lalert_sim.model.scenario import Topology as TopologySpec
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.templates import Generated, expand

_Part = TypeVar("_Part", Node, Link)


@dataclass(frozen=True)
class EmitterTable:
    """Emitters of a topology as parallel arrays, indexed by node position."""

    node: np.ndarray  # (E,) node index
    channel: list[Channel]
    area: list[str | None]
    carrier: list[str | None]

    @classmethod
    def of(cls, nodes: list[Node]) -> EmitterTable:
        chosen = [i for i, n in enumerate(nodes) if n.kind is NodeKind.EMITTER]
        return cls(
            np.array(chosen, dtype=np.int64),
            [nodes[i].channel for i in chosen],  # type: ignore[misc]
            [nodes[i].area for i in chosen],
            [nodes[i].carrier for i in chosen],
        )


@dataclass
class Topology:
    """Nodes by id (in a stable order), links, and each node's outgoing links."""

    nodes: dict[str, Node]
    links: list[Link]
    out_links: dict[str, list[Link]] = field(init=False)
    _reachable_masks: dict[tuple[str, tuple[str, ...], AlertCategory | None], np.ndarray] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.out_links = {node_id: [] for node_id in self.nodes}
        for link in self.links:
            self.out_links[link.source].append(link)

    @cached_property
    def municipal_areas(self) -> list[str]:
        """Municipality codes (five digits) that some node serves, sorted."""
        return sorted({n.area for n in self.nodes.values() if n.area is not None and len(n.area) == 5})

    @cached_property
    def cell_broadcast_carriers(self) -> list[str]:
        """Carriers that have cell-broadcast emitters, sorted."""
        return sorted({n.carrier for n in self.nodes.values() if n.channel is Channel.CELL_BROADCAST and n.carrier})

    @cached_property
    def headends(self) -> dict[str, tuple[str, float]]:
        """TV headends (nodes with a ``headend_share``): id -> (municipality served, share depending on it)."""
        return {
            n.id: (n.area, n.headend_share)
            for n in self.nodes.values()
            if n.headend_share is not None and n.area is not None
        }

    @cached_property
    def emitter_table(self) -> EmitterTable:
        """Every emitter's index, channel, area and carrier as arrays (for vectorised reach)."""
        return EmitterTable.of(list(self.nodes.values()))

    @cached_property
    def emitter_mask(self) -> np.ndarray:
        """(N,) bool in node order: the node is an emitter."""
        return np.array([n.kind is NodeKind.EMITTER for n in self.nodes.values()], dtype=bool)

    @cached_property
    def channel_members(self) -> dict[str, np.ndarray]:
        """Emitter node indices by channel name (``str(channel)``), in node order."""
        groups: dict[str, list[int]] = {}
        for i, node in enumerate(self.nodes.values()):
            if node.kind is NodeKind.EMITTER:
                groups.setdefault(str(node.channel), []).append(i)
        return {channel: np.array(members, dtype=np.int64) for channel, members in groups.items()}

    @cached_property
    def link_media(self) -> list[str]:
        """Each link's medium name, in link order."""
        return [link.medium.value for link in self.links]

    def reachable_mask(self, origin: str, areas: tuple[str, ...], category: AlertCategory | None = None) -> np.ndarray:
        """``reachable`` as a (N,) bool array in node order; remembered per (origin, areas, category), so
        the replications of a sweep walk the graph once. Do not write to it."""
        key = (origin, areas, category)
        mask = self._reachable_masks.get(key)
        if mask is None:
            seen = set(self.reachable(origin, areas, category))
            mask = np.array([node_id in seen for node_id in self.nodes], dtype=bool)
            mask.flags.writeable = False
            self._reachable_masks[key] = mask
        return mask

    def reachable(self, origin: str, areas: tuple[str, ...], category: AlertCategory | None = None) -> list[str]:
        """Nodes an alert for ``areas`` (of ``category``: nodes that take only others are skipped)
        could reach from ``origin`` if nothing failed."""
        seen = {origin}
        queue = deque([origin])
        while queue:
            for link in self.out_links[queue.popleft()]:
                for target in link.targets:
                    node = self.nodes[target]
                    if target not in seen and in_any(node.area, areas) and (category is None or node.accepts(category)):
                        seen.add(target)
                        queue.append(target)
        return [node_id for node_id in self.nodes if node_id in seen]

    @cached_property
    def _sources(self) -> dict[str, set[str]]:
        """Each node's senders: the sources of the links into it."""
        sources: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for link in self.links:
            for target in link.targets:
                sources[target].add(link.source)
        return sources

    def refused(self, category: AlertCategory) -> set[str]:
        """Nodes an alert of ``category`` never reaches, wherever it enters: those that take only other
        categories, and those fed only through them (a break-in desk's stations for a J-Alert test)."""
        refused = {node_id for node_id, node in self.nodes.items() if not node.accepts(category)}
        grown = bool(refused)
        while grown:
            fed_only_by_refused = {
                node_id
                for node_id, sources in self._sources.items()
                if node_id not in refused and sources and sources <= refused
            }
            refused |= fed_only_by_refused
            grown = bool(fed_only_by_refused)
        return refused

    def origin_for(self, alert: Alert) -> str:
        """Where ``alert`` enters: its ``origin``, else the system's origin node, else the
        L-Alert entry step of its one target municipality. ValueError says why none fits."""
        if alert.origin is not None:
            if alert.origin not in self.nodes:
                raise ValueError(unknown_node_message(alert.origin, self.nodes))
            return alert.origin
        candidates = [
            n.id
            for n in self.nodes.values()
            if n.system is alert.system
            and n.kind in (NodeKind.ORIGIN, NodeKind.HUMAN_STEP)
            and (n.kind is NodeKind.ORIGIN or (n.area is not None and n.area in alert.areas))
        ]
        if len(candidates) == 1:
            return candidates[0]
        found = f"{len(candidates)} candidates ({', '.join(candidates[:5])})" if candidates else "none"
        raise ValueError(
            f"cannot tell where this {alert.system.value} alert enters the network ({found}); "
            "set `origin:` to a node id"
        )


def build_topology(
    spec: TopologySpec, table: MunicipalityTable | None = None, loc: tuple[str | int, ...] = ("topology",)
) -> Topology:
    """Expand templates, add explicit nodes and links, and check every reference.

    An explicit node or link whose id a template already generated replaces the
    generated one, so a scenario can adjust single pieces of a template.
    """
    problems: list[Problem] = []
    nodes: dict[str, Node] = {}
    links: dict[str, Link] = {}
    for index, template in enumerate(spec.templates):
        generated: Generated = expand(template, table or MunicipalityTable.reference(), (*loc, "templates", index))
        problems.extend(generated.problems)
        for node in generated.nodes:
            nodes.setdefault(node.id, node)  # national nodes are shared between templates
        for link in generated.links:
            links.setdefault(link.id, link)
    _add_explicit(spec.nodes, nodes, (*loc, "nodes"), problems)
    _add_explicit(spec.links, links, (*loc, "links"), problems)
    _take_measured_delays(spec, nodes, (*loc, "measured_delays"), problems)
    for index, link in enumerate(spec.links):
        _check_ends(link, nodes, (*loc, "links", index), problems)
    if problems:
        raise TopologyError(problems)
    return Topology(nodes=nodes, links=list(links.values()))


def _add_explicit(
    items: Sequence[_Part], into: dict[str, _Part], loc: tuple[str | int, ...], problems: list[Problem]
) -> None:
    explicit: set[str] = set()
    for index, item in enumerate(items):
        if item.id in explicit:
            problems.append(Problem(f"id {item.id!r} is used twice", (*loc, index, "id")))
        explicit.add(item.id)
        into[item.id] = item


def _take_measured_delays(
    spec: TopologySpec, nodes: dict[str, Node], loc: tuple[str | int, ...], problems: list[Problem]
) -> None:
    """Each node with a measured delay (``topology.measured_delays``) takes it instead of its own delay_s."""
    measured = spec.measured_delays
    for node_id in measured.nodes:
        if node_id not in nodes:
            problems.append(Problem(unknown_node_message(node_id, nodes), (*loc, "nodes", node_id)))
    if not measured.nodes and not measured.kinds:
        return
    for node_id, node in nodes.items():
        delay = measured.delay_of(node)
        if delay is not None:
            nodes[node_id] = node.model_copy(update={"delay_s": delay})


def _check_ends(link: Link, nodes: dict[str, Node], loc: tuple[str | int, ...], problems: list[Problem]) -> None:
    ends: list[tuple[str, tuple[str | int, ...]]] = [(link.source, (*loc, "source"))]
    ends += [(target, (*loc, "targets", i)) for i, target in enumerate(link.targets)]
    for node_id, where in ends:
        if node_id not in nodes:
            problems.append(Problem(unknown_node_message(node_id, nodes), where))
    if len(set(link.targets)) != len(link.targets):
        problems.append(Problem("a target is listed twice", (*loc, "targets")))
    if link.source in link.targets:
        problems.append(Problem("a link cannot lead back to its own source", (*loc, "targets")))


def unknown_node_message(node_id: str, nodes: dict[str, Node]) -> str:
    """'unknown node' with the closest existing ids as a hint."""
    close = difflib.get_close_matches(node_id, list(nodes), n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown node {node_id!r}{hint}"
