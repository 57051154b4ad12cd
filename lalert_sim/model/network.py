"""Nodes and links: the network an alert travels through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from lalert_sim.model.alerts import AlertCategory, AlertSystem
from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import MAX_COUNT, Frozen, Id, Ref, Share, Window
from lalert_sim.model.distributions import ZERO, Constant, Distribution
from lalert_sim.model.media import MEDIUM_DEFAULTS, Medium, MediumDefaults
from lalert_sim.model.stations import BatteryLife

NodeId = Ref


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
    REGISTERED_MAIL = "registered_mail"  # the municipality's disaster e-mail to residents who registered


class Node(Frozen):
    """A place that receives, processes and forwards (or emits) a message once."""

    id: Id
    """Unique id (letters, digits, ``_ . : / -``) such as ``m-02201/receiver``; replaces a generated namesake."""
    kind: NodeKind
    """What the node does with a message: ``origin``, ``relay``, ``human_step`` or ``emitter``."""
    name: str = ""
    """Human-readable name for reports; default none."""
    area: AreaCode | None = Field(
        default=None, description="Local-government code of the area served; none: national, concerned by every alert."
    )
    channel: Channel | None = Field(
        default=None, description="How an emitter reaches residents; required for emitters, forbidden for other kinds."
    )
    system: AlertSystem | None = Field(
        default=None, description="For origins and entry steps: the system whose alerts start here."
    )
    categories: list[AlertCategory] | None = Field(
        default=None,
        min_length=1,
        max_length=len(AlertCategory),
        description="Only alerts of these categories reach the node (a broadcaster's break-in desk takes "
        "earthquake early warnings, tsunami warnings and missile alerts); none: every category.",
    )
    headend_share: Share | None = Field(
        default=None,
        description="For a TV headend (community reception facility, cable TV): share (0–1) of its "
        "municipality's residents whose TV comes only through it; while it is down they see no TV. "
        "None: not a headend.",
    )
    carrier: Ref | None = None
    """Mobile carrier that operates the node (e.g. ``docomo``), hit by its carrier's outage; none: no carrier."""
    delay_s: Distribution = Field(
        default=ZERO, description="Processing delay in seconds from receipt to forwarding or emitting; default 0."
    )
    servers: int | None = Field(
        default=None,
        gt=0,
        le=MAX_COUNT,
        description="Messages handled at once (people on duty; more wait in a FIFO queue); none: unlimited.",
    )
    outages: list[Window] = Field(
        default_factory=list,
        description="Time windows when the node is down; a copy sent to it then fails (cause node_down).",
    )
    battery_h: float | None = Field(
        default=None, ge=0, le=87_600, description="Hours on battery when mains power is lost; none: goes down at once."
    )
    generator: bool = Field(default=False, description="Has its own supply: a power outage does not touch it.")
    stations: int = Field(
        default=1,
        ge=1,
        le=MAX_COUNT,
        description="Physical stations the node stands for (an emitter's loudspeakers or base stations); "
        "it is down only when every one is; default 1.",
    )
    battery_life: BatteryLife | None = Field(
        default=None,
        description="Battery hours of its stations as a distribution (some run out sooner than others); "
        "none: every station lasts battery_h.",
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    """Latitude in degrees north, for the road a power vehicle drives to it; none: 35° N is assumed."""
    lon: float | None = Field(default=None, ge=-180, le=180)
    """Longitude in degrees east, for the road a power vehicle drives to it; none: 135° E is assumed."""

    @model_validator(mode="after")
    def _channel_matches_kind(self) -> Node:
        if self.kind is NodeKind.EMITTER and self.channel is None:
            raise ValueError("an emitter needs a channel (e.g. outdoor_loudspeaker, cell_broadcast)")
        if self.kind is not NodeKind.EMITTER and self.channel is not None:
            raise ValueError(f"only emitters have a channel; this node is a {self.kind.value}")
        if self.categories is not None and len(set(self.categories)) != len(self.categories):
            raise ValueError("categories: a category is listed twice")
        if self.headend_share is not None and (self.area is None or len(self.area) == 2):
            raise ValueError("a headend (headend_share) needs the municipality it serves as `area`")
        return self

    def accepts(self, category: AlertCategory) -> bool:
        """True when alerts of ``category`` reach this node (see ``categories``)."""
        return self.categories is None or category in self.categories


class RetryPolicy(Frozen):
    """What a sender does after a lost transmission: wait ``backoff_s``, try again."""

    max_attempts: int = Field(default=1, ge=1, le=100)
    """Transmissions of one copy in all, the first included (1 to 100); 1: never retried."""
    backoff_s: Distribution = Field(default=Constant(value=5.0))
    """Wait in seconds after a lost copy (or one that met a node that was down) before the next try."""


_NEUTRAL = MediumDefaults(latency_s=ZERO, loss=0.0, broadcast=False, source="stands in while the medium is invalid")


class MediumSetting(Frozen):
    """A scenario's own defaults for every link of one medium (``topology.media``): each field given
    replaces the packaged default (data/media.toml) wherever a link leaves it out."""

    latency_s: Distribution | None = Field(default=None, description="One-way latency in seconds.")
    loss: Share | None = Field(default=None, description="Chance (0–1) that one transmission of a copy is lost.")
    retry_attempts: int | None = Field(
        default=None, ge=1, le=100, description="Transmissions of a lost copy in all (1: never retried)."
    )
    retry_backoff_s: float | None = Field(default=None, ge=0, le=86_400, description="Seconds between tries.")


_MEDIA: ContextVar[Mapping[Medium, MediumSetting] | None] = ContextVar("lalert_media", default=None)


@contextmanager
def media_settings(media: Mapping[Medium, MediumSetting]) -> Iterator[None]:
    """Links validated inside the block take ``media``'s defaults before the packaged ones."""
    token = _MEDIA.set(media)
    try:
        yield
    finally:
        _MEDIA.reset(token)


def _medium_fields(defaults: MediumDefaults, setting: MediumSetting | None = None) -> dict[str, Any]:
    """The link fields a medium fills when a scenario leaves them out (its ``setting`` first, if any)."""
    given = setting or MediumSetting()
    attempts = defaults.retry_attempts if given.retry_attempts is None else given.retry_attempts
    backoff = defaults.retry_backoff_s if given.retry_backoff_s is None else given.retry_backoff_s
    return {
        "latency_s": defaults.latency_s if given.latency_s is None else given.latency_s,
        "capacity": defaults.capacity,
        "bandwidth_bps": defaults.bandwidth_bps,
        "loss": defaults.loss if given.loss is None else given.loss,
        "broadcast": defaults.broadcast,
        "retry": RetryPolicy(max_attempts=attempts, backoff_s=Constant(value=backoff)),
    }


def _link_input_schema(schema: JsonDict) -> None:
    # The schema describes what a file may say: fields the medium fills are optional, `target` names one target.
    filled = _medium_fields(_NEUTRAL)
    required = schema["required"]
    assert isinstance(required, list)
    schema["required"] = [name for name in required if name not in filled and name != "targets"]
    properties = schema["properties"]
    assert isinstance(properties, dict)
    properties["target"] = {
        "type": "string",
        "description": "Id of the only node it reaches: short for ``targets: [ID]``.",
    }
    schema["oneOf"] = [{"required": ["targets"]}, {"required": ["target"]}]


class Link(Frozen):
    """A one-way channel from ``source`` to one or more ``targets``.

    Broadcast: one transmission reaches every target. Point-to-point with several
    targets: one transmission per target, sharing the link's capacity. Fields left
    out take the medium's defaults (see ``MEDIUM_DEFAULTS``).
    """

    model_config = ConfigDict(json_schema_extra=_link_input_schema)

    id: Id
    """Unique id (letters, digits, ``_ . : / -``) such as ``jalert/sat-02``; replaces a generated namesake."""
    medium: Medium
    """How the link carries a message; every field left out takes this medium's default."""
    source: NodeId
    """Id of the node that sends over the link."""
    targets: list[NodeId] = Field(min_length=1, max_length=MAX_COUNT)
    """Ids of the nodes it reaches (at least one); ``target: ID`` is short for a single one."""
    latency_s: Distribution = Field(
        description="Propagation delay in seconds after transmission; default the medium's."
    )
    hold_s: Distribution = Field(
        default=ZERO, description="Seconds a transmission occupies a channel beyond size / bandwidth; default 0."
    )
    capacity: int | None = Field(
        gt=0,
        le=MAX_COUNT,
        description="Concurrent transmissions (more wait in a FIFO queue); null: unlimited. Default the medium's.",
    )
    bandwidth_bps: float | None = Field(
        ge=1,
        le=1e15,
        description="Bits per second, so a message takes size × 8 / bandwidth to send; null: size ignored. "
        "Default the medium's.",
    )
    loss: Share
    """Probability (0–1) that one target loses one transmission; default the medium's."""
    retry: RetryPolicy
    """What the sender does after a lost copy; default the medium's (broadcasts do not retry)."""
    broadcast: bool
    """True: one transmission reaches every target; false: one per target. Default the medium's."""
    outages: list[Window] = Field(default_factory=list, description="Time windows when the link is down.")
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
            medium = Medium(data.get("medium"))
        except ValueError:
            return {**_medium_fields(_NEUTRAL), **data}  # the medium's own error is the one worth reporting
        settings = _MEDIA.get()
        return {**_medium_fields(MEDIUM_DEFAULTS[medium], settings.get(medium) if settings else None), **data}

    def transmit_s(self, size_bytes: int) -> float:
        """Serialisation time of a message of ``size_bytes`` on this link."""
        return 0.0 if self.bandwidth_bps is None else size_bytes * 8 / self.bandwidth_bps
