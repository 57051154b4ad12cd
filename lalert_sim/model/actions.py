"""Operator actions: what the person running a drill does at a simulated time (issue, correct, break things).

The console records each one as it is done; a scenario's ``actions:`` replays them
(``lalert-sim run RESULTS_DIR/drill.yaml``), applied by engine/actions.py at the same
point of the run either way.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from lalert_sim.model.base import Frozen, Id, Ref, Seconds
from lalert_sim.model.files import MAX_PATH_CHARS
from lalert_sim.model.incidents import Incident

MAX_ACTIONS = 1_000
"""Most actions one scenario may hold (a drill's operator acts tens of times, not thousands)."""


class _Action(Frozen):
    """What every action has: when the operator acts."""

    at_s: Seconds
    """Simulated second the operator acts, from the scenario epoch (the console's clock when it was done)."""


class IssueAction(_Action):
    """Issue one of the scenario's alerts now: one scheduled later is issued at ``at_s`` instead (and not
    again at its own time); one already issued is refused (send an update instead)."""

    do: Literal["issue"]
    """Selects this action: ``issue``."""
    alert: Ref
    """Id of the scenario alert to issue."""


class AlertFileAction(_Action):
    """Issue the alerts of a CAP 1.2, JMA XML or EDXL-DE file now (its issue time is ``at_s``, whatever the
    file says); they enter the network as the scenario's alerts of their system do."""

    do: Literal["cap"]
    """Selects this action: ``cap``."""
    file: str = Field(min_length=1, max_length=MAX_PATH_CHARS)
    """Path of the file, relative to the scenario file (the console copies it into the results folder)."""


class IncidentAction(_Action):
    """Start an incident now: an outage of nodes or links, a power outage in an area, any incident type."""

    do: Literal["incident"]
    """Selects this action: ``incident``."""
    incident: Incident
    """The incident, as in ``incidents:``; its ``start_s`` and ``end_s`` count from ``at_s`` (start_s 0:
    at once; end_s left out: for the rest of the run)."""


class CorrectionAction(_Action):
    """Send an update or a cancel of an alert already issued, through the same network from the same origin:
    the next serial of its chain, referencing it (see model/chains.py for what it does at the outputs)."""

    do: Literal["update", "cancel"]
    """``update`` (replaces what is sounding) or ``cancel`` (the alert was wrong; outputs stop)."""
    alert: Ref
    """Id of the alert it corrects (a scenario alert, one from a ``cap`` action, or an earlier correction)."""
    id: Id | None = None
    """Id of the correction message; default ``ALERT:update1``, ``ALERT:cancel2``... (counting the corrections
    of that alert, this one included)."""
    headline: str | None = Field(default=None, max_length=2_000)
    """Text of the correction (CAP headline); default the corrected alert's."""
    origin: Ref | None = None
    """Node where it enters the network; default where the corrected alert entered (a human step there
    decides on the correction as on the alert)."""


class StopAction(_Action):
    """End the run here: the operator stopped the drill, so nothing after ``at_s`` is simulated and the
    summary covers the run to ``at_s`` (the console records one when it is stopped before the end)."""

    do: Literal["stop"]
    """Selects this action: ``stop``."""


Action = Annotated[
    IssueAction | AlertFileAction | IncidentAction | CorrectionAction | StopAction, Field(discriminator="do")
]
"""One operator action, told apart by its ``do``."""


def correction_id(alert: str, kind: str, number: int) -> str:
    """The id a correction gets by default: ``ALERT:KINDn``, n counting the corrections of that alert so far."""
    return f"{alert}:{kind}{number}"
