"""From a scenario file to something the engine can run: validated, built, resolved."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lalert_sim.errors import Loc, Problem, ScenarioError, TopologyError
from lalert_sim.model.actions import AlertFileAction, IncidentAction
from lalert_sim.model.alert_files import expand_alert_files, read_alert_file
from lalert_sim.model.alerts import Alert
from lalert_sim.model.feeds import expand_feed_alerts
from lalert_sim.model.files import referenced_path
from lalert_sim.model.impairments import FROM_MEDIUM
from lalert_sim.model.loader import line_finder, parse_scenario, parse_yaml, read_yaml
from lalert_sim.model.network import media_settings
from lalert_sim.model.overlay import Overlay
from lalert_sim.model.scenario import Scenario, reference_problems, size_problems
from lalert_sim.model.streams import CsvArrivals, MessageStream, arrival_times, read_arrival_times
from lalert_sim.streams import generator
from lalert_sim.topology.failures import FailurePlan, resolve_failures
from lalert_sim.topology.graph import Topology, build_topology, unknown_node_message
from lalert_sim.topology.incidents import IncidentPlan, resolve_incidents
from lalert_sim.topology.municipality_file import read_municipality_table
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.responses import ResponsePlan, prepare_responses
from lalert_sim.topology.templates import MAX_GENERATED_MUNICIPALITIES, municipality_count


@dataclass(frozen=True)
class Injection:
    """An alert and the node where it enters the network."""

    alert: Alert
    origin: str


@dataclass(frozen=True)
class StreamMessages:
    """A stream's messages, never spelt out one object each: one template alert, its entry node, its arrivals.

    The arrival times are drawn per replication seed on the stream ``stream:ID/arrivals`` (a CSV's are read
    once); each message becomes an alert (the template with its id and issue time) only when it is issued.
    """

    spec: MessageStream
    template: Alert
    origin: str
    duration_s: float
    csv_times_s: np.ndarray | None = None

    def times(self, seed: int) -> np.ndarray:
        """Sorted arrival times (seconds) before the end of the run, for a replication seed."""
        if self.csv_times_s is not None:
            return self.csv_times_s[self.csv_times_s < self.duration_s]
        arrivals = self.spec.arrivals
        assert not isinstance(arrivals, CsvArrivals)  # read at prepare time
        return arrival_times(arrivals, self.duration_s, generator(seed, f"stream:{self.spec.id}/arrivals"))

    def message_id(self, number: int) -> str:
        """The id of its message ``number`` (0 first): ``ID-000000``."""
        return f"{self.spec.id}-{number:06d}"

    def message(self, number: int, issue_s: float) -> Alert:
        """Its message ``number`` (0 first), issued at ``issue_s``: the template with that id and time.

        Built as ``model_copy`` would build it, without its generic copying (this runs once per message).
        """
        alert = _new_alert(Alert)
        fields = self.template.__dict__.copy()
        fields["id"] = f"{self.spec.id}-{number:06d}"
        fields["issue_s"] = issue_s
        _set(alert, "__dict__", fields)
        _set(alert, "__pydantic_fields_set__", self.template.__pydantic_fields_set__)  # id, issue_s: set there
        _set(alert, "__pydantic_extra__", None)
        _set(alert, "__pydantic_private__", None)
        return alert

    def injections(self, seed: int) -> Iterator[Injection]:
        """Each message as an alert with its entry node, in arrival order (made one at a time)."""
        for number, time_s in enumerate(self.times(seed).tolist()):
            yield Injection(self.message(number, time_s), self.origin)


_new_alert = object.__new__
_set = object.__setattr__


@dataclass(frozen=True)
class Prepared:
    """A scenario with its built topology and each alert's entry point."""

    scenario: Scenario
    topology: Topology
    injections: list[Injection]
    municipalities: MunicipalityTable
    incidents: list[IncidentPlan] = field(default_factory=list)
    responses: ResponsePlan = field(default_factory=ResponsePlan)
    source: str | None = None
    failures: FailurePlan = field(default_factory=FailurePlan)
    streams: list[StreamMessages] = field(default_factory=list)


