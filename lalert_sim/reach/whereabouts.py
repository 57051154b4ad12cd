"""Where residents are, by hour, age band and day type: hourly anchor profiles, interpolated without steps.

Each profile gives, for every age band (AGE_BANDS order), the share of people in a place at
each full hour 00:00 ... 23:00; between hours the share is interpolated linearly and the day
wraps round (23:00 to 24:00 runs towards the 00:00 anchor), so a minute's change of the issue
time changes the shares by at most 1/60 of the largest hourly difference. At home and awake is
what is left. The night anchors 00:00-03:00 are the same on every day type, so the shares do not
jump at midnight when Friday (weekday) turns into Saturday (weekend).

Sources: the NHK Broadcasting Culture Research Institute's national time-use survey 2020
(国民生活時間調査, October 2020, people aged 10 and over, 15-minute slots), as quoted by its
readers: on weekdays about half of all people are up by 06:00 and half asleep by 23:00; 64 %
asleep at 23:30 and 84 % at 00:00; in their 20s and 30s most are still asleep at 06:00, from
their 50s most are up; mean sleep 7 h 12 min on weekdays, 7 h 46 min on Saturdays, 8 h 2 min on
Sundays. The asleep profiles are fitted to these figures (tests/unit/test_whereabouts.py checks
them); weekends are the mean of Saturday and Sunday, public holidays are like Sundays. The split
of those awake between home, outdoors, work (or school) and vehicles is an assumption, shaped on
the survey's picture: commuting peaks at 07:00-08:00 and 17:00-18:00, working hours 09:00-17:00
on weekdays, far fewer at work and more people out on weekends and holidays, older people up
earlier, rarely at work and out mostly in the morning.
"""

from __future__ import annotations

import math

import numpy as np

from lalert_sim.model.calendar import DayType
from lalert_sim.reach.parameters import AGE_BANDS, WHEREABOUTS

HOURS = 24
"""Anchors per profile: one at each full hour of the day."""

Profile = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
"""Per age band (AGE_BANDS order), the percentage of people at each full hour 00:00 ... 23:00."""

# Asleep (at home), percent: fitted to the NHK time-use survey 2020 figures above.
_ASLEEP: dict[DayType, Profile] = {
    DayType.WEEKDAY: (
        (80, 88, 91, 92, 90, 82, 56, 22, 6, 3, 2, 2, 2, 3, 3, 3, 2, 2, 2, 2, 3, 8, 22, 42),
        (87, 93, 94, 93, 85, 62, 30, 10, 4, 3, 3, 3, 4, 6, 5, 4, 3, 3, 3, 4, 7, 17, 34, 55),
        (91, 95, 95, 92, 80, 52, 25, 10, 5, 4, 4, 4, 5, 9, 8, 6, 5, 4, 4, 6, 12, 30, 50, 68),
    ),
    DayType.WEEKEND: (
        (80, 88, 91, 92, 92, 90, 76, 46, 22, 10, 5, 4, 4, 5, 5, 5, 4, 3, 3, 3, 4, 9, 22, 40),
        (87, 93, 94, 93, 87, 68, 38, 15, 6, 4, 3, 3, 4, 6, 6, 5, 4, 3, 3, 4, 7, 16, 33, 54),
        (91, 95, 95, 92, 82, 56, 28, 12, 6, 4, 4, 4, 5, 9, 8, 6, 5, 4, 4, 6, 12, 30, 50, 68),
    ),
    DayType.HOLIDAY: (
        (80, 88, 91, 92, 92, 91, 79, 52, 27, 12, 6, 4, 4, 5, 6, 5, 4, 3, 3, 3, 4, 10, 24, 42),
        (87, 93, 94, 93, 87, 69, 40, 16, 7, 4, 3, 3, 4, 6, 6, 5, 4, 3, 3, 4, 7, 17, 34, 55),
        (91, 95, 95, 92, 82, 56, 29, 12, 6, 4, 4, 4, 5, 9, 8, 6, 5, 4, 4, 6, 12, 30, 50, 68),
    ),
}

# At work or at school, percent (assumption): weekday hours 09:00-17:00 with a lunch dip; night shifts;
# on weekends a third to a half (older people) and on holidays a quarter to a half of the weekday share.
_AT_WORK: dict[DayType, Profile] = {
    DayType.WEEKDAY: (
        (3, 3, 3, 3, 3, 3, 5, 12, 35, 52, 55, 55, 50, 54, 55, 53, 48, 38, 24, 14, 8, 5, 4, 3),
        (1, 1, 1, 1, 1, 1, 2, 6, 18, 28, 30, 30, 27, 29, 29, 27, 23, 16, 8, 4, 2, 1, 1, 1),
        (0, 0, 0, 0, 0, 0, 1, 2, 5, 8, 9, 9, 7, 8, 8, 7, 5, 3, 1, 0, 0, 0, 0, 0),
    ),
    DayType.WEEKEND: (
        (3, 3, 3, 3, 3, 3, 4, 7, 13, 18, 20, 20, 18, 19, 20, 19, 17, 14, 10, 7, 5, 4, 3, 3),
        (1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 13, 13, 11, 12, 12, 11, 9, 6, 3, 2, 1, 1, 1, 1),
        (0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 5, 5, 4, 5, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0),
    ),
    DayType.HOLIDAY: (
        (3, 3, 3, 3, 3, 3, 4, 6, 10, 14, 15, 15, 14, 15, 15, 14, 13, 11, 8, 6, 4, 3, 3, 3),
        (1, 1, 1, 1, 1, 1, 2, 3, 6, 9, 10, 10, 9, 9, 9, 8, 7, 5, 3, 2, 1, 1, 1, 1),
        (0, 0, 0, 0, 0, 0, 1, 1, 3, 4, 4, 4, 3, 4, 4, 3, 2, 1, 1, 0, 0, 0, 0, 0),
    ),
}

