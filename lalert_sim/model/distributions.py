"""Delay distributions as small validated objects that know their mean and variance.

All sampling is by inverse CDF from one uniform u in [0, 1), so a larger uniform
always gives a larger delay: paired plans stay synchronised under common random
numbers.
A plain number in a scenario means a constant.
"""

from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from lalert_sim.model.base import MAX_SECONDS, Endless, Frozen, PositiveSeconds, Seconds, unbounded

if TYPE_CHECKING:
    from lalert_sim.streams import Stream

_STANDARD_NORMAL = NormalDist()
EMPIRICAL_MAX_VALUES = 10_000
"""Most observed values an empirical distribution may hold."""
_TINY = 2.0**-60  # keeps inverse normal CDFs finite when u is exactly 0


def _probit(u: float) -> float:
    return _STANDARD_NORMAL.inv_cdf(u or _TINY)


class _Distribution(Frozen):
    """What every delay distribution offers: a draw from one uniform, its CDF, mean and variance."""

    def sample(self, stream: Stream) -> float:  # pragma: no cover - abstract
        """One delay in seconds, by inverse CDF from the stream's next uniform."""
        raise NotImplementedError

    def cdf(self, x: float) -> float:  # pragma: no cover - abstract
        """P(X <= x)."""
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        """Expected value in seconds."""
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - abstract
        """Variance in seconds squared."""
        raise NotImplementedError


class Constant(_Distribution):
    """Always the same value."""

    kind: Literal["constant"] = "constant"
    """Selects this distribution: ``constant``."""
    value: Seconds
    """The value in seconds (0 or more)."""

    def sample(self, stream: Stream) -> float:
        return self.value

    def cdf(self, x: float) -> float:
        return 1.0 if x >= self.value else 0.0

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0


class Uniform(_Distribution):
    """Uniform between ``low`` and ``high``."""

    kind: Literal["uniform"] = "uniform"
    """Selects this distribution: ``uniform``."""
    low: Seconds
    """Smallest value in seconds."""
    high: Seconds
    """Largest value in seconds, not below ``low``."""

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must not be below low ({self.low})")
        return self

    def sample(self, stream: Stream) -> float:
        return self.low + (self.high - self.low) * stream.uniform()

    def cdf(self, x: float) -> float:
        if self.high == self.low:
            return 1.0 if x >= self.low else 0.0
        return min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12


class Exponential(_Distribution):
    """Exponential with the given ``mean`` (memoryless: Poisson arrivals, M/M/c service)."""

    kind: Literal["exponential"] = "exponential"
    """Selects this distribution: ``exponential``."""
    mean_s: PositiveSeconds = Field(alias="mean")
    """Mean in seconds (above 0); the rate is its inverse."""

    model_config = ConfigDict(populate_by_name=True)

    def sample(self, stream: Stream) -> float:
        return -self.mean_s * math.log(1.0 - stream.uniform())

    def cdf(self, x: float) -> float:
        return 0.0 if x <= 0 else 1.0 - math.exp(-x / self.mean_s)

    @property
    def mean(self) -> float:
        return self.mean_s

    @property
    def variance(self) -> float:
        return self.mean_s**2


class LogNormal(_Distribution):
    """Log-normal given by its ``median`` and ``sigma`` (the s.d. of the log): right-skewed human delays."""

    kind: Literal["lognormal"] = "lognormal"
    """Selects this distribution: ``lognormal``."""
    median: PositiveSeconds
    """Median in seconds (above 0): half the draws are shorter."""
    sigma: float = Field(ge=0, le=5)
    """Standard deviation of the natural log of the value (0: always the median, at most 5); 0.5 is a wide spread."""

    def sample(self, stream: Stream) -> float:
        return self.median * math.exp(self.sigma * _probit(stream.uniform()))

    def cdf(self, x: float) -> float:
        if x <= 0:
            return 0.0
        if self.sigma == 0:
            return 1.0 if x >= self.median else 0.0
        return _STANDARD_NORMAL.cdf(math.log(x / self.median) / self.sigma)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def variance(self) -> float:
        return (math.exp(self.sigma**2) - 1) * self.median**2 * math.exp(self.sigma**2)