def prepare(scenario: Scenario, source: str | None = None, allow_outside_paths: bool = False) -> Prepared:
    """Build the topology and resolve alert origins; ScenarioError lists every problem.

    The municipality table is read relative to ``source``'s folder (none: the working
    folder) and must lie inside it unless ``allow_outside_paths``.
    """
    problems = size_problems(scenario)
    if problems:
        raise ScenarioError(problems)
    problems = reference_problems(scenario)
    table = _municipality_table(scenario, source, allow_outside_paths)
    _check_template_sizes(scenario, table)
    with media_settings(scenario.topology.media):  # generated links take the scenario's media defaults too
        try:
            topology = build_topology(scenario.topology, table)
        except TopologyError as exc:
            raise TopologyError([*exc.problems, *problems]) from None
        incidents = resolve_incidents(topology, list(scenario.incidents), problems)
        topology, responses = prepare_responses(topology, scenario.responses, incidents, table, problems)
    injections = []
    covered = _covered(topology)
    for index, alert in enumerate(scenario.alerts):
        for area_index, area in enumerate(alert.areas):
            if not covered(area):
                problems.append(
                    Problem(f"no node of the network lies in area {area}", ("alerts", index, "areas", area_index))
                )
        try:
            injections.append(Injection(alert, topology.origin_for(alert)))
        except ValueError as exc:
            problems.append(Problem(str(exc), ("alerts", index, "origin")))
    problems.extend(_binding_problems(scenario, topology))
    problems.extend(_action_problems(scenario, topology, source, allow_outside_paths))
    streams = _streams(scenario, topology, covered, source, allow_outside_paths, problems)
    failures = resolve_failures(topology, scenario.failures, problems)
    if problems:
        raise ScenarioError(problems)
    return Prepared(scenario, topology, injections, table, incidents, responses, source, failures, streams)


def _streams(
    scenario: Scenario,
    topology: Topology,
    covered: Callable[[str], bool],
    source: str | None,
    allow_outside_paths: bool,
    problems: list[Problem],
) -> list[StreamMessages]:
    """Each stream's template alert, entry node and (for a CSV) arrival times; problems for what does not fit."""
    streams = []
    seen: set[str] = set()
    alert_ids = {alert.id for alert in scenario.alerts}
    for index, stream in enumerate(scenario.streams):
        where: tuple[str | int, ...] = ("streams", index)
        if stream.id in seen:
            problems.append(Problem(f"stream id {stream.id!r} is used twice", (*where, "id")))
        seen.add(stream.id)
        pattern = re.compile(re.escape(stream.id) + r"-\d{6,}")
        clash = next((a for a in sorted(alert_ids) if pattern.fullmatch(a)), None)
        if clash is not None:
            problems.append(Problem(f"alert id {clash!r} would repeat a message id of this stream", (*where, "id")))
        message = stream.message
        template = Alert(
            id=f"{stream.id}-000000",
            issue_s=0.0,
            system=message.system,
            category=message.category,
            mode=message.mode,
            areas=message.areas,
            size_bytes=message.size_bytes,
            origin=message.origin,
            headline=message.headline,
        )
        for area_index, area in enumerate(message.areas):
            if not covered(area):
                problems.append(
                    Problem(f"no node of the network lies in area {area}", (*where, "message", "areas", area_index))
                )
        try:
            origin = topology.origin_for(template)
        except ValueError as exc:
            problems.append(Problem(str(exc), (*where, "message", "origin")))
            continue
        times = None
        if isinstance(stream.arrivals, CsvArrivals):
            file_where = (*where, "arrivals", "file")
            try:
                base = None if source is None else Path(source).parent
                path = referenced_path(stream.arrivals.file, base, allow_outside_paths)
            except ValueError as exc:
                problems.append(Problem(str(exc), file_where))
                continue
            if not path.exists():
                problems.append(Problem(f"arrival times {str(path)!r} not found", file_where))
                continue
            times = read_arrival_times(path)
        streams.append(StreamMessages(stream, template, origin, scenario.duration_s, times))
    return streams


def _covered(topology: Topology) -> Callable[[str], bool]:
    """Whether some node's area overlaps an alert's area (what ``covers`` says), in constant time per area."""
    areas = {node.area for node in topology.nodes.values() if node.area is not None}
    prefectures = {area[:2] for area in areas}
    return lambda area: area in prefectures if len(area) == 2 else area in areas or area[:2] in areas


def _check_template_sizes(scenario: Scenario, table: MunicipalityTable) -> None:
    counts = [municipality_count(template, table) for template in scenario.topology.templates]
    if sum(counts) > MAX_GENERATED_MUNICIPALITIES:
        raise ScenarioError(
            [
                Problem(
                    f"the templates generate {sum(counts):,} municipalities in all; the limit is "
                    f"{MAX_GENERATED_MUNICIPALITIES:,} (the whole country once)",
                    ("topology", "templates"),
                )
            ]
        )


