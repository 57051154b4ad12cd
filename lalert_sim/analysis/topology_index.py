"""What summaries need from a topology that no run changes, computed once per topology.

A sweep summarises thousands of replications of one prepared scenario; each of them
would otherwise walk every node and link again for the same answers (which nodes an
objective selects, which outputs each municipality has, which links lead into a node).
``topology_index`` remembers them per ``Topology`` object. That is safe because a
topology is not changed once built (the engine and ``Topology``'s own cached
properties rely on the same), and the entry goes when the topology does.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lalert_sim.model.alerts import AlertCategory
from lalert_sim.model.areas import in_any
from lalert_sim.model.network import Channel, NodeKind
from lalert_sim.model.selectors import NodeSelector
from lalert_sim.topology.graph import Topology

AUTOMATIC_OUTPUTS = frozenset(
    {Channel.OUTDOOR_LOUDSPEAKER, Channel.INDOOR_RECEIVER, Channel.COMMUNITY_FM, Channel.REGISTERED_MAIL}
)
"""Channels of a municipality's automatic outputs (IP notification terminals are indoor receivers)."""


@dataclass(frozen=True)
class MunicipalOutputs:
    """Each municipality's automatic outputs: node indices grouped by municipality, codes sorted."""

    codes: list[str]  # municipality codes (five digits) with at least one automatic output, sorted
    node: np.ndarray  # (K,) node indices of the outputs, by municipality in ``codes`` order, then node order
    code: np.ndarray  # (K,) position in ``codes`` of each output's municipality

    @classmethod
    def of(cls, topology: Topology) -> MunicipalOutputs:
        """From the nodes whose channel is automatic and whose area is a municipality."""
        found = [
            (node.area, i)
            for i, node in enumerate(topology.nodes.values())
            if node.channel in AUTOMATIC_OUTPUTS and node.area is not None and len(node.area) == 5
        ]
        found.sort()  # by code, then node order: the order the outputs of one municipality are walked in
        codes = sorted({area for area, _ in found})
        position = {code: k for k, code in enumerate(codes)}
        return cls(
            codes,
            np.array([i for _, i in found], dtype=np.int64),
            np.array([position[area] for area, _ in found], dtype=np.int64),
        )


@dataclass(frozen=True)
class LinkMedia:
    """Each link's medium as a code into the media's names (sorted), for counting by medium."""

    names: list[str]  # medium names (``Medium.value``) of the topology's links, sorted
    code: np.ndarray  # (L,) position in ``names`` of each link's medium

    @classmethod
    def of(cls, topology: Topology) -> LinkMedia:
        """From the links' media."""
        media = topology.link_media
        names = sorted(set(media))
        where = {name: k for k, name in enumerate(names)}
        return cls(names, np.array([where[name] for name in media], dtype=np.int64))


@dataclass(frozen=True)
class EmittersByChannel:
    """Emitters grouped by channel (``str(channel)``, sorted), with their stations."""

    channels: list[str]  # channel names, sorted
    node: np.ndarray  # (E,) emitter node indices, by channel in ``channels`` order, then node order
    code: np.ndarray  # (E,) position in ``channels`` of each one's channel
    stations: list[int]  # per channel: stations of all its emitters
    position: dict[str, int]  # emitter id -> node index
    channel_of: dict[int, int]  # emitter node index -> position in ``channels``

    @classmethod
    def of(cls, topology: Topology) -> EmittersByChannel:
        """From the topology's emitters."""
        emitters = [(i, node) for i, node in enumerate(topology.nodes.values()) if node.kind is NodeKind.EMITTER]
        channels = sorted({str(node.channel) for _, node in emitters})
        where = {channel: k for k, channel in enumerate(channels)}
        channel_of = {i: where[str(node.channel)] for i, node in emitters}
        grouped = sorted(channel_of, key=lambda i: (channel_of[i], i))
        stations = [0] * len(channels)
        for i, node in emitters:
            stations[channel_of[i]] += node.stations
        return cls(
            channels,
            np.array(grouped, dtype=np.int64),
            np.array([channel_of[i] for i in grouped], dtype=np.int64),
            stations,
            {node.id: i for i, node in emitters},
            channel_of,
        )


