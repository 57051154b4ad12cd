"""The warned share at the deadline as the issue time moves through a whole day: no cliffs, and day types
that matter where they should. One engine run of the Aomori drill; the reach recomputed per minute."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from lalert_sim import load, run
from lalert_sim.analysis.reach_metrics import value_at
from lalert_sim.engine.simulation import RunResult
from lalert_sim.model.calendar import DayType
from lalert_sim.prepare import Prepared
from lalert_sim.reach import compute_reach
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.slow
MAX_STEP = 0.02  # 2 points


@cache
def _drill() -> tuple[Prepared, RunResult]:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    return prepared, run(prepared)


def warned_at_deadline(minute: int, day: DayType) -> float:
    """Share of the drill's residents warned at the deadline, issued at a minute of the day."""
    prepared, result = _drill()
    scenario = prepared.scenario
    residents = scenario.residents.model_copy(update={"hour": minute / 60, "day_type": day})
    at_that_time = dataclasses.replace(prepared, scenario=scenario.model_copy(update={"residents": residents}))
    reach = compute_reach(at_that_time, result, result.alerts[0])
    return float(value_at(reach.times_s, reach.overall, residents.deadline_s))


def test_warned_share_changes_by_under_two_points_from_any_minute_to_the_next_on_a_weekday() -> None:
    shares = np.array([warned_at_deadline(m, DayType.WEEKDAY) for m in range(24 * 60)])
    steps = np.abs(np.diff(np.append(shares, shares[0])))  # 23:59 to 00:00 too
    assert steps.max() < MAX_STEP, (steps.max(), int(steps.argmax()))
    assert shares.max() - shares.min() > 0.1  # the hour matters: night and day differ


@pytest.mark.parametrize("day", [DayType.WEEKEND, DayType.HOLIDAY])
def test_on_days_off_even_ten_minutes_change_it_by_under_two_points(day: DayType) -> None:
    shares = np.array([warned_at_deadline(m, day) for m in range(0, 24 * 60, 10)])
    assert np.abs(np.diff(np.append(shares, shares[0]))).max() < MAX_STEP


def test_no_cliff_at_six_in_the_morning() -> None:
    # Before: 05:59 gave 57.7 % warned and 06:00 gave 77.4 %.
    for day in DayType:
        assert abs(warned_at_deadline(6 * 60, day) - warned_at_deadline(6 * 60 - 1, day)) < MAX_STEP


def test_day_types_differ_where_they_should() -> None:
    # 07:30: more are still asleep on a holiday than on a weekday, so fewer are warned.
    assert warned_at_deadline(7 * 60 + 30, DayType.HOLIDAY) < warned_at_deadline(7 * 60 + 30, DayType.WEEKDAY) - 0.01
    # 10:00: fewer at work on a holiday, more outdoors within earshot of the loudspeakers.
    assert warned_at_deadline(10 * 60, DayType.HOLIDAY) > warned_at_deadline(10 * 60, DayType.WEEKDAY)
    # 03:00: asleep whatever the day.
    assert warned_at_deadline(3 * 60, DayType.HOLIDAY) == pytest.approx(warned_at_deadline(3 * 60, DayType.WEEKDAY))
