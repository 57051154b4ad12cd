"""A feed: a folder of real messages (CAP 1.2, JMA disaster-information XML) replayed as one scenario input.

Every ``.xml`` file in the folder is read with the reader its root element calls
for (``alert_files``), the messages are ordered by their own time (CAP ``sent``, JMA
``ReportDateTime``) and issued at those times relative to the first, plus the
entry's ``issue_s``. Ids are made unique, references point at the feed's own
alerts, and the messages of one chain are numbered by their time when their
serials do not tell them apart (JMA tsunami messages often carry none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model.alert_files import read_alert_file
from lalert_sim.model.alerts import Alert, Chain
from lalert_sim.model.cap import MAX_ALERTS
from lalert_sim.model.chains import order_of
from lalert_sim.model.files import referenced_path

FEED_KEYS = ("feed", "issue_s", "mode", "origin", "system")
"""Keys a ``{feed: FOLDER, ...}`` entry may have: the folder, an offset, and overrides for every message."""

FEED_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A folder of CAP 1.2 and JMA XML messages replayed on their own times relative to the first; "
    "mode, origin and system override every message's.",
    "properties": {
        "feed": {"type": "string", "description": "Path of the folder, relative to the scenario."},
        "issue_s": {"type": "number", "minimum": 0, "description": "Seconds from the epoch of the first message."},
        "mode": {"enum": ["actual", "exercise", "test"], "description": "Mode of every message of the feed."},
        "origin": {"type": "string", "description": "Node where every message enters the network."},
        "system": {"enum": ["j_alert", "l_alert"], "description": "System that carries every message."},
    },
    "required": ["feed"],
    "additionalProperties": False,
}
"""JSON Schema of a ``{feed: FOLDER, ...}`` alert entry, which ``expand_feed_alerts`` replaces before validation."""


@dataclass(frozen=True)
class FeedMessage:
    """One message of a feed: its alert(s), when it was issued (wall clock) and the file it came from."""

    alerts: list[Alert]
    sent: datetime
    file: str


def read_message(path: Path) -> FeedMessage:
    """One message file of a feed, read by the reader of its format (``alert_files``: CAP 1.2, JMA XML or
    EDXL-DE, told apart by the root element); its time is the message's own (JMA ``ReportDateTime``, CAP
    ``sent``). ScenarioError naming file and problem."""
    alerts = read_alert_file(path)
    jma_info, cap_info = alerts[0].jma_info, alerts[0].cap_info
    sent = jma_info.report_time if jma_info is not None else cap_info.sent if cap_info is not None else None
    assert sent is not None  # every reader keeps what the message said, its time included
    return FeedMessage(alerts, sent, str(path))


def read_feed(folder: Path, base: Path | None = None, allow_outside: bool = False) -> list[Alert]:
    """The alerts of every ``.xml`` message in ``folder``, in time order, ``issue_s`` seconds after the first;
    files must lie inside ``base`` (the scenario's folder; none: the feed's folder) unless ``allow_outside``."""
    if not folder.is_dir():
        raise ScenarioError([Problem("not a folder of messages", file=str(folder))])
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xml")
    if not files:
        raise ScenarioError([Problem("the folder holds no .xml message", file=str(folder))])
    if len(files) > MAX_ALERTS:
        raise ScenarioError([Problem(f"more than {MAX_ALERTS} messages in the folder", file=str(folder))])
    messages, problems = [], []
    for path in files:
        try:
            messages.append(read_message(referenced_path(str(path.absolute()), base or folder, allow_outside)))
        except ValueError as exc:  # ScenarioError is one
            problems += exc.problems if isinstance(exc, ScenarioError) else [Problem(str(exc), file=str(path))]
    if problems:
        raise ScenarioError(problems)
    messages.sort(key=lambda m: (m.sent, m.file))
    first = messages[0].sent
    timed = [
        alert.model_copy(update={"issue_s": (m.sent - first).total_seconds()}) for m in messages for alert in m.alerts
    ]
    return _chained(_unique(timed))


def _unique(alerts: list[Alert]) -> list[Alert]:
    """The alerts with ids made unique (``-2``, ``-3``... on a repeat) and references renamed to match:
    a reference names the latest earlier alert of that id."""
    seen: set[str] = set()
    latest: dict[str, str] = {}
    renamed = []
    for alert in alerts:
        new_id, copies = alert.id, 1
        while new_id in seen:
            copies += 1
            new_id = f"{alert.id}-{copies}"
        chain = alert.chain
        if chain is not None:
            chain = chain.model_copy(
                update={
                    "event": latest.get(chain.event, chain.event),
                    "references": [latest[r] for r in chain.references if r in latest],
                }
            )
        seen.add(new_id)
        latest[alert.id] = new_id
        renamed.append(alert.model_copy(update={"id": new_id, "chain": chain}))
    return renamed


def _chained(alerts: list[Alert]) -> list[Alert]:
    """Each chain's messages numbered 1, 2, ... in time order when their serials do not tell them apart, a
    message that references nothing given the earlier ones of its chain as references (and a JMA message that
    names no area, a cancellation, their areas), and an alert that heads a chain of the feed given its chain
    (issue, serial 1)."""
    events = {alert.chain.event for alert in alerts if alert.chain is not None}
    alerts = [
        alert.model_copy(update={"chain": Chain(event=alert.id)})
        if alert.chain is None and alert.id in events
        else alert
        for alert in alerts
    ]
    members: dict[str, list[int]] = {}
    for index, alert in enumerate(alerts):
        if alert.chain is not None:
            members.setdefault(alert.chain.event, []).append(index)
    for indices in members.values():
        orders = [order_of(alerts[i]) for i in indices]
        renumber = len(set(orders)) < len(orders)  # else the engine orders them, even when they arrive out of order
        for position, i in enumerate(indices):
            chain = alerts[i].chain
            assert chain is not None
            update: dict[str, Any] = {"serial": position + 1} if renumber else {}
            if position and not chain.references:  # JMA messages name no earlier message: the feed's do
                update["references"] = [alerts[j].id for j in indices[:position]]
            areas = alerts[i].areas
            if position and not areas and alerts[i].jma_info is not None:
                # A JMA cancellation (取消) names no area: it goes where the messages it withdraws went, not
                # everywhere (no areas would mean nationwide).
                areas = sorted({code for j in indices[:position] for code in alerts[j].areas})
            alerts[i] = alerts[i].model_copy(update={"chain": chain.model_copy(update=update), "areas": areas})
    return alerts


def expand_feed_alerts(data: Any, base: Path | None, allow_outside: bool = False) -> tuple[Any, list[Problem]]:
    """Scenario data where every ``{feed: FOLDER, ...}`` alert entry is replaced by the alerts of its messages
    (FOLDER relative to the scenario's folder ``base``, inside it unless ``allow_outside``), each issued at
    the entry's ``issue_s`` plus its time after the feed's first message, with ``mode``, ``origin`` and
    ``system`` on top when the entry gives them."""
    if not isinstance(data, dict) or not isinstance(data.get("alerts"), list) or len(data["alerts"]) > MAX_ALERTS:
        return data, []
    problems: list[Problem] = []
    alerts: list[Any] = []
    for index, entry in enumerate(data["alerts"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("feed"), str)):
            alerts.append(entry)
            continue
        unknown = sorted(str(k) for k in entry if k not in FEED_KEYS)
        offset = entry.get("issue_s", 0)
        if unknown or isinstance(offset, bool) or not isinstance(offset, int | float) or not 0 <= offset < 1e9:
            problem = (
                f"unknown key {shown(unknown[0], 40)} (a feed entry takes {', '.join(FEED_KEYS)})"
                if unknown
                else "issue_s: must be a number of seconds, 0 or more"
            )
            problems.append(Problem(problem, ("alerts", index, unknown[0] if unknown else "issue_s")))
            continue
        try:
            folder = referenced_path(entry["feed"], base, allow_outside)
            read = read_feed(folder, base, allow_outside)
        except ValueError as exc:  # ScenarioError is one
            found = exc.problems if isinstance(exc, ScenarioError) else [Problem(str(exc))]
            problems += [Problem(p.message, ("alerts", index, "feed"), p.file, p.line) for p in found]
            continue
        overrides = {k: entry[k] for k in ("mode", "origin", "system") if k in entry}
        drills = [a.jma_info.status for a in read if a.jma_info is not None and a.jma_info.status != "通常"]
        if overrides.get("mode") == "actual" and drills:
            problem = (
                f"mode: actual on a feed with a JMA {drills[0]} message: a drill or test cannot be replayed as real"
            )
            problems.append(Problem(problem, ("alerts", index, "mode")))
            continue
        for alert in read:
            dumped = alert.model_dump(mode="json", exclude_none=True)
            alerts.append({**dumped, **overrides, "issue_s": offset + alert.issue_s})
    return {**data, "alerts": alerts}, problems
