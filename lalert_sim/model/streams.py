"""Message streams: an arrival process of messages that share one template (floods, queueing studies).

A stream is never spelt out as one alert per message: prepare keeps one template alert and, per
replication, a sorted array of arrival times (lalert_sim/prepare.py, lalert_sim/streams.py).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from lalert_sim.errors import Problem, ScenarioError
from lalert_sim.model.alerts import AlertCategory, AlertMode, AlertSystem
from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import MAX_SECONDS, Frozen, Ref, Seconds
from lalert_sim.model.files import MAX_PATH_CHARS, MIB, read_bounded

MAX_STREAM_MESSAGES = 1_000_000
"""Most messages all the streams of a scenario may bring in one run (expected count of a random process)."""
STREAM_ID_PATTERN = r"^[A-Za-z0-9_.:/-]{1,180}$"
"""A stream's id: its messages are ``ID-000000``, ``ID-000001``... (alert ids)."""

Rate = Annotated[float, Field(ge=0, le=1_000_000)]
"""Messages per second."""


class PoissonArrivals(Frozen):
    """Poisson arrivals at a constant rate (exponential gaps) from ``start_s`` to ``end_s``."""

    kind: Literal["poisson"]
    """``poisson``."""
    rate_per_s: Rate = Field(gt=0)
    """Mean messages per second (e.g. 0.9 for λ = 0.9)."""
    start_s: Seconds = 0.0
    """When the first gap starts, in seconds from the scenario epoch; default 0."""
    end_s: Seconds | None = Field(
        default=None, description="When arrivals stop (seconds from the epoch); default the scenario's duration."
    )


class RatePiece(Frozen):
    """From ``start_s`` (until the next piece, or the end) messages arrive at ``rate_per_s``."""

    start_s: Seconds
    """When this rate starts, in seconds from the scenario epoch."""
    rate_per_s: Rate
    """Mean messages per second from then on (0: none)."""


class PiecewiseArrivals(Frozen):
    """Poisson arrivals whose rate changes over time: a rate per time piece (a flood's build-up and peak)."""

    kind: Literal["piecewise"]
    """``piecewise``."""
    rates: list[RatePiece] = Field(min_length=1, max_length=10_000)
    """The pieces in increasing ``start_s``; before the first none arrive."""
    end_s: Seconds | None = Field(
        default=None, description="When the last piece ends (seconds from the epoch); default the scenario's duration."
    )

    @model_validator(mode="after")
    def _increasing(self) -> PiecewiseArrivals:
        starts = [piece.start_s for piece in self.rates]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError("rates: the pieces' start_s must increase")
        return self


class CsvArrivals(Frozen):
    """Arrival times read from a CSV file with a ``time_s`` column (seconds from the scenario epoch)."""

    kind: Literal["csv"]
    """``csv``."""
    file: str = Field(min_length=1, max_length=MAX_PATH_CHARS)
    """The CSV file, relative to the scenario file and inside its folder; one row per message."""


Arrivals = Annotated[PoissonArrivals | PiecewiseArrivals | CsvArrivals, Field(discriminator="kind")]
"""How a stream's messages arrive, told apart by ``kind``."""


class MessageTemplate(Frozen):
    """What every message of a stream is: system, category, target areas, entry node, size and mode."""

    system: AlertSystem
    """The national system that carries them, ``j_alert`` or ``l_alert``."""
    category: AlertCategory
    """What they are about (e.g. ``evacuation_order``)."""
    areas: list[AreaCode] = Field(default_factory=list, max_length=2_000)
    """Local-government codes of the target areas; empty means nationwide."""
    origin: Ref | None = Field(
        default=None, description="Node where the messages enter; default as for an alert (the system's origin)."
    )
    size_bytes: int = Field(default=2_000, gt=0, le=1_000_000_000)
    """Size on the wire in bytes (sets the send time on links with a bandwidth); default 2,000."""
    mode: AlertMode = AlertMode.EXERCISE
    """Real or drill: ``actual``, ``exercise`` (the default) or ``test``."""
    headline: str = ""
    """Short text of every message; default none."""


