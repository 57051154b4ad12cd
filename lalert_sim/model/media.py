"""Transmission media and their default properties: the one table of link defaults (data/media.toml).

Each default says where it comes from: a figure in the project's domain notes
(docs/DOMAIN.md, "DOMAIN") or "assumption" where no public figure was found.
A scenario may override any of them per link.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from lalert_sim.model.base import Share
from lalert_sim.model.distributions import _AnyDistribution


class Medium(StrEnum):
    """How a link carries a message."""

    SATELLITE_GEO = "satellite_geo"
    LG_SATELLITE = "lg_satellite"  # the national-local government satellite network (J-Alert's satellite path)
    SATELLITE_LEO = "satellite_leo"
    TERRESTRIAL_GOV = "terrestrial_gov"
    CENTRAL_DISASTER_RADIO = "central_disaster_radio"  # within government and to designated public bodies
    FDMA_PREFECTURE_RADIO = "fdma_prefecture_radio"  # FDMA to prefectures, terrestrial microwave
    FIBRE = "fibre"
    PREFECTURE_DISASTER_RADIO = "prefecture_disaster_radio"
    MUNICIPAL_DISASTER_RADIO = "municipal_disaster_radio"
    MCA = "mca"
    CELL_BROADCAST = "cell_broadcast"
    PUBLIC_SAFETY_MOBILE = "public_safety_mobile"  # official users on carrier networks, with priority
    BROADCAST = "broadcast"
    INTERNET = "internet"
    MANUAL_RELAY = "manual_relay"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class MediumDefaults:
    """What a link of this medium does unless the scenario says otherwise (see data/media.toml)."""

    latency_s: _AnyDistribution
    loss: Share
    broadcast: bool
    source: str
    capacity: int | None = Field(default=None, ge=1)  # concurrent transmissions; None = unlimited
    bandwidth_bps: float | None = Field(default=None, gt=0)  # None = size does not matter
    retry_attempts: int = Field(default=1, ge=1)  # acknowledged media retry a lost copy; broadcasts do not
    retry_backoff_s: float = Field(default=5.0, ge=0)


def _packaged_defaults() -> dict[Medium, MediumDefaults]:
    """The packaged table (data/media.toml), checked to cover every medium once."""
    tables = tomllib.loads(resources.files("lalert_sim.data").joinpath("media.toml").read_text("utf-8"))
    defaults = {Medium(name): MediumDefaults(**fields) for name, fields in tables.items()}
    missing = [medium.value for medium in Medium if medium not in defaults]
    if missing:
        raise RuntimeError(f"lalert_sim/data/media.toml: no defaults for {', '.join(missing)}")
    return defaults


MEDIUM_DEFAULTS: dict[Medium, MediumDefaults] = _packaged_defaults()
