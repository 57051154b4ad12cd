"""Operator actions in a running replication: one way to apply them, live (the console) or replayed (``run``).

An action applies when the simulation stands at its time after ``Simulation.advance(at_s)``:
every event due before ``at_s`` processed, none due at it. Its own events (an alert entering
its origin, an incident beginning) are scheduled then, behind the events already due at
``at_s`` (SimPy breaks ties by insertion order), so a live action and the same action read
back from ``drill.yaml`` make the same trace, byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import assert_never

from lalert_sim.engine.incidents import apply_incidents
from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.engine.state import AlertState
from lalert_sim.errors import LalertError, Problem, ScenarioError
from lalert_sim.model.actions import (
    Action,
    AlertFileAction,
    CorrectionAction,
    IncidentAction,
    IssueAction,
    StopAction,
    correction_id,
)
from lalert_sim.model.alert_files import read_alert_file
from lalert_sim.model.alerts import Alert, AlertMode, Chain, MessageKind
from lalert_sim.model.chains import event_of
from lalert_sim.prepare import Injection, Prepared
from lalert_sim.topology.graph import unknown_node_message
from lalert_sim.topology.incidents import resolve_incidents

_KINDS = {"update": MessageKind.UPDATE, "cancel": MessageKind.CANCEL}


class ActionError(LalertError, ValueError):
    """An operator action that cannot be done now (its message says why and what to do instead)."""


def apply_action(sim: Simulation, prepared: Prepared, action: Action, allow_actual: bool = False) -> Prepared:
    """Do ``action`` now (``sim.env.now == action.at_s``) and return the scenario as it leaves it: alerts
    issued early or added, incidents added, for the summary and the console's views.

    ActionError when it cannot be done (the simulation is then as it was); an ACTUAL-mode alert only
    with ``allow_actual``.
    """
    now = sim.env.now
    if action.at_s != now:
        raise ActionError(f"the action is for {action.at_s:g} s but the simulation stands at {now:g} s")
    match action:
        case IssueAction():
            return _issue(sim, prepared, action.alert, allow_actual)
        case AlertFileAction():
            return _alert_file(sim, prepared, action, allow_actual)
        case IncidentAction():
            return _incident(sim, prepared, action)
        case CorrectionAction():
            return _correction(sim, prepared, action, allow_actual)
        case StopAction():
            return prepared  # nothing enters the network: the run that steers it ends here (Steering)
        case _:
            assert_never(action)


def _guard(alert: Alert, allow_actual: bool) -> None:
    if alert.mode is AlertMode.ACTUAL and not allow_actual:
        raise ActionError(f"alert {alert.id!r} is an ACTUAL (real) alert: allowed only with --allow-actual")


def _issue(sim: Simulation, prepared: Prepared, alert_id: str, allow_actual: bool) -> Prepared:
    """A scheduled scenario alert issued now instead of at its own time (which then passes by)."""
    own = [alert.id for alert in prepared.scenario.alerts]
    if alert_id not in own:
        raise ActionError(f"no alert with id {alert_id!r} in the scenario (alerts: {', '.join(own) or 'none'})")
    state = next(s for s in sim.alerts if s.spec.id == alert_id)
    if state.issued:
        raise ActionError(f"alert {alert_id!r} is issued already; send an update or a cancel")
    _guard(state.spec, allow_actual)
    state.spec = state.spec.model_copy(update={"issue_s": sim.env.now})
    state.issued = True  # the event at its own time finds it issued and passes
    origin = sim.nodes[state.origin]
    sim.env.timeout(0).callbacks.append(lambda _event: origin.issue(state))
    spec = state.spec
    scenario = prepared.scenario.model_copy(
        update={"alerts": [spec if a.id == alert_id else a for a in prepared.scenario.alerts]}
    )
    injections = [Injection(spec, i.origin) if i.alert.id == alert_id else i for i in prepared.injections]
    return dataclasses.replace(prepared, scenario=scenario, injections=injections)


def _added(sim: Simulation, prepared: Prepared, alerts: list[tuple[Alert, str]]) -> Prepared:
    """New alerts (with their origins) entering the network now, and the scenario that holds them."""
    for alert, origin in alerts:
        sim.inject(Injection(alert, origin))
    scenario = prepared.scenario.model_copy(update={"alerts": [*prepared.scenario.alerts, *(a for a, _ in alerts)]})
    injections = [*prepared.injections, *(Injection(alert, origin) for alert, origin in alerts)]
    return dataclasses.replace(prepared, scenario=scenario, injections=injections)


def _check_new(sim: Simulation, alert: Alert, allow_actual: bool) -> None:
    if any(state.spec.id == alert.id for state in sim.alerts):
        raise ActionError(f"alert id {alert.id!r} is used already in this run")
    _guard(alert, allow_actual)


def _alert_file(sim: Simulation, prepared: Prepared, action: AlertFileAction, allow_actual: bool) -> Prepared:
    """The alerts of a CAP, JMA or EDXL file, issued now; the file relative to the scenario's folder."""
    base = Path(prepared.source).parent if prepared.source is not None else Path.cwd()
    try:
        alerts = read_alert_file(base / action.file, action.file)
    except ScenarioError as exc:
        raise ActionError(str(exc)) from None
    added: list[tuple[Alert, str]] = []
    for read in alerts:
        alert = read.model_copy(update={"issue_s": sim.env.now})
        _check_new(sim, alert, allow_actual)
        if any(alert.id == other.id for other, _ in added):
            raise ActionError(f"alert id {alert.id!r} is used twice in {action.file}")
        try:
            added.append((alert, prepared.topology.origin_for(alert)))
        except ValueError as exc:
            raise ActionError(f"{action.file}: {exc}") from None
    return _added(sim, prepared, added)


