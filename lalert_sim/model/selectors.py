"""Selecting nodes by what they are: used by objectives (and incidents)."""

from __future__ import annotations

import fnmatch
from typing import Annotated

from pydantic import Field

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen, Ref
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, Link, Node, NodeKind

MAX_PATTERNS = 200
"""Most ids or patterns one selector may list (each is tried against every node)."""


Patterns = Annotated[list[Ref], Field(max_length=MAX_PATTERNS)]
"""Ids or shell-style patterns of ids."""


def _id_matches(item_id: str, patterns: list[str]) -> bool:
    return any(item_id == p or fnmatch.fnmatchcase(item_id, p) for p in patterns)


class NodeSelector(Frozen):
    """Nodes matching every given criterion; an empty selector matches all nodes."""

    ids: Patterns | None = None
    """These node ids; shell-style patterns allowed (m-*/receiver)."""
    kind: NodeKind | None = None
    """Only nodes of this kind (``origin``, ``relay``, ``human_step``, ``emitter``)."""
    channel: Channel | None = None
    """Only emitters with this channel (e.g. ``outdoor_loudspeaker``)."""
    area: AreaCode | None = Field(default=None, description="Nodes inside this area.")
    carrier: Ref | None = None
    """Only nodes operated by this mobile carrier (e.g. ``docomo``)."""

    def matches(self, node: Node) -> bool:
        """True when ``node`` meets every criterion given."""
        return (
            (self.ids is None or _id_matches(node.id, self.ids))
            and (self.kind is None or node.kind is self.kind)
            and (self.channel is None or node.channel is self.channel)
            and (self.carrier is None or node.carrier == self.carrier)
            and (self.area is None or (node.area is not None and node.area.startswith(self.area)))
        )

    def describe(self) -> str:
        """Short human wording, e.g. ``emitter/outdoor_loudspeaker in 02``."""
        parts = [p for p in (self.kind, self.channel) if p is not None]
        text = "/".join(str(p) for p in parts) or "all nodes"
        if self.carrier:
            text += f" of {self.carrier}"
        if self.area:
            text += f" in {self.area}"
        if self.ids:
            listed = ", ".join(self.ids[:3]) + (f" and {len(self.ids) - 3} more" if len(self.ids) > 3 else "")
            text = listed if text == "all nodes" else f"{text} ({listed})"
        return text


class LinkSelector(Frozen):
    """Links matching every given criterion; an empty selector matches all links."""

    ids: Patterns | None = None
    """These link ids; shell-style patterns allowed (jalert/sat-*)."""
    medium: Medium | None = None
    """Only links of this medium (e.g. ``satellite_geo``)."""
    source: Ref | None = Field(default=None, description="Links leaving this node.")
    area: AreaCode | None = Field(default=None, description="Links with a target inside this area.")

    def matches(self, link: Link, nodes: dict[str, Node]) -> bool:
        """True when ``link`` meets every criterion given."""
        return (
            (self.ids is None or _id_matches(link.id, self.ids))
            and (self.medium is None or link.medium is self.medium)
            and (self.source is None or link.source == self.source)
            and (
                self.area is None
                or any((area := nodes[t].area) is not None and area.startswith(self.area) for t in link.targets)
            )
        )
