"""Alerts read from message files: CAP 1.2, JMA disaster-information XML or EDXL-DE, told apart by namespace.

``read_alert_file`` is the one entry for ``run --alert FILE.xml``, ``validate FILE.xml``
and the ``{cap: FILE}`` / ``{jma: FILE}`` alert entries of a scenario: it reads the
file (bounded), looks at the root element's namespace on the hardened XML path and
hands the bytes to that format's parser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model import cap, edxl, jma
from lalert_sim.model.alerts import Alert, AlertMode
from lalert_sim.model.files import CAP_MAX_BYTES, read_bounded, referenced_path
from lalert_sim.model.xml_safety import namespace_of, parse_safely

ALERT_FILE_MAX_BYTES = max(CAP_MAX_BYTES, jma.JMA_MAX_BYTES, edxl.EDXL_MAX_BYTES)
"""Largest message file read before its format is known (each format's own limit applies after)."""
FORMATS = {cap.NS: "CAP 1.2", jma.NS: "JMA XML", edxl.NS: "EDXL-DE 1.0"}
"""Root namespaces recognised, and the format each means."""
_ROOT_NAMES = {"alert": "CAP", "Report": "JMA XML"}
_ROOT = re.compile(rb"\s*(?:<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>\s*)?<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", re.DOTALL)


def _named(data: bytes) -> str:
    """The format the root element's name suggests, read before parsing, so a refusal can name it."""
    head = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", data[:8192], flags=re.DOTALL)
    found = _ROOT.match(head)
    return _ROOT_NAMES.get(found.group(1).decode("ascii", "replace"), "XML") if found else "XML"


def format_of(data: bytes, name: str) -> str:
    """The format of message bytes (a value of ``FORMATS``); ScenarioError if unsafe, unreadable or unknown.

    An EDXL-DE envelope is recognised by its root element and left to ``parse_edxl``, which refuses a hostile
    one as EDXL-DE; the others are parsed on the hardened path here, a refusal naming the format they look like.
    """
    if edxl.is_edxl(data):
        return FORMATS[edxl.NS]
    root = parse_safely(data, name, _named(data), ALERT_FILE_MAX_BYTES)
    namespace = namespace_of(root)
    if namespace not in FORMATS:
        known = ", ".join(f"{v} ({k})" for k, v in FORMATS.items())
        raise ScenarioError(
            [
                Problem(
                    f"not a message this program reads: root element {shown(str(root.tag), 80)}; "
                    f"expected one of {known}",
                    file=name,
                    line=root.sourceline,
                )
            ]
        )
    return FORMATS[namespace]


def parse_alert_file(data: bytes, name: str) -> list[Alert]:
    """The alerts in message bytes of any supported format (one for CAP and JMA, one per CAP in EDXL-DE)."""
    kind = format_of(data, name)
    if kind == FORMATS[jma.NS]:
        return [jma.parse_jma(data, name)]
    if kind == FORMATS[edxl.NS]:
        return edxl.parse_edxl(data, name)
    return [cap.parse_cap(data, name)]


def read_alert_file(path: Path, name: str | None = None) -> list[Alert]:
    """The alerts in a message file (CAP 1.2, JMA XML or EDXL-DE), validated; ScenarioError naming the file."""
    return parse_alert_file(read_bounded(path, ALERT_FILE_MAX_BYTES, "alert file"), name or str(path))


FILE_KEYS = {"cap": "CAP 1.2", "jma": "JMA disaster-information XML"}
"""Keys of an alert entry that names a message file, and the format each expects."""
FILE_ENTRY_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "description": f"An alert read from a {what} file; the entry's other keys (issue_s, origin, system, "
        "mode...) override what the file says."
        + (
            " A real (通常) message comes in as mode exercise; write mode: actual to replay it as actual."
            if key == "jma"
            else ""
        ),
        "properties": {key: {"type": "string", "description": f"Path of the {what} file, relative to the scenario."}},
        "required": [key],
    }
    for key, what in FILE_KEYS.items()
]
"""JSON Schemas of the ``{cap: FILE, ...}`` and ``{jma: FILE, ...}`` entries that ``expand_alert_files`` replaces."""


_ENTRY_READERS = {"cap": cap.read_cap, "jma": jma.read_jma}
"""The reader of each entry key: the key names the format, and its limit and root element apply."""


