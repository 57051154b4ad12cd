"""Nodes and links: the network an alert travels through."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from lalert_sim.model.alerts import AlertSystem
from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen, Window
from lalert_sim.model.distributions import ZERO, Constant, Distribution
from lalert_sim.model.media import MEDIUM_DEFAULTS, Medium, MediumDefaults

NodeId = str
_ID_PATTERN = r"^[A-Za-z0-9_.:/-]+$"


class NodeKind(StrEnum):
    """What a node does with a message."""

    ORIGIN = "origin"  # where a system's alerts enter (FDMA J-Alert centre)
    RELAY = "relay"  # receives and forwards automatically (receiver, hub, start-up device)
    HUMAN_STEP = "human_step"  # a person acts (typing an L-Alert entry, reading out a message)
    EMITTER = "emitter"  # puts the alert in front of residents


class Channel(StrEnum):
    """How an emitter reaches residents."""

    OUTDOOR_LOUDSPEAKER = "outdoor_loudspeaker"
    INDOOR_RECEIVER = "indoor_receiver"
    CELL_BROADCAST = "cell_broadcast"
    TV = "tv"
    RADIO = "radio"
    COMMUNITY_FM = "community_fm"
    PORTAL = "portal"
    APP = "app"
    SIGNAGE = "signage"
    DOOR_TO_DOOR = "door_to_door"  # fire brigade or neighbourhood association going house to house


class Node(Frozen):
    """A place that receives, processes and forwards (or emits) a message once."""

    id: NodeId = Field(min_length=1, pattern=_ID_PATTERN)
    kind: NodeKind
    name: str = ""
    area: AreaCode | None = Field(default=None, description="Area served; none = national.")
    channel: Channel | None = Field(default=None, description="Required for emitters.")
    system: AlertSystem | None = Field(
        default=None, description="For origins and entry steps: the system whose alerts start here."
    )
    carrier: str | None = None
    delay_s: Distribution = Field(default=ZERO, description="Processing delay from receipt to forwarding or emitting.")
    servers: int | None = Field(
        default=None, gt=0, description="Messages handled at once (people on duty); none = unlimited."
    )
    outages: list[Window] = Field(default_factory=list, description="Times the node is down.")
    battery_h: float | None = Field(
        default=None, ge=0, description="Hours on battery when mains power is lost; none: goes down at once."
    )
    generator: bool = Field(default=False, description="Has its own supply: a power outage does not touch it.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _channel_matches_kind(self) -> Node:
        if self.kind is NodeKind.EMITTER and self.channel is None:
            raise ValueError("an emitter needs a channel (e.g. outdoor_loudspeaker, cell_broadcast)")
        if self.kind is not NodeKind.EMITTER and self.channel is not None:
            raise ValueError(f"only emitters have a channel; this node is a {self.kind.value}")
        return self


class RetryPolicy(Frozen):
    """What a sender does after a lost transmission: wait ``backoff_s``, try again."""

    max_attempts: int = Field(default=1, ge=1, le=100)
    backoff_s: Distribution = Field(default=Constant(value=5.0))


_NEUTRAL = MediumDefaults(ZERO, 0.0, None, None, False, "stands in while the medium is invalid")


class Link(Frozen):
    """A one-way channel from ``source`` to one or more ``targets``.

    Broadcast: one transmission reaches every target. Point-to-point with several
    targets: one transmission per target, sharing the link's capacity. Fields left
    out take the medium's defaults (see ``MEDIUM_DEFAULTS``).
    """

    id: str = Field(min_length=1, pattern=_ID_PATTERN)
    medium: Medium
    source: NodeId
    targets: list[NodeId] = Field(min_length=1)
    latency_s: Distribution = Field(description="Propagation delay after transmission.")
    hold_s: Distribution = Field(
        default=ZERO, description="Time a transmission occupies a channel beyond size/bandwidth."
    )
    capacity: int | None = Field(gt=0, description="Concurrent transmissions; null = unlimited.")
    bandwidth_bps: float | None = Field(gt=0, description="Bits per second; null = size ignored.")
    loss: float = Field(ge=0, le=1, description="Probability that one transmission is lost.")
    retry: RetryPolicy
    broadcast: bool
    outages: list[Window] = Field(default_factory=list, description="Times the link is down.")
    dormant: bool = Field(
        default=False, description="Down until a response brings it up (a loaned unit's substitute link)."
    )
    store_and_forward: bool = Field(
        default=False,
        description="While down, keep what comes and send it when back (a person relaying pending "
        "messages) instead of losing it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _medium_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "target" in data:
            if "targets" in data:
                raise ValueError("give either target or targets, not both")
            data["targets"] = [data.pop("target")]
        try:
            defaults = MEDIUM_DEFAULTS[Medium(data.get("medium"))]
        except ValueError:
            defaults = _NEUTRAL  # the medium's own error is the one worth reporting
        data.setdefault("latency_s", defaults.latency_s)
        data.setdefault("capacity", defaults.capacity)
        data.setdefault("bandwidth_bps", defaults.bandwidth_bps)
        data.setdefault("loss", defaults.loss)
        data.setdefault("broadcast", defaults.broadcast)
        data.setdefault(
            "retry",
            RetryPolicy(max_attempts=defaults.retry_attempts, backoff_s=Constant(value=defaults.retry_backoff_s)),
        )
        return data

    def transmit_s(self, size_bytes: int) -> float:
        """Serialisation time of a message of ``size_bytes`` on this link."""
        return 0.0 if self.bandwidth_bps is None else size_bytes * 8 / self.bandwidth_bps
