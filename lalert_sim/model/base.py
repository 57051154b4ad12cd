"""What every scenario model shares: frozen, strict about keys, documented, and the time window."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

Share = Annotated[float, Field(ge=0, le=1)]
"""A share or a chance, from 0 to 1."""


class Frozen(BaseModel):
    """Base of every scenario model: immutable once validated, an unknown key is an error.

    The docstring under each field becomes its description in the JSON Schema
    (``lalert-sim schema``), so an editor shows it on hover.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def _without_default(schema: JsonDict) -> None:
    del schema["default"]


def unbounded(**constraints: Any) -> Any:
    """A field that defaults to infinity (no end, no limit), its default left out of the JSON Schema.

    JSON has no infinity (``Infinity`` would make the schema invalid JSON); the field's
    description says what leaving it out means.
    """
    return Field(default=math.inf, json_schema_extra=_without_default, **constraints)


class Window(Frozen):
    """A time interval [start_s, end_s) in seconds from the scenario epoch."""

    start_s: float = Field(default=0.0, ge=0)
    """When it begins, in seconds from the scenario epoch; default 0, the start of the run."""
    end_s: float = unbounded()
    """When it ends (exclusive), in seconds from the scenario epoch; omitted: lasts the whole run."""

    @model_validator(mode="after")
    def _positive_length(self) -> Window:
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self
