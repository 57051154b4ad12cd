"""The console's clock and driver: pause, resume and speed on the wall clock, and a live run (sliced by the
clock, an operator action at the clock's now) giving the same trace as one run replaying that action."""

from __future__ import annotations

import threading
import time

import pytest

from lalert_sim.console.clock import ACTION_RESOLUTION_S, Driver, PlainStepper, WallClock, action_time
from lalert_sim.console.protocol import ClockState
from lalert_sim.engine.simulation import Simulation
from lalert_sim.prepare import load
from lalert_sim.runner import build, run
from tests.conftest import SCENARIOS


class FakeWall:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_is_still_until_started_and_while_paused() -> None:
    wall = FakeWall()
    clock = WallClock(1800, speed=10, wall=wall)
    wall.now += 5
    assert (clock.state, clock.sim_now()) == (ClockState.READY, 0.0)
    clock.start()
    wall.now += 2
    assert clock.sim_now() == pytest.approx(20)
    clock.pause()
    wall.now += 60
    assert (clock.state, clock.sim_now()) == (ClockState.PAUSED, pytest.approx(20))
    clock.resume()
    wall.now += 1
    assert clock.sim_now() == pytest.approx(30)


def test_a_speed_change_keeps_the_time_and_changes_the_rate() -> None:
    wall = FakeWall()
    clock = WallClock(1800, speed=1, wall=wall)
    clock.start()
    wall.now += 10
    clock.set_speed(100)
    assert clock.sim_now() == pytest.approx(10)
    wall.now += 1
    assert clock.sim_now() == pytest.approx(110)
    wall.now += 100
    assert clock.sim_now() == 1800  # never past its end
    assert clock.state is ClockState.RUNNING  # until the driver says the run's last events are in


@pytest.mark.parametrize("speed", [0.0, 0.09, 100.1, float("nan"), float("inf"), -1.0])
def test_speeds_outside_the_range_are_refused(speed: float) -> None:
    clock = WallClock(60)
    with pytest.raises(ValueError, match="0.1 to 100"):
        clock.set_speed(speed)
    assert clock.speed == 1.0


def test_clock_actions_in_the_wrong_state_are_refused() -> None:
    clock = WallClock(60)
    for wrong in (clock.pause, clock.resume):
        with pytest.raises(ValueError):
            wrong()
    clock.start()
    with pytest.raises(ValueError, match="starts once"):
        clock.start()
    clock.end()
    clock.seek(10)
    assert (clock.state, clock.sim_now()) == (ClockState.PAUSED, 10)  # a replay moved back from its end


@pytest.mark.parametrize(
    ("now_s", "clock_s", "expected"),
    [(0.0, 0.0, 0.001), (10.0, 10.0, 10.001), (10.0, 12.3456, 12.346), (12.3461, 12.3456, 12.347), (5.0, 4.0, 5.001)],
)
def test_actions_land_on_the_next_millisecond_after_the_engine(now_s: float, clock_s: float, expected: float) -> None:
    at_s = action_time(now_s, clock_s)
    assert at_s == expected and at_s > now_s and at_s >= clock_s
    assert round(at_s / ACTION_RESOLUTION_S) * ACTION_RESOLUTION_S == pytest.approx(at_s, abs=1e-12)


def test_slicing_a_run_changes_nothing() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    simulation, _ = build(prepared)
    stepper = PlainStepper(simulation)
    for k in range(1, 3600):  # every half second, as a clock at 1x would
        stepper.advance(k * 0.5)
    sliced = stepper.finish(prepared.scenario.duration_s)
    whole = run(prepared)
    assert sliced.trace.rows == whole.trace.rows
    assert sliced.events == whole.events  # the count a summary reports, too


def _down(simulation: Simulation, node: str, lines: list[float]) -> None:
    simulation.nodes[node].go_down("operator")
    lines.append(simulation.env.now)


def test_a_live_action_gives_the_trace_of_a_run_replaying_it() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    node = "m-02201/receiver"
    assert node in prepared.topology.nodes
    wall = _Fast(50)  # 50 wall seconds a second: the drill's half hour in under a second at 100x
    clock = WallClock(prepared.scenario.duration_s, speed=100, wall=wall)
    simulation, _ = build(prepared)
    driver = Driver(clock, simulation)
    engine = threading.Thread(target=driver.run)
    engine.start()
    clock.start()
    while clock.sim_now() < 250:  # before the alert reaches the towns (about 290 s)
        time.sleep(0.001)
    applied: list[float] = []
    at_s = driver.submit(lambda t: _down(simulation, node, applied)).result(10)
    engine.join(30)
    assert driver.result is not None and applied == [at_s] and 250 <= at_s < 1800

    again, _ = build(prepared)
    stepper = PlainStepper(again)
    stepper.advance(at_s)
    _down(again, node, [])
    replayed = stepper.finish(prepared.scenario.duration_s)
    assert driver.result.trace.rows == replayed.trace.rows
    assert driver.result.events == replayed.events
    assert driver.result.trace.rows != run(prepared).trace.rows  # the action made a difference


class _Fast:
    """The real monotonic clock, ``factor`` times faster."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self.start) * self.factor


def test_a_scenario_action_that_fails_leaves_the_run_going() -> None:
    from lalert_sim.console.live import ControlError, LiveRun

    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")

    def broken(_body: object, _at_s: float) -> str:
        raise KeyError("no such thing")

    live = LiveRun(prepared, WallClock(prepared.scenario.duration_s, 100), lambda make: None)
    live.steer = lambda simulation, _prepared: (PlainStepper(simulation), broken)
    engine = threading.Thread(target=live.run)
    engine.start()
    try:
        live.control({"action": "start"})
        with pytest.raises(ControlError, match="unexpected KeyError"):
            live.control({"action": "issue", "alert": "missile-drill-1"})
        assert live.actions == [] and live.clock.state is ClockState.RUNNING
    finally:
        live.stop()
        engine.join(30)
    assert live.driver is not None and live.driver.result is not None
