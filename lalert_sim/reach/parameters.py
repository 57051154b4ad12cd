"""Resident defaults: cohorts and what each channel reaches.

The home of the reach model's figures, beside the hourly profiles of where people are
(reach/whereabouts.py) and who watches TV or listens to the radio (reach/audience.py). Each
cites docs/DOMAIN.md ("DOMAIN") or a survey, or says it is an assumption.
"""

from __future__ import annotations

import numpy as np

from lalert_sim.model.carriers import CARRIER_SHARES
from lalert_sim.model.distributions import LogNormal, Uniform, _AnyDistribution
from lalert_sim.model.network import Channel

AGE_BANDS = ("under_60", "60s", "70_plus")
# Fallback for a row without shares: census-weighted sums of the reference table (data/SOURCES.md).
NATIONAL_AGE_SHARES = (0.660, 0.122, 0.218)

# Share who do not use a smartphone or tablet, by age band.
# 60s and 70+: DOMAIN (Cabinet Office survey 2020: 25.7 %, 57.8 %); under 60: assumption.
NO_SMARTPHONE = (0.10, 0.257, 0.578)

WHEREABOUTS = ("home_awake", "home_asleep", "outdoors", "at_work", "in_vehicle")  # at_work: at work or at school

# Where people are by hour, age band and day type: lalert_sim/reach/whereabouts.py (NHK time-use survey 2020).

# Chance that a resident in a given place gets the alert from a channel that is
# emitting in their municipality (columns: WHEREABOUTS). Requirements (smartphone,
# owning an indoor receiver) and age and rain factors are applied on top.
RECEPTION: dict[Channel, tuple[float, float, float, float, float]] = {
    # DOMAIN: about two-thirds find loudspeakers hard to hear; one city's test reached about 30 %.
    Channel.OUTDOOR_LOUDSPEAKER: (0.35, 0.10, 0.75, 0.25, 0.15),
    Channel.INDOOR_RECEIVER: (0.95, 0.60, 0.0, 0.0, 0.0),  # assumption, given one in the household
    # DOMAIN: US national test, about 90 % of devices received it; asleep and driving are assumptions.
    Channel.CELL_BROADCAST: (0.90, 0.50, 0.90, 0.90, 0.80),
    # TV and radio: the chance of noticing a break-in when tuned in (assumption: chime and caption or
    # announcement); who is tuned in, by hour, age band and day type: lalert_sim/reach/audience.py.
    Channel.TV: (0.90, 0.0, 0.80, 0.80, 0.50),
    Channel.RADIO: (0.85, 0.0, 0.80, 0.80, 0.90),
    Channel.COMMUNITY_FM: (0.03, 0.0, 0.01, 0.02, 0.05),  # assumption
    Channel.PORTAL: (0.10, 0.0, 0.05, 0.10, 0.0),  # assumption: someone looks
    Channel.APP: (0.25, 0.10, 0.25, 0.25, 0.10),  # assumption: push notification of an installed app
    Channel.SIGNAGE: (0.0, 0.0, 0.20, 0.0, 0.0),  # assumption
    Channel.DOOR_TO_DOOR: (0.90, 0.70, 0.10, 0.0, 0.0),  # assumption: the brigade reaches the door
    # assumption: 20 % of residents registered for the municipality's disaster mail, who read it
    # when awake (90 %, 80 % out or at work, 50 % driving) or are woken by it (30 %).
    Channel.REGISTERED_MAIL: (0.18, 0.06, 0.16, 0.16, 0.10),
}
# The channel columns of every reach array: all channels (RECEPTION and REACTION_DELAY have a row for each).
REACH_CHANNELS: tuple[Channel, ...] = tuple(Channel)

TV_WITHOUT_MAINS = 0.4
# Share of TV viewing still possible where homes have lost mains power: one-seg phones, car and battery
# sets (assumption; DOMAIN, Tohoku 2011: 3.8 % learned from one-seg mobile TV beside 7.8 % from TV).

NEEDS_SMARTPHONE = frozenset({Channel.CELL_BROADCAST, Channel.PORTAL, Channel.APP, Channel.REGISTERED_MAIL})
# Hearing declines with age (assumption): audible channels reach 70+ a little less.
AUDIBLE = frozenset({Channel.OUTDOOR_LOUDSPEAKER, Channel.INDOOR_RECEIVER, Channel.RADIO, Channel.COMMUNITY_FM})
AGE_HEARING = (1.0, 0.95, 0.8)

# From a channel's emission to the resident being warned (assumptions).
REACTION_DELAY: dict[Channel, _AnyDistribution] = {
    Channel.OUTDOOR_LOUDSPEAKER: LogNormal(median=20, sigma=0.5),  # an announcement takes time
    Channel.INDOOR_RECEIVER: LogNormal(median=10, sigma=0.4),
    Channel.CELL_BROADCAST: LogNormal(median=5, sigma=0.5),
    Channel.TV: LogNormal(median=60, sigma=0.8),
    Channel.RADIO: LogNormal(median=30, sigma=0.6),
    Channel.COMMUNITY_FM: LogNormal(median=60, sigma=0.6),
    Channel.PORTAL: LogNormal(median=300, sigma=1.0),
    Channel.APP: LogNormal(median=30, sigma=0.8),
    Channel.SIGNAGE: LogNormal(median=120, sigma=0.8),
    Channel.DOOR_TO_DOOR: Uniform(low=0, high=3600),  # house to house over an hour
    Channel.REGISTERED_MAIL: LogNormal(median=60, sigma=0.8),  # the mail is noticed and read
}


def carrier_shares(carriers: list[str]) -> np.ndarray:
    """Shares of the carriers present, normalised; an unknown carrier counts as the mean."""
    known = [CARRIER_SHARES.get(c, float(np.mean(list(CARRIER_SHARES.values())))) for c in carriers]
    total = sum(known)
    return np.array([k / total for k in known]) if total else np.zeros(0)
