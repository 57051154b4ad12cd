"""What a console session records in its results folder: every operator action as it is done
(``actions.jsonl``), and ``drill.yaml``, the scenario plus those actions, that ``lalert-sim run``
replays to the same trace with the same seed.

``drill.yaml`` runs from the results folder: the files the scenario names (municipality table,
CAP/JMA files, feed folders, arrival-time CSVs) are copied into ``drill-files/`` beside it and the
alert files of ``cap`` actions lie in the folder itself. The live run's ``summary.json`` names
``drill.yaml`` as its source (``as_drill``), so that it and the re-run's are the same bytes; the wall
time of each action is kept apart, in ``actions.jsonl`` (summary.json holds no wall-clock field).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import TypeAdapter, ValidationError

from lalert_sim.analysis.results import RunSummary
from lalert_sim.atomic import atomic_write
from lalert_sim.engine.actions import ActionError, Steering
from lalert_sim.engine.simulation import Simulation
from lalert_sim.errors import LalertError
from lalert_sim.model.actions import Action, AlertFileAction, IncidentAction, StopAction
from lalert_sim.model.alert_files import ALERT_FILE_MAX_BYTES, FILE_KEYS
from lalert_sim.model.loader import read_yaml, validation_problems
from lalert_sim.prepare import Prepared

DRILL_FILE = "drill.yaml"
"""The scenario plus the operator's actions, in the results folder."""
ACTIONS_FILE = "actions.jsonl"
"""The action log: one JSON object a line, ``{"at_s", "wall_s", "action"}``, in the order done."""
DRILL_FILES = "drill-files"
"""Folder beside ``drill.yaml`` holding copies of the files the scenario names."""
_ACTION = TypeAdapter[Action](Action)
_INCIDENT_KEYS = frozenset({"action", "do", "at_s"})


def drill_source(results_dir: Path) -> str:
    """What the live run's summary names as its source: the ``drill.yaml`` that replays it."""
    return str(results_dir / DRILL_FILE)


def as_drill(summary: RunSummary, results_dir: Path) -> RunSummary:
    """The live run's summary as ``summary.json`` holds it: its source the ``drill.yaml`` that replays it."""
    return dataclasses.replace(
        summary, scenario=dataclasses.replace(summary.scenario, source=drill_source(results_dir))
    )


def action_from_control(control: Mapping[str, Any], at_s: float, results_dir: Path) -> Action:
    """A console control request (console/protocol.py ``Control``) as the action it asks for, at ``at_s``.

    ``cap``: ``{"name", "content"}``, the file stored in the results folder; ``incident``: the incident's
    fields (``type``, ``nodes``...) beside ``action``. ActionError saying what is wrong with the request.
    """
    if not isinstance(control, Mapping):
        raise ActionError("a control request is a JSON object")
    do = control.get("action")
    fields = {key: value for key, value in control.items() if key != "action"}
    if do == "cap":
        name, content = fields.get("name"), fields.get("content")
        if not isinstance(name, str) or not isinstance(content, str):
            raise ActionError('a cap action needs "name" and "content" (the file\'s text)')
        fields = {"file": str(store_alert_file(results_dir, name, content))}
    elif do == "incident":
        fields = {"incident": {k: v for k, v in control.items() if k not in _INCIDENT_KEYS}}
    try:
        return _ACTION.validate_python({**fields, "do": do, "at_s": at_s})
    except ValidationError as exc:
        problems = validation_problems(exc, control)
        raise ActionError("; ".join(str(problem) for problem in problems)) from None


def store_alert_file(results_dir: Path, name: str, content: str) -> Path:
    """Keep an uploaded alert file in the results folder under a name of its own (``cap-N-NAME``); its path."""
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        raise ActionError("the alert file is not text (UTF-8)") from None
    if len(data) > ALERT_FILE_MAX_BYTES:
        raise ActionError(f"the alert file is over {ALERT_FILE_MAX_BYTES:,} bytes")
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name)[-80:] or "alert.xml"
    results_dir.mkdir(parents=True, exist_ok=True)
    number = 1 + sum(1 for _ in results_dir.glob("cap-*"))
    path = results_dir / f"cap-{number}-{stem}"
    path.write_bytes(data)
    return path.absolute()


ControlHandler = Callable[[Mapping[str, Any], float], str]
"""Applies a control request's scenario action at simulation time ``at_s`` (standing there) and returns the
line the event log shows; ActionError (a ValueError) when it cannot be done."""


def console_steering(
    results_dir: Path, allow_actual: bool = False
) -> Callable[[Simulation, Prepared], tuple[Steering, ControlHandler]]:
    """How the console steers a live run: given the built simulation, a ``Steering`` (the clock's stepper;
    the scenario's own actions applied as the clock passes them) and the handler of control requests, each
    action applied where a replay applies it and appended to ``actions.jsonl``. ``drill.yaml`` is then
    ``write_drill(results_dir, scenario, steering.applied)``."""

    def steer(sim: Simulation, prepared: Prepared) -> tuple[Steering, ControlHandler]:
        steering = Steering(sim, prepared, allow_actual)
        log = ActionLog(results_dir)
        started = time.monotonic()

        def handle(control: Mapping[str, Any], at_s: float) -> str:
            action = action_from_control(control, at_s, results_dir)
            steering.act(action)
            log.record(action, time.monotonic() - started)
            return describe(action)

        return steering, handle

    return steer