def _binding_problems(scenario: Scenario, topology: Topology) -> list[Problem]:
    if scenario.field_nodes is None:
        return []
    problems = []
    seen: set[tuple[str, str]] = set()
    fed = {target for link in topology.links for target in link.targets}  # nodes some link leads into
    for index, binding in enumerate(scenario.field_nodes.bindings):
        if binding.node not in topology.nodes:
            problems.append(
                Problem(unknown_node_message(binding.node, topology.nodes), ("field_nodes", "bindings", index, "node"))
            )
        elif scenario.field_nodes.impair_of(binding) == FROM_MEDIUM and binding.node not in fed:
            problems.append(
                Problem(
                    f"from_medium: no link leads into {binding.node}, so it has no medium; "
                    "give delay, bandwidth_bps or outages",
                    ("field_nodes", "bindings", index, "impair"),
                )
            )
        if (binding.node, binding.field_node) in seen:
            problems.append(
                Problem(
                    f"{binding.field_node!r} is bound to {binding.node!r} twice", ("field_nodes", "bindings", index)
                )
            )
        seen.add((binding.node, binding.field_node))
    return problems


def _action_problems(
    scenario: Scenario, topology: Topology, source: str | None, allow_outside_paths: bool
) -> list[Problem]:
    """Alert files of ``cap`` actions that cannot be read, and ``incident`` actions that select nothing."""
    problems: list[Problem] = []
    base = None if source is None else Path(source).parent
    for index, action in enumerate(scenario.actions):
        where: Loc = ("actions", index)
        if isinstance(action, AlertFileAction):
            try:
                read_alert_file(referenced_path(action.file, base, allow_outside_paths), action.file)
            except ScenarioError as exc:
                problems.extend(Problem(p.message, (*where, "file"), p.file, p.line) for p in exc.problems)
            except ValueError as exc:
                problems.append(Problem(str(exc), (*where, "file")))
        elif isinstance(action, IncidentAction):
            found: list[Problem] = []
            resolve_incidents(topology, [action.incident], found)
            problems.extend(Problem(p.message, (*where, "incident", *p.loc[2:])) for p in found)
    return problems


def _municipality_table(scenario: Scenario, source: str | None, allow_outside_paths: bool) -> MunicipalityTable:
    reference = MunicipalityTable.reference()
    name = scenario.topology.municipality_table
    if name is None:
        return reference
    where = ("topology", "municipality_table")
    try:
        path = referenced_path(name, None if source is None else Path(source).parent, allow_outside_paths)
    except ValueError as exc:
        raise ScenarioError([Problem(str(exc), where)]) from None
    if not path.exists():
        raise ScenarioError([Problem(f"municipality table {str(path)!r} not found", where)])
    return read_municipality_table(path, reference)


def load(
    path: str | Path,
    alert_files: list[Path] | None = None,
    allow_outside_paths: bool = False,
    overlay: Overlay | None = None,
) -> Prepared:
    """Read, validate and prepare a scenario file; errors name the file, field and line.

    ``alert_files`` (CAP 1.2, JMA XML or EDXL-DE 1.0) replace the scenario's own alerts. Files the scenario
    names must lie in its folder unless ``allow_outside_paths``; every file read must
    be a regular file under its size limit. ``overlay`` is merged onto the data before validation
    (its problems are named by the overlay file).
    """
    path = Path(path)
    data, lines = read_yaml(path)
    if overlay is not None:
        data = overlay.onto(data)
    return _prepared(data, lines, str(path), alert_files, allow_outside_paths, overlay)


def load_text(text: str, source: str, allow_outside_paths: bool = False, overlay: Overlay | None = None) -> Prepared:
    """The same from YAML text (``source`` names it in messages and anchors relative paths; ``overlay``: the
    overlay already merged into the text, which names the problems in what it gives)."""
    data, lines = parse_yaml(text, source)
    return _prepared(data, lines, source, allow_outside_paths=allow_outside_paths, overlay=overlay)


def _prepared(
    data: object,
    lines: dict[Loc, int],
    source: str,
    alert_files: list[Path] | None = None,
    allow_outside_paths: bool = False,
    overlay: Overlay | None = None,
) -> Prepared:
    try:
        if alert_files and isinstance(data, dict):
            # The user named these files on the command line: read wherever they are.
            data = {
                **data,
                "alerts": [
                    a.model_dump(mode="json", exclude_none=True) for f in alert_files for a in read_alert_file(Path(f))
                ],
            }
        data, fed = expand_feed_alerts(data, Path(source).parent, allow_outside_paths)  # {feed: FOLDER} entries
        data, problems = expand_alert_files(data, Path(source).parent, allow_outside_paths)
        problems = fed + problems
        if problems:
            raise ScenarioError(problems)
        return prepare(parse_scenario(data), source, allow_outside_paths)
    except ScenarioError as exc:
        claimed = exc if overlay is None else overlay.claim(exc)
        raise claimed.located(source, line_finder(lines)) from None
