"""A scenario: everything one drill or experiment needs, validated at the edge."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from lalert_sim.errors import Problem
from lalert_sim.model.alerts import Alert
from lalert_sim.model.base import Frozen
from lalert_sim.model.field_nodes import FieldNodes
from lalert_sim.model.incidents import Incident
from lalert_sim.model.network import Link, Node, NodeKind
from lalert_sim.model.residents import Residents
from lalert_sim.model.responses import Responses
from lalert_sim.model.selectors import NodeSelector
from lalert_sim.model.templates import TopologyTemplate


class Metadata(Frozen):
    """Who wrote the scenario, what it models, and the wall-clock anchor of time zero."""

    name: str = Field(min_length=1)
    description: str = ""
    author: str = ""
    epoch: datetime = Field(
        default=datetime(2026, 1, 1, tzinfo=UTC),
        description="Wall-clock time of t = 0 s, for reports.",
    )


class Objective(Frozen):
    """A target such as "95 % of emitters within 60 s" of each alert's issue."""

    name: str = Field(min_length=1)
    alert: str | None = Field(default=None, description="Alert id; default every alert.")
    select: NodeSelector = Field(default_factory=lambda: NodeSelector(kind=NodeKind.EMITTER))
    fraction: float = Field(gt=0, le=1)
    within_s: float = Field(gt=0)


class Topology(Frozen):
    """Templates that generate nodes and links, plus explicit nodes and links."""

    municipality_table: str | None = Field(
        default=None,
        description="CSV of your own municipalities (code, population, ...) replacing the reference rows; "
        "a path relative to the scenario file.",
    )
    templates: list[TopologyTemplate] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class Scenario(Frozen):
    """The root of a scenario file."""

    metadata: Metadata
    seed: int = Field(default=0, ge=0, description="Replication seed: same seed, same results.")
    duration_s: float = Field(gt=0, description="Simulated time span in seconds.")
    topology: Topology
    alerts: list[Alert] = Field(min_length=1)
    incidents: list[Incident] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    residents: Residents = Field(default_factory=Residents)
    responses: Responses = Field(default_factory=Responses)
    field_nodes: FieldNodes | None = Field(default=None, description="Real field nodes bound to simulated ones.")


def reference_problems(scenario: Scenario) -> list[Problem]:
    """Alert ids that repeat and objectives naming alerts that do not exist."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, alert in enumerate(scenario.alerts):
        if alert.id in seen:
            problems.append(Problem(f"alert id {alert.id!r} is used twice", ("alerts", index, "id")))
        seen.add(alert.id)
    for index, objective in enumerate(scenario.objectives):
        if objective.alert is not None and objective.alert not in seen:
            problems.append(
                Problem(
                    f"no alert with id {objective.alert!r} (alerts: {', '.join(sorted(seen))})",
                    ("objectives", index, "alert"),
                )
            )
    return problems
