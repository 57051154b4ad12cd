"""Resolves the latent-failure model to the generated components it may break (checked once, at load).

A class is matched to the ids the templates generate, ``m-CODE/PART`` (a node or
a link), so a scenario's own node with a generated id takes part as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lalert_sim.errors import Problem
from lalert_sim.model.failures import NO_FAILURES, FailureClass, FailuresSetting
from lalert_sim.topology.graph import Topology

# Which generated component each class is: (node or link, the part after ``m-CODE/``).
FAILURE_TARGETS: dict[FailureClass, tuple[str, str]] = {
    FailureClass.JALERT_RECEIVER: ("node", "receiver"),
    FailureClass.STARTUP_DEVICE: ("node", "startup"),
    FailureClass.DISASTER_RADIO: ("link", "radio"),
    FailureClass.INDOOR_RECEIVERS: ("node", "indoor"),
    FailureClass.COMMUNITY_FM: ("link", "fm-line"),
    FailureClass.REGISTERED_MAIL: ("node", "registered-mail"),
    FailureClass.IP_TERMINAL: ("node", "ip-terminals"),
}
_CLASS_OF = {target: failure_class for failure_class, target in FAILURE_TARGETS.items()}
_MUNICIPAL_ID = re.compile(r"m-(\d{5})/(.+)")


@dataclass(frozen=True, slots=True)
class LatentFailure:
    """One component that may be broken before the alert, and the chance that it is."""

    component: str
    kind: str  # "node" or "link"
    failure_class: FailureClass
    municipality: str
    chance: float


@dataclass(frozen=True)
class FailurePlan:
    """Every component the latent-failure model may break, in topology order (none: the model is off)."""

    components: tuple[LatentFailure, ...] = ()


def failure_class_of(kind: str, component_id: str) -> tuple[FailureClass, str] | None:
    """The class and municipality code of a generated component id, or None if it is of no class."""
    match = _MUNICIPAL_ID.fullmatch(component_id)
    if match is None:
        return None
    failure_class = _CLASS_OF.get((kind, match.group(2)))
    return None if failure_class is None else (failure_class, match.group(1))


def resolve_failures(topology: Topology, setting: FailuresSetting, problems: list[Problem]) -> FailurePlan:
    """The plan of the scenario's ``failures``; a problem for a municipality code in no node's area."""
    if setting == NO_FAILURES or isinstance(setting, str):
        return FailurePlan()
    areas = topology.municipal_areas
    for code in setting.municipalities:
        if not any(area == code or area.startswith(code) for area in areas):
            problems.append(
                Problem(f"no municipality of the network lies in area {code}", ("failures", "municipalities", code))
            )
    components = []
    candidates = [("node", node_id) for node_id in topology.nodes] + [("link", link.id) for link in topology.links]
    for kind, component_id in candidates:
        found = failure_class_of(kind, component_id)
        if found is None:
            continue
        failure_class, code = found
        chance = setting.chance(failure_class, code)
        if chance > 0:
            components.append(LatentFailure(component_id, kind, failure_class, code, chance))
    return FailurePlan(tuple(components))
