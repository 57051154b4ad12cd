"""Replays of finished runs: the console's feed over a results folder's trace, with play, pause, speed
and seek — for the after-action review.

A results folder of ``run``, ``console``, ``bridge`` or ``demo-hil`` holds
``summary.json`` and the trace (``trace.csv`` or ``trace.parquet``); ``warned.csv`` gives the warned
curve by cohort, ``reach_municipalities.csv`` each municipality's time to 50 % and share warned at the
deadline (the map's shade follows those two points), ``outages.csv`` the components going down.
"""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lalert_sim.console.clock import WallClock, steer_clock
from lalert_sim.console.curves import WarnedCurve, municipal_warned, warned_now
from lalert_sim.console.feed import Feed, NodePlaces
from lalert_sim.console.live import ControlError
from lalert_sim.console.protocol import Action, Batch, Clock, ClockState, ObjectiveState, action_of
from lalert_sim.engine.trace import COLUMNS, NO_ID, Cause, Event
from lalert_sim.errors import InvalidInput
from lalert_sim.topology.graph import Topology

SUMMARY = "summary.json"
TRACES = ("trace.parquet", "trace.csv")
DRILL = "drill.yaml"
"""A console run's scenario with its operator actions (written beside its results): replayed first."""


@dataclass(frozen=True)
class Recording:
    """A finished run as the replay plays it: trace rows in time order (codes into ``alert_ids`` and the
    topology's nodes), component outages, warned curves and objectives with the time each is decided."""

    rows: np.ndarray  # (n, 8) as the engine's trace rows
    alert_ids: list[str]
    availability: list[tuple[float, str, str, bool, str]]
    curves: list[WarnedCurve]
    objectives: list[tuple[str, float, bool]]  # name, decided at (s), met
    duration_s: float
    summary: dict[str, Any]


def scenario_of(results: Path) -> Path:
    """The scenario file a results folder was made from: its drill.yaml, else the one its summary names."""
    if (results / DRILL).is_file():
        return results / DRILL
    summary = read_summary(results)
    source = summary.get("scenario", {}).get("source")
    if not isinstance(source, str) or not source:
        raise InvalidInput(f"{results / SUMMARY}: scenario.source: missing; give the scenario with --scenario")
    for candidate in (Path(source), results / source, results.parent / source):
        if candidate.is_file():
            return candidate
    raise InvalidInput(
        f"{results / SUMMARY}: scenario.source: {source} not found (from here or the results folder); "
        "give the scenario with --scenario"
    )


def read_summary(results: Path) -> dict[str, Any]:
    """The folder's summary.json (InvalidInput naming the file when missing or not a summary)."""
    path = results / SUMMARY
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{results}: not a results folder ({SUMMARY} missing)") from None
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: cannot read it: {exc}") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("alerts"), list):
        raise InvalidInput(f"{path}: alerts: missing (not a run's summary)")
    return summary


