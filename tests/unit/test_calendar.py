"""Japan's public holidays by rule, against the Cabinet Office's published lists."""

from __future__ import annotations

import datetime as dt

import pytest

from lalert_sim.model.calendar import DayType, day_type_of, public_holidays, vernal_equinox_day


def _dates(year: int, month_days: str) -> set[dt.date]:
    return {dt.date(year, *map(int, md.split("/"))) for md in month_days.split()}


# The Cabinet Office's lists (内閣府「国民の祝日について」), holidays and days off by article 3 of the Act.
PUBLISHED = {
    2024: "1/1 1/8 2/11 2/12 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/22 9/23 10/14 11/3 11/4 11/23",
    2025: "1/1 1/13 2/11 2/23 2/24 3/20 4/29 5/3 5/4 5/5 5/6 7/21 8/11 9/15 9/23 10/13 11/3 11/23 11/24",
    2026: "1/1 1/12 2/11 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/20 8/11 9/21 9/22 9/23 10/12 11/3 11/23",
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_holidays_by_rule_are_the_published_ones(year: int) -> None:
    assert public_holidays(year) == _dates(year, PUBLISHED[year])


def test_rules_compose_the_ten_days_off_of_2019() -> None:
    # 1 May 2019 (enthronement) made 30 April and 2 May citizens' holidays; 5 May a Sunday: 6 May off.
    golden_week = {dt.date(2019, 4, 27) + dt.timedelta(days=i) for i in range(10)}
    assert all(day_type_of(d) is not DayType.WEEKDAY for d in golden_week)
    assert dt.date(2019, 5, 7) not in public_holidays(2019)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 1, 1), DayType.HOLIDAY),  # Noto Peninsula earthquake: New Year's Day
        (dt.date(2023, 1, 1), DayType.HOLIDAY),  # a Sunday holiday is a holiday; 2 January is its substitute
        (dt.date(2023, 1, 2), DayType.HOLIDAY),
        (dt.date(2011, 3, 11), DayType.WEEKDAY),  # Tohoku: a Friday
        (dt.date(2018, 3, 14), DayType.WEEKDAY),  # national J-Alert test: a Wednesday
        (dt.date(2022, 10, 4), DayType.WEEKDAY),  # missile over Aomori: a Tuesday
        (dt.date(2026, 11, 21), DayType.WEEKEND),
        (dt.date(2026, 11, 22), DayType.WEEKEND),
        (dt.date(2026, 11, 23), DayType.HOLIDAY),  # Labour Thanksgiving Day, a Monday
    ],
)
def test_day_types_of_known_days(day: dt.date, expected: DayType) -> None:
    assert day_type_of(day) is expected


def test_vernal_equinox_day_of_2027_is_the_observatory_s() -> None:
    assert vernal_equinox_day(2027) == dt.date(2027, 3, 21)  # 暦要項 2027 (published February 2026)


def test_every_year_an_epoch_may_fall_in_has_its_holidays() -> None:
    for year in range(1900, 2211):
        holidays = public_holidays(year)
        assert dt.date(year, 1, 1) in holidays
        assert 12 <= len(holidays) <= 25
