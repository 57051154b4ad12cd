"""How residents are modelled in a scenario: when, and what to report (rain is a ``heavy_rain`` incident)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from lalert_sim.model.base import Frozen, Share
from lalert_sim.model.calendar import DayType

REACH_MAX_S = 12 * 3_600
"""Longest deadline and horizon of the reach curves (12 h): their size grows with it (~600 MB nationwide)."""


class Residents(Frozen):
    """Settings of the resident reach model (see lalert_sim.reach)."""

    deadline_s: float = Field(
        default=600,
        gt=0,
        le=REACH_MAX_S,
        description="Seconds after issue at which those still unwarned are reported (at most 12 h); "
        "default 600 (10 min).",
    )
    horizon_s: float = Field(
        default=3600,
        gt=0,
        le=REACH_MAX_S,
        description="Seconds after issue that the warned curves cover (at most 12 h); default 3600 (1 h).",
    )
    hour: float | None = Field(
        default=None,
        ge=0,
        lt=24,
        description="Local hour of day (0 to under 24) for whereabouts (asleep, at work...) and TV and radio "
        "audiences; default from epoch + issue time, in Japan time.",
    )
    day_type: DayType | None = Field(
        default=None,
        description="Kind of day for whereabouts and audiences: weekday, weekend or holiday (Japan's public "
        "holidays); default from the date of epoch + issue time, in Japan time.",
    )
    indoor_receiver_share: Share = 0.4
    """Share (0–1) of households with an indoor receiver where the disaster radio has them
    and the municipality table does not say (assumption)."""

    @model_validator(mode="before")
    @classmethod
    def _no_rain(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rain" in data:
            raise ValueError(
                "`rain` moved to the incidents: write `incidents: [{type: heavy_rain, area: ..., "
                "loudspeaker_factor: ..., satellite_loss: 0}]` (satellite_loss 0: satellites unaffected, as before)"
            )
        return data