class TruncatedNormal(_Distribution):
    """Normal(``mu``, ``sd``) cut to [``low``, ``high``]; ``low`` defaults to 0 (no negative delays)."""

    kind: Literal["truncated_normal"] = "truncated_normal"
    """Selects this distribution: ``truncated_normal``."""
    mu: float = Field(ge=-MAX_SECONDS, le=MAX_SECONDS)
    """Mean in seconds of the normal before it is cut."""
    sd: PositiveSeconds
    """Standard deviation in seconds of the normal before it is cut (above 0)."""
    low: Seconds = 0.0
    """Smallest value in seconds; default 0 (no negative delays)."""
    high: Endless = unbounded()
    """Largest value in seconds; default unbounded."""
    _cdf_low: float = PrivateAttr(default=0.0)
    _cdf_span: float = PrivateAttr(default=1.0)

    @model_validator(mode="after")
    def _has_mass(self) -> TruncatedNormal:
        if self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be above low ({self.low})")
        if self._cdf(self.high) - self._cdf(self.low) < 1e-12:
            raise ValueError("the interval [low, high] holds no probability for this mu and sd")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._cdf_low = self._cdf(self.low)
        self._cdf_span = self._cdf(self.high) - self._cdf_low

    def _cdf(self, x: float) -> float:
        return 1.0 if x == math.inf else _STANDARD_NORMAL.cdf((x - self.mu) / self.sd)

    def sample(self, stream: Stream) -> float:
        x = self.mu + self.sd * _probit(self._cdf_low + self._cdf_span * stream.uniform())
        return min(max(x, self.low), self.high)

    def cdf(self, x: float) -> float:
        if x < self.low:
            return 0.0
        if x >= self.high:
            return 1.0
        return (self._cdf(x) - self._cdf_low) / self._cdf_span

    def _moments(self) -> tuple[float, float]:
        alpha = (self.low - self.mu) / self.sd
        beta = (self.high - self.mu) / self.sd
        z = _STANDARD_NORMAL.cdf(beta) - _STANDARD_NORMAL.cdf(alpha)
        pdf_a = _STANDARD_NORMAL.pdf(alpha)
        pdf_b = 0.0 if beta == math.inf else _STANDARD_NORMAL.pdf(beta)
        beta_pdf_b = 0.0 if beta == math.inf else beta * pdf_b
        shift = (pdf_a - pdf_b) / z
        mean = self.mu + self.sd * shift
        variance = self.sd**2 * (1 + (alpha * pdf_a - beta_pdf_b) / z - shift**2)
        return mean, variance

    @property
    def mean(self) -> float:
        return self._moments()[0]

    @property
    def variance(self) -> float:
        return self._moments()[1]


class Empirical(_Distribution):
    """Resamples observed ``values`` (optionally ``weights``): a measured delay histogram."""

    kind: Literal["empirical"] = "empirical"
    """Selects this distribution: ``empirical``."""
    values: list[Seconds] = Field(min_length=1, max_length=EMPIRICAL_MAX_VALUES)
    """Observed delays in seconds (at least one), drawn with equal chance unless weighted; at most 10,000."""
    weights: list[Annotated[float, Field(gt=0, le=1e12)]] | None = Field(default=None, max_length=EMPIRICAL_MAX_VALUES)
    """Relative weight of each value (same length, above 0); none: all equal."""
    _cumulative: list[float] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _same_length(self) -> Empirical:
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
        return self

    def model_post_init(self, context: Any, /) -> None:
        running, cumulative = 0.0, []
        for p in self._probabilities():
            running += p
            cumulative.append(running)
        self._cumulative = cumulative

    def sample(self, stream: Stream) -> float:
        index = bisect.bisect_left(self._cumulative, stream.uniform())
        return self.values[min(index, len(self.values) - 1)]

    def cdf(self, x: float) -> float:
        return sum(p for p, v in zip(self._probabilities(), self.values, strict=True) if v <= x)

    def _probabilities(self) -> list[float]:
        weights = self.weights or [1.0] * len(self.values)
        total = sum(weights)
        return [w / total for w in weights]

    @property
    def mean(self) -> float:
        return sum(p * v for p, v in zip(self._probabilities(), self.values, strict=True))

    @property
    def variance(self) -> float:
        mean = self.mean
        return sum(p * (v - mean) ** 2 for p, v in zip(self._probabilities(), self.values, strict=True))


def _number_is_constant(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "constant", "value": value}
    return value


_AnyDistribution = Annotated[
    Constant | Uniform | Exponential | LogNormal | TruncatedNormal | Empirical,
    Field(discriminator="kind"),
]

_NumberOrDistribution = Union[float, _AnyDistribution]  # noqa: UP007 (used as a runtime object)

Distribution = Annotated[
    _AnyDistribution,
    BeforeValidator(_number_is_constant, json_schema_input_type=_NumberOrDistribution),
]
"""Any delay distribution; in YAML a mapping with ``kind`` or a plain number (constant)."""

ZERO = Constant(value=0.0)
