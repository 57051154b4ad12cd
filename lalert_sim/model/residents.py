"""How residents are modelled in a scenario: when, where it rains, what to report."""

from __future__ import annotations

from pydantic import Field

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen


class Rain(Frozen):
    """Heavy rain over an area: outdoor loudspeakers are harder to make out."""

    area: AreaCode
    """Prefecture or municipality code of the area under the rain."""
    loudspeaker_factor: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Multiplies the chance of making out a loudspeaker (assumption; DOMAIN: heavy rain "
        "and closed windows make announcements hard to hear).",
    )


class Residents(Frozen):
    """Settings of the resident reach model (see lalert_sim.reach)."""

    deadline_s: float = Field(
        default=600,
        gt=0,
        description="Seconds after issue at which those still unwarned are reported; default 600 (10 min).",
    )
    horizon_s: float = Field(
        default=3600, gt=0, description="Seconds after issue that the warned curves cover; default 3600 (1 h)."
    )
    hour: float | None = Field(
        default=None,
        ge=0,
        lt=24,
        description="Local hour of day (0 to under 24) for whereabouts (asleep, at work...); "
        "default from epoch + issue time.",
    )
    rain: list[Rain] = Field(default_factory=list)
    """Areas where rain makes loudspeakers harder to make out for every alert; default none."""
    indoor_receiver_share: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share (0–1) of households with an indoor receiver where the disaster radio has them "
        "and the municipality table does not say (assumption).",
    )
