"""Link conditions between a field node and its broker: a one-way delay, a bandwidth and outage
windows, applied by the relay of ``lalert_sim/hil/impair.py`` (``impair:`` on a binding or a group).

``impair: from_medium`` takes them from the simulated link the bound node hangs off instead
(``Impairment.of_link``): a GEO satellite hop's quarter second, a radio channel's few kbit/s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, assert_never

from pydantic import Discriminator, Field, Tag, model_validator

from lalert_sim.model.base import MAX_SECONDS, Frozen, Seconds
from lalert_sim.model.distributions import Constant, Distribution, Empirical, Exponential, LogNormal, TruncatedNormal
from lalert_sim.model.distributions import Uniform as UniformDistribution
from lalert_sim.model.network import Link

FROM_MEDIUM = "from_medium"
"""``impair: from_medium``: the conditions of the simulated link into the bound node."""
MAX_OUTAGES = 100
"""Most outage windows one impairment may list."""


class OutageWindow(Frozen):
    """The connection is cut, and new ones refused, from ``start_s`` until ``end_s`` (wall seconds
    from the moment the scenario starts running, simulated second 0)."""

    start_s: Seconds
    """When the cut begins, in wall-clock seconds after the scenario starts."""
    end_s: Seconds
    """When connections are accepted again (after ``start_s``), in wall-clock seconds after the scenario starts."""

    @model_validator(mode="after")
    def _positive_length(self) -> OutageWindow:
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s:g}) must be after start_s ({self.start_s:g})")
        return self


class Impairment(Frozen):
    """What the relay between one field node and the broker does to its traffic, each way."""

    delay: Distribution | None = Field(
        default=None,
        description="One-way delay in seconds added to each chunk of bytes in each direction (any scenario "
        "distribution or a plain number; order is kept, so a chunk never overtakes an earlier one); none: no delay.",
    )
    bandwidth_bps: float | None = Field(
        default=None,
        ge=100,
        le=1e12,
        description="Bits per second each way (a token bucket of one 1,500-byte packet); none: unlimited.",
    )
    outages: list[OutageWindow] = Field(
        default_factory=list,
        max_length=MAX_OUTAGES,
        description="Windows when the link is down: open connections are cut and new ones refused.",
    )

    @model_validator(mode="after")
    def _outages_in_order(self) -> Impairment:
        for before, after in zip(self.outages, self.outages[1:], strict=False):
            if after.start_s < before.end_s:
                raise ValueError(
                    f"outages: the window from {after.start_s:g} s must start after the one before ends "
                    f"({before.end_s:g} s): give them in order, without overlap"
                )
        return self

    @classmethod
    def of_link(cls, link: Link, speed: float) -> Impairment:
        """The conditions of a simulated ``link`` on the wire: its latency and bandwidth (the scenario's
        or its medium's defaults) and its own outage windows, paced at ``speed`` simulated s per wall s."""
        outages = [  # one that never ends lasts as long as a scenario may
            OutageWindow(start_s=min(w.start_s / speed, MAX_SECONDS - 1), end_s=min(w.end_s / speed, MAX_SECONDS))
            for w in link.outages[:MAX_OUTAGES]
        ]
        delay = None if link.latency_s == Constant(value=0.0) else link.latency_s
        return cls(delay=delay, bandwidth_bps=link.bandwidth_bps, outages=outages)

    def describe(self) -> str:
        """Language-neutral notation for reports: ``delay=constant(0.27)s bandwidth=64000bps outages=0.5-20.5s``."""
        parts = []
        if self.delay is not None:
            parts.append(f"delay={describe_distribution(self.delay)}s")
        if self.bandwidth_bps is not None:
            parts.append(f"bandwidth={self.bandwidth_bps:g}bps")
        if self.outages:
            parts.append("outages=" + ",".join(f"{w.start_s:g}-{w.end_s:g}s" for w in self.outages))
        return " ".join(parts) or "none"


def _setting_kind(value: Any) -> str:
    return "from_medium" if isinstance(value, str) else "conditions"


ImpairSetting = Annotated[
    Annotated[Impairment, Tag("conditions")] | Annotated[Literal["from_medium"], Tag("from_medium")],
    Discriminator(_setting_kind),
]
"""What ``impair:`` may hold: the conditions themselves or ``from_medium`` (a string is only ever that,
so a mistake is reported against the one form it was meant as)."""


def describe_distribution(delay: Distribution) -> str:
    """A distribution's kind and parameters in one token: ``uniform(0.24,0.285)``."""
    match delay:
        case Constant():
            return f"constant({delay.value:g})"
        case UniformDistribution():
            return f"uniform({delay.low:g},{delay.high:g})"
        case Exponential():
            return f"exponential({delay.mean_s:g})"
        case LogNormal():
            return f"lognormal({delay.median:g},{delay.sigma:g})"
        case TruncatedNormal():
            return f"truncated_normal({delay.mu:g},{delay.sd:g})"
        case Empirical():
            return f"empirical({len(delay.values)} values, mean {delay.mean:.3g})"
        case _:
            assert_never(delay)
