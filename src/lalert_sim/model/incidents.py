"""Incidents: what breaks during a scenario, chosen by selectors and time windows."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lalert_sim.model.selectors import LinkSelector, NodeSelector


class Outage(BaseModel):
    """Selected links and/or nodes are out of service from ``start_s`` until ``end_s``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["outage"] = "outage"
    name: str = ""
    links: LinkSelector | None = None
    nodes: NodeSelector | None = None
    start_s: float = Field(default=0.0, ge=0)
    end_s: float = math.inf

    @model_validator(mode="after")
    def _selects_and_lasts(self) -> Outage:
        if self.links is None and self.nodes is None:
            raise ValueError("an outage needs `links:` or `nodes:` (a selector) to say what fails")
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self


Incident = Outage
