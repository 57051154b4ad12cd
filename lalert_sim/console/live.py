"""A scenario running live on the console's clock: the engine's driver, the feed it fills, and the
operator's controls (clock actions here; scenario actions through the handler the console is given)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lalert_sim.analysis.corrections import correction_times
from lalert_sim.analysis.metrics import objective_results
from lalert_sim.console.clock import Driver, PlainStepper, Stepper, WallClock, steer_clock
from lalert_sim.console.curves import WarnedCurve, municipal_warned, warned_now
from lalert_sim.console.feed import Feed, NodePlaces
from lalert_sim.console.protocol import Action, Batch, Clock, FieldState, ObjectiveState, action_of
from lalert_sim.engine.actions import Steering
from lalert_sim.engine.availability import AvailabilityLog
from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.prepare import Prepared
from lalert_sim.runner import build, reaches

ScenarioAction = Callable[[Mapping[str, Any], float], str]
"""Applies one scenario action (issue, cap, incident, update, cancel: a control request's body) at
simulation time ``at_s`` — called in the engine's thread standing at ``at_s`` — and returns the line the
log shows; ValueError when it cannot be done."""
Steer = Callable[[Simulation, Prepared], tuple[Stepper, ScenarioAction | None]]
"""What moves a built simulation on and applies the operator's scenario actions (engine/actions.py
``Steering``); None for actions: the console takes clock actions only."""
FieldSource = Callable[[], Mapping[str, FieldState]]
"""Field nodes' measured answers so far (the ``--broker`` mode's bridge)."""

REACH_EVERY_S = 1.0
"""Wall seconds between two points of the warned curve (the reach model reruns when one is done)."""


class ControlError(ValueError):
    """A control request that cannot be done now (HTTP 422); a malformed one is a plain ValueError (400)."""


def frozen_result(result: RunResult) -> RunResult:
    """A copy of a running simulation's result that the engine no longer changes, as far as the reach
    model reads it: each alert's emissions, the station outages (frozen records) and the availability log."""
    alerts = [dataclasses.replace(alert, emitted=alert.emitted.copy()) for alert in result.alerts]
    availability = AvailabilityLog(list(result.availability.rows))
    return dataclasses.replace(result, alerts=alerts, availability=availability, stations=list(result.stations))


def partial_result(simulation: Simulation, now_s: float, steered: Prepared | None = None) -> RunResult:
    """The simulation so far as a run result (for the reach model and the objectives); ``steered``: the
    scenario as the operator's actions have left it (their alerts and incidents), when steered."""
    result = RunResult(
        simulation.topology,
        simulation.alerts,
        simulation.trace,
        simulation.seed,
        now_s,
        0,
        simulation.availability,
        None,
        simulation.stations,
        simulation.sounding_s,
    )
    result.steered = steered
    return result