class MessageStream(Frozen):
    """A stream of messages of one template, arriving by ``arrivals``, drawn on its own random stream."""

    id: Annotated[str, Field(pattern=STREAM_ID_PATTERN)]
    """The stream's id; its messages' ids are ``ID-000000``, ``ID-000001``... in arrival order."""
    arrivals: Arrivals
    """The arrival process: ``poisson``, ``piecewise`` or ``csv``."""
    message: MessageTemplate
    """What each message is."""


def expected_messages(stream: MessageStream, duration_s: float) -> float:
    """Mean number of messages a random stream brings in a run of ``duration_s`` (0 for a CSV, counted on reading)."""
    arrivals = stream.arrivals
    if isinstance(arrivals, PoissonArrivals):
        end = min(duration_s if arrivals.end_s is None else arrivals.end_s, MAX_SECONDS)
        return max(end - arrivals.start_s, 0.0) * arrivals.rate_per_s
    if isinstance(arrivals, PiecewiseArrivals):
        end = duration_s if arrivals.end_s is None else arrivals.end_s
        starts = [piece.start_s for piece in arrivals.rates]
        ends = [*starts[1:], end]
        return sum(
            max(min(b, end) - a, 0.0) * p.rate_per_s for a, b, p in zip(starts, ends, arrivals.rates, strict=True)
        )
    return 0.0


def arrival_times(
    arrivals: PoissonArrivals | PiecewiseArrivals, duration_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times (seconds) of a random process before ``duration_s``, drawn from ``rng``.

    Poisson: cumulative exponential gaps. Piecewise: per piece a Poisson count, spread uniformly over
    the piece (a Poisson process given its count), so each piece is drawn in one go.
    """
    if isinstance(arrivals, PoissonArrivals):
        end = min(duration_s if arrivals.end_s is None else arrivals.end_s, duration_s)
        start, rate = arrivals.start_s, arrivals.rate_per_s
        expected = max(end - start, 0.0) * rate
        chunks: list[np.ndarray] = []
        last = start
        while last < end:
            gaps = rng.standard_exponential(int(expected + 6 * math.sqrt(expected) + 16)) / rate
            times = last + np.cumsum(gaps)
            chunks.append(times)
            last = float(times[-1])
        times = np.concatenate(chunks) if chunks else np.empty(0)
        return times[times < end]
    end = min(duration_s if arrivals.end_s is None else arrivals.end_s, duration_s)
    starts = [piece.start_s for piece in arrivals.rates]
    pieces = []
    for a, b, piece in zip(starts, [*starts[1:], end], arrivals.rates, strict=True):
        b = min(b, end)
        if b > a and piece.rate_per_s > 0:
            pieces.append(rng.uniform(a, b, rng.poisson(piece.rate_per_s * (b - a))))
    return np.sort(np.concatenate(pieces)) if pieces else np.empty(0)


ARRIVALS_MAX_BYTES = 16 * MIB
"""Largest arrival-times CSV read (a million rows of ``time_s``)."""


def read_arrival_times(path: Path) -> np.ndarray:
    """The sorted ``time_s`` column of an arrival-times CSV; ScenarioError naming the file, line and problem."""
    where = str(path)
    data = read_bounded(path, ARRIVALS_MAX_BYTES, "arrival times")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(f"cannot read arrival times: not UTF-8 text (byte {exc.start})", file=where)]
        ) from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise ScenarioError([Problem(f"not a CSV table: {exc}", file=where)]) from None
    if not rows or "time_s" not in [name.strip() for name in rows[0]]:
        raise ScenarioError([Problem("required column 'time_s' is missing", file=where, line=1)])
    if len(rows) > MAX_STREAM_MESSAGES + 1:
        raise ScenarioError([Problem(f"more than {MAX_STREAM_MESSAGES:,} rows", file=where)])
    column = [name.strip() for name in rows[0]].index("time_s")
    times = np.empty(len(rows) - 1)
    for line, row in enumerate(rows[1:], start=2):
        value = row[column].strip() if column < len(row) else ""
        try:
            time_s = float(value)
        except ValueError:
            time_s = math.nan
        if not 0 <= time_s <= MAX_SECONDS:
            problem = f"time_s must be a number of seconds from 0 to {MAX_SECONDS:,}, not {value[:40]!r}"
            raise ScenarioError([Problem(problem, file=where, line=line)])
        times[line - 2] = time_s
    return np.sort(times)
