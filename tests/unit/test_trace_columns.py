"""The columnar trace: rows kept as typed values, read back exactly as they were recorded."""

from __future__ import annotations

import numpy as np

from lalert_sim.engine.trace import NO_ID, Cause, Event, Record, Trace

ROWS = [
    (0.0, 0, 0, NO_ID, NO_ID, Event.ISSUED, 0, Cause.NONE),
    (0.1 + 0.2, 0, 1, 0, 0, Event.SENT, 1, Cause.NONE),  # 0.30000000000000004 must survive exactly
    (1.0 / 3.0, 1, 2, 1, 1, Event.LOST, 2, Cause.NODE_DOWN),
    (1e9 + 0.125, 1, 2, 1, 1, Event.STOPPED, 0, Cause.LIFT),
]


def _trace() -> Trace:
    trace = Trace(["a", "b"], ["n0", "n1", "n2"], ["k0", "k1"])
    for row in ROWS:
        trace.rows.append(row)  # the hot path's way in
    return trace


def test_rows_of_a_small_topology_are_packed_in_21_bytes_each_and_read_back_exactly() -> None:
    trace = _trace()
    assert len(trace) == len(ROWS)
    trace.rows.compact()  # what the first read does
    assert len(trace) == len(ROWS)
    trace.rows.append(ROWS[0])  # appends after a read still count
    assert len(trace) == len(ROWS) + 1
    trace = _trace()
    trace.arrays()
    assert trace.rows.packed().nbytes == 21 * len(ROWS)
    assert list(trace.rows) == [tuple(float(v) if i == 0 else int(v) for i, v in enumerate(r)) for r in ROWS]
    arrays = trace.arrays()
    assert arrays["time_s"].dtype == np.float64 and arrays["event"].dtype == np.int32
    assert arrays["time_s"].tolist() == [r[0] for r in ROWS]
    assert arrays["cause"].tolist() == [int(r[7]) for r in ROWS]


def test_named_columns_spell_out_ids_events_and_causes() -> None:
    records = _trace().records()
    assert records[0] == Record(0.0, "a", "n0", "", "", "issued", 0, "")
    assert records[2] == Record(1.0 / 3.0, "b", "n2", "n1", "k1", "lost", 2, "node_down")
    assert records[3] == Record(1e9 + 0.125, "b", "n2", "n1", "k1", "stopped", 0, "lift")
    assert [type(v) for v in records[1]] == [float, str, str, str, str, str, int, str]


def test_an_empty_trace_has_empty_columns() -> None:
    trace = Trace([], ["n0"], [])
    assert trace.table().shape == (0, 8)
    assert trace.named_columns() == {name: [] for name in trace.named_columns()}
    assert trace.records() == []


def test_reachable_mask_is_reachable_in_node_order() -> None:
    from lalert_sim.prepare import load

    topology = load("scenarios/jalert_missile_drill_aomori.yaml").topology
    origin = next(iter(topology.nodes))
    for areas in ((), ("02201",)):
        mask = topology.reachable_mask(origin, areas)
        assert [n for n, m in zip(topology.nodes, mask, strict=True) if m] == topology.reachable(origin, areas)
        assert topology.reachable_mask(origin, areas) is mask  # remembered


def test_arrays_of_some_events_are_those_rows_of_all_the_arrays() -> None:
    trace = _trace()
    every, some = trace.arrays(), trace.arrays_of(Event.LOST, Event.SENT)
    chosen = np.isin(every["event"], [Event.LOST, Event.SENT])
    assert chosen.sum() == 2
    for name, column in every.items():
        assert some[name].dtype == column.dtype
        assert some[name].tolist() == column[chosen].tolist()
    assert trace.arrays(1, 3)["node"].tolist() == [1, 2]


def test_rows_compare_by_their_values() -> None:
    assert _trace().rows == _trace().rows
    other = _trace()
    other.rows.append(ROWS[0])
    assert _trace().rows != other.rows