def expand_alert_files(data: Any, base: Path | None, allow_outside: bool = False) -> tuple[Any, list[Problem]]:
    """Scenario data where every ``{cap: FILE, ...}`` or ``{jma: FILE, ...}`` alert entry is replaced by the
    alert read from FILE (a path relative to the scenario's folder ``base``, and inside it unless
    ``allow_outside``), with the entry's other keys (issue_s, origin, system, mode...) on top.

    ``mode: actual`` on a JMA drill (訓練) or test (試験) message is refused: it would pass a drill off as real.
    """
    if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
        return data, []
    if len(data["alerts"]) > cap.MAX_ALERTS:
        return data, []  # validation says the list is too long; no file is read
    problems: list[Problem] = []
    alerts = []
    read: dict[tuple[str, Path], Alert] = {}  # a file named twice is read once
    for index, entry in enumerate(data["alerts"]):
        key = next((k for k in FILE_KEYS if isinstance(entry, dict) and isinstance(entry.get(k), str)), None)
        if key is None:
            alerts.append(entry)
            continue
        try:
            path = referenced_path(entry[key], base, allow_outside)
            alert = read.get((key, path)) or _ENTRY_READERS[key](path)
        except ValueError as exc:  # ScenarioError is one
            found = exc.problems if isinstance(exc, ScenarioError) else [Problem(str(exc))]
            problems += [Problem(p.message, ("alerts", index, key), p.file, p.line) for p in found]
            continue
        read[(key, path)] = alert
        overrides = {k: v for k, v in entry.items() if k != key}
        info = alert.jma_info
        if info is not None and overrides.get("mode") == AlertMode.ACTUAL.value and info.status != "通常":
            problems.append(
                Problem(
                    f"mode: actual on a JMA message whose <Control/Status> is {info.status}: "
                    "a drill or test message cannot be replayed as real",
                    ("alerts", index, "mode"),
                )
            )
            continue
        alerts.append({**alert.model_dump(mode="json", exclude_none=True), **overrides})
    return {**data, "alerts": alerts}, problems


def describe(alert: Alert, where: str) -> list[tuple[str, ...]]:
    """What ``validate`` prints for one alert read from a file (``where``: "FILE: valid FORMAT"), as lines of
    phrases: id, system, category, mode and areas; its chain; for a JMA message also its type, time, status,
    its own area names and any it could not place."""
    codes = ", ".join(alert.areas[:12]) + (f", ... ({len(alert.areas)} in all)" if len(alert.areas) > 12 else "")
    lines: list[tuple[str, ...]] = [
        (
            where,
            f"{alert.id}: {alert.system.value} {alert.category.value} ({alert.mode.value})",
            f"areas {codes or 'none'}",
        )
    ]
    if alert.chain is not None:
        lines.append((f"  chain: {alert.chain.kind.value} #{alert.chain.serial} of {alert.chain.event}",))
    info = alert.jma_info
    if info is not None:
        lines.append(
            (
                f"  JMA {info.title}",
                info.info_type,
                info.status,
                info.report_time.isoformat(),
                f"{info.publishing_office or 'JMA'} (出典：気象庁)",
            )
        )
        lines.append((f"  the message's areas: {len(info.area_names)} ({', '.join(info.area_names[:12])})",))
        if info.unplaced:
            lines.append((f"  warning: {len(info.unplaced)} area(s) not placed: {', '.join(info.unplaced)}",))
        if info.status == "通常":
            lines.append(("  a real message: imported as exercise unless its scenario entry says mode: actual",))
    return lines


def describe_alert_file(path: Path) -> list[tuple[str, ...]]:
    """The lines ``validate FILE.xml`` prints (each a tuple of phrases): every alert the file holds."""
    data = read_bounded(path, ALERT_FILE_MAX_BYTES, "alert file")
    kind = format_of(data, str(path))
    alerts = parse_alert_file(data, str(path))
    return [line for alert in alerts for line in describe(alert, f"{path}: valid {kind}")]


def unplaced_warnings(alerts: list[Alert]) -> list[str]:
    """One warning per alert read from a JMA message that named areas the mapping could not place."""
    return [
        f"warning: {alert.id}: {len(alert.jma_info.unplaced)} area(s) of the JMA message not placed: "
        + ", ".join(alert.jma_info.unplaced)
        for alert in alerts
        if alert.jma_info is not None and alert.jma_info.unplaced
    ]
