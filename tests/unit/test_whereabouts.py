"""Whereabouts and TV/radio audiences by hour and day type: no steps, and the time-use survey's figures."""

from __future__ import annotations

import numpy as np
import pytest

from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.reach.audience import AUDIENCE, tuned_in
from lalert_sim.reach.parameters import NATIONAL_AGE_SHARES, WHEREABOUTS
from lalert_sim.reach.whereabouts import at_hour, whereabouts_shares

MINUTES = np.arange(24 * 60) / 60
NATION = np.asarray(NATIONAL_AGE_SHARES)
ASLEEP = WHEREABOUTS.index("home_asleep")
AT_WORK = WHEREABOUTS.index("at_work")
OUTDOORS = WHEREABOUTS.index("outdoors")


def _asleep(hour: float, day: DayType = DayType.WEEKDAY) -> float:
    """Share of all residents asleep, age bands weighted nationally."""
    return float(NATION @ whereabouts_shares(hour, day)[:, ASLEEP])


@pytest.mark.parametrize("day", list(DayType))
def test_shares_are_a_distribution_at_every_minute_and_change_a_little_each_minute(day: DayType) -> None:
    shares = np.array([whereabouts_shares(h, day) for h in MINUTES])  # (minute, age, place)
    assert np.all(shares >= 0)
    assert shares[:, :, WHEREABOUTS.index("home_awake")].min() > 0.02  # someone is up to watch TV at any hour
    assert np.allclose(shares.sum(axis=2), 1.0)
    steps = np.abs(np.diff(np.concatenate([shares, shares[:1]]), axis=0))  # round midnight too
    assert steps.max() < 0.01


def test_no_jump_at_midnight_when_the_day_type_changes() -> None:
    friday_night = whereabouts_shares(23 + 59 / 60, DayType.WEEKDAY)
    for day in (DayType.WEEKEND, DayType.HOLIDAY):
        assert np.abs(whereabouts_shares(0.0, day) - friday_night).max() < 0.01


def test_no_step_at_six_in_the_morning() -> None:
    assert (
        np.abs(whereabouts_shares(6.0, DayType.WEEKDAY) - whereabouts_shares(6 - 1 / 60, DayType.WEEKDAY)).max() < 0.01
    )


def test_weekday_sleep_matches_the_time_use_survey() -> None:
    # NHK time-use survey 2020: half are up by 06:00, half asleep by 23:00, 64 % at 23:30, 84 % at 00:00.
    assert _asleep(6.0) == pytest.approx(0.5, abs=0.06)
    assert _asleep(23.0) == pytest.approx(0.5, abs=0.06)
    assert _asleep(23.5) == pytest.approx(0.64, abs=0.05)
    assert _asleep(0.0) == pytest.approx(0.84, abs=0.03)
    # Older people get up earlier: from their 50s most are up at 06:00.
    under_60, sixties, seventy_plus = whereabouts_shares(6.0, DayType.WEEKDAY)[:, ASLEEP]
    assert under_60 > 0.5 > sixties and seventy_plus < 0.5


@pytest.mark.parametrize(
    ("day", "hours"),
    [(DayType.WEEKDAY, 7 + 12 / 60), (DayType.WEEKEND, (7 + 46 / 60 + 8 + 2 / 60) / 2), (DayType.HOLIDAY, 8 + 2 / 60)],
)
def test_hours_asleep_a_day_match_the_survey_s_mean_sleep(day: DayType, hours: float) -> None:
    # Mean sleep: weekday 7 h 12 min, Saturday 7 h 46 min, Sunday 8 h 2 min (holidays like Sundays).
    assert sum(_asleep(h, day) for h in MINUTES) / 60 == pytest.approx(hours, abs=0.15)


def test_far_fewer_at_work_and_more_out_on_holidays_and_weekends() -> None:
    weekday, weekend, holiday = (whereabouts_shares(10.0, day) for day in DayType)
    assert np.all(holiday[:, AT_WORK] < 0.5 * weekday[:, AT_WORK])
    assert np.all(weekend[:, AT_WORK] < 0.6 * weekday[:, AT_WORK])
    assert holiday[0, OUTDOORS] > 2 * weekday[0, OUTDOORS]
    assert _asleep(7.5, DayType.HOLIDAY) > _asleep(7.5, DayType.WEEKEND) > _asleep(7.5, DayType.WEEKDAY)


def test_at_hour_interpolates_linearly_and_wraps_round_midnight() -> None:
    anchors = np.arange(24.0)
    assert at_hour(anchors, 5.25) == pytest.approx(5.25)
    assert at_hour(anchors, 23.5) == pytest.approx(11.5)  # halfway from 23 back to 0


@pytest.mark.parametrize("channel", list(AUDIENCE))
@pytest.mark.parametrize("day", list(DayType))
def test_audience_spread_over_places_sums_back_to_the_survey_share(channel: Channel, day: DayType) -> None:
    for hour in np.arange(0, 24, 0.25):
        tuned = tuned_in(channel, hour, day)
        assert np.all(tuned[:, ASLEEP] == 0)
        table = at_hour(np.array(AUDIENCE[channel][day]) / 100, hour)
        # Nobody's chance was cut at 1: the whole audience fits in the places people are in.
        assert np.allclose((tuned * whereabouts_shares(hour, day)).sum(axis=1), table)


def test_tv_peaks_in_the_evening_as_in_the_survey() -> None:
    def watching(hour: float) -> float:
        return float(NATION @ at_hour(np.array(AUDIENCE[Channel.TV][DayType.WEEKDAY]) / 100, hour))

    # NHK 2020, weekday 20:30-21:00: 35.5 % of all people watching; peaks at breakfast, lunch, dinner.
    assert watching(21.0) == pytest.approx(0.355, abs=0.01)
    assert max(watching(h) for h in MINUTES) == pytest.approx(watching(20.5), abs=0.01)
    assert watching(7.0) > watching(10.0) < watching(12.0) > watching(14.0) < watching(20.0)


def test_radio_is_a_small_audience_of_mostly_older_people() -> None:
    # NHK 2020: about 10 % listen on a day; under 30 hardly anyone, 30s about 2 % in any slot.
    for day in DayType:
        shares = np.array(AUDIENCE[Channel.RADIO][day]) / 100
        assert shares.max() < 0.07 and shares[0].max() <= 0.03
        assert np.all(shares[2].mean() > shares[0].mean())
