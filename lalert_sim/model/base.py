"""What every scenario model shares: frozen, strict about keys, documented, and the time window."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

Share = Annotated[float, Field(ge=0, le=1)]
"""A share or a chance, from 0 to 1."""

MAX_SECONDS = 10 * 365 * 86_400
"""Longest time a scenario may state (ten years): keeps every time, and epoch + time, far from overflow."""
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]
"""A time or a duration in seconds, from 0 to ten years."""
PositiveSeconds = Annotated[float, Field(gt=0, le=MAX_SECONDS)]
"""A duration in seconds, above 0 and at most ten years."""


def _finite_or_endless(value: float) -> float:
    if value != math.inf and value > MAX_SECONDS:
        raise ValueError(f"must be at most {MAX_SECONDS} s (ten years), or .inf for no end")
    return value


Endless = Annotated[float, Field(ge=0, allow_inf_nan=True), AfterValidator(_finite_or_endless)]
"""A time in seconds up to ten years, or infinity (``.inf``) for no end; never NaN."""
EPOCH_YEARS = (1900, 2200)
"""Years an epoch may fall in: far enough from datetime's ends that epoch + any time, in any zone, is a date."""


def _epoch_in_range(epoch: datetime) -> datetime:
    first, last = EPOCH_YEARS
    if not first <= epoch.year <= last:
        raise ValueError(f"must fall in the years {first} to {last}")
    return epoch


Epoch = Annotated[datetime, AfterValidator(_epoch_in_range)]
"""A wall-clock time (ISO 8601) in the years 1900 to 2200."""
MAX_ID_LENGTH = 200
ID_PATTERN = r"^[A-Za-z0-9_.:/-]+$"
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
"""An id: letters, digits and ``_ . : / -``, at most 200 characters."""
Ref = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
"""The id of something else in the scenario (a node, an alert), or a pattern of ids."""
MAX_COUNT = 100_000
"""Largest count of anything (units, servers, capacity): far above any real stock."""
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A count, from 0 to 100,000 (a field may narrow it further)."""


class Frozen(BaseModel):
    """Base of every scenario model: immutable once validated, an unknown key is an error, numbers finite.

    The docstring under each field becomes its description in the JSON Schema
    (``lalert-sim schema``), so an editor shows it on hover.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


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

    start_s: Seconds = 0.0
    """When it begins, in seconds from the scenario epoch; default 0, the start of the run."""
    end_s: Endless = unbounded()
    """When it ends (exclusive), in seconds from the scenario epoch; omitted: lasts the whole run."""

    @model_validator(mode="after")
    def _positive_length(self) -> Window:
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self
