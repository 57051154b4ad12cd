"""The console's HTTP protocol, one source of truth for the server, the page and the tests.

Routes::

    GET  /                 the page (static/index.html)
    GET  /static/{file}    the page's script, style sheet and other packaged files
    GET  /api/scenario     the layout JSON (console/layout.py ``scenario_layout``), with the token
    GET  /api/stream       server-sent events: one ``snapshot``, then ``batch`` messages (≤ ~10 a second),
                           with the token
    POST /api/control      an operator action (``Control``), with ``Authorization: Bearer TOKEN``

The URL printed at start is ``http://HOST:PORT/?token=TOKEN``; the page keeps
the token from its URL and sends it on every request: as ``Authorization: Bearer TOKEN``, or as
``?token=TOKEN`` on the two read routes (an EventSource sends no headers). A request without a
token is answered 401, with a wrong one 403 (the page and its static files need none). A control's reply is
``{"ok": true, "sim_s": ...}``, or ``{"ok": false, "error": "..."}`` with 400 for a malformed
request (not JSON, unknown action, a speed that is no number or outside MIN_SPEED–MAX_SPEED), 413 for
one over 2 MiB, 422 for one that cannot be done now (pause when not running, a scenario action the
run refuses). Many viewers may watch at once.

Each server-sent event is one ``data:`` line holding one JSON object (``Batch``
below, with ``type`` "snapshot" for the first, everything so far, and "batch"
for each later delta). Times are simulation seconds (``sim_s``) unless named
``wall_s`` (seconds of wall time since the console started).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

PAGE = "/"
STATIC = "/static"
SCENARIO = "/api/scenario"
STREAM = "/api/stream"
CONTROL = "/api/control"

TOKEN_PARAMETER = "token"
"""The query parameter of the printed URL that carries the access token."""
AUTHORIZATION = "Authorization"
BEARER = "Bearer "

MIN_SPEED = 0.1
MAX_SPEED = 100.0
"""The clock's speed range: simulation seconds per wall second."""
MAX_BATCHES_PER_S = 10.0
"""The stream sends at most this many batches a second; events in between are merged into the next."""


class Mode(StrEnum):
    """Whether the console drives a simulation now or plays back a finished run."""

    LIVE = "live"
    REPLAY = "replay"


class Banner(StrEnum):
    """The banner the page shows, from the alerts' mode (the most serious one present wins)."""

    EXERCISE = "exercise"
    TEST = "test"
    ACTUAL = "actual"


class ClockState(StrEnum):
    """The clock's state: ready (not yet started), running, paused, ended (the run reached its end)."""

    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Status(StrEnum):
    """What the page colours a node or municipality by."""

    IDLE = "idle"  # nothing yet
    REACHED = "reached"  # the alert arrived
    SOUNDING = "sounding"  # an emitter put it in front of residents (municipality: someone there is warned)
    FAILED = "failed"  # a copy towards it was lost, or it came too late, and nothing else reached it
    DOWN = "down"  # out of service (an incident)


class Action(StrEnum):
    """The operator actions ``POST /api/control`` accepts; ``seek`` only in replay, the others only live."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    SPEED = "speed"  # {"speed": X}, MIN_SPEED ≤ X ≤ MAX_SPEED (in replay too)
    ISSUE = "issue"  # {"alert": ID}: one of the scenario's alerts, now
    CAP = "cap"  # {"name": file name, "content": the file's text}: a CAP/JMA/EDXL alert file, now
    INCIDENT = "incident"  # the fields of an incident (model/incidents.py), starting now
    UPDATE = "update"  # {"alert": ID, ...}: an update of an issued alert, now
    CANCEL = "cancel"  # {"alert": ID, ...}: a cancel of an issued alert, now
    SEEK = "seek"  # {"sim_s": t}: replay only; jump the playback to t


CLOCK_ACTIONS = frozenset({Action.START, Action.PAUSE, Action.RESUME, Action.SPEED, Action.SEEK})
"""Actions that steer the clock; the others are scenario actions (model/actions.py) applied at the clock's now."""


class MessageType(StrEnum):
    """The ``type`` of a stream message."""

    SNAPSHOT = "snapshot"
    BATCH = "batch"


class Clock(TypedDict):
    """Where the clock stands when a batch is sent."""

    sim_s: float
    wall_s: float
    speed: float
    state: str  # a ClockState


EventRow = tuple[float, str, str, str, str]
"""One event of the log: [sim_s, kind, subject_id, alert_id, detail]. kind: a trace event name (engine/trace.py
``Event``, lower case: "issued", "received", "duplicate", "lost", "emitted", "stopped", "stale"; "sent" is left
out), "down"/"up" for a node or link going out of service and back (detail: the cause), or "action" for an
operator's action (detail: what it did); subject: a node or link id; detail: a cause or ""."""


class MunicipalityState(TypedDict):
    """A municipality's share of residents warned so far and its colour."""

    warned: float
    status: str  # a Status


class WarnedPoint(TypedDict):
    """One point of the warned-residents curve: the fraction of each cohort warned by ``t``."""

    t: float
    by_cohort: dict[str, float]


class ObjectiveState(TypedDict):
    """An objective and whether it is met (None: not decided yet)."""

    name: str
    met: bool | None


class FieldState(TypedDict):
    """A field node's measured acknowledgement: first-publish → actuation latency and outcome."""

    latency_ms: float | None
    outcome: str  # "waiting" (published, not yet answered), else the latency report's: "actuated", "refused",
    # "rejected", "missed", "not_sent"


class CorrectionState(TypedDict):
    """Correction times of an update or cancel: seconds until 50 % / 95 % of the original's residents got it."""

    alert: str
    kind: str  # "update" or "cancel"
    t50_s: float | None
    t95_s: float | None


class Batch(TypedDict):
    """One stream message: the snapshot (everything so far) or a delta since the previous message.

    ``nodes``, ``municipalities``, ``channels`` and ``field`` hold only entries that changed (all, in a
    snapshot); ``warned`` only new curve points; ``objectives`` and ``corrections`` the current list whole.
    """

    type: str  # a MessageType
    clock: Clock
    events: list[EventRow]
    nodes: dict[str, str]  # node id → Status
    municipalities: dict[str, MunicipalityState]
    warned: list[WarnedPoint]
    channels: dict[str, int]  # channel → emissions so far
    objectives: list[ObjectiveState]
    field: dict[str, FieldState]
    corrections: list[CorrectionState]


class ControlReply(TypedDict):
    """The reply to ``POST /api/control``."""

    ok: bool
    sim_s: NotRequired[float]
    error: NotRequired[str]


Control = dict[str, Any]
"""A control request body: {"action": Action, ...the action's fields}."""

Layout = dict[str, Any]
"""The layout JSON of ``GET /api/scenario`` (console/layout.py), with ``mode`` and ``speed`` set by the server:
{"name", "mode", "banner", "language", "until_s", "speed", "view_box", "municipalities", "prefectures", "nodes",
"alerts", "cohorts", "channels", "objectives", "texts"}."""


def action_of(body: Mapping[str, Any]) -> Action:
    """The action a control request names (ValueError, saying the choices, for anything else)."""
    name = body.get("action")
    if isinstance(name, str) and name in Action.__members__.values():
        return Action(name)
    raise ValueError(f"unknown action {name!r}: one of {', '.join(a.value for a in Action)}")


def bearer(token: str) -> dict[str, str]:
    """The header a control request carries."""
    return {AUTHORIZATION: BEARER + token}