def _correction(sim: Simulation, prepared: Prepared, action: CorrectionAction, allow_actual: bool) -> Prepared:
    """An update or a cancel of an issued alert: the next serial of its chain, from the same origin."""
    now = sim.env.now
    target = _issued_alert(sim, action.alert)
    spec = target.spec
    event = event_of(spec)
    serial = max(state.order[0] for state in sim.alerts if event_of(state.spec) == event) + 1
    number = 1 + sum(1 for s in sim.alerts if s.spec.chain is not None and action.alert in s.spec.chain.references)
    chain = Chain(event=event, serial=serial, kind=_KINDS[action.do], references=[spec.id])
    alert = spec.model_copy(
        update={
            "id": action.id if action.id is not None else correction_id(spec.id, action.do, number),
            "issue_s": now,
            "chain": chain,
            "headline": spec.headline if action.headline is None else action.headline,
            "origin": spec.origin if action.origin is None else action.origin,
            "cap_info": None,
            "jma_info": None,
        }
    )
    _check_new(sim, alert, allow_actual)
    origin = target.origin if action.origin is None else action.origin
    if origin not in sim.nodes:
        raise ActionError(f"origin: {unknown_node_message(origin, prepared.topology.nodes)}")
    return _added(sim, prepared, [(alert, origin)])


def _issued_alert(sim: Simulation, alert_id: str) -> AlertState:
    """The alert of that id, issued by now (or entering the network now, ahead of what is sent now)."""
    states = [state for state in sim.alerts if state.spec.id == alert_id]
    if not states:
        known = ", ".join(state.spec.id for state in sim.alerts[:20])
        raise ActionError(f"no alert with id {alert_id!r} in this run (alerts: {known or 'none'})")
    state = states[-1]
    if not state.issued and state.spec.issue_s > sim.env.now:
        raise ActionError(f"alert {alert_id!r} is not issued yet (it is due at {state.spec.issue_s:g} s)")
    return state


