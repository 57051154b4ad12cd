"""From a scenario file to something the engine can run: validated, built, resolved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lalert_sim.errors import Loc, Problem, ScenarioError, TopologyError
from lalert_sim.model.alert_files import expand_alert_files, read_alert_file
from lalert_sim.model.alerts import Alert
from lalert_sim.model.feeds import expand_feed_alerts
from lalert_sim.model.files import referenced_path
from lalert_sim.model.loader import line_finder, parse_scenario, parse_yaml, read_yaml
from lalert_sim.model.network import media_settings
from lalert_sim.model.scenario import Scenario, reference_problems, size_problems
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
    failures = resolve_failures(topology, scenario.failures, problems)
    if problems:
        raise ScenarioError(problems)
    return Prepared(scenario, topology, injections, table, incidents, responses, source, failures)


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
    for index, binding in enumerate(scenario.field_nodes.bindings):
        if binding.node not in topology.nodes:
            problems.append(
                Problem(unknown_node_message(binding.node, topology.nodes), ("field_nodes", "bindings", index, "node"))
            )
        if (binding.node, binding.field_node) in seen:
            problems.append(
                Problem(
                    f"{binding.field_node!r} is bound to {binding.node!r} twice", ("field_nodes", "bindings", index)
                )
            )
        seen.add((binding.node, binding.field_node))
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


def load(path: str | Path, alert_files: list[Path] | None = None, allow_outside_paths: bool = False) -> Prepared:
    """Read, validate and prepare a scenario file; errors name the file, field and line.

    ``alert_files`` (CAP 1.2, JMA XML or EDXL-DE 1.0) replace the scenario's own alerts. Files the scenario
    names must lie in its folder unless ``allow_outside_paths``; every file read must
    be a regular file under its size limit.
    """
    path = Path(path)
    data, lines = read_yaml(path)
    return _prepared(data, lines, str(path), alert_files, allow_outside_paths)


def load_text(text: str, source: str, allow_outside_paths: bool = False) -> Prepared:
    """The same from YAML text (``source`` names it in messages and anchors relative paths)."""
    data, lines = parse_yaml(text, source)
    return _prepared(data, lines, source, allow_outside_paths=allow_outside_paths)


def _prepared(
    data: object,
    lines: dict[Loc, int],
    source: str,
    alert_files: list[Path] | None = None,
    allow_outside_paths: bool = False,
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
        raise exc.located(source, line_finder(lines)) from None
