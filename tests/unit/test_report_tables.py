"""Tables keyed by a closed set cover exactly that set; figures read the same in every view."""

from __future__ import annotations

import math
from typing import get_args

import pytest

from lalert_sim.analysis.figures import quantile_label, quantile_name, rounded, time_to_fraction
from lalert_sim.cli import PARQUET_TRACE, TraceFormat
from lalert_sim.model.media import Medium
from lalert_sim.report.format import number, percent, seconds
from lalert_sim.report.html import MEDIUM_COLOURS


def test_every_medium_has_a_colour_in_the_html_report() -> None:
    assert set(MEDIUM_COLOURS) == set(Medium)
    assert len(set(MEDIUM_COLOURS.values())) == len(MEDIUM_COLOURS), "two media would look the same"


def test_every_trace_format_option_maps_to_a_parquet_choice() -> None:
    assert set(PARQUET_TRACE) == set(get_args(TraceFormat))


def test_time_to_fraction_is_the_delay_of_the_needed_target() -> None:
    delays = [3.0, 1.0, 2.0, 4.0]
    assert time_to_fraction(delays, 4, 0.5) == 2.0
    assert time_to_fraction(delays, 4, 1.0) == 4.0
    assert time_to_fraction(delays, 8, 0.9) is None  # only 4 of 8 reached
    assert time_to_fraction([], 0, 0.5) is None


def test_quantile_labels_and_their_column_names() -> None:
    assert [quantile_label(q) for q in (0.5, 0.9, 0.95, 0.99)] == ["50%", "90%", "95%", "99%"]
    assert quantile_name("95%") == "95pct"


def test_rounding_keeps_a_figure_never_reached() -> None:
    assert rounded(None, 3) is None
    assert rounded(1.23456, 3) == 1.235


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "never"), (math.inf, "never"), (12.34, "12.3 s"), (119.9, "119.9 s"), (150.0, "2.5 min")],
)
def test_durations_read_in_seconds_then_minutes(value: float | None, text: str) -> None:
    assert seconds(value) == text


def test_missing_duration_can_read_as_not_yet() -> None:
    assert seconds(None, "—") == "—" and seconds(3.0, "—") == "3.0 s"


def test_shares_and_statistics_read_plainly() -> None:
    assert percent(0.1234) == "12.3 %"
    assert number(math.nan) == "—" and number(None) == "—" and number(12345.6) == "1.235e+04"
    assert number(0.5) == "0.5" and number(math.inf) == "inf"
