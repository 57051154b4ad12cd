"""Bindings from simulated nodes to real field nodes (Raspberry Pi sirens, lights, speakers)."""

from __future__ import annotations

from pydantic import Field

from lalert_sim.model.base import Frozen, PositiveSeconds, Ref

FIELD_NODE_ID = r"^[A-Za-z0-9_-]{1,64}$"  # also a broker user name and a topic level: no / + # or spaces
MAX_MESSAGE_BYTES = 16 * 1024  # the broker's and the nodes' limit on one MQTT message (a signed alert is < 2 KiB)


class Binding(Frozen):
    """When the simulated alert first reaches ``node``, the bridge sends it to ``field_node``."""

    node: Ref = Field(description="Simulated node id (e.g. a municipality's loudspeakers).")
    field_node: str = Field(pattern=FIELD_NODE_ID, description="The field node's id (its MQTT user name).")


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

    def field_node_ids(self) -> list[str]:
        """Every bound field node once, in binding order."""
        return list(dict.fromkeys(b.field_node for b in self.bindings))
