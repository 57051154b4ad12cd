"""How residents are modelled in a scenario: when, and what to report (rain is a ``heavy_rain`` incident)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Residents(BaseModel):
    """Settings of the resident reach model (see lalert_sim.reach)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deadline_s: float = Field(default=600, gt=0, description="Report who is still unwarned this long after issue.")
    horizon_s: float = Field(default=3600, gt=0, description="How far after issue the warned curves go.")
    hour: float | None = Field(
        default=None,
        ge=0,
        lt=24,
        description="Local hour of day for whereabouts (asleep, at work...); default from epoch + issue time.",
    )
    indoor_receiver_share: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Share of households with an indoor receiver where the disaster radio has them "
        "and the municipality table does not say (assumption).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_rain(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rain" in data:
            raise ValueError(
                "`rain` moved to the incidents: write `incidents: [{type: heavy_rain, area: ..., "
                "loudspeaker_factor: ..., satellite_loss: 0}]` (satellite_loss 0: satellites unaffected, as before)"
            )
        return data
