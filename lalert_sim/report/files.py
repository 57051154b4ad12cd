"""Result files: summary.json, the columnar trace (CSV, or Parquet with pyarrow), nodes.csv."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lalert_sim.analysis.figures import rounded
from lalert_sim.analysis.metrics import outcomes
from lalert_sim.analysis.reach_metrics import channel_rows, curve_rows, municipality_rows
from lalert_sim.analysis.results import RequestTimes, RunSummary
from lalert_sim.atomic import atomic_path, write_text
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.trace import COLUMNS, Trace
from lalert_sim.model.alerts import AlertSystem
from lalert_sim.model.cap import write_cap
from lalert_sim.model.edxl import write_edxl
from lalert_sim.prepare import Prepared
from lalert_sim.reach.model import Reach
from lalert_sim.reach.parameters import AGE_BANDS
from lalert_sim.tables import has_parquet, write_csv, write_parquet

NODE_COLUMNS = (
    "alert",
    "node",
    "kind",
    "channel",
    "area",
    "expected",
    "first_receipt_s",
    "emitted_s",
    "from_node",
    "via_link",
    "medium",
    "hops",
    "path",
    "stopped_s",
    "stale",
)


WARNED_COLUMNS = ("alert", "time_s", "overall", *(f"age_{band}" for band in AGE_BANDS), "smartphone", "no_smartphone")
REACH_MUNICIPALITY_COLUMNS = (
    "alert",
    "code",
    "name",
    "prefecture",
    "population",
    "coastal",
    "time_to_50_s",
    "time_to_90_s",
    "unwarned_at_deadline",
)


CHANNEL_COLUMNS = ("alert", "time_s", "cohort", "channel", "first_via", "reached_by")


REQUEST_COLUMNS = tuple(field.name for field in dataclasses.fields(RequestTimes))
OUTAGE_COLUMNS = ("time_s", "component", "id", "event", "cause")


def write_results(
    out_dir: Path,
    summary: RunSummary,
    result: RunResult,
    parquet: bool | None = None,
    reaches: Sequence[Reach | None] = (),
) -> list[Path]:
    """All result files of one run; Parquet trace when pyarrow is there (or when asked).

    With resident reaches: ``warned.csv`` (warned fraction over time, overall, by
    age band and by smartphone use), ``channels.csv`` (first warned via and reached
    by each channel that reaches anyone, over time, per cohort group) and
    ``reach_municipalities.csv``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "summary.json"]
    write_text(written[0], summary.to_json())
    written.append(write_trace(out_dir, result.trace, parquet if parquet is not None else has_parquet()))
    written.append(out_dir / "nodes.csv")
    write_csv(written[-1], NODE_COLUMNS, _node_rows(result))
    responses = summary.responses
    if responses is not None:
        written.append(out_dir / "outages.csv")
        write_csv(
            written[-1],
            OUTAGE_COLUMNS,
            (
                (round(t, 3), kind, name, "down" if down else "up", cause)
                for t, kind, name, down, cause in result.availability.rows
            ),
        )
        if responses.requests:
            written.append(out_dir / "requests.csv")
            write_csv(written[-1], REQUEST_COLUMNS, (dataclasses.astuple(row) for row in responses.requests))
    present = [r for r in reaches if r is not None]
    if present:
        deadline_s = next(a.residents.deadline_s for a in summary.alerts if a.residents is not None)
        written.append(out_dir / "warned.csv")
        write_csv(written[-1], WARNED_COLUMNS, (row for r in present for row in curve_rows(r)))
        written.append(out_dir / "channels.csv")
        write_csv(written[-1], CHANNEL_COLUMNS, (row for r in present for row in channel_rows(r)))
        written.append(out_dir / "reach_municipalities.csv")
        write_csv(
            written[-1], REACH_MUNICIPALITY_COLUMNS, (row for r in present for row in municipality_rows(r, deadline_s))
        )
    return written


def write_trace(out_dir: Path, trace: Trace, parquet: bool) -> Path:
    """``trace.parquet`` (``parquet``) or ``trace.csv``, written from the trace's arrays a chunk at a time
    (CSV) or column by column without a Python object per value (Parquet); removes the other format's file."""
    if parquet:
        path = out_dir / "trace.parquet"
        if len(trace):
            _write_trace_parquet(path, trace)
        else:
            write_parquet(path, trace.named_columns())
    else:
        path = out_dir / "trace.csv"
        write_csv(path, COLUMNS, trace.named_rows())
    stale = out_dir / ("trace.csv" if parquet else "trace.parquet")
    stale.unlink(missing_ok=True)  # a trace from an earlier run in another format would mislead
    return path


PARQUET_ROW_GROUP = 65_536
"""Rows per Parquet row group (the file is the one ``pq.write_table(table, row_group_size=PARQUET_ROW_GROUP)``
gives from the whole table). A group is built whole, since pyarrow writes no part of one: at 65,536 rows that
is about 6 MiB of Arrow columns and 3 MiB while the writer dictionary-encodes its times, where Arrow's default
of 1,048,576 rows took about 94 + 45 MiB for the nationwide trace."""