def describe(action: Action) -> str:
    """An action in a few words for the console's event log: ``cancel missile-drill-1``."""
    match action:
        case AlertFileAction():
            return f"cap {Path(action.file).name}"
        case IncidentAction():
            return f"incident {action.incident.type}" + (f" ({action.incident.name})" if action.incident.name else "")
        case StopAction():
            return f"stop at {action.at_s:g} s"
        case _:
            return f"{action.do} {action.alert}"


class ActionLog:
    """``actions.jsonl``: each action appended as it is done, with its wall time (seconds since the start)."""

    def __init__(self, results_dir: Path) -> None:
        """Start an empty log in ``results_dir``."""
        results_dir.mkdir(parents=True, exist_ok=True)
        self.path = results_dir / ACTIONS_FILE
        self.path.write_text("", encoding="utf-8")

    def record(self, action: Action, wall_s: float) -> None:
        """Append one action (written through at once: the log survives a console that is killed); an alert
        file in the results folder is named relative to it."""
        inside = _inside(Path(action.file), self.path.parent) if isinstance(action, AlertFileAction) else None
        if inside is not None:
            action = action.model_copy(update={"file": inside})
        line = {"at_s": action.at_s, "wall_s": round(wall_s, 3), "action": _action_data(action)}
        with self.path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_action_log(path: Path) -> list[Action]:
    """The actions of an ``actions.jsonl``, in order (ActionError naming the line of one that is not valid)."""
    actions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            actions.append(_ACTION.validate_python(json.loads(line)["action"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ActionError(f"{path}: line {number}: not an action ({exc})") from None
    return actions


def write_drill(results_dir: Path, scenario_path: Path, actions: Sequence[Action]) -> Path:
    """Write ``RESULTS_DIR/drill.yaml``: the scenario file's data with ``actions:`` replaced by ``actions``
    (those applied, in order) and its variants left out, files copied so that it runs from there; its path."""
    data, _lines = read_yaml(scenario_path)
    copier = _Copier(results_dir, scenario_path.parent)
    drill = {key: value for key, value in data.items() if key not in ("actions", "variants")}
    topology = drill.get("topology")
    if isinstance(topology, dict) and isinstance(topology.get("municipality_table"), str):
        drill["topology"] = {**topology, "municipality_table": copier.copy(topology["municipality_table"])}
    drill["alerts"] = [_alert_entry(entry, copier) for entry in drill.get("alerts") or []]
    if "streams" in drill:
        drill["streams"] = [_stream_entry(entry, copier) for entry in drill["streams"] or []]
    drill["actions"] = [_action_data(_relative(action, results_dir, copier)) for action in actions]
    path = results_dir / DRILL_FILE
    atomic_write(path, lambda out: _dump(drill, out))
    return path


def _dump(data: dict[str, Any], out: TextIO) -> None:
    yaml.safe_dump(data, out, sort_keys=False, allow_unicode=True, width=120)


def _action_data(action: Action) -> dict[str, Any]:
    """An action as scenario data: what was said, defaults left unsaid; ``at_s`` first, the exact float."""
    data: dict[str, Any] = action.model_dump(mode="json", exclude_unset=True)
    return {"at_s": action.at_s, "do": action.do, **{k: v for k, v in data.items() if k not in ("at_s", "do")}}


def _alert_entry(entry: Any, copier: _Copier) -> Any:
    if not isinstance(entry, dict):
        return entry
    for key in (*FILE_KEYS, "feed"):
        if isinstance(entry.get(key), str):
            return {**entry, key: copier.copy(entry[key])}
    return entry


def _stream_entry(entry: Any, copier: _Copier) -> Any:
    arrivals = entry.get("arrivals") if isinstance(entry, dict) else None
    if isinstance(arrivals, dict) and isinstance(arrivals.get("file"), str):
        return {**entry, "arrivals": {**arrivals, "file": copier.copy(arrivals["file"])}}
    return entry


def _relative(action: Action, results_dir: Path, copier: _Copier) -> Action:
    """A ``cap`` action's file named relative to the results folder (copied there if it lies elsewhere)."""
    if not isinstance(action, AlertFileAction):
        return action
    inside = _inside(Path(action.file), results_dir)
    return action.model_copy(update={"file": inside or copier.copy(action.file)})


def _inside(path: Path, folder: Path) -> str | None:
    """``path`` relative to ``folder`` when it is an absolute path inside it, else None."""
    if path.is_absolute() and path.resolve().is_relative_to(folder.resolve()):
        return path.resolve().relative_to(folder.resolve()).as_posix()
    return None


class _Copier:
    """Copies files (or feed folders) a scenario names into ``drill-files/``, each once; their new names."""

    def __init__(self, results_dir: Path, base: Path) -> None:
        self.results_dir = results_dir
        self.base = base
        self.copied: dict[Path, str] = {}

    def copy(self, name: str) -> str:
        source = (self.base / name).resolve()
        known = self.copied.get(source)
        if known is not None:
            return known
        target = Path(DRILL_FILES) / f"{len(self.copied) + 1}-{source.name}"
        destination = self.results_dir / target
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, destination)
        except OSError as exc:
            raise LalertError(f"cannot copy {name} beside {DRILL_FILE}: {exc.strerror or exc}") from None
        self.copied[source] = target.as_posix()
        return self.copied[source]