def read_recording(results: Path, topology: Topology) -> Recording:
    """Everything a replay needs from a results folder (InvalidInput naming the file and field when it
    does not fit the scenario's topology)."""
    summary = read_summary(results)
    alert_ids = [str(a.get("id")) for a in summary["alerts"]]
    columns = _trace_columns(results)
    nodes = {node_id: code for code, node_id in enumerate(topology.nodes)}
    links = {link.id: code for code, link in enumerate(topology.links)}
    alerts = {alert_id: code for code, alert_id in enumerate(alert_ids)}
    events = {e.name.lower(): e.value for e in Event}
    causes = {"": Cause.NONE.value, **{c.name.lower(): c.value for c in Cause}}
    trace_file = next(results / name for name in TRACES if (results / name).is_file())

    def coded(name: str, table: Mapping[str, int], strict: bool) -> np.ndarray:
        out = np.empty(len(columns[name]), dtype=np.float64)
        for i, value in enumerate(columns[name]):
            text = "" if value is None else str(value)
            if text in table:
                out[i] = table[text]
            elif text == "" or not strict:
                out[i] = NO_ID
                if name == "alert":  # an alert the summary does not list (a stream's message)
                    out[i] = alerts.setdefault(text, len(alert_ids))
                    if out[i] == len(alert_ids):
                        alert_ids.append(text)
            else:
                raise InvalidInput(f"{trace_file}: row {i + 1}: {name}: {text!r} is not in the scenario")
        return out

    try:
        rows = (
            np.column_stack(
                [
                    np.asarray(columns["time_s"], dtype=np.float64),
                    coded("alert", alerts, False),
                    coded("node", nodes, True),
                    coded("from_node", nodes, True),
                    coded("link", links, True),
                    coded("event", events, True),
                    np.asarray(columns["attempt"], dtype=np.float64),
                    coded("cause", causes, True),
                ]
            )
            if len(columns["time_s"])
            else np.empty((0, len(COLUMNS)))
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{trace_file}: not a trace: {exc}") from None
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    issue = {str(a.get("id")): float(a.get("issue_s", 0.0)) for a in summary["alerts"]}
    duration_s = float(summary.get("scenario", {}).get("duration_s", rows[-1, 0] if len(rows) else 0.0))
    objectives = [
        (str(o["name"]), issue.get(str(o.get("alert")), 0.0) + float(o["within_s"]), bool(o["met"]))
        for o in summary.get("objectives", [])
    ]
    return Recording(rows, alert_ids, _outages(results), _curves(results, issue), objectives, duration_s, summary)


def _trace_columns(results: Path) -> dict[str, list[Any]]:
    parquet, plain = (results / name for name in TRACES)
    if parquet.is_file():
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InvalidInput(f"{parquet}: reading it needs pyarrow: pip install 'lalert-sim[parquet]'") from None
        try:
            table = pq.read_table(parquet, columns=list(COLUMNS))
        except Exception as exc:  # pyarrow's errors have no common base of ours
            raise InvalidInput(f"{parquet}: cannot read it: {exc}") from None
        return {name: table.column(name).to_pylist() for name in COLUMNS}
    if not plain.is_file():
        raise InvalidInput(f"{results}: no trace (trace.csv or trace.parquet): run with --out to keep one")
    with plain.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidInput(f"{plain}: columns missing: {', '.join(missing)}")
        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        for row in reader:
            for name in COLUMNS:
                columns[name].append(row[name])
    return columns


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _outages(results: Path) -> list[tuple[float, str, str, bool, str]]:
    return [
        (float(r["time_s"]), r["component"], r["id"], r["event"] == "down", r["cause"])
        for r in _read_rows(results / "outages.csv")
    ]


def _curves(results: Path, issue: Mapping[str, float]) -> list[WarnedCurve]:
    """Each alert's warned curve (warned.csv) and municipal shades (reach_municipalities.csv)."""
    points: dict[str, list[dict[str, str]]] = {}
    for row in _read_rows(results / "warned.csv"):
        points.setdefault(row["alert"], []).append(row)
    towns: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for row in _read_rows(results / "reach_municipalities.csv"):
        towns.setdefault(row["alert"], {})[row["code"]] = _shade(row)
    curves = []
    for alert, rows in points.items():
        times = np.array([float(r["time_s"]) for r in rows])
        cohorts = {
            name: np.array([float(r[name]) for r in rows]) for name in rows[0] if name not in ("alert", "time_s")
        }
        by_cohort = {"overall": cohorts.pop("overall"), **{k.removeprefix("age_"): v for k, v in cohorts.items()}}
        curves.append(WarnedCurve(issue.get(alert, 0.0), times, by_cohort, towns.get(alert, {})))
    return curves


def _shade(row: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """A municipality's warned share over time through its two recorded points: 50 % at its time to
    50 % (if reached) and its final share at the deadline."""
    final = 1.0 - float(row["unwarned_at_deadline"])
    half = row.get("time_to_50_s") or ""
    if half and final > 0.5:
        t50 = float(half)
        return np.array([0.0, t50, max(t50 * 2, t50 + 1.0)]), np.array([0.0, 0.5, final])
    return np.array([0.0]), np.array([0.0])


class Replay:
    """Plays a recording on a clock through a feed; ``run`` (its own thread) emits a batch at most every
    ``batch_gap_s`` while the clock moves, ``control`` steers it."""

    def __init__(
        self,
        recording: Recording,
        topology: Topology,
        emit: Callable[[Callable[[], Batch]], None],
        speed: float = 1.0,
        batch_gap_s: float = 0.1,
    ) -> None:
        self.recording = recording
        self.clock = WallClock(recording.duration_s, speed)
        self.feed = Feed(NodePlaces.of(topology))
        self.emit = emit
        self.batch_gap_s = batch_gap_s
        self._shown_s = -1.0  # the clock time the feed holds everything up to
        self._row = 0
        self._outage = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def clock_state(self) -> Clock:
        """The clock as the stream reports it."""
        return self.clock.report()

    def run(self) -> None:
        """Play until ``stop``: follow the clock, emit the changes."""
        self.advance()
        while not self._stop.is_set():
            self.clock.wait(float("inf"), self.batch_gap_s)
            time.sleep(self.batch_gap_s / 2)  # at most a batch per gap, however often the clock changes
            self.advance()

    def stop(self) -> None:
        """End ``run``."""
        self._stop.set()
        self.clock.nudge()

    def advance(self) -> None:
        """Bring the feed to the clock's time (from the start when it went back) and emit what changed."""
        with self._lock:
            now_s = self.clock.sim_now()
            if now_s == self._shown_s:
                self.emit(lambda: self.feed.take(self.clock_state()))
                return
            if now_s < self._shown_s:
                self.feed.reset()
                self._row = self._outage = 0
            recording = self.recording
            stop = int(np.searchsorted(recording.rows[:, 0], now_s, side="right"))
            self.feed.add_rows(recording.rows[self._row : stop], recording.alert_ids)
            self._row = max(self._row, stop)
            outages = recording.availability
            end = self._outage
            while end < len(outages) and outages[end][0] <= now_s:
                end += 1
            self.feed.add_availability(outages[self._outage : end])
            self._outage = end
            curves = recording.curves
            self.feed.add_warned(warned_now(curves, now_s), municipal_warned(curves, now_s))
            self.feed.set_objectives(self.objectives(now_s))
            self._shown_s = now_s
            if now_s >= recording.duration_s and self.clock.state is ClockState.RUNNING:
                self.clock.end()
            self.emit(lambda: self.feed.take(self.clock_state()))

    def objectives(self, now_s: float) -> list[ObjectiveState]:
        """Each objective as recorded, decided once its window has closed or the run has ended."""
        end_s = self.recording.duration_s
        return [
            {"name": name, "met": met if now_s >= min(closes, end_s) else None}
            for name, closes, met in self.recording.objectives
        ]

    def control(self, body: Mapping[str, Any]) -> float:
        """Play (start / resume), pause, speed or seek; the simulation time after it."""
        action = action_of(body)
        clock = self.clock
        try:
            match action:
                case Action.START:
                    clock.start()
                case Action.PAUSE | Action.RESUME | Action.SPEED:
                    steer_clock(clock, action, body)
                case Action.SEEK:
                    target = body.get("sim_s")
                    if isinstance(target, bool) or not isinstance(target, int | float) or not np.isfinite(target):
                        raise ValueError(f"sim_s must be a number of simulated seconds; got {target!r}")
                    clock.seek(float(target))
                case Action.ISSUE | Action.CAP | Action.INCIDENT | Action.UPDATE | Action.CANCEL:
                    raise ControlError(f"{action.value}: a replay plays what happened; it takes no actions")
        except ControlError:
            raise
        except ValueError as exc:
            if action in (Action.SPEED, Action.SEEK):
                raise
            raise ControlError(str(exc)) from None
        self.advance()
        return round(clock.sim_now(), 3)
