"""Bindings from simulated nodes to real field nodes (Raspberry Pi sirens, lights, speakers)."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from lalert_sim.model.base import Frozen, PositiveSeconds, Ref
from lalert_sim.model.impairments import ImpairSetting

FIELD_NODE_ID = r"^[A-Za-z0-9_-]{1,64}$"  # also a broker user name and a topic level: no / + # or spaces
GroupName = Annotated[str, Field(pattern=FIELD_NODE_ID)]
"""A group of field nodes: letters, digits, _ and -, at most 64 (also a topic level)."""
MAX_MESSAGE_BYTES = 16 * 1024  # the broker's and the nodes' limit on one MQTT message (a signed alert is < 2 KiB)


class Binding(Frozen):
    """When the simulated alert first reaches ``node``, the bridge sends it to ``field_node``."""

    node: Ref = Field(description="Simulated node id (e.g. a municipality's loudspeakers).")
    field_node: str = Field(pattern=FIELD_NODE_ID, description="The field node's id (its MQTT user name).")
    group: str | None = Field(
        default=None,
        pattern=FIELD_NODE_ID,
        description="Delivery group (a topic level, like a field node id); default: one group per simulated node.",
    )

    impair: ImpairSetting | None = Field(
        default=None,
        description="Link conditions between this field node and the broker (a relay applies them): delay, "
        "bandwidth_bps, outages, or from_medium (those of the simulated link into the node); none: its group's, "
        "else a plain connection.",
    )

    @property
    def group_name(self) -> str:
        """The group this binding delivers through: ``group``, else the one of its simulated node
        (``default_group``), so every field node bound to one simulated node shares one message."""
        return self.group if self.group is not None else default_group(self.node)


def default_group(sim_node: str) -> str:
    """A simulated node's own group: its id when that is a valid topic level, else the id with every
    other character as ``_``, cut to 55 characters, plus ``-`` and 8 hex digits of its SHA-256
    (``m-02203/loudspeakers`` → ``m-02203_loudspeakers-…``: readable, and distinct from any other id)."""
    if _GROUP.match(sim_node):
        return sim_node
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", sim_node)[:55]
    return f"{readable}-{hashlib.sha256(sim_node.encode()).hexdigest()[:8]}"


_GROUP = re.compile(FIELD_NODE_ID)


class FieldGroup(Frozen):
    """Settings shared by the field nodes of one group (``field_nodes.groups``)."""

    impair: ImpairSetting | None = Field(
        default=None,
        description="Link conditions of every node of the group that does not give its own; none: a plain connection.",
    )


MAX_SPEED = 1e6
"""Fastest pacing of a bridge run: simulated seconds per wall-clock second (scenario or command line)."""


class FieldNodes(Frozen):
    """Hardware-in-the-loop settings for `lalert-sim bridge`."""

    bindings: list[Binding] = Field(min_length=1, max_length=1_000)
    """Which real field node each simulated node drives (at least one)."""
    speed: float = Field(default=1.0, gt=0, le=MAX_SPEED)
    """Simulated seconds per wall-clock second; 1: real time, more for long scenarios."""
    ack_deadline_s: PositiveSeconds = 10.0
    """Wall-clock seconds after publishing for the node to acknowledge; later counts as missed."""
    validity_s: PositiveSeconds = 600.0
    """Seconds after issue when a signed alert expires; a node refuses it afterwards."""
    until_s: PositiveSeconds | None = None
    """Simulated second at which the bridge stops the run; default the scenario's duration_s."""
    delivery: Literal["group", "node"] = "group"
    """group: one signed message per group topic when the alert first reaches any simulated node of the
    group (every member acknowledges it); node: one message per field node on its own topic."""
    groups: dict[GroupName, FieldGroup] = Field(
        default_factory=dict,
        max_length=1_000,
        description="Settings per group of field nodes, by group name (a binding's group): e.g. one impairment "
        "for every node of a municipality.",
    )

    @model_validator(mode="after")
    def _one_impairment_per_field_node(self) -> FieldNodes:
        chosen: dict[str, ImpairSetting | None] = {}
        for binding in self.bindings:
            impair = self.impair_of(binding)
            if chosen.setdefault(binding.field_node, impair) != impair:
                raise ValueError(
                    f"bindings: field node {binding.field_node} is bound more than once with different impair "
                    "settings; it has one link to the broker: give them once"
                )
        return self

    def impair_of(self, binding: Binding) -> ImpairSetting | None:
        """The link conditions of ``binding``'s field node: its own, else its group's (None: none)."""
        if binding.impair is not None:
            return binding.impair
        group = self.groups.get(binding.group_name)
        return None if group is None else group.impair

    def field_node_ids(self) -> list[str]:
        """Every bound field node once, in binding order."""
        return list(dict.fromkeys(b.field_node for b in self.bindings))

    def group_members(self) -> dict[str, list[str]]:
        """Each delivery group's field nodes (once each, in binding order)."""
        members: dict[str, dict[str, None]] = {}
        for binding in self.bindings:
            members.setdefault(binding.group_name, {})[binding.field_node] = None
        return {group: list(nodes) for group, nodes in members.items()}

    def memberships(self) -> dict[str, list[str]]:
        """Each field node's delivery groups (what its node.toml and its broker ACL list)."""
        groups: dict[str, dict[str, None]] = {n: {} for n in self.field_node_ids()}
        for binding in self.bindings:
            groups[binding.field_node][binding.group_name] = None
        return {node: list(names) for node, names in groups.items()}
