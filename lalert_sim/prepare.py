"""From a scenario file to something the engine can run: validated, built, resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lalert_sim.errors import Loc, Problem, ScenarioError, TopologyError
from lalert_sim.model.alerts import Alert
from lalert_sim.model.areas import covers
from lalert_sim.model.cap import expand_cap_alerts
from lalert_sim.model.loader import line_finder, parse_scenario, parse_yaml, read_yaml
from lalert_sim.model.scenario import Scenario, reference_problems
from lalert_sim.topology.graph import Topology, build_topology, unknown_node_message
from lalert_sim.topology.incidents import IncidentPlan, resolve_incidents
from lalert_sim.topology.municipality_file import read_municipality_table
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.responses import ResponsePlan, prepare_responses


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


def prepare(scenario: Scenario, source: str | None = None) -> Prepared:
    """Build the topology and resolve alert origins; ScenarioError lists every problem."""
    problems = reference_problems(scenario)
    table = _municipality_table(scenario, source)
    try:
        topology = build_topology(scenario.topology, table)
    except TopologyError as exc:
        raise TopologyError([*exc.problems, *problems]) from None
    incidents = resolve_incidents(topology, list(scenario.incidents), problems)
    topology, responses = prepare_responses(topology, scenario.responses, incidents, table, problems)
    injections = []
    for index, alert in enumerate(scenario.alerts):
        for area_index, area in enumerate(alert.areas):
            if not any(covers(node.area, area) and node.area is not None for node in topology.nodes.values()):
                problems.append(
                    Problem(f"no node of the network lies in area {area}", ("alerts", index, "areas", area_index))
                )
        try:
            injections.append(Injection(alert, topology.origin_for(alert)))
        except ValueError as exc:
            problems.append(Problem(str(exc), ("alerts", index, "origin")))
    problems.extend(_binding_problems(scenario, topology))
    if problems:
        raise ScenarioError(problems)
    return Prepared(scenario, topology, injections, table, incidents, responses, source)


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


def _municipality_table(scenario: Scenario, source: str | None) -> MunicipalityTable:
    reference = MunicipalityTable.reference()
    name = scenario.topology.municipality_table
    if name is None:
        return reference
    path = Path(name)
    if not path.is_absolute() and source is not None:
        path = Path(source).parent / path
    if not path.exists():
        raise ScenarioError(
            [Problem(f"municipality table {str(path)!r} not found", ("topology", "municipality_table"))]
        )
    return read_municipality_table(path, reference)


def load(path: str | Path, alert_files: list[Path] | None = None) -> Prepared:
    """Read, validate and prepare a scenario file; errors name the file, field and line.

    ``alert_files`` (CAP 1.2 XML) replace the scenario's own alerts.
    """
    path = Path(path)
    data, lines = read_yaml(path)
    return _prepared(data, lines, str(path), alert_files)


def load_text(text: str, source: str) -> Prepared:
    """The same from YAML text (``source`` names it in messages and anchors relative paths)."""
    data, lines = parse_yaml(text, source)
    return _prepared(data, lines, source)


def _prepared(data: object, lines: dict[Loc, int], source: str, alert_files: list[Path] | None = None) -> Prepared:
    if alert_files:
        if isinstance(data, dict):
            data = {**data, "alerts": [{"cap": str(Path(f).resolve())} for f in alert_files]}
    data, problems = expand_cap_alerts(data, Path(source).parent)
    try:
        if problems:
            raise ScenarioError(problems)
        return prepare(parse_scenario(data), source)
    except ScenarioError as exc:
        raise exc.located(source, line_finder(lines)) from None
