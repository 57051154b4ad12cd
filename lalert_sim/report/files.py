"""Result files: summary.json, the columnar trace (CSV, or Parquet with pyarrow), nodes.csv."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TextIO

from lalert_sim.analysis.metrics import outcomes
from lalert_sim.analysis.reach_metrics import curve_rows, municipality_rows
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.trace import COLUMNS
from lalert_sim.model.cap import write_cap
from lalert_sim.prepare import Prepared
from lalert_sim.reach.model import Reach
from lalert_sim.reach.parameters import AGE_BANDS

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
)


def has_parquet() -> bool:
    """True when pyarrow is installed (the ``parquet`` extra)."""
    return importlib.util.find_spec("pyarrow") is not None


def atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            write(out)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes files private; results are for sharing
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable]) -> None:
    """A CSV file with a header row, written atomically."""

    def write(out) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)

    atomic_write(path, write)


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


def write_results(
    out_dir: Path, summary: dict, result: RunResult, parquet: bool | None = None, reaches: Sequence[Reach | None] = ()
) -> list[Path]:
    """All result files of one run; Parquet trace when pyarrow is there (or when asked).

    With resident reaches: ``warned.csv`` (warned fraction over time, overall, by
    age band and by smartphone use) and ``reach_municipalities.csv``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "summary.json"]
    atomic_write(written[0], lambda out: out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n"))
    columns = result.trace.named_columns()
    if parquet if parquet is not None else has_parquet():
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = out_dir / "trace.parquet"
        temporary = out_dir / ".trace.parquet.partial"
        pq.write_table(pa.table(columns), temporary)
        os.replace(temporary, path)
    else:
        path = out_dir / "trace.csv"
        write_csv(path, COLUMNS, zip(*(columns[c] for c in COLUMNS), strict=True))
    written.append(path)
    stale = out_dir / ("trace.csv" if path.suffix == ".parquet" else "trace.parquet")
    stale.unlink(missing_ok=True)  # a trace from an earlier run in another format would mislead
    written.append(out_dir / "nodes.csv")
    write_csv(written[-1], NODE_COLUMNS, _node_rows(result))
    responses = summary.get("responses")
    if responses:
        written.append(out_dir / "outages.csv")
        write_csv(
            written[-1],
            ("time_s", "component", "id", "event", "cause"),
            (
                (round(t, 3), kind, name, "down" if down else "up", cause)
                for t, kind, name, down, cause in result.availability.rows
            ),
        )
        if responses["requests"]:
            request_columns = tuple(responses["requests"][0])
            written.append(out_dir / "requests.csv")
            write_csv(
                written[-1], request_columns, ([row[c] for c in request_columns] for row in responses["requests"])
            )
    present = [r for r in reaches if r is not None]
    if present:
        deadline_s = summary["alerts"][0]["residents"]["deadline_s"] if summary["alerts"] else 0.0
        written.append(out_dir / "warned.csv")
        write_csv(written[-1], WARNED_COLUMNS, (row for r in present for row in curve_rows(r)))
        written.append(out_dir / "reach_municipalities.csv")
        write_csv(
            written[-1], REACH_MUNICIPALITY_COLUMNS, (row for r in present for row in municipality_rows(r, deadline_s))
        )
    return written


def _node_rows(result: RunResult):
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
                _cell(row.first_receipt_s),
                _cell(row.emitted_s),
                row.from_node or "",
                row.via_link or "",
                medium.get(row.via_link or "", ""),
                max(len(row.path) - 1, 0),
                " > ".join(row.path),
            )


def _cell(value: float | None) -> str:
    return "" if value is None else repr(round(value, 6))


def _write_text(text: str, out: TextIO) -> None:
    out.write(text)


def write_cap_alerts(folder: Path, prepared: Prepared) -> list[Path]:
    """Each simulated alert as a CAP 1.2 message, ``ALERT_ID.cap.xml``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for injection in prepared.injections:
        path = folder / (injection.alert.id.replace("/", "_").replace(":", "_") + ".cap.xml")
        text = write_cap(injection.alert, prepared.scenario.metadata.epoch).decode("utf-8")
        atomic_write(path, partial(_write_text, text))
        written.append(path)
    return written
