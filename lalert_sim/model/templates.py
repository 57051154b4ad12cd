"""Topology templates: a few parameters that expand into many nodes and links."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen, Id, Share
from lalert_sim.model.carriers import CARRIER_SHARES

MAX_OUTLETS = 100
"""Most broadcasters per prefecture, and most portals, a template may generate."""
MAX_MUNICIPALITIES = 2_000
"""Most municipalities one list may name (Japan has 1,741)."""


class _Equipment(Frozen):
    """What every generated municipality gets; shared by all templates.

    Which municipalities have a disaster radio or community FM is fixed per
    municipality code (or given by the municipality table), not per seed, so the
    plan stays the same across replications.
    """

    carriers: list[Id] = Field(default_factory=lambda: list(CARRIER_SHARES), max_length=10)
    """Mobile carriers with cell broadcast in every municipality; default the four national ones."""
    disaster_radio_share: Share = 0.74
    """Share (0–1) of municipalities with municipal disaster radio (DOMAIN: about 74 % in FY2023)."""
    indoor_receivers: bool = Field(
        default=True, description="Municipalities with disaster radio also get indoor receivers; default true."
    )
    community_fm_share: Share = 0.3
    """Share (0–1) with a community FM station started automatically (assumption)."""
    jalert: bool = Field(default=True, description="Connect the national J-Alert origin (satellite + terrestrial).")
    lalert: bool = Field(default=True, description="Connect municipal entry steps, the L-Alert hub and outlets.")
    broadcasters: int = Field(
        default=6,
        ge=0,
        le=MAX_OUTLETS,
        description="TV/radio stations per prefecture subscribed to L-Alert (at most 100); default 6.",
    )
    broadcast_breakins: bool = Field(
        default=True,
        description="TV and radio break in with earthquake early warnings, tsunami warnings and missile "
        "alerts fed from the J-Alert origin (needs jalert): a commercial TV and radio station per prefecture.",
    )
    national_broadcasters: bool = Field(
        default=True,
        description="With broadcast_breakins: NHK General TV and Radio 1 break in nationwide too.",
    )
    prefecture_offices: bool = Field(
        default=True,
        description="A disaster office per prefecture, reached from FDMA over FDMA–prefecture radio with a "
        "satellite backup, forwarding tsunami warnings to municipalities over prefecture disaster radio.",
    )
    tv_headends: bool = Field(
        default=True,
        description="Community TV reception facilities and cable-TV headends in some municipalities (by "
        "code and kind); while one is down, the residents who depend on it see no TV.",
    )
    manual_fallback: bool = Field(
        default=False,
        description="Where the municipality has disaster radio, staff broadcast J-Alert by hand from the office "
        "when the automatic start-up did not (a few minutes later: DOMAIN, Aomori 2022, about 11 min after launch).",
    )
    patrols: bool = Field(
        default=False,
        description="Fire brigade and police patrol calling out tsunami warnings and evacuation orders door to "
        "door (channel door_to_door), sent out by the municipal office.",
    )
    portals: int = Field(
        default=3,
        ge=0,
        le=MAX_OUTLETS,
        description="National portals and apps fed by L-Alert (at most 100); default 3.",
    )


class PrefectureTemplate(_Equipment):
    """One prefecture's municipalities with their J-Alert and L-Alert equipment."""

    template: Literal["prefecture"] = "prefecture"
    """Selects this template: ``prefecture``."""
    prefecture: AreaCode = Field(description="JIS X 0401 code, e.g. '02' for Aomori.")
    municipalities: (
        Literal["all"]
        | Annotated[int, Field(le=MAX_MUNICIPALITIES)]
        | Annotated[list[AreaCode], Field(max_length=MAX_MUNICIPALITIES)]
    ) = Field(default="all", description="'all', the first N by code, or a list of codes.")


class RegionSelector(Frozen):
    """Municipalities meeting every criterion given; an empty selector is the whole country."""

    prefectures: list[AreaCode] | None = Field(
        default=None, max_length=MAX_MUNICIPALITIES, description="Only these prefectures (JIS X 0401)."
    )
    municipalities: list[AreaCode] | None = Field(
        default=None, max_length=MAX_MUNICIPALITIES, description="Only these municipality codes."
    )
    coastal: bool | None = Field(default=None, description="Only coastal (true) or inland (false) ones.")


class RegionTemplate(_Equipment):
    """Any set of municipalities, across prefectures: the whole country by default."""

    template: Literal["region"] = "region"
    """Selects this template: ``region``."""
    region: RegionSelector = Field(default_factory=RegionSelector)
    """Which municipalities to generate; default the whole country."""


TopologyTemplate = Annotated[PrefectureTemplate | RegionTemplate, Field(discriminator="template")]