class LiveRun:
    """One live run: ``run`` drives the engine (in the engine's thread) while ``control`` steers it;
    ``emit`` is handed a batch maker at most every ``batch_gap_s`` wall seconds."""

    def __init__(
        self,
        prepared: Prepared,
        clock: WallClock,
        emit: Callable[[Callable[[], Batch]], None],
        steer: Steer | None = None,
        field: FieldSource | None = None,
        seed: int | None = None,
        batch_gap_s: float = 0.1,
    ) -> None:
        self.prepared = prepared
        self.clock = clock
        self.emit = emit
        self.steer = steer
        self.act: ScenarioAction | None = None
        self.field = field
        self.seed = seed
        self.batch_gap_s = batch_gap_s
        self.feed = Feed(NodePlaces.of(prepared.topology))
        self.actions: list[dict[str, Any]] = []  # each scenario action applied, with its time, in order
        self.driver: Driver | None = None
        self._driver_ready = threading.Event()
        self._stopped = False
        self._rows_read = 0
        self._availability_read = 0
        self._published_at = 0.0
        self._reach_at = -REACH_EVERY_S
        self._emissions_seen = -1
        self._curves: list[WarnedCurve] = []
        self._computing: Future[list[WarnedCurve]] | None = None
        self._reach_rested_at = 0.0  # the reach model runs again from then on (monotonic s)
        self._decided: dict[tuple[str, str], bool] = {}  # (objective, alert) -> met, once its window closed
        self._reach_worker = ThreadPoolExecutor(1, thread_name_prefix="console-reach")

    def clock_state(self) -> Clock:
        """The clock as the stream reports it."""
        return self.clock.report()

    # --- the engine's thread -----------------------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Build the replication and drive it on the clock until its end (or ``stop``)."""
        simulation, responder = build(self.prepared, self.seed)
        result = self.drive(simulation)
        result.responses = responder.records
        return result

    def drive(self, simulation: Simulation) -> RunResult:
        """Drive an already built simulation (the bridge builds its own) on the clock."""
        stepper: Stepper
        stepper, self.act = self.steer(simulation, self.prepared) if self.steer else (PlainStepper(simulation), None)
        self.driver = Driver(self.clock, simulation, self.progress, stepper=stepper)
        if self._stopped:
            self.driver.stop()
        self._driver_ready.set()
        try:
            return self.driver.run()
        finally:
            self._reach_worker.shutdown(cancel_futures=True)

    def stop(self) -> None:
        """End the run where it is (the server shutting down)."""
        self._stopped = True
        self._driver_ready.set()
        if self.driver is not None:
            self.driver.stop()

    def progress(self, simulation: Simulation) -> None:
        """Read what happened since the last call into the feed; publish a batch when one is due."""
        wall = time.monotonic()
        ended = self.driver is not None and self.driver.result is not None
        if not ended and wall - self._published_at < self.batch_gap_s:
            return
        trace = simulation.trace
        rows = trace.rows.table(self._rows_read)  # only the rows since the last call
        if len(rows):
            self.feed.add_rows(rows, trace.alert_ids)
            self._rows_read += len(rows)
        log = simulation.availability.rows
        if len(log) > self._availability_read:
            self.feed.add_availability(log[self._availability_read :])
            self._availability_read = len(log)
        now_s = simulation.env.now if ended else self.clock.sim_now()
        if ended or wall - self._reach_at >= REACH_EVERY_S:
            self._reach(simulation, now_s, ended)
            self._reach_at = wall
        if self.field is not None:
            self.feed.set_field(self.field())
        self.emit(lambda: self.feed.take(self.clock_state()))
        self._published_at = time.monotonic()

    def _reach(self, simulation: Simulation, now_s: float, ended: bool) -> None:
        """A point of the warned curve and the objectives. The reach model runs beside the engine (on a
        nationwide network it takes seconds) on a copy of the emissions so far; the curve at ``now_s`` uses
        the latest one done (at the end: one of the whole run, waited for)."""
        stepper = self.driver.stepper if self.driver is not None else None
        result = partial_result(simulation, now_s, stepper.prepared if isinstance(stepper, Steering) else None)
        computing = self._computing
        if computing is not None and (computing.done() or ended):
            self._curves = computing.result()
            self._computing = computing = None
        emissions = sum(len(alert.emitted) for alert in simulation.alerts)
        rested = time.monotonic() >= self._reach_rested_at
        if computing is None and emissions != self._emissions_seen and (rested or ended):
            self._emissions_seen = emissions  # curves change only when more has sounded
            computing = self._computing = self._reach_worker.submit(self._curves_of, frozen_result(result))
            if ended:
                self._curves = computing.result()
                self._computing = None
        curves = self._curves
        self.feed.add_warned(warned_now(curves, now_s), municipal_warned(curves, now_s))
        self.feed.set_objectives(self._objectives(result, now_s, ended))

    def _curves_of(self, result: RunResult) -> list[WarnedCurve]:
        """Warned curves of the run so far, and the correction times they give (fed to the page)."""
        started = time.monotonic()
        alert_reaches = reaches(self.prepared, result)
        curves = [
            WarnedCurve.of_reach(reach, alert.spec.issue_s)
            for alert, reach in zip(result.alerts, alert_reaches, strict=True)
            if reach is not None
        ]
        by_index = {
            alert.index: reach for alert, reach in zip(result.alerts, alert_reaches, strict=True) if reach is not None
        }
        self.feed.set_corrections(
            [
                {"alert": times.alert, "kind": times.kind, "t50_s": times.t50_s, "t95_s": times.t95_s}
                for times in correction_times(result, by_index)
            ]
        )
        done = time.monotonic()
        self._reach_rested_at = done + 2 * (done - started)  # the model busy a third of the time at most
        return curves

    def _objectives(self, result: RunResult, now_s: float, ended: bool) -> list[ObjectiveState]:
        """Each objective (per alert it covers) decided once its window has closed or the run has ended, and
        undecided before; figured only when one comes due (on a nationwide network it takes a second)."""
        pairs = [
            (objective.name, alert.spec.id, alert.spec.issue_s + objective.within_s)
            for objective in self.prepared.scenario.objectives
            for alert in result.alerts
            if objective.alert is None or objective.alert == alert.spec.id
        ]
        decided = self._decided
        if any((ended or closes <= now_s) and (name, alert) not in decided for name, alert, closes in pairs):
            closing = {(name, alert): closes for name, alert, closes in pairs}
            for outcome in objective_results(result, list(self.prepared.scenario.objectives)):
                key = (outcome.name, outcome.alert)
                if ended or closing.get(key, float("inf")) <= now_s:
                    decided.setdefault(key, outcome.met)
        return [{"name": name, "met": decided.get((name, alert))} for name, alert, _ in pairs]

    # --- the operator's controls (the server's thread) ---------------------------------------------------------------

    def control(self, body: Mapping[str, Any], timeout_s: float = 30.0) -> float:
        """Do one control request; the simulation time it took effect at.

        ValueError for a malformed request, ControlError for one that cannot be done now."""
        action = action_of(body)
        clock = self.clock
        try:
            match action:
                case Action.START:  # once the engine is built (with field nodes: once they are online)
                    if not self._driver_ready.wait(timeout_s):
                        raise ControlError(f"start: the engine is not ready after {timeout_s:g} s (field nodes?)")
                    clock.start()
                case Action.PAUSE | Action.RESUME | Action.SPEED:
                    steer_clock(clock, action, body)
                case Action.SEEK:
                    raise ControlError("seek is for replays; a live run cannot go back")
                case Action.ISSUE | Action.CAP | Action.INCIDENT | Action.UPDATE | Action.CANCEL:
                    return self._scenario_action(action, body, timeout_s)
        except ControlError:
            raise
        except ValueError as exc:
            if action is Action.SPEED:
                raise
            raise ControlError(str(exc)) from None
        now_s = round(clock.sim_now(), 3)
        self.feed.add_log((now_s, "action", "", "", action.value))
        return now_s

    def _scenario_action(self, action: Action, body: Mapping[str, Any], timeout_s: float) -> float:
        if not self._driver_ready.wait(timeout_s) or self.driver is None:
            raise ControlError(f"{action.value}: the run is not ready for actions")
        act = self.act
        if act is None:
            raise ControlError(f"{action.value}: scenario actions are not available in this console")
        driver = self.driver

        def apply(at_s: float) -> None:
            line = act(body, at_s)  # in the engine's thread, standing at at_s
            self.actions.append({"at_s": at_s, **body})  # recorded as applied, whether or not the caller waits
            self.feed.add_log((at_s, "action", str(body.get("alert", "")), str(body.get("alert", "")), line))

        done = driver.submit(apply)
        try:
            return done.result(timeout_s)
        except TimeoutError:
            raise ControlError(
                f"{action.value}: the engine has not reached it within {timeout_s:g} s; it applies when it does"
            ) from None
        except ValueError as exc:
            raise ControlError(f"{action.value}: {exc}") from None
        except Exception as exc:  # the run goes on; the operator hears what went wrong instead of a 500
            raise ControlError(f"{action.value}: unexpected {type(exc).__name__}: {exc}") from None