def _write_trace_parquet(path: Path, trace: Trace) -> None:
    """The trace as Parquet, one row group of spelled-out Arrow columns at a time: the file
    ``pq.write_table(table, row_group_size=PARQUET_ROW_GROUP)`` writes from the whole table, in the memory of
    one row group (its Arrow columns made one at a time from the stored rows' chunks, no other copy beside them)."""
    import pyarrow.parquet as pq

    spellings = {name: _Spelling(labels) for name, labels in trace.labels().items()}
    with atomic_path(path) as temporary:
        writer: Any = None
        try:
            for start in range(0, len(trace), PARQUET_ROW_GROUP):
                table = _arrow_table(trace, start, start + PARQUET_ROW_GROUP, spellings)
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema)
                writer.write_table(table)
                del table  # before the next row group is made
        finally:
            if writer is not None:
                writer.close()


class _Spelling:
    """What a coded column's codes read as, in UTF-8: every label's bytes one after another, and where each
    label starts and how long it is, by code."""

    STEP = 1 << 14
    """Rows whose characters are gathered at once (a few MiB of indices)."""

    def __init__(self, labels: Sequence[str]) -> None:
        encoded = [label.encode("utf-8") for label in labels]
        self.characters = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.lengths = np.array([len(label) for label in encoded], dtype=np.int32)
        self.starts = np.cumsum(self.lengths, dtype=np.int64) - self.lengths

    def strings(self, values: np.ndarray) -> Any:
        """Codes (-1, none, is the last label: "") as an Arrow string array, built straight into its two
        buffers (offsets from the labels' lengths; characters gathered from the labels' bytes ``STEP`` rows at
        a time): the array ``pa.array`` makes from the same Python strings, with no object per value."""
        import pyarrow as pa

        codes = values.astype(np.int32) % len(self.lengths)
        lengths = self.lengths[codes]
        if lengths.sum(dtype=np.int64) >= 2**31:
            raise ValueError("a row group's strings exceed Arrow's 32-bit offsets; write fewer rows per group")
        offsets = np.zeros(len(codes) + 1, dtype=np.int32)
        np.cumsum(lengths, dtype=np.int32, out=offsets[1:])
        del lengths
        characters = np.empty(int(offsets[-1]), dtype=np.uint8)
        for start in range(0, len(codes), self.STEP):
            picked = codes[start : start + self.STEP]
            first, last = int(offsets[start]), int(offsets[start + len(picked)])
            # byte j of row r is the label's byte j - offsets[r]: at starts[code] - offsets[r] + j
            shift = np.repeat(self.starts[picked] - offsets[start : start + len(picked)], self.lengths[picked])
            characters[first:last] = self.characters[shift + np.arange(first, last)]
        return pa.StringArray.from_buffers(len(codes), pa.py_buffer(offsets), pa.py_buffer(characters), null_count=0)


def _arrow_table(trace: Trace, start: int, stop: int, spellings: dict[str, _Spelling]) -> Any:
    """Rows ``start:stop`` of the trace as a table of spelled-out pyarrow arrays, made one column at a time:
    coded columns as strings (``_Spelling``), numbers as float64 / int64 (the types Arrow gives the same
    values as Python objects). Every array is built on its numpy buffers: ``pa.array`` and ``pa.table``
    would import pandas, some 40 MiB, to check for it."""
    import pyarrow as pa

    arrays = []
    for name in COLUMNS:
        values = trace.rows.column(name, start, stop)
        if name in spellings:
            arrays.append(spellings[name].strings(values))
        else:
            number = np.asarray(values, np.float64 if name == "time_s" else np.int64)  # time_s: no copy
            kind = pa.float64() if name == "time_s" else pa.int64()
            arrays.append(pa.Array.from_buffers(kind, len(number), [None, pa.py_buffer(number)], null_count=0))
        del values
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


def _node_rows(result: RunResult) -> Iterator[tuple[object, ...]]:
    topology = result.topology
    medium = {link.id: link.medium.value for link in topology.links}
    for alert in result.alerts:
        for row in outcomes(result, alert):
            node = topology.nodes[row.node]
            yield (
                alert.spec.id,
                row.node,
                node.kind.value,
                node.channel.value if node.channel else "",
                node.area or "",
                int(row.expected),
                rounded(row.first_receipt_s, 6),
                rounded(row.emitted_s, 6),
                row.from_node or "",
                row.via_link or "",
                medium.get(row.via_link or "", ""),
                max(len(row.path) - 1, 0),
                " > ".join(row.path),
                rounded(row.stopped_s, 6),
                int(row.stale),
            )


def write_cap_alerts(folder: Path, prepared: Prepared) -> list[Path]:
    """Each simulated alert as a CAP 1.2 message, ``ALERT_ID.cap.xml`` (``/`` and ``:`` as ``_``; ids that
    then coincide get ``-2``, ``-3``... so no alert's file replaces another's), and each L-Alert message
    also as the EDXL-DE 1.0 envelope L-Alert carries it in, ``ALERT_ID.edxl.xml``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    alerts = {injection.alert.id: injection.alert for injection in prepared.injections}  # what chains reference
    for injection in prepared.injections:
        stem = injection.alert.id.replace("/", "_").replace(":", "_")
        path = folder / f"{stem}.cap.xml"
        copies = 1
        while path in written:
            copies += 1
            path = folder / f"{stem}-{copies}.cap.xml"
        text = write_cap(injection.alert, prepared.scenario.metadata.epoch, tuple(alerts.values())).decode("utf-8")
        write_text(path, text)
        written.append(path)
        if injection.alert.system is AlertSystem.L_ALERT:
            envelope = path.with_name(path.name.removesuffix(".cap.xml") + ".edxl.xml")
            write_text(envelope, write_edxl(injection.alert, prepared.scenario.metadata.epoch, alerts).decode("utf-8"))
            written.append(envelope)
    return written
