"""Puts the latent-failure model to work in one replication: broken components stay down all run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lalert_sim.model.failures import FailureClass
from lalert_sim.streams import first_uniform
from lalert_sim.topology.failures import FailurePlan

if TYPE_CHECKING:
    from lalert_sim.engine.simulation import Simulation

LATENT_FAILURE = "latent_failure"
"""The outage-log cause of a component broken before the alert (followed by its class)."""


def latent_cause(failure_class: FailureClass) -> str:
    """The outage-log cause of a latent failure of ``failure_class``: ``latent_failure (CLASS)``."""
    return f"{LATENT_FAILURE} ({failure_class.value})"


def is_latent_cause(cause: str) -> bool:
    """True for a cause made by ``latent_cause``."""
    return cause.startswith(LATENT_FAILURE + " (")


def apply_latent_failures(simulation: Simulation, plan: FailurePlan) -> None:
    """Break each component with its chance, drawn from its own stream ``latent-failure:ID`` (common
    random numbers: plans that differ elsewhere keep these draws).

    A broken component is down from the start for the whole run.
    """
    seed = simulation.seed
    for failure in plan.components:
        if first_uniform(seed, f"latent-failure:{failure.component}") < failure.chance:
            component = (
                simulation.nodes[failure.component] if failure.kind == "node" else simulation.links[failure.component]
            )
            component.go_down(latent_cause(failure.failure_class))
