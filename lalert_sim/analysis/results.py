"""The typed summary of one run: produced once by the analysis layer, read by every view.

Terminal, result files, HTML report and Monte Carlo KPIs read these records by
attribute. ``RunSummary.to_json()`` is ``summary.json``; ``RunSummary.from_json``
reads one back (validated) for a report on an earlier run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lalert_sim.errors import LalertError

Quantiles = Mapping[str, float | None]  # quantile label ("90%") -> seconds, None if never reached


class Record:
    """What every result record shares: its JSON-ready form."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, fields in declaration order."""
        data: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]  # subclasses are dataclasses
        return data


@dataclass(frozen=True, slots=True)
class ScenarioInfo(Record):
    """Which scenario ran, from which file, with which seed."""

    name: str
    description: str
    source: str | None
    epoch: str  # ISO 8601
    seed: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class TopologyCounts(Record):
    """Size of the simulated network."""

    nodes: int
    links: int
    emitters: int


@dataclass(frozen=True, slots=True)
class EngineCounts(Record):
    """How much the engine did."""

    events: int
    trace_rows: int


@dataclass(frozen=True, slots=True)
class ChannelReach(Record):
    """Emitters of one channel: how many were expected and reached, and how fast."""

    expected: int
    reached: int
    median_s: float | None
    max_s: float | None


@dataclass(frozen=True, slots=True)
class Unreached(Record):
    """An expected node the alert never reached, and why."""

    node: str
    kind: str
    channel: str | None
    area: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class WarnedFigures(Record):
    """A group of residents: time until a share is warned, share unwarned at the deadline."""

    time_to_warned_s: Quantiles
    unwarned_at_deadline: float


@dataclass(frozen=True, slots=True)
class SmartphoneSplit(Record):
    """Residents who use a smartphone and those who do not."""

    smartphone: WarnedFigures
    no_smartphone: WarnedFigures


@dataclass(frozen=True, slots=True)
class MunicipalityUnwarned(Record):
    """One municipality's share of residents still unwarned at the deadline."""

    code: str
    name: str
    population: int
    unwarned_at_deadline: float


@dataclass(frozen=True, slots=True)
class ResidentsReach(Record):
    """How an alert reached the residents it concerns: overall, by age band, by smartphone use."""

    residents: int
    municipalities: int
    local_hour: float
    deadline_s: float
    time_to_warned_s: Quantiles
    unwarned_at_deadline: float
    by_age: Mapping[str, WarnedFigures]  # AGE_BANDS order
    by_smartphone: SmartphoneSplit
    worst_municipalities: tuple[MunicipalityUnwarned, ...]


@dataclass(frozen=True, slots=True)
class AlertSummary(Record):
    """Reach, timing, paths and failures of one alert."""

    id: str
    system: str
    category: str
    mode: str
    issue_s: float
    origin: str
    areas: tuple[str, ...]
    nodes_expected: int
    nodes_reached: int
    emitters_expected: int
    emitters_reached: int
    time_to_emitters_s: Quantiles
    channels: Mapping[str, ChannelReach]
    first_arrival_by_medium: Mapping[str, int]
    duplicates: int
    lost: Mapping[str, int]  # cause -> messages lost
    unreached: tuple[Unreached, ...]
    residents: ResidentsReach | None  # None: the alert concerns no municipality's residents


@dataclass(frozen=True, slots=True)
class ObjectiveResult(Record):
    """One objective for one alert: the fraction achieved and whether that met the target."""

    name: str
    alert: str
    selection: str
    nodes: int
    target_fraction: float
    within_s: float
    achieved_fraction: float
    met: bool


@dataclass(frozen=True, slots=True)
class Outage(Record):
    """How often components of a kind went down for one cause."""

    component: str
    cause: str
    count: int


@dataclass(frozen=True, slots=True)
class RequestTimes(Record):
    """One request for a unit: waits, transport, set-up, and how long the municipality was cut off."""

    equipment: str
    municipality: str
    node: str
    cut_off_s: float
    requested_s: float | None
    wait_s: float | None
    depot: str
    transport_s: float | None
    setup_s: float | None
    active_s: float | None
    cut_off_for_s: float
    restored: bool


@dataclass(frozen=True, slots=True)
class PoolUse(Record):
    """One equipment pool: most units in use, most requests waiting, and the series of both."""

    max_in_use: int
    max_waiting: int
    series: tuple[tuple[float, int, int], ...]  # time, in use, waiting


@dataclass(frozen=True, slots=True)
class Roaming(Record):
    """A carrier's subscribers roaming onto a partner's network."""

    carrier: str
    partner: str
    active_s: float | None


@dataclass(frozen=True, slots=True)
class AffectedAlert(Record):
    """An alert a cut-off municipality got late through a loaned unit (``through``), or never."""

    alert: str
    municipality: str
    through: str | None
    after_issue_s: float | None


@dataclass(frozen=True, slots=True)
class ResponsesSummary(Record):
    """What incidents and responses did: outages, requests and their logistics, pools, cut-offs."""

    outages: tuple[Outage, ...]
    requests: tuple[RequestTimes, ...]
    requests_waited: int
    requests_never_served: int
    longest_wait_s: float | None
    pools: Mapping[str, PoolUse]
    worst_cut_off: tuple[RequestTimes, ...]
    roaming: tuple[Roaming, ...]
    affected_alerts: tuple[AffectedAlert, ...]


@dataclass(frozen=True, slots=True)
class RunSummary(Record):
    """Everything a debrief needs from one run (deterministic: same seed, same summary)."""

    scenario: ScenarioInfo
    topology: TopologyCounts
    engine: EngineCounts
    alerts: tuple[AlertSummary, ...]
    objectives: tuple[ObjectiveResult, ...]
    responses: ResponsesSummary | None  # None: the scenario had no incidents or responses

    def to_json(self) -> str:
        """``summary.json``: indented, UTF-8 as is, one trailing newline."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    @staticmethod
    def from_json(text: str, source: str = "summary.json") -> RunSummary:
        """A summary read back from ``to_json`` output; LalertError naming ``source`` if it is not one."""
        try:
            return _summary_adapter().validate_json(text)
        except ValidationError as exc:
            raise LalertError(f"{source}: not a run summary of this version ({exc.error_count()} problems)") from None


@cache
def _summary_adapter() -> TypeAdapter[RunSummary]:
    return TypeAdapter(RunSummary)