class TopologyIndex:
    """Positions, link lists and node selections of one topology, each made the first time it is asked for.

    It holds the topology only weakly, so that remembering it keeps no topology alive.
    """

    def __init__(self, topology: Topology) -> None:
        self._topology = weakref.ref(topology)
        self.node_ids: list[str] = list(topology.nodes)
        self.position: dict[str, int] = {node_id: i for i, node_id in enumerate(self.node_ids)}
        self.link_position: dict[str, int] = {link.id: k for k, link in enumerate(topology.links)}
        self.channels: list[Channel | None] = [node.channel for node in topology.nodes.values()]
        self.emitters = int(np.count_nonzero(topology.emitter_mask))
        into: dict[str, list[int]] = {}  # node id -> indices of the links that reach it
        for k, link in enumerate(topology.links):
            for target in link.targets:
                into.setdefault(target, []).append(k)
        self.into = into
        self._selected: dict[int, tuple[NodeSelector, np.ndarray]] = {}
        self._concerned: dict[tuple[str, ...], np.ndarray] = {}
        self._refused: dict[AlertCategory, np.ndarray] = {}

    @property
    def topology(self) -> Topology:
        """The topology indexed (alive while anyone asks its index)."""
        topology = self._topology()
        assert topology is not None  # an index is only reached through its living topology
        return topology

    def selected(self, selector: NodeSelector) -> np.ndarray:
        """(N,) bool: the nodes ``selector`` matches (remembered per selector object, which it keeps)."""
        found = self._selected.get(id(selector))
        if found is None or found[0] is not selector:
            mask = _frozen(np.array([selector.matches(node) for node in self.topology.nodes.values()], dtype=bool))
            found = self._selected[id(selector)] = (selector, mask)
        return found[1]

    def concerned(self, areas: tuple[str, ...]) -> np.ndarray:
        """(N,) bool: the node's area overlaps ``areas`` (what ``AlertState.concerns`` answers per node)."""
        mask = self._concerned.get(areas)
        if mask is None:
            nodes = self.topology.nodes.values()
            mask = self._concerned[areas] = _frozen(np.array([in_any(node.area, areas) for node in nodes], dtype=bool))
        return mask

    def refused(self, category: AlertCategory) -> np.ndarray:
        """(N,) bool: ``Topology.refused(category)`` as a mask in node order."""
        mask = self._refused.get(category)
        if mask is None:
            never = self.topology.refused(category)
            mask = _frozen(np.array([node_id in never for node_id in self.node_ids], dtype=bool))
            self._refused[category] = mask
        return mask

    @cached_property
    def outputs(self) -> MunicipalOutputs:
        """Each municipality's automatic outputs."""
        return MunicipalOutputs.of(self.topology)

    @cached_property
    def media(self) -> LinkMedia:
        """Each link's medium as a code."""
        return LinkMedia.of(self.topology)

    @cached_property
    def described(self) -> list[tuple[str, str, str | None, str | None]]:
        """Each node as a summary names it: id, kind, channel (None: not an emitter), area."""
        return [
            (node.id, node.kind.value, node.channel.value if node.channel else None, node.area)
            for node in self.topology.nodes.values()
        ]

    @cached_property
    def by_channel(self) -> EmittersByChannel:
        """Emitters grouped by channel, with their stations."""
        return EmittersByChannel.of(self.topology)


def _frozen(mask: np.ndarray) -> np.ndarray:
    """``mask`` made read-only: it is shared by every run of the topology."""
    mask.flags.writeable = False
    return mask


_INDEXES: dict[int, TopologyIndex] = {}


def topology_index(topology: Topology) -> TopologyIndex:
    """The index of ``topology``, made on first use and dropped when the topology is."""
    index = _INDEXES.get(id(topology))
    if index is None or index._topology() is not topology:
        index = _INDEXES[id(topology)] = TopologyIndex(topology)
        weakref.finalize(topology, _INDEXES.pop, id(topology), None)
    return index
