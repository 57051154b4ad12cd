"""The engine on a real-time clock that can pause, resume and change speed, for the live console.

``WallClock`` maps wall time to simulation time (thread-safe). ``Driver`` runs a simulation on it in
the engine's thread: it processes the events due by the clock's now in SimPy's order (slicing a run
never changes its order), and applies an operator action at simulation time ``t`` standing at ``t``
after ``env.run(until=t)``'s semantics — what a run replaying the same action at ``t`` does, so both
give the same trace.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from lalert_sim.console.protocol import MAX_SPEED, MIN_SPEED, Action, Clock, ClockState
from lalert_sim.engine.simulation import RunResult, Simulation

MIN_WAKE_S = 0.005
"""The engine's thread sleeps at least this long between two slices of events (events due meanwhile are
processed together, at most this late in wall time)."""
ACTION_RESOLUTION_S = 0.001
"""Operator actions land on whole milliseconds of simulation time (so the recorded time is exact)."""


def check_speed(speed: float) -> float:
    """``speed`` if it lies in the clock's range, else ValueError saying the range."""
    if not (math.isfinite(speed) and MIN_SPEED <= speed <= MAX_SPEED):
        raise ValueError(f"speed must be from {MIN_SPEED:g} to {MAX_SPEED:g} simulated seconds per second; got {speed}")
    return speed


def steer_clock(clock: WallClock, action: Action, body: Mapping[str, Any]) -> None:
    """Pause, resume or a new speed (``body["speed"]``), as live runs and replays alike take them;
    ValueError for a speed that is not a number in the clock's range."""
    match action:
        case Action.PAUSE:
            clock.pause()
        case Action.RESUME:
            clock.resume()
        case Action.SPEED:
            speed = body.get("speed")
            if isinstance(speed, bool) or not isinstance(speed, int | float):
                raise ValueError(f"speed must be a number; got {speed!r}")
            clock.set_speed(check_speed(float(speed)))
        case _:
            raise ValueError(f"{action.value}: not a clock control")