# In a vehicle, percent (assumption): rush hours on weekdays; errands spread over the day off.
_VEHICLE_WEEKDAY: Profile = (
    (1, 1, 0.5, 0.5, 1, 2, 5, 13, 14, 6, 5, 5, 5, 5, 5, 6, 8, 11, 12, 8, 5, 4, 3, 2),
    (0.5, 0.5, 0.5, 0.5, 1, 2, 4, 8, 8, 6, 6, 5, 4, 5, 5, 5, 5, 7, 6, 4, 2, 1, 1, 0.5),
    (0, 0, 0, 0, 0.5, 1, 2, 3, 4, 5, 5, 4, 3, 4, 4, 4, 3, 3, 2, 1, 0.5, 0, 0, 0),
)
_VEHICLE_DAY_OFF: Profile = (
    (1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 8, 10, 9, 7, 8, 9, 9, 9, 9, 8, 6, 4, 3, 2, 1.5),
    (0.5, 0.5, 0.5, 0.5, 0.5, 1, 2, 4, 6, 7, 7, 6, 5, 6, 6, 6, 5, 5, 4, 3, 2, 1, 1, 0.5),
    (0, 0, 0, 0, 0.5, 1, 2, 3, 4, 5, 5, 4, 3, 4, 4, 4, 3, 3, 2, 1, 0.5, 0, 0, 0),
)
# Outdoors, percent (assumption): on foot, in shops, in fields; older people mostly in the morning.
_OUTDOORS_WEEKDAY: Profile = (
    (2, 1, 1, 1, 1, 2, 4, 7, 8, 7, 7, 8, 10, 8, 8, 9, 10, 10, 9, 7, 5, 4, 3, 3),
    (1, 0.5, 0.5, 0.5, 2, 5, 8, 9, 10, 13, 16, 15, 10, 12, 14, 14, 12, 9, 5, 3, 2, 1, 1, 1),
    (0.5, 0, 0, 0, 2, 5, 8, 9, 11, 14, 16, 14, 8, 11, 13, 13, 10, 6, 3, 2, 1, 0.5, 0.5, 0.5),
)
_OUTDOORS_DAY_OFF: Profile = (
    (2, 1, 1, 1, 1, 1, 2, 4, 7, 12, 18, 22, 22, 23, 25, 25, 23, 19, 14, 10, 7, 5, 4, 3),
    (1, 0.5, 0.5, 0.5, 2, 5, 8, 10, 12, 16, 19, 18, 13, 15, 18, 17, 14, 10, 6, 4, 2, 1, 1, 1),
    (0.5, 0, 0, 0, 2, 5, 8, 9, 11, 14, 17, 15, 9, 12, 14, 13, 10, 6, 3, 2, 1, 0.5, 0.5, 0.5),
)
_IN_VEHICLE = {DayType.WEEKDAY: _VEHICLE_WEEKDAY, DayType.WEEKEND: _VEHICLE_DAY_OFF, DayType.HOLIDAY: _VEHICLE_DAY_OFF}
_OUTDOORS = {DayType.WEEKDAY: _OUTDOORS_WEEKDAY, DayType.WEEKEND: _OUTDOORS_DAY_OFF, DayType.HOLIDAY: _OUTDOORS_DAY_OFF}

# (place, day type -> profile) for every place but home_awake, which is the rest.
_PROFILES = {"home_asleep": _ASLEEP, "outdoors": _OUTDOORS, "at_work": _AT_WORK, "in_vehicle": _IN_VEHICLE}


def _table(day: DayType) -> np.ndarray:
    """(age band, place, hour) shares of a day type, at home and awake the rest."""
    shares = np.zeros((len(AGE_BANDS), len(WHEREABOUTS), HOURS))
    for place, profiles in _PROFILES.items():
        shares[:, WHEREABOUTS.index(place)] = np.array(profiles[day]) / 100.0
    shares[:, WHEREABOUTS.index("home_awake")] = 1.0 - shares.sum(axis=1)
    return shares


_TABLES = {day: _table(day) for day in DayType}


def at_hour(anchors: np.ndarray, hour: float) -> np.ndarray:
    """Values of hourly anchors (last axis: 00:00 ... 23:00) at a local hour, linear between them, periodic."""
    base = math.floor(hour)
    frac = hour - base
    value: np.ndarray = (1.0 - frac) * anchors[..., base % HOURS] + frac * anchors[..., (base + 1) % HOURS]
    return value


def whereabouts_shares(hour: float, day: DayType) -> np.ndarray:
    """(age band × whereabouts) shares at a local hour on a day type; each row sums to 1."""
    return at_hour(_TABLES[day], hour)
