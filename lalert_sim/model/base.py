"""What every scenario model shares: frozen, strict about keys, documented, and the time window."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    """Base of every scenario model: immutable once validated, an unknown key is an error.

    The docstring under each field becomes its description in the JSON Schema
    (``lalert-sim schema``), so an editor shows it on hover.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Window(Frozen):
    """A time interval [start_s, end_s) in seconds from the scenario epoch."""

    start_s: float = Field(default=0.0, ge=0)
    """When it begins, in seconds from the scenario epoch; default 0, the start of the run."""
    end_s: float = math.inf
    """When it ends (exclusive), in seconds from the scenario epoch; omitted: lasts the whole run."""

    @model_validator(mode="after")
    def _positive_length(self) -> Window:
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self