class WallClock:
    """Simulation seconds on the wall clock: ready until started, then running at ``speed`` or paused.

    Every change wakes whoever waits in ``wait``; the clock stops at ``until_s`` (state "ended").
    """

    def __init__(self, until_s: float, speed: float = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        self.until_s = until_s
        self._wall = wall
        self._speed = check_speed(speed)
        self._state = ClockState.READY
        self._anchor_sim = 0.0  # simulation time at ``_anchor_wall``
        self._anchor_wall = wall()
        self._started_wall = self._anchor_wall
        self._changed = threading.Condition()

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second."""
        return self._speed

    @property
    def state(self) -> ClockState:
        """Ready, running, paused or ended (a running clock stands at ``until_s`` until ``end`` is called:
        the run's last events are processed, and its figures final, only then)."""
        with self._changed:
            return self._state

    def wall_s(self) -> float:
        """Wall seconds since the clock was made."""
        return self._wall() - self._started_wall

    def sim_now(self) -> float:
        """The simulation time now (at most ``until_s``)."""
        with self._changed:
            return self._sim_now()

    def _sim_now(self) -> float:
        if self._state is not ClockState.RUNNING:
            return self._anchor_sim
        return min(self.until_s, self._anchor_sim + (self._wall() - self._anchor_wall) * self._speed)

    def _reanchor(self, state: ClockState, sim_s: float | None = None) -> None:
        self._anchor_sim = self._sim_now() if sim_s is None else min(max(sim_s, 0.0), self.until_s)
        self._anchor_wall = self._wall()
        self._state = state
        self._changed.notify_all()

    def start(self) -> None:
        """Start from ready (ValueError once started)."""
        with self._changed:
            if self._state is not ClockState.READY:
                raise ValueError(f"the clock is {self._state.value}, not ready: it starts once")
            self._reanchor(ClockState.RUNNING)

    def pause(self) -> None:
        """Hold the simulation time still (ValueError unless running)."""
        with self._changed:
            if self._state is not ClockState.RUNNING:
                raise ValueError(f"the clock is {self._state.value}: only a running clock pauses")
            self._reanchor(ClockState.PAUSED)

    def resume(self) -> None:
        """Run on from a pause (ValueError unless paused)."""
        with self._changed:
            if self._state is not ClockState.PAUSED:
                raise ValueError(f"the clock is {self._state.value}: only a paused clock resumes")
            self._reanchor(ClockState.RUNNING)

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (ValueError outside MIN_SPEED–MAX_SPEED)."""
        with self._changed:
            check_speed(speed)
            self._reanchor(self._state)
            self._speed = speed

    def seek(self, sim_s: float) -> None:
        """Move the simulation time to ``sim_s`` (a replay's time slider), keeping the state (an ended
        clock moved back before its end is paused there)."""
        with self._changed:
            ended = self._state is ClockState.ENDED and sim_s < self.until_s
            self._reanchor(ClockState.PAUSED if ended else self._state, sim_s)

    def end(self) -> None:
        """Mark the clock ended (the run reached its end or was stopped)."""
        with self._changed:
            self._reanchor(ClockState.ENDED)

    def report(self) -> Clock:
        """Where the clock stands, as the stream reports it."""
        with self._changed:
            return {
                "sim_s": round(self._sim_now(), 3),
                "wall_s": round(self._wall() - self._started_wall, 3),
                "speed": self._speed,
                "state": self._state.value,
            }

    def nudge(self) -> None:
        """Wake whoever waits (something besides the clock changed, e.g. an action is queued)."""
        with self._changed:
            self._changed.notify_all()

    def wait(self, sim_s: float, timeout_s: float) -> None:
        """Block until the clock reaches ``sim_s``, changes or is nudged, or ``timeout_s`` wall seconds pass."""
        with self._changed:
            if self._state is ClockState.RUNNING:
                ahead_s = (sim_s - self._sim_now()) / self._speed
                if ahead_s <= 0:
                    return
                timeout_s = min(timeout_s, ahead_s)
            self._changed.wait(timeout_s)


def action_time(now_s: float, clock_s: float) -> float:
    """When an action requested at the clock's ``clock_s`` lands: the next whole millisecond after the
    engine's ``now_s`` and at or after ``clock_s`` (``env.run(until=t)`` needs ``t`` later than now)."""
    t = math.ceil(max(now_s, clock_s) / ACTION_RESOLUTION_S) * ACTION_RESOLUTION_S
    while t <= now_s:
        t = round(t + ACTION_RESOLUTION_S, 3)
    return round(t, 3)


class Stepper(Protocol):
    """Moves a simulation on: ``advance(t)`` processes every event due before ``t`` and stands at ``t``
    (``env.run(until=t)``'s semantics; nothing when ``t`` is not later than now), ``finish(t)`` runs to the
    end at ``t`` and gives the result. The operator actions' ``Steering`` (engine/actions.py) is one."""

    def advance(self, until_s: float) -> None:
        """Process every event due before ``until_s``; stand at ``until_s``."""

    def finish(self, until_s: float) -> RunResult:
        """Run to ``until_s`` and hand back the run's result."""


class PlainStepper:
    """A ``Stepper`` for a simulation without operator actions (on a plain SimPy environment): events
    stepped and counted, the clock then set to ``t``. SimPy's own ``run(until=t)`` would leave its stop
    event queued to be stepped later, one more event per call in the count."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation
        self.events = 0  # events processed by ``advance`` (``Simulation.run`` counts its own)

    def advance(self, until_s: float) -> None:
        """Process every event due before ``until_s``; stand at ``until_s``."""
        env = self.simulation.env
        if until_s <= env.now:
            return
        while env.peek() < until_s:
            env.step()
            self.events += 1
        env._now = until_s  # as env.run(until=until_s) leaves it

    def finish(self, until_s: float) -> RunResult:
        """Run to ``until_s``; the result counts every event processed."""
        result = self.simulation.run(until_s)
        result.events += self.events
        return result


@dataclass
class _Queued:
    apply: Callable[[float], object]
    done: Future[float]


class Driver:
    """Runs a simulation on a ``WallClock`` in the calling thread (the engine's), with operator actions.

    The clock's moves and the actions both go through ``stepper`` (default: ``PlainStepper``), so a
    live action lands where the same action replayed lands. ``on_progress(simulation)`` is called after
    each slice of events (at most every ``tick_s`` wall seconds while the clock runs) in the engine's
    thread, where the trace may be read safely.
    """

    def __init__(
        self,
        clock: WallClock,
        simulation: Simulation,
        on_progress: Callable[[Simulation], None] = lambda _s: None,
        tick_s: float = 0.1,
        stepper: Stepper | None = None,
    ) -> None:
        self.clock = clock
        self.simulation = simulation
        self.stepper: Stepper = stepper or PlainStepper(simulation)
        self.on_progress = on_progress
        self.tick_s = tick_s
        self.result: RunResult | None = None
        self._queue: deque[_Queued] = deque()
        self._stopped = threading.Event()

    def submit(self, apply: Callable[[float], object]) -> Future[float]:
        """Queue ``apply(t)``, called in the engine's thread standing at simulation time ``t`` (see
        ``action_time``); the future holds ``t`` (or the exception ``apply`` raised)."""
        done: Future[float] = Future()
        if self._stopped.is_set() or self.result is not None:
            done.set_exception(ValueError("the run has ended: no more actions"))
            return done
        self._queue.append(_Queued(apply, done))
        self.clock.nudge()
        return done

    def stop(self) -> None:
        """End the run early (Ctrl-C, or the server shutting down): ``run`` returns what it has."""
        self._stopped.set()
        self.clock.nudge()

    def run(self) -> RunResult:
        """Advance with the clock until its end (or ``stop``); the run's result as ``Simulation.run`` gives it."""
        env, clock, stepper = self.simulation.env, self.clock, self.stepper
        until_s = clock.until_s
        while not self._stopped.is_set():
            self._apply_queued()
            target_s = clock.sim_now()
            if target_s >= until_s:
                break
            stepper.advance(min(target_s, max(env.now, env.peek()) + clock.speed * self.tick_s))  # a backlog in slices
            self.on_progress(self.simulation)
            if env.now < target_s:
                continue  # behind the clock: on at once
            time.sleep(MIN_WAKE_S)  # never a wake per event: each costs a switch of threads (the GIL)
            clock.wait(min(env.peek(), until_s), self.tick_s)
        self._apply_queued()
        self.result = stepper.finish(max(env.now, min(clock.sim_now(), until_s)))
        self._fail_queued()
        clock.end()
        self.on_progress(self.simulation)
        return self.result

    def _apply_queued(self) -> None:
        env = self.simulation.env
        while self._queue:
            queued = self._queue.popleft()
            t = action_time(env.now, self.clock.sim_now())
            if t > self.clock.until_s:
                queued.done.set_exception(ValueError("the run is at its end: no more actions"))
                continue
            self.stepper.advance(t)
            try:
                queued.apply(t)
            except Exception as exc:  # a refused action: the run goes on, the caller hears why
                queued.done.set_exception(exc)
            else:
                queued.done.set_result(t)

    def _fail_queued(self) -> None:
        while self._queue:
            self._queue.popleft().done.set_exception(ValueError("the run has ended: no more actions"))
