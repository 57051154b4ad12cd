"""Distributions: sampled moments match the closed forms (and scipy's), input is checked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from lalert_sim.model.distributions import Distribution
from lalert_sim.streams import Stream

ADAPTER = TypeAdapter(Distribution)
CASES = {
    "constant": (2.5, None),
    "uniform": ({"kind": "uniform", "low": 1, "high": 4}, stats.uniform(1, 3)),
    "exponential": ({"kind": "exponential", "mean": 2}, stats.expon(scale=2)),
    "lognormal": ({"kind": "lognormal", "median": 5, "sigma": 0.5}, stats.lognorm(0.5, scale=5)),
    "truncated_normal": (
        {"kind": "truncated_normal", "mu": 1, "sd": 2, "low": 0, "high": 4},
        stats.truncnorm(-0.5, 1.5, loc=1, scale=2),
    ),
    "empirical": ({"kind": "empirical", "values": [1, 2, 10], "weights": [1, 1, 2]}, None),
}


@pytest.mark.parametrize("name", CASES)
def test_mean_and_variance_match_the_closed_form_and_the_samples(name: str) -> None:
    spec, reference = CASES[name]
    distribution = ADAPTER.validate_python(spec)
    if reference is not None:
        assert distribution.mean == pytest.approx(reference.mean(), rel=1e-9)
        assert distribution.variance == pytest.approx(reference.var(), rel=1e-9)
    stream = Stream(42, name)
    samples = np.array([distribution.sample(stream) for _ in range(100_000)])
    sd = math.sqrt(distribution.variance)
    assert abs(samples.mean() - distribution.mean) <= 4 * sd / math.sqrt(len(samples)) + 1e-12
    if sd:
        assert samples.var() == pytest.approx(distribution.variance, rel=0.03)
    if reference is not None:
        assert stats.kstest(samples[:5000], reference.cdf).pvalue > 0.001


def test_a_plain_number_is_a_constant() -> None:
    assert ADAPTER.validate_python(3).kind == "constant"
    assert ADAPTER.validate_python(0.27).value == 0.27


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"kind": "uniform", "low": 3, "high": 1}, "must not be below"),
        ({"kind": "exponential", "mean": 0}, "greater than 0"),
        ({"kind": "lognormal", "median": 5}, "Field required"),
        ({"kind": "truncated_normal", "mu": -100, "sd": 1}, "no probability"),
        ({"kind": "empirical", "values": [1, 2], "weights": [1]}, "weights has 1"),
        ({"kind": "gamma", "shape": 2}, "does not match any of the expected tags"),
        (-1, "greater than or equal to 0"),
    ],
)
def test_invalid_distributions_are_rejected_with_a_reason(spec: object, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ADAPTER.validate_python(spec)
