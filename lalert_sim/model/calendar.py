"""Day types in Japan (weekday, weekend, public holiday), with the public holidays computed by rule.

Where residents are and what they watch depends on the kind of day. The holidays follow
the Act on National Holidays (国民の祝日に関する法律) as amended: fixed dates, the
"Happy Monday" Mondays (from 2000 and 2003), the vernal and autumnal equinox days, the
substitute holiday (振替休日, from 1973) and the citizens' holiday (国民の休日, from 1986)
between two holidays, and the one-off days set by special acts (1989–2021).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cache

EQUINOX_FORMULA_YEARS = (1980, 2099)
"""Years for which the equinox formula below gives the days the National Astronomical Observatory
publishes; outside them it is extrapolated and may be a day off."""


class DayType(StrEnum):
    """The kind of day, which sets whereabouts and TV and radio audiences."""

    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


def day_type_of(d: dt.date) -> DayType:
    """A public holiday (a Sunday one too), else a weekend day (Saturday, Sunday), else a weekday."""
    if d in public_holidays(d.year):
        return DayType.HOLIDAY
    return DayType.WEEKEND if d.weekday() >= 5 else DayType.WEEKDAY


def vernal_equinox_day(year: int) -> dt.date:
    """Vernal Equinox Day (春分の日): the standard approximation, exact for 1980–2099."""
    return dt.date(year, 3, int(20.8431 + 0.242194 * (year - 1980)) - (year - 1980) // 4)


def autumnal_equinox_day(year: int) -> dt.date:
    """Autumnal Equinox Day (秋分の日): the standard approximation, exact for 1980–2099."""
    return dt.date(year, 9, int(23.2488 + 0.242194 * (year - 1980)) - (year - 1980) // 4)


def _monday(year: int, month: int, nth: int) -> dt.date:
    """The nth Monday of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (nth - 1))


# Days moved or added by special acts: the Shōwa Emperor's funeral, the enthronement ceremonies
# and the Crown Prince's wedding, and the Tokyo Olympics (Marine, Sports and Mountain Days moved).
_ONE_OFF: dict[int, tuple[dt.date, ...]] = {
    1989: (dt.date(1989, 2, 24),),
    1990: (dt.date(1990, 11, 12),),
    1993: (dt.date(1993, 6, 9),),
    2019: (dt.date(2019, 5, 1), dt.date(2019, 10, 22)),
    2020: (dt.date(2020, 7, 23), dt.date(2020, 7, 24), dt.date(2020, 8, 10)),
    2021: (dt.date(2021, 7, 22), dt.date(2021, 7, 23), dt.date(2021, 8, 8)),
}
_OLYMPIC_YEARS = (2020, 2021)  # Marine, Sports and Mountain Days on the dates in _ONE_OFF instead


def national_holidays(year: int) -> frozenset[dt.date]:
    """The named national holidays (国民の祝日) of a year, before substitute and citizens' holidays."""
    days = {dt.date(year, 1, 1), dt.date(year, 2, 11), dt.date(year, 4, 29), dt.date(year, 5, 3)}
    days |= {dt.date(year, 5, 5), dt.date(year, 11, 3), dt.date(year, 11, 23)}
    days |= {vernal_equinox_day(year), autumnal_equinox_day(year), *_ONE_OFF.get(year, ())}
    days.add(_monday(year, 1, 2) if year >= 2000 else dt.date(year, 1, 15))  # Coming of Age Day
    days |= {dt.date(year, 9, 15)} if year < 2003 else {_monday(year, 9, 3)}  # Respect for the Aged Day
    if year >= 2007:
        days.add(dt.date(year, 5, 4))  # Greenery Day (a citizens' holiday before)
    if 1989 <= year <= 2018:
        days.add(dt.date(year, 12, 23))  # the Emperor's birthday of the Heisei era
    if year >= 2020:
        days.add(dt.date(year, 2, 23))  # the Emperor's birthday of the Reiwa era
    if year not in _OLYMPIC_YEARS:
        if year >= 2016:
            days.add(dt.date(year, 8, 11))  # Mountain Day
        if 1996 <= year <= 2002:
            days.add(dt.date(year, 7, 20))  # Marine Day
        elif year >= 2003:
            days.add(_monday(year, 7, 3))
        days.add(dt.date(year, 10, 10) if year < 2000 else _monday(year, 10, 2))  # Sports Day
    return frozenset(days)


@cache
def public_holidays(year: int) -> frozenset[dt.date]:
    """Every day off by the Act in a year: national holidays, substitute holidays, citizens' holidays."""
    named = national_holidays(year)
    days = set(named)
    for day in sorted(named):
        if day.weekday() == 6 and year >= 1973:  # a holiday on a Sunday
            substitute = day + dt.timedelta(days=1)
            while year >= 2007 and substitute in named:  # since 2007: the next day that is no holiday
                substitute += dt.timedelta(days=1)
            days.add(substitute)
    if year >= 1986:
        for day in sorted(named):
            between = day + dt.timedelta(days=1)
            if (
                between not in named
                and between + dt.timedelta(days=1) in named
                and (year >= 2007 or between.weekday() != 6)
            ):
                days.add(between)
    return frozenset(d for d in days if d.year == year)
