"""What a generated municipality is equipped with: its automatic outputs, station counts, batteries.

Every municipality relays J-Alert to residents through at least one automatic
output: disaster radio, community FM, and where it has neither, registered mail
or IP notification terminals. Loudspeakers and base stations are many stations
behind one node each, with battery lives spread as a distribution
(DOMAIN = docs/DOMAIN.md; the rest are assumptions).
"""

from __future__ import annotations

import math

from lalert_sim.model.distributions import LogNormal
from lalert_sim.model.stations import BatteryLife
from lalert_sim.streams import stable_fraction
from lalert_sim.topology.reference import Municipality

# Loudspeaker and relay-station batteries: DOMAIN, designed for about 72 h (about 5 min of
# broadcasting per hour); the spread between stations (sigma, 12-168 h) is an assumption.
LOUDSPEAKER_BATTERY = BatteryLife(median_h=72.0, sigma=0.3, low_h=12.0, high_h=168.0)
# Base stations: DOMAIN, backup typically about 3 h (range 2-24 h); each carrier has about 2,000
# hardened 24 h sites, of about 90,000 generated per carrier here (2.2 %); the spread is an assumption.
BASE_STATION_BATTERY = BatteryLife(
    median_h=3.0, sigma=0.7, low_h=2.0, high_h=24.0, hardened_share=0.022, hardened_h=24.0
)

REGISTERED_MAIL_DELAY = LogNormal(median=30.0, sigma=0.6)
"""Seconds from the start-up device to the mail going out to the registered list (assumption)."""

REGISTERED_MAIL_SHARE = 0.3
"""Share of municipalities with disaster radio or community FM that also send registered mail (assumption)."""
IP_TERMINAL_SHARE = 0.2
"""Share of municipalities with neither disaster radio nor community FM whose automatic output is IP
notification terminals rather than registered mail (assumption)."""


def loudspeaker_stations(m: Municipality) -> int:
    """Outdoor loudspeaker stations of a municipality: its table's count, else scaled by population.

    Assumption: 10 + sqrt(population) / 2 (a village of 2,500 about 35, a city of 100,000 about
    170, one of a million about 510): coverage needs stations by area, which grows slower
    than population.
    """
    if m.loudspeaker_stations is not None:
        return m.loudspeaker_stations
    return max(1, round(10 + math.sqrt(max(m.population, 0)) / 2))


def base_stations(m: Municipality) -> int:
    """Macro base stations of one carrier in a municipality: its table's count, else 8 + one per 1,500 residents.

    Assumption: about 98,000 per carrier nationwide, the order of magnitude of a major
    carrier's macro sites (about 10^5). The eight every municipality has, however few live
    there, stand for coverage of valleys, roads and coasts; fitted to Noto 2024 (DOMAIN: 799
    base stations off air in Ishikawa at the peak, validation/events.yaml).
    """
    if m.base_stations is not None:
        return m.base_stations
    return min(8 + round(max(m.population, 0) / 1500), 100_000)


def registered_mail(m: Municipality, has_radio: bool, has_fm: bool) -> bool:
    """Whether the municipality sends registered mail (fixed per code, like disaster radio)."""
    if not has_radio and not has_fm:
        return not ip_terminals(m, has_radio, has_fm)
    return stable_fraction(f"registered-mail/{m.code}") < REGISTERED_MAIL_SHARE


def ip_terminals(m: Municipality, has_radio: bool, has_fm: bool) -> bool:
    """Whether the municipality relays through IP notification terminals (only where no radio, no FM)."""
    return not has_radio and not has_fm and stable_fraction(f"ip-terminal/{m.code}") < IP_TERMINAL_SHARE
