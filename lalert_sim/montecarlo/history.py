"""The model checked against history: real events, their published figures, and a sweep of each.

An events file (``validation/events.yaml`` in the repository) names, for each
real event, an ordinary scenario file and the figures published about it: which
KPI of a sweep corresponds, the band accepted and why. ``run_history`` runs each
event's scenario as a Monte Carlo sweep and sets each simulated mean (95 % CI)
beside the published figure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import Field, ValidationError, model_validator

from lalert_sim.analysis.results import Record
from lalert_sim.errors import Problem, ScenarioError
from lalert_sim.model.base import Frozen, Id
from lalert_sim.model.loader import line_finder, read_yaml, validation_problems
from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.results import column, kpi_names
from lalert_sim.montecarlo.statistics import mean_ci
from lalert_sim.montecarlo.sweep import SweepSpec, run_sweep
from lalert_sim.prepare import load

MAX_REPLICATIONS = 10_000
"""Most replications one event may ask for."""
MAX_EVENTS = 100
"""Most events one file may hold."""
Text = Annotated[str, Field(min_length=1, max_length=2_000)]
"""Free text for the reader (a name, a source, a reason)."""
Unit = Literal["share", "seconds", "count"]
"""How a figure is read and shown: a share 0-1 (shown in %), seconds, or a count."""
SHARE_OF_WARNED_KPI = "unwarned_at_deadline"
"""The alert's KPI that ``share_of: warned`` divides by (as 1 minus it)."""


class HistoryCheck(Frozen):
    """One published figure of an event and the sweep KPI that corresponds to it."""

    what: Text
    """What the figure is, in words (one table row)."""
    kpi: Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[A-Za-z0-9_.:/-]+$")]
    """The sweep KPI compared, e.g. ``tsunami.reached_by.outdoor_loudspeaker`` (see analysis/kpis.py)."""
    share_of: Literal["all", "warned"] = "all"
    """``all``: the KPI as it is; ``warned``: divided, replication by replication, by the share warned at
    the deadline (1 - ``<alert>.unwarned_at_deadline``), for surveys that asked only those who learned."""
    alert: Id | None = None
    """The alert whose warned share ``share_of: warned`` divides by."""
    published: float
    """The published figure, in the unit below."""
    unit: Unit = "share"
    """``share`` (0-1, shown in %), ``seconds`` or ``count``."""
    band: tuple[float, float]
    """The simulated mean accepted: [low, high], in the unit above."""
    band_reason: Text
    """Why this band: the figure's own uncertainty and what the model leaves out."""
    known_gap: Text | None = None
    """Why the model is known to fall outside this band, if it does: the row is still run and shown
    (status ``no (known gap)``) but not required; none: the row must be within band."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        low, high = self.band
        if low > high:
            raise ValueError(f"band: low {low} is above high {high}")
        if self.share_of == "warned" and self.alert is None:
            raise ValueError("share_of: warned needs `alert`, the alert whose warned share divides")
        return self

    @property
    def denominator(self) -> str | None:
        """The KPI whose complement divides, for ``share_of: warned``."""
        return f"{self.alert}.{SHARE_OF_WARNED_KPI}" if self.share_of == "warned" else None


class HistoryEvent(Frozen):
    """A real event: the scenario that models it, where its figures come from, and the figures."""

    id: Id
    """Short name, also the event's results subfolder."""
    name: Text
    """The event as the table shows it."""
    date: date
    """The day it happened (local date)."""
    scenario: Annotated[str, Field(min_length=1, max_length=500)]
    """The scenario file, relative to the events file."""
    source: Text
    """Where the published figures come from (DOMAIN.md and the primary source it names)."""
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 20
    """Replications of the sweep (``lalert-sim history -n`` overrides)."""
    checks: Annotated[list[HistoryCheck], Field(min_length=1, max_length=50)]
    """The figures compared, one table row each."""


class HistoryEvents(Frozen):
    """An events file: the real events the model is checked against."""

    note: str = ""
    """Free text: how the file was made, what the choices are."""
    events: Annotated[list[HistoryEvent], Field(min_length=1, max_length=MAX_EVENTS)]
    """The events, in the order of the table."""

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [e.id for e in self.events]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"event ids given twice: {', '.join(doubles)}")
        return self


@dataclass(frozen=True, slots=True)
class LoadedEvents:
    """An events file read and checked, with each event's scenario path resolved."""

    path: Path
    """The events file."""
    events: HistoryEvents
    """Its content."""
    scenarios: dict[str, Path]
    """Event id -> its scenario file."""


