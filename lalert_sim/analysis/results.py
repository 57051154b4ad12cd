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
    """The scenario's name (metadata.name)."""
    description: str
    """The scenario's description (metadata.description)."""
    source: str | None
    """The scenario file it was read from; None for a scenario built in Python."""
    epoch: str
    """Wall-clock time of simulated second 0, ISO 8601."""
    seed: int
    """Seed of this replication."""
    duration_s: float
    """Simulated seconds the run covered."""
    language: str = "en"
    """Language the scenario asks its summary and report in (metadata.language: ``en`` or ``ja``)."""


@dataclass(frozen=True, slots=True)
class TopologyCounts(Record):
    """Size of the simulated network as built: templates expanded, loaned units' dormant links
    and roaming links included."""

    nodes: int
    """Nodes in the built topology."""
    links: int
    """Links in the built topology."""
    emitters: int
    """Nodes that put an alert in front of residents (loudspeakers, cell broadcast, TV...)."""


@dataclass(frozen=True, slots=True)
class EngineCounts(Record):
    """How much the engine did: SimPy's own event count (a scheduled delivery, a process started or
    ended, a pool request granted: each is one), and the trace rows it recorded."""

    events: int
    """SimPy events the engine processed."""
    trace_rows: int
    """Rows in the trace (one per alert per hop event)."""


@dataclass(frozen=True, slots=True)
class ChannelReach(Record):
    """Emitters of one channel: how many were expected and reached, and how fast."""

    expected: int
    """Emitters of this channel the alert concerns."""
    reached: int
    """Of those, how many emitted it."""
    median_s: float | None
    """Median seconds from issue to emission; None if none emitted."""
    max_s: float | None
    """Seconds from issue to the last emission; None if none emitted."""


@dataclass(frozen=True, slots=True)
class Unreached(Record):
    """An expected node the alert never reached, and why."""

    node: str
    """Id of the node."""
    kind: str
    """Its kind (origin, relay, emitter...)."""
    channel: str | None
    """Its channel if it is an emitter."""
    area: str | None
    """Its area code; None for a national node."""
    reason: str
    """Why the alert never reached it (e.g. its only link was down)."""


@dataclass(frozen=True, slots=True)
class WarnedFigures(Record):
    """A group of residents: time until a share is warned, share unwarned at the deadline."""

    time_to_warned_s: Quantiles
    """Seconds from issue until each share of the group was warned."""
    unwarned_at_deadline: float
    """Share (0–1) of the group still unwarned at the deadline."""


@dataclass(frozen=True, slots=True)
class SmartphoneSplit(Record):
    """Residents who use a smartphone and those who do not (cell broadcast, portals and apps reach
    only the first: in 2020, 57.8 % of people aged 70+ did not use one)."""

    smartphone: WarnedFigures
    """Residents who use a smartphone."""
    no_smartphone: WarnedFigures
    """Residents who do not."""


@dataclass(frozen=True, slots=True)
class MunicipalityUnwarned(Record):
    """One municipality's share of residents still unwarned at the deadline."""

    code: str
    """Municipality code (JIS X 0402)."""
    name: str
    """Municipality name."""
    population: int
    """Residents of the municipality."""
    unwarned_at_deadline: float
    """Share (0–1) of them still unwarned at the deadline."""


@dataclass(frozen=True, slots=True)
class ChannelShares(Record):
    """Through which channels a group of residents learned of an alert, at the deadline.

    Keys: ``Channel`` values and ``word_of_mouth``; channels that reach nobody are left out.
    """

    first_via: Mapping[str, float]
    """Share (0–1) of the group first warned through each channel; they sum to the share warned."""
    reached_by: Mapping[str, float]
    """Share (0–1) of the group each channel warned, whether or not another warned them first."""


