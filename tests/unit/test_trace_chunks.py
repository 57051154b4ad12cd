"""The trace's chunked storage against a plain list of tuples, on rows that cross chunk boundaries."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from lalert_sim.engine import trace as trace_module
from lalert_sim.engine.trace import COLUMNS, NO_ID, Cause, Event, Trace

NODES, LINKS, ALERTS = 300, 200, 40


def _row(rng: random.Random) -> tuple[float, int, int, int, int, int, int, int]:
    sender = rng.choice([NO_ID, rng.randrange(NODES)])
    return (
        rng.random() * 1e4 + rng.random() * 1e-9,  # times that need every bit of a double
        rng.randrange(ALERTS),
        rng.randrange(NODES),
        sender,
        NO_ID if sender < 0 else rng.randrange(LINKS),
        rng.choice(list(Event)),
        rng.randrange(101),  # up to RetryPolicy's largest max_attempts
        rng.choice(list(Cause)),
    )


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 rows, settled from 20 pending: every read below crosses chunk boundaries."""
    monkeypatch.setattr(trace_module, "CHUNK", 7)
    monkeypatch.setattr(trace_module, "SETTLE_AT", 20)


def _filled(count: int, reads_every: int) -> tuple[Trace, list[tuple[float, int, int, int, int, int, int, int]]]:
    """A trace and the same rows as a list, appended with settles and reads (short chunks) in between."""
    rng = random.Random(count)
    trace = Trace([f"a{k}" for k in range(ALERTS)], [f"n{k}" for k in range(NODES)], [f"k{k}" for k in range(LINKS)])
    rows = []
    for k in range(count):
        row = _row(rng)
        rows.append(row)
        trace.rows.append(row)
        trace.rows.settle()
        if k % reads_every == reads_every - 1:
            assert len(trace.arrays()["time_s"]) == k + 1  # a read in the middle leaves a short chunk
    return trace, rows


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize(("count", "reads_every"), [(0, 5), (1, 5), (7, 100), (97, 11), (250, 23)])
def test_chunked_rows_read_as_the_list_of_tuples(count: int, reads_every: int) -> None:
    trace, rows = _filled(count, reads_every)
    assert len(trace) == count
    assert list(trace.rows) == [tuple(float(v) if i == 0 else int(v) for i, v in enumerate(r)) for r in rows]
    expected = np.array(rows, dtype=np.float64).reshape(-1, len(COLUMNS))
    assert np.array_equal(trace.table(), expected)
    for start, stop in ((0, None), (3, 18), (6, 8), (13, 14), (count - 1, None), (5, 5)):
        arrays = trace.arrays(start, stop)
        for i, name in enumerate(COLUMNS):
            assert arrays[name].tolist() == expected[start:stop, i].tolist()
        assert np.array_equal(trace.rows.table(start, stop), expected[start:stop])
    lost = [r for r in rows if r[5] in (Event.LOST, Event.DUPLICATE)]
    picked = trace.arrays_of(Event.LOST, Event.DUPLICATE)
    assert picked["node"].tolist() == [r[2] for r in lost]
    assert picked["time_s"].tolist() == [r[0] for r in lost]
    named = trace.named_columns(2, 30)
    assert named["node"] == [f"n{r[2]}" for r in rows[2:30]]
    assert named["from_node"] == ["" if r[3] < 0 else f"n{r[3]}" for r in rows[2:30]]
    assert named["cause"] == [Cause(r[7]).name.lower() if r[7] else "" for r in rows[2:30]]
    assert list(trace.named_rows(chunk=9)) == list(zip(*trace.named_columns().values(), strict=True))


@pytest.mark.usefixtures("small_chunks")
def test_a_run_settles_its_rows_into_chunks_as_it_goes() -> None:
    trace, _ = _filled(95, 1000)
    assert len(trace.rows._pending) < 20  # never more than SETTLE_AT rows wait as tuples
    assert sum(len(c) for c in trace.rows._chunks) + len(trace.rows._pending) == 95


@pytest.mark.usefixtures("small_chunks")
def test_rows_stored_in_different_chunks_compare_by_their_values() -> None:
    one, rows = _filled(60, 13)
    other = Trace([], [], [])
    for row in rows:
        other.rows.append(row)
    assert one.rows == other.rows
    other.rows.append(rows[0])
    assert one.rows != other.rows


def test_codes_beyond_16_bits_are_stored_in_32() -> None:
    wide = 2**15 + 5
    trace = Trace(["a"], [f"n{k}" for k in range(wide)], [f"k{k}" for k in range(wide)])
    rows = [(1.5, 0, wide - 1, wide - 2, wide - 3, Event.RECEIVED, 1, Cause.NONE), (2.5, 0, 3, NO_ID, NO_ID, 5, 0, 0)]
    for row in rows:
        trace.rows.append(row)
    assert trace.rows.packed().nbytes == 27 * len(rows)
    assert list(trace.rows) == [tuple(float(v) if i == 0 else int(v) for i, v in enumerate(r)) for r in rows]
    assert trace.named_columns()["node"] == [f"n{wide - 1}", "n3"]
    assert trace.named_columns()["link"] == [f"k{wide - 3}", ""]


@pytest.mark.usefixtures("small_chunks")
def test_a_column_of_rows_across_chunks_is_that_column_of_the_rows() -> None:
    trace, rows = _filled(60, 17)
    for i, name in enumerate(COLUMNS):
        for start, stop in ((0, None), (5, 33), (20, 21), (59, 60), (30, 30)):
            assert trace.rows.column(name, start, stop).tolist() == [r[i] for r in rows[start:stop]]


def test_the_parquet_trace_is_the_file_write_table_makes_with_the_same_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from lalert_sim.prepare import load
    from lalert_sim.report import files
    from lalert_sim.runner import run
    from tests.conftest import SCENARIOS

    trace = run(load(SCENARIOS / "jalert_missile_drill_aomori.yaml"), 1).trace
    monkeypatch.setattr(files, "PARQUET_ROW_GROUP", 100)  # several groups, the last one short
    written = tmp_path / "trace.parquet"
    files._write_trace_parquet(written, trace)
    assert pq.ParquetFile(written).num_row_groups == -(-len(trace) // 100) > 2
    whole = tmp_path / "whole.parquet"
    pq.write_table(pq.read_table(written), whole, row_group_size=100)
    assert written.read_bytes() == whole.read_bytes()
    assert pq.read_table(written).to_pylist() == [dict(zip(COLUMNS, row, strict=True)) for row in trace.named_rows()]
