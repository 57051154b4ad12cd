"""Transmission media and their default properties: the one table of link defaults.

Each default says where it comes from: a figure in the project's domain notes
(docs/DOMAIN.md, "DOMAIN") or "assumption" where no public figure was found.
A scenario may override any of them per link.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lalert_sim.model.distributions import Constant, LogNormal, Uniform, _AnyDistribution


class Medium(StrEnum):
    """How a link carries a message."""

    SATELLITE_GEO = "satellite_geo"
    SATELLITE_LEO = "satellite_leo"
    TERRESTRIAL_GOV = "terrestrial_gov"
    FIBRE = "fibre"
    PREFECTURE_DISASTER_RADIO = "prefecture_disaster_radio"
    MUNICIPAL_DISASTER_RADIO = "municipal_disaster_radio"
    MCA = "mca"
    CELL_BROADCAST = "cell_broadcast"
    BROADCAST = "broadcast"
    INTERNET = "internet"
    MANUAL_RELAY = "manual_relay"


@dataclass(frozen=True)
class MediumDefaults:
    """What a link of this medium does unless the scenario says otherwise."""

    latency_s: _AnyDistribution
    loss: float
    capacity: int | None  # concurrent transmissions; None = unlimited
    bandwidth_bps: float | None  # None = size does not matter
    broadcast: bool
    source: str
    retry_attempts: int = 1  # acknowledged media retry a lost copy; broadcasts do not
    retry_backoff_s: float = 5.0


MEDIUM_DEFAULTS: dict[Medium, MediumDefaults] = {
    Medium.SATELLITE_GEO: MediumDefaults(
        Uniform(low=0.240, high=0.285),
        0.001,
        None,
        64_000,
        True,
        "DOMAIN: GEO one hop about 240-285 ms one way; loss and 64 kbit/s are assumptions",
    ),
    Medium.SATELLITE_LEO: MediumDefaults(
        Uniform(low=0.010, high=0.025),
        0.005,
        None,
        10_000_000,
        False,
        "DOMAIN: LEO (Starlink) 20-50 ms round trip; loss, bandwidth and retries are assumptions",
        retry_attempts=3,
        retry_backoff_s=2.0,
    ),
    Medium.TERRESTRIAL_GOV: MediumDefaults(
        Uniform(low=0.02, high=0.10),
        0.0005,
        None,
        1_000_000,
        False,
        "assumption: wired government network, tens of ms; acknowledged, 3 tries 2 s apart",
        retry_attempts=3,
        retry_backoff_s=2.0,
    ),
    Medium.FIBRE: MediumDefaults(
        Constant(value=0.005),
        0.0,
        None,
        None,
        False,
        "assumption: local fibre or LAN",
        retry_attempts=3,
        retry_backoff_s=1.0,
    ),
    Medium.PREFECTURE_DISASTER_RADIO: MediumDefaults(
        Uniform(low=0.3, high=1.0),
        0.002,
        4,
        9_600,
        False,
        "assumption: prefecture disaster administrative radio, few channels; 3 tries",
        retry_attempts=3,
        retry_backoff_s=10.0,
    ),
    Medium.MUNICIPAL_DISASTER_RADIO: MediumDefaults(
        Uniform(low=0.5, high=1.5),
        0.0,
        1,
        None,
        True,
        "assumption: one broadcast channel; calibrated so loudspeakers start about 10 s after J-Alert issue (DOMAIN)",
    ),
    Medium.MCA: MediumDefaults(
        Uniform(low=1.0, high=3.0),
        0.01,
        1,
        None,
        False,
        "assumption: push-to-talk voice channel, one call at a time; called again after 30 s",
        retry_attempts=3,
        retry_backoff_s=30.0,
    ),
    Medium.CELL_BROADCAST: MediumDefaults(
        LogNormal(median=4.0, sigma=0.3),
        0.0,
        None,
        None,
        True,
        "DOMAIN: 3GPP ETWS primary notification about 4 s after entering the network",
    ),
    Medium.BROADCAST: MediumDefaults(
        Uniform(low=2.0, high=4.0),
        0.0,
        None,
        None,
        True,
        "DOMAIN: digital TV shows an EEW about 2 s later than analogue, one-seg about 4 s",
    ),
    Medium.INTERNET: MediumDefaults(
        LogNormal(median=0.2, sigma=0.5),
        0.001,
        None,
        None,
        False,
        "assumption: public internet, hundreds of ms; acknowledged, 3 tries 5 s apart",
        retry_attempts=3,
        retry_backoff_s=5.0,
    ),
    Medium.MANUAL_RELAY: MediumDefaults(
        LogNormal(median=120.0, sigma=0.6),
        0.0,
        1,
        None,
        False,
        "assumption: a person reads the message onward (satellite phone to radio); DOMAIN: "
        "manual fallback took about 11 min after launch in Aomori 2022",
    ),
}
