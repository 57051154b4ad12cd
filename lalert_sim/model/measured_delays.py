"""Delays measured on real equipment (``lalert-sim calibrate`` writes them from a bridge run): they replace
the processing delay (``delay_s``) of the nodes they name, one by one or every node of a class."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from lalert_sim.model.base import MAX_ID_LENGTH, Frozen, Id
from lalert_sim.model.distributions import Distribution
from lalert_sim.model.network import Channel, Node, NodeKind

MAX_MEASURED = 10_000
"""Most nodes (or classes) one ``measured_delays`` section may name."""
NODE_CLASSES = tuple([k.value for k in NodeKind if k is not NodeKind.EMITTER] + [f"emitter/{c.value}" for c in Channel])
"""Every node class: the kind, and for emitters the kind with the channel (``emitter/outdoor_loudspeaker``)."""

NodeClass = Annotated[str, Field(pattern=f"^({'|'.join(NODE_CLASSES)})$", max_length=MAX_ID_LENGTH)]
"""A node class as written in ``measured_delays.kinds``."""


def node_class(node: Node) -> str:
    """The class of ``node``: its kind, with the channel for an emitter (a loudspeaker's delays say
    nothing of a cell broadcast's)."""
    if node.kind is NodeKind.EMITTER and node.channel is not None:
        return f"emitter/{node.channel.value}"
    return node.kind.value


class MeasuredDelays(Frozen):
    """Measured processing delays that replace the nodes' own ``delay_s``: a node named in ``nodes`` takes
    its entry, else a node whose class is in ``kinds`` takes that; the others keep theirs."""

    nodes: dict[Id, Distribution] = Field(
        default_factory=dict,
        max_length=MAX_MEASURED,
        description="Per node id, the delay in seconds from receipt to forwarding or emitting measured on the "
        "equipment standing in for it (e.g. a field node's publish → actuation); default none.",
    )
    kinds: dict[NodeClass, Distribution] = Field(
        default_factory=dict,
        max_length=len(NODE_CLASSES),
        description="Per node class (``relay``, ``human_step``, ``origin`` or ``emitter/CHANNEL``), the "
        "measured delay for every node of that class not named in ``nodes``; default none.",
    )

    def delay_of(self, node: Node) -> Distribution | None:
        """The measured delay replacing ``node``'s own, if any."""
        own = self.nodes.get(node.id)
        return own if own is not None else self.kinds.get(node_class(node))
