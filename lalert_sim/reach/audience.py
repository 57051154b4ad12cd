"""Who is watching TV or listening to the radio when a break-in comes: by hour, age band, day type and place.

A TV or radio break-in (earthquake early warning, tsunami warning, missile alert) reaches only
the people tuned in. The audience tables give the share of each age band watching live TV, or
listening to the radio (car radio and streaming included), at each full hour, interpolated like
the whereabouts (reach/whereabouts.py). That audience is spread over the places people are in by
a relative propensity (someone at home and awake watches TV far more than someone at work; in a
car, the radio is on far more often than at home), so that summed over places it is the table's
share again: the chance for a person in place w is  A · k_w / Σ_v s_v · k_v  (A the audience
share, s_v the whereabouts shares, k the propensities). RECEPTION holds the chance of noticing
the break-in when tuned in.

Sources: NHK Broadcasting Culture Research Institute, national time-use survey 2020 (国民生活時間調査),
as quoted by its readers: live TV has three daily peaks, at breakfast, lunch and dinner, the
evening one highest (weekday 20:30-21:00: 35.5 % of all people watching); 79 % watch on a
weekday, over 90 % of people aged 60 and over, about half of those in their 20s; on Saturdays
and Sundays the morning peak is lower and the daytime audience larger. Radio: about 10 % listen
on a day; under 30 hardly anyone, in their 30s about 2 % in any slot, from 60 most at breakfast
and dinner. The split by age band and the shape between the quoted figures are assumptions
(tests/unit/test_whereabouts.py checks the quoted figures); propensities are assumptions.
"""

from __future__ import annotations

import numpy as np

from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.reach.whereabouts import Profile, at_hour, whereabouts_shares

# Share (percent) of each age band watching live TV, at each full hour.
_TV_WEEKDAY: Profile = (
    (4, 2, 1, 0.5, 0.5, 1, 5, 12, 10, 4, 3, 3, 7, 5, 3, 3, 4, 6, 12, 20, 25, 26, 20, 10),
    (6, 3, 1, 1, 1, 5, 20, 32, 25, 14, 12, 12, 25, 17, 12, 12, 14, 20, 35, 45, 47, 45, 30, 14),
    (6, 2, 1, 1, 3, 10, 30, 42, 35, 25, 22, 22, 38, 30, 24, 24, 26, 33, 50, 58, 58, 56, 35, 15),
)
_TV_WEEKEND: Profile = (
    (4, 2, 1, 0.5, 0.5, 1, 3, 7, 10, 9, 8, 7, 9, 8, 7, 7, 8, 10, 15, 22, 26, 26, 20, 11),
    (6, 3, 1, 1, 1, 4, 15, 26, 27, 20, 17, 15, 26, 20, 16, 16, 18, 24, 38, 46, 48, 45, 30, 14),
    (6, 2, 1, 1, 3, 9, 27, 40, 37, 28, 25, 24, 38, 31, 26, 26, 28, 35, 52, 58, 58, 55, 35, 15),
)
_TV_HOLIDAY: Profile = (  # like a Sunday: a later morning
    (4, 2, 1, 0.5, 0.5, 1, 2, 6, 10, 10, 9, 8, 10, 9, 8, 8, 9, 11, 16, 23, 27, 26, 19, 10),
    _TV_WEEKEND[1],
    _TV_WEEKEND[2],
)
# Share (percent) of each age band listening to the radio, at each full hour.
_RADIO_WEEKDAY: Profile = (
    (0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1, 2, 2.5, 1.5, 1.2, 1.2, 1.3, 1.2, 1.2, 1.2, 1.3, 1.8, 2, 1.2, 0.8, 0.6, 0.5, 0.4),
    (1, 0.8, 0.8, 1, 1.5, 3, 5, 5.5, 4.5, 3.5, 3, 3, 3, 2.8, 2.8, 2.8, 3, 3.5, 3.5, 2.5, 1.8, 1.5, 1.2, 1),
    (1.5, 1.2, 1.2, 1.5, 2.5, 4.5, 6, 6, 5, 4, 3.5, 3.5, 3.5, 3.2, 3, 3, 3.2, 4, 4, 2.8, 2, 1.8, 1.5, 1.5),
)
_RADIO_DAY_OFF: Profile = (  # no commute: car radio spread over the day
    (
        0.3,
        0.2,
        0.2,
        0.2,
        0.3,
        0.4,
        0.6,
        1,
        1.3,
        1.5,
        1.6,
        1.6,
        1.5,
        1.5,
        1.5,
        1.5,
        1.5,
        1.4,
        1.2,
        0.9,
        0.7,
        0.6,
        0.5,
        0.4,
    ),
    _RADIO_WEEKDAY[1],
    _RADIO_WEEKDAY[2],
)
AUDIENCE: dict[Channel, dict[DayType, Profile]] = {
    Channel.TV: {DayType.WEEKDAY: _TV_WEEKDAY, DayType.WEEKEND: _TV_WEEKEND, DayType.HOLIDAY: _TV_HOLIDAY},
    Channel.RADIO: {DayType.WEEKDAY: _RADIO_WEEKDAY, DayType.WEEKEND: _RADIO_DAY_OFF, DayType.HOLIDAY: _RADIO_DAY_OFF},
}
"""Percentage of each age band tuned in, at each full hour, per day type (channels with an audience model)."""

# How likely someone in a place is tuned in, relative to someone at home and awake (columns:
# WHEREABOUTS). Assumptions: TV in shops and break rooms, one-seg; car radio, radio at work.
PROPENSITY: dict[Channel, tuple[float, float, float, float, float]] = {
    Channel.TV: (1.0, 0.0, 0.02, 0.08, 0.02),
    Channel.RADIO: (1.0, 0.0, 0.2, 0.8, 6.0),
}

_AUDIENCE_TABLES = {
    channel: {day: np.array(profile) / 100.0 for day, profile in by_day.items()} for channel, by_day in AUDIENCE.items()
}


def tuned_in(channel: Channel, hour: float, day: DayType) -> np.ndarray:
    """(age band × whereabouts) chance of being tuned in to a channel with an audience model."""
    audience = at_hour(_AUDIENCE_TABLES[channel][day], hour)  # (age band,)
    propensity = np.asarray(PROPENSITY[channel])
    exposure = whereabouts_shares(hour, day) @ propensity  # (age band,)
    chance: np.ndarray = np.clip(audience[:, None] * propensity[None, :] / exposure[:, None], 0.0, 1.0)
    return chance
