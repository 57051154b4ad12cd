"""Topology templates: a few parameters that expand into many nodes and links."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lalert_sim.model.areas import AreaCode

DEFAULT_CARRIERS = ["docomo", "kddi", "softbank", "rakuten"]


class PrefectureTemplate(BaseModel):
    """One prefecture's municipalities with their J-Alert and L-Alert equipment.

    Municipalities come from the packaged reference list (JIS X 0402 codes and
    office coordinates). Which ones have a disaster radio or community FM is
    fixed per municipality code, not per seed, so the plan stays the same
    across replications.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: Literal["prefecture"] = "prefecture"
    prefecture: AreaCode = Field(description="JIS X 0401 code, e.g. '02' for Aomori.")
    municipalities: Literal["all"] | int | list[AreaCode] = Field(
        default="all", description="'all', the first N by code, or a list of codes."
    )
    carriers: list[str] = Field(default_factory=lambda: list(DEFAULT_CARRIERS))
    disaster_radio_share: float = Field(
        default=0.74, ge=0, le=1,
        description="Share of municipalities with municipal disaster radio (DOMAIN: about 74 % in FY2023).",
    )
    indoor_receivers: bool = Field(default=True, description="Disaster radio includes indoor receivers.")
    community_fm_share: float = Field(
        default=0.3, ge=0, le=1, description="Share with a community FM station started automatically (assumption)."
    )
    jalert: bool = Field(default=True, description="Connect the national J-Alert origin (satellite + terrestrial).")
    lalert: bool = Field(default=True, description="Connect municipal entry steps, the L-Alert hub and outlets.")
    broadcasters: int = Field(default=6, ge=0, description="Prefecture TV/radio stations subscribed to L-Alert.")
    portals: int = Field(default=3, ge=0, description="National portals and apps fed by L-Alert.")


TopologyTemplate = PrefectureTemplate