def load_events(path: Path) -> LoadedEvents:
    """Read and check an events file (ScenarioError naming file, line and field for anything wrong)."""
    data, lines = read_yaml(path)
    line_of = line_finder(lines)
    if not isinstance(data, dict):
        raise ScenarioError([Problem("an events file must be a mapping (events: [...])", file=str(path))])
    try:
        events = HistoryEvents.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, data)
        raise ScenarioError([Problem(p.message, p.loc, str(path), line_of(p.loc)) for p in problems]) from None
    scenarios, problems = {}, []
    for index, event in enumerate(events.events):
        scenario = (path.parent / event.scenario).resolve()
        loc = ("events", index, "scenario")
        if not scenario.is_file():
            problems.append(Problem(f"no scenario file {event.scenario}", loc, str(path), line_of(loc)))
        scenarios[event.id] = scenario
    if problems:
        raise ScenarioError(problems)
    return LoadedEvents(path, events, scenarios)


@dataclass(frozen=True, slots=True)
class HistoryRow(Record):
    """One published figure beside the simulated one."""

    event: str
    """The event's id."""
    event_name: str
    """The event as the table shows it."""
    date: str
    """The day it happened, ISO 8601."""
    what: str
    """What the figure is."""
    kpi: str
    """The sweep KPI compared (``/ warned`` added where divided by the warned share)."""
    unit: str
    """``share``, ``seconds`` or ``count``."""
    published: float
    """The published figure."""
    band_low: float
    """Lowest simulated mean accepted."""
    band_high: float
    """Highest simulated mean accepted."""
    replications: int
    """Replications run."""
    produced: bool
    """Whether the runs produced the KPI at all (False: this model version has no such figure)."""
    finite: int
    """Replications in which the figure was reached (finite)."""
    mean: float
    """Simulated mean over the replications where it was reached; NaN when never."""
    ci95_low: float
    """Lower end of the mean's 95 % confidence interval (Student t); NaN with fewer than two."""
    ci95_high: float
    """Upper end of the 95 % confidence interval."""
    within: bool
    """Whether the simulated mean lies in the band (False when not produced or never reached)."""
    known_gap: str | None = None
    """Why the model is known to fall outside this band (events.yaml); None: the row must be within."""

    @property
    def status(self) -> str:
        """``yes``, ``no``, ``no (known gap)``, ``KPI not produced`` or ``never reached``."""
        if not self.produced:
            return "KPI not produced"
        if math.isnan(self.mean):
            return "never reached"
        if self.within:
            return "yes"
        return "no" if self.known_gap is None else "no (known gap)"

    @property
    def required(self) -> bool:
        """Whether the row must be within band (no known gap declared)."""
        return self.known_gap is None


Progress = Callable[[HistoryEvent, int], None]
"""Called with the event and the number of its replications just finished."""


def run_history(
    loaded: LoadedEvents,
    out_dir: Path,
    replications: int | None = None,
    master_seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[HistoryRow]:
    """Sweep every event's scenario (batches under ``out_dir/<event id>``) and compare: one row per check.

    ``replications`` and ``master_seed`` override every event's own (default: the
    event's replications and its scenario's seed). Each scenario is checked before
    any replication runs (ScenarioError, as ``lalert-sim sweep``).
    """
    prepared = {e.id: load(loaded.scenarios[e.id]) for e in loaded.events.events}  # fail early, all at once
    rows: list[HistoryRow] = []
    for event in loaded.events.events:
        seed = prepared[event.id].scenario.seed if master_seed is None else master_seed
        spec = SweepSpec(
            loaded.scenarios[event.id], replications or event.replications, seed, out_dir / event.id, workers
        )
        done = (lambda count, e=event: progress(e, count)) if progress else None
        outcome = run_sweep(spec, done)
        rows.extend(compare_event(event, outcome.rows))
    return rows


def compare_event(event: HistoryEvent, rows: list[Row]) -> list[HistoryRow]:
    """Each check of the event against the sweep's rows."""
    present = set(kpi_names(rows))
    compared = []
    for check in event.checks:
        needed = [check.kpi, *filter(None, [check.denominator])]
        produced = all(name in present for name in needed)
        values = np.full(len(rows), math.nan)
        if produced:
            values = column(rows, check.kpi)
            if check.denominator is not None:
                warned = 1 - column(rows, check.denominator)
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.where(warned > 0, values / warned, math.nan)
        mean, low, high = mean_ci(values)
        band_low, band_high = check.band
        compared.append(
            HistoryRow(
                event=event.id,
                event_name=event.name,
                date=event.date.isoformat(),
                what=check.what,
                kpi=check.kpi + (" / warned" if check.denominator else ""),
                unit=check.unit,
                published=check.published,
                band_low=band_low,
                band_high=band_high,
                replications=len(rows),
                produced=produced,
                finite=int(np.isfinite(values).sum()),
                mean=mean,
                ci95_low=low,
                ci95_high=high,
                within=produced and not math.isnan(mean) and band_low <= mean <= band_high,
                known_gap=check.known_gap,
            )
        )
    return compared


def history_json(rows: list[HistoryRow]) -> str:
    """``history.json``: every row as JSON (NaN written as null)."""
    data = [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.as_dict().items()} for r in rows]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def default_events_path(start: Path) -> Path | None:
    """``validation/events.yaml`` in ``start`` or a folder above it (a checkout of the repository), if any."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "validation" / "events.yaml"
        if candidate.is_file():
            return candidate
    return None