@dataclass(frozen=True, slots=True)
class ResidentsReach(Record):
    """How an alert reached the residents it concerns: overall, by age band, by smartphone use."""

    residents: int
    """Residents the alert concerns."""
    municipalities: int
    """Municipalities they live in."""
    local_hour: float
    """Local hour of day at issue, which sets where residents are (asleep, at work...)."""
    day_type: str
    """Kind of day at issue (weekday, weekend, holiday), which sets where residents are too."""
    deadline_s: float
    """Seconds after issue at which the still unwarned are counted."""
    time_to_warned_s: Quantiles
    """Seconds from issue until each share of all residents was warned."""
    unwarned_at_deadline: float
    """Share (0–1) of all residents still unwarned at the deadline."""
    by_age: Mapping[str, WarnedFigures]
    """The same figures per age band, in AGE_BANDS order."""
    by_smartphone: SmartphoneSplit
    """The same figures for residents with and without a smartphone."""
    worst_municipalities: tuple[MunicipalityUnwarned, ...]
    """Municipalities with the largest share unwarned at the deadline, worst first."""
    channel_shares: Mapping[str, ChannelShares]
    """Through which channels they learned of it, per group: overall, each age band, smartphone, no_smartphone."""


@dataclass(frozen=True, slots=True)
class ChainStep(Record):
    """One message's place in its chain, and what it did to the outputs sounding earlier messages of it."""

    event: str
    """The event the chain is about (JMA EventID, or the CAP identifier of its first message)."""
    serial: int
    """Its number in the chain."""
    kind: str
    """issue, update, correction, cancel or lift."""
    references: tuple[str, ...]
    """Ids of the earlier alerts it updates, corrects, cancels or lifts."""
    outputs_stopped: int
    """Outputs still sounding an earlier message of the chain when it came: stopped by a cancel or lift,
    switched to it by an update or correction."""
    stop_s: Quantiles
    """Seconds from its issue until each share of those outputs had stopped or switched."""
    stale: int
    """Emitters it reached after a later message of its chain had: not emitted there."""
    ended_by_later: int
    """Outputs sounding it that a later message of the chain stopped or switched."""
    sounding_at_end: int
    """Outputs still sounding it when the run ended (shown until withdrawn, or not yet over)."""


@dataclass(frozen=True, slots=True)
class AlertSummary(Record):
    """Reach, timing, paths and failures of one alert."""

    id: str
    """The alert's id."""
    system: str
    """j_alert or l_alert."""
    category: str
    """What it warns of (missile, eew, tsunami, evacuation...)."""
    mode: str
    """actual, exercise or test."""
    issue_s: float
    """Simulated second it was issued."""
    origin: str
    """Node it was injected at."""
    areas: tuple[str, ...]
    """Area codes it concerns; empty: nationwide."""
    nodes_expected: int
    """Nodes the alert concerns."""
    nodes_reached: int
    """Of those, how many received it."""
    emitters_expected: int
    """Emitters the alert concerns."""
    emitters_reached: int
    """Of those, how many emitted it."""
    time_to_emitters_s: Quantiles
    """Seconds from issue until each share of the expected emitters was sounding."""
    channels: Mapping[str, ChannelReach]
    """Emitters per channel."""
    first_arrival_by_medium: Mapping[str, int]
    """Nodes whose first copy came over each medium."""
    duplicates: int
    """Copies that arrived at a node that already had the alert (not relayed again)."""
    lost: Mapping[str, int]
    """Transmissions lost, by cause."""
    unreached: tuple[Unreached, ...]
    """Expected nodes it never reached, and why."""
    residents: ResidentsReach | None
    """How it reached residents; None: it concerns no municipality's residents."""
    silence: Silence | None = None
    """Municipalities whose automatic outputs all stayed silent; None: it concerns no automatic output."""
    chain: ChainStep | None = None
    """Its place in a chain of messages (update, cancel, lift) and what it did there; None: not in one."""


