"""Incidents: what breaks during a scenario, chosen by selectors and time windows."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import MAX_SECONDS, Frozen, Ref, Share, Window
from lalert_sim.model.media import Medium
from lalert_sim.model.selectors import LinkSelector, NodeSelector


class _Incident(Window):
    """What every incident has: its time window and an optional name."""

    name: str = ""
    """Label that its effects carry in the outage log and the report; default none."""


class _Selected(_Incident):
    """An incident that acts on the nodes and links its selectors choose (at least one of the two)."""

    type: str
    """The incident type."""
    nodes: NodeSelector | None = None
    """Nodes it acts on; none: no nodes."""
    links: LinkSelector | None = None
    """Links it acts on (damage: by the area of their targets); none: no links."""

    @model_validator(mode="after")
    def _selects(self) -> _Selected:
        if self.links is None and self.nodes is None:
            raise ValueError(f"{self.type} needs `nodes:` or `links:` (a selector) to say what fails")
        return self


class Outage(_Selected):
    """Selected links and/or nodes are out of service from ``start_s`` until ``end_s``."""

    type: Literal["outage"] = "outage"
    """Selects this incident type: ``outage``."""


class Zone(Frozen):
    """An area and the chance that a selected component in it fails (e.g. per seismic intensity)."""

    area: AreaCode
    """Prefecture or municipality code; a component takes the most specific zone covering its area."""
    probability: Share
    """Chance (0–1) that each selected component in the zone fails at the incident's start."""
    label: str = Field(default="", description="Free text for the reader, e.g. 'intensity 7'.")


class Damage(_Selected):
    """Each selected component in a zone fails at ``start_s`` with the zone's probability."""

    type: Literal["damage"] = "damage"
    """Selects this incident type: ``damage``."""
    zones: list[Zone] = Field(min_length=1, max_length=200)
    """Areas with their failure chance (at least one); a component in none of them does not fail."""
    repair_s: float | None = Field(
        default=None,
        gt=0,
        le=MAX_SECONDS,
        description="Seconds from failing until a failed component is back; none: not repaired in this run.",
    )


class PowerOutage(_Incident):
    """Mains power is lost in an area; nodes run on battery (hours) or generator, then go down."""

    type: Literal["power_outage"] = "power_outage"
    """Selects this incident type: ``power_outage``."""
    area: AreaCode
    """Prefecture or municipality code of the area without mains power."""
    nodes: NodeSelector | None = Field(default=None, description="Limit to these nodes; default all in the area.")


class HeavyRain(_Incident):
    """Heavy rain over an area: satellite reception fades, loudspeakers are hard to make out."""

    type: Literal["heavy_rain"] = "heavy_rain"
    """Selects this incident type: ``heavy_rain``."""
    area: AreaCode
    """Prefecture or municipality code of the area under the rain."""
    satellite_loss: Share = 0.3
    """Chance (0–1) a satellite copy to a node in the area is lost to rain fade (assumption)."""
    loudspeaker_factor: Share = 0.5
    """Multiplies the chance of making out a loudspeaker (assumption; DOMAIN: rain makes it worse)."""


class CarrierOutage(_Incident):
    """One carrier's network is gone (cell broadcast with it), nationwide or in an area (as on 2 July 2022)."""

    type: Literal["carrier_outage"] = "carrier_outage"
    """Selects this incident type: ``carrier_outage``."""
    carrier: Ref
    """The carrier whose network fails, as named in the templates' ``carriers`` (e.g. ``kddi``)."""
    area: AreaCode | None = Field(
        default=None, description="Prefecture or municipality code where it fails; none: nationwide."
    )


PRIORITY_MEDIA = frozenset({Medium.PUBLIC_SAFETY_MOBILE})
"""Media that congestion never slows: official users with priority on carrier networks (DOMAIN, after Noto 2024)."""


class Congestion(_Incident):
    """Ordinary mobile and internet traffic is congested in an area (callers after a large quake):
    copies on links of the congested media are slower and some are lost; priority media are not."""

    type: Literal["congestion"] = "congestion"
    """Selects this incident type: ``congestion``."""
    area: AreaCode | None = Field(
        default=None,
        description="Prefecture or municipality code; a link is congested when its source or a target lies "
        "in it. None: nationwide.",
    )
    media: list[Medium] = Field(
        default_factory=lambda: [Medium.INTERNET],
        min_length=1,
        max_length=len(Medium),
        description="Media whose links are congested; default internet. public_safety_mobile has priority "
        "and cannot be listed.",
    )
    latency_factor: float = Field(
        default=10.0,
        ge=1.0,
        le=10_000.0,
        description="Multiplies the latency of every copy sent meanwhile (1 to 10,000); default 10 (assumption).",
    )
    loss: Share = 0.3
    """Extra chance (0–1) that a copy sent meanwhile is lost (retried as its medium allows); 0.3 (assumption)."""

    @model_validator(mode="after")
    def _no_priority_media(self) -> Congestion:
        priority = sorted(m.value for m in self.media if m in PRIORITY_MEDIA)
        if priority:
            raise ValueError(f"media: {', '.join(priority)} has priority and is never congested")
        if len(set(self.media)) != len(self.media):
            raise ValueError("media: a medium is listed twice")
        return self


Incident = Annotated[
    Outage | Damage | PowerOutage | HeavyRain | CarrierOutage | Congestion, Field(discriminator="type")
]