def _incident(sim: Simulation, prepared: Prepared, action: IncidentAction) -> Prepared:
    """An incident beginning now: its window counted from the action."""
    now = sim.env.now
    spec = action.incident
    shifted = spec.model_copy(update={"start_s": now + spec.start_s, "end_s": now + spec.end_s})
    problems: list[Problem] = []
    (plan,) = resolve_incidents(prepared.topology, [shifted], problems)
    if problems:
        raise ActionError("incident: " + "; ".join(problem.message for problem in problems))
    plan = dataclasses.replace(plan, index=len(prepared.incidents))
    apply_incidents(sim, [plan])
    scenario = prepared.scenario.model_copy(update={"incidents": [*prepared.scenario.incidents, shifted]})
    return dataclasses.replace(prepared, scenario=scenario, incidents=[*prepared.incidents, plan])


class Steering:
    """A replication steered by operator actions: the scenario's own ``actions:`` applied at their times as
    the clock passes them, live ones (``act``) at the clock's now; ``applied`` lists both, in order.

    The console drives one with ``advance`` as its clock moves and ``act`` when the operator acts; a run of a
    ``drill.yaml`` drives one through ``run_with_actions``. ``prepared``: the scenario as the actions left it.
    """

    def __init__(
        self, sim: Simulation, prepared: Prepared, allow_actual: bool = False, pending: Sequence[Action] | None = None
    ) -> None:
        """``pending``: the actions to apply at their times; default the scenario's ``actions:``."""
        self.sim = sim
        self.prepared = prepared
        self.allow_actual = allow_actual
        self.applied: list[Action] = []
        self._pending = list(prepared.scenario.actions if pending is None else pending)
        self._next = 0
        self.stop_s: float | None = None
        """Where a ``stop`` action ended the run (nothing after it is simulated); None: not stopped."""

    def advance(self, until_s: float) -> None:
        """Move the simulation to ``until_s`` (events before it processed), applying pending actions due by it.

        ScenarioError naming ``actions[i]`` for a pending action that cannot be done.
        """
        pending = self._pending
        while self._next < len(pending) and pending[self._next].at_s <= until_s:
            action = pending[self._next]
            self.sim.advance(action.at_s)
            try:
                self._apply(action)
            except ActionError as exc:
                raise ScenarioError([Problem(str(exc), ("actions", self._next))]) from None
            self._next += 1
        self.sim.advance(self._before_stop(until_s))

    def act(self, action: Action) -> None:
        """Do an operator's action now; its ``at_s`` must be the clock's now (ActionError otherwise, or when
        it cannot be done)."""
        self.advance(action.at_s)  # pending actions due by then go first, as they will in the replay
        self._apply(action)

    def _before_stop(self, until_s: float) -> float:
        """``until_s``, or the stop's time when a ``stop`` action came earlier."""
        return until_s if self.stop_s is None else min(until_s, self.stop_s)

    def _apply(self, action: Action) -> None:
        if self.stop_s is not None:
            raise ActionError(f"the drill was stopped at {self.stop_s:g} s: no more actions")
        self.prepared = apply_action(self.sim, self.prepared, action, self.allow_actual)
        if isinstance(action, StopAction):
            self.stop_s = action.at_s
        self.applied.append(action)

    def finish(self, until_s: float) -> RunResult:
        """Apply what is still due and run to ``until_s`` (or to a ``stop`` action's time): the result, with
        the scenario as steered."""
        self.advance(until_s)
        result = self.sim.run(self._before_stop(until_s))
        result.steered = self.prepared
        return result


def run_with_actions(sim: Simulation, prepared: Prepared, actions: Sequence[Action], until_s: float) -> RunResult:
    """Run a built replication to ``until_s``, applying ``actions`` at their times (as recorded: any mode);
    ScenarioError naming ``actions[i]`` for one that cannot be done."""
    return Steering(sim, prepared, allow_actual=True, pending=actions).finish(until_s)