@dataclass(frozen=True, slots=True)
class ObjectiveResult(Record):
    """One objective for one alert: the fraction achieved and whether that met the target."""

    name: str
    """The objective's name."""
    alert: str
    """The alert it was judged on."""
    selection: str
    """Which nodes it covers, in words."""
    nodes: int
    """How many nodes it selected."""
    target_fraction: float
    """Share (0–1) of them that had to be reached."""
    within_s: float
    """Seconds after issue they had to be reached by."""
    achieved_fraction: float
    """Share (0–1) reached in time."""
    met: bool
    """True when the achieved share reached the target."""


@dataclass(frozen=True, slots=True)
class Outage(Record):
    """How often components of a kind went down for one cause."""

    component: str
    """Kind of component (node or link kind)."""
    cause: str
    """Why it went down (incident, battery, damage...)."""
    count: int
    """How many times."""


@dataclass(frozen=True, slots=True)
class RequestTimes(Record):
    """One request for a unit: waits, transport, set-up, and how long the municipality was cut off."""

    equipment: str
    """Unit type requested (a loaned equipment type or power_vehicle)."""
    municipality: str
    """Municipality code it was requested for."""
    node: str
    """Node that was cut off."""
    cut_off_s: float
    """Simulated second the node was found cut off."""
    requested_s: float | None
    """Simulated second the request went out; None if it never did."""
    wait_s: float | None
    """Seconds it waited for a free unit; None if never granted."""
    depot: str
    """Where the unit came from."""
    transport_s: float | None
    """Seconds to bring the unit; None if never granted."""
    setup_s: float | None
    """Seconds to set it up; None if it never arrived."""
    active_s: float | None
    """Simulated second the unit was working; None if never."""
    cut_off_for_s: float
    """Seconds the municipality stayed cut off (to the end of the run if never restored)."""
    restored: bool
    """True when the unit restored the path within the run."""


@dataclass(frozen=True, slots=True)
class PoolUse(Record):
    """One equipment pool: most units in use, most requests waiting, and the series of both."""

    max_in_use: int
    """Most units in use at once."""
    max_waiting: int
    """Most requests waiting at once."""
    series: tuple[tuple[float, int, int], ...]
    """Every change: (simulated second, units in use, requests waiting)."""


@dataclass(frozen=True, slots=True)
class Roaming(Record):
    """A carrier's subscribers roaming onto a partner's network."""

    carrier: str
    """Carrier whose network failed."""
    partner: str
    """Carrier whose network its subscribers roamed onto."""
    active_s: float | None
    """Simulated second roaming began; None if it never did within the run."""


@dataclass(frozen=True, slots=True)
class AffectedAlert(Record):
    """An alert a cut-off municipality got late through a loaned unit (``through``), or never."""

    alert: str
    """The alert's id."""
    municipality: str
    """Municipality code that was cut off."""
    through: str | None
    """Loaned unit's link it finally came through; None if it never arrived."""
    after_issue_s: float | None
    """Seconds after issue it arrived that way; None if never."""


@dataclass(frozen=True, slots=True)
class ResponsesSummary(Record):
    """What incidents and responses did: outages, requests and their logistics, pools, cut-offs."""

    outages: tuple[Outage, ...]
    """Components that went down, by kind and cause."""
    requests: tuple[RequestTimes, ...]
    """Every request for a unit, in order."""
    requests_waited: int
    """Requests that had to wait for a free unit."""
    requests_never_served: int
    """Requests never granted within the run."""
    longest_wait_s: float | None
    """Longest wait for a unit in seconds; None if there were no requests."""
    pools: Mapping[str, PoolUse]
    """Use of each equipment pool."""
    worst_cut_off: tuple[RequestTimes, ...]
    """Requests of the municipalities cut off longest, worst first."""
    roaming: tuple[Roaming, ...]
    """Inter-carrier roaming that was switched on."""
    affected_alerts: tuple[AffectedAlert, ...]
    """Alerts that cut-off municipalities got late through a loaned unit, or never."""


@dataclass(frozen=True, slots=True)
class CorrectionTimes(Record):
    """How fast a correction (update, correction or cancel) reached the residents who got the alert it corrects.

    Those who got the original: its expected warned residents over its reach horizon. Within a municipality
    the correction is taken to reach them first (the residents a channel reaches are reached by every message
    on it), so its share is min(correction warned, original warned) per municipality, summed over them.
    """

    alert: str
    """The alert corrected."""
    correction: str
    """The correcting message's id."""
    kind: str
    """update, correction or cancel."""
    issue_s: float
    """Simulated second the correction was issued."""
    after_original_s: float
    """Seconds from the original's issue to the correction's."""
    recipients: float
    """Residents who got the original (expected number, over its reach horizon)."""
    t50_s: float | None
    """Seconds from the correction's issue until 50 % of them had got it; None: not within its horizon."""
    t95_s: float | None
    """Seconds from the correction's issue until 95 % of them had got it; None: not within its horizon."""
    got_share: float
    """Share (0–1) of them that had got it by the end of its horizon."""


@dataclass(frozen=True, slots=True)
class RunSummary(Record):
    """Everything a debrief needs from one run, deterministic (same seed, same summary):
    ``to_json`` writes it as ``summary.json``, ``from_json`` reads one back."""

    scenario: ScenarioInfo
    """Which scenario ran, with which seed."""
    topology: TopologyCounts
    """Size of the network."""
    engine: EngineCounts
    """How much the engine did."""
    alerts: tuple[AlertSummary, ...]
    """One summary per alert, in issue order."""
    objectives: tuple[ObjectiveResult, ...]
    """Each objective judged per alert."""
    responses: ResponsesSummary | None
    """What incidents and responses did; None: the scenario had none."""
    stations: Mapping[str, StationsOffAir] = dataclasses.field(default_factory=dict)
    """Stations off air over the run, per channel (emitter channels of the network)."""
    corrections: tuple[CorrectionTimes, ...] = ()
    """How fast each update, correction or cancel reached the residents who got the alert it corrects."""

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


@dataclass(frozen=True, slots=True)
class SilentMunicipality(Record):
    """A municipality whose automatic outputs all stayed silent for an alert, and why."""

    code: str
    """Municipality code (JIS X 0402)."""
    cause: str
    """The most upstream broken component on the paths to its outputs, by class (``jalert_receiver``,
    ``startup_device``, ``disaster_radio``...; several joined by ``+``), else by its id."""
    components: tuple[str, ...]
    """Ids of those components."""
    reasons: tuple[str, ...]
    """Why they were down (outage-log causes, e.g. ``latent_failure (startup_device)``)."""
    downstream: bool
    """True when the failure lies downstream of the municipality's J-Alert receiver (it had the alert)."""


@dataclass(frozen=True, slots=True)
class Silence(Record):
    """Concerned municipalities with automatic outputs (loudspeakers, indoor receivers, community FM,
    registered mail, IP terminals) in which none emitted the alert during the run."""

    municipalities: int
    """Concerned municipalities with at least one automatic output the alert was expected to reach."""
    share: float
    """Share (0–1) of them that stayed silent."""
    downstream_share: float | None
    """Share (0–1) of the silent ones whose failure lies downstream of the receiver; None: none silent."""
    silent: tuple[SilentMunicipality, ...]
    """The silent municipalities, by code."""


@dataclass(frozen=True, slots=True)
class StationsOffAir(Record):
    """The stations of one channel (loudspeakers, base stations...) off air over the run."""

    stations: int
    """Stations of the channel in the network (an emitter node stands for one or more)."""
    down_peak: int
    """Most stations off air at once."""
    down_peak_s: float | None
    """Simulated second of that peak (its first moment); None: none was ever off air."""
    hourly: tuple[int, ...]
    """Stations off air at each full hour of the run: 0 s, 3,600 s, ... up to its end."""
