"""Peak memory of a nationwide run with 100 alerts, and its trace files against the tuple trace's.

Runs ``scenarios/jalert_eew_nationwide.yaml`` (all 1,741 municipalities) with its
alert repeated ``--alerts`` times (one earthquake early warning every 5 s),
summarises it alert by alert and writes the trace (CSV and, with pyarrow,
Parquet), then prints the process's peak RSS (``resource.getrusage``; target
400 MiB). Then, in the same process after the peak was read, it runs the same
seed again with a reference copy of the trace as it used to be (one Python
tuple per row) and checks both trace files are byte-identical.

    python bench/bench_memory.py [--alerts 100] [--out DIR]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lalert_sim.analysis.summary import run_summary
from lalert_sim.engine import simulation as simulation_module
from lalert_sim.engine.trace import COLUMNS, Cause, Event
from lalert_sim.prepare import Prepared, load_text
from lalert_sim.report.files import PARQUET_ROW_GROUP, write_trace
from lalert_sim.runner import run
from lalert_sim.tables import has_parquet, write_csv

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "jalert_eew_nationwide.yaml"
TARGET_MIB = 400


class TupleRows(list[tuple[float, int, int, int, int, int, int, int]]):
    """The reference's rows: a plain list of tuples, which the engine's step loop need not settle."""

    def settle(self) -> None:
        """Nothing to move: the tuples stay."""


class TupleTrace:
    """The trace as it was before it became columnar: one Python tuple per row (the reference)."""

    def __init__(self, alert_ids: list[str], node_ids: list[str], link_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.node_ids = node_ids
        self.link_ids = link_ids
        self.rows = TupleRows()

    def record(
        self,
        time_s: float,
        alert: int,
        node: int,
        event: Event,
        from_node: int = -1,
        link: int = -1,
        attempt: int = 0,
        cause: Cause = Cause.NONE,
    ) -> None:
        """Append one row."""
        self.rows.append((time_s, alert, node, from_node, link, event, attempt, cause))

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> np.ndarray:
        """The rows as a float array."""
        return np.array(self.rows, dtype=np.float64).reshape(-1, len(COLUMNS))

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays."""
        table = self.table()
        return {
            "time_s": table[:, 0].copy(),
            **{name: table[:, i].astype(np.int32) for i, name in enumerate(COLUMNS) if i},
        }

    def named_columns(self) -> dict[str, list[object]]:
        """The columns with ids and names spelled out, as the files had them."""
        events = {int(e): e.name.lower() for e in Event}
        causes = {int(c): c.name.lower() if c else "" for c in Cause}
        nodes = [*self.node_ids, ""]
        links = [*self.link_ids, ""]
        records = [
            (
                t,
                self.alert_ids[int(a)],
                nodes[int(n)],
                nodes[int(f)],
                links[int(k)],
                events[int(e)],
                int(at),
                causes[int(c)],
            )
            for t, a, n, f, k, e, at, c in self.rows
        ]
        if not records:
            return {name: [] for name in COLUMNS}
        return dict(zip(COLUMNS, (list(column) for column in zip(*records, strict=True)), strict=True))


def scenario_text(alerts: int) -> str:
    """The nationwide scenario with its alert repeated ``alerts`` times, 5 s apart."""
    data: dict[str, Any] = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    template = data["alerts"][0]
    data["alerts"] = [{**template, "id": f"eew-{k + 1}", "issue_s": 5.0 * k} for k in range(alerts)]
    data["duration_s"] = max(float(data["duration_s"]), 5.0 * alerts + 120.0)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_reference(out: Path, columns: dict[str, list[object]]) -> list[Path]:
    """The trace as the files were written from the tuple trace: CSV, and Parquet (``pq.write_table`` of the
    whole table, in row groups of the size the trace writer uses) when pyarrow is installed."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "trace.csv", COLUMNS, zip(*(columns[c] for c in COLUMNS), strict=True))
    paths = [out / "trace.csv"]
    if has_parquet():
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(dict(columns)), out / "trace.parquet", row_group_size=PARQUET_ROW_GROUP)
        paths.append(out / "trace.parquet")
    return paths


def summarise_lean(prepared: Prepared, result: simulation_module.RunResult) -> None:
    """The run's summary, each alert's reach computed and dropped in turn (as a sweep does)."""
    from lalert_sim.reach.model import compute_reach

    run_summary(prepared, result, (compute_reach(prepared, result, alert) for alert in result.alerts))


def peak_mib() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """The process's resident set now, in MiB (Linux's /proc; NaN elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return math.nan
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), math.nan)


def memory() -> str:
    """Peak and current RSS, for the phase lines."""
    return f"peak RSS {peak_mib():.0f} MiB (now {rss_mib():.0f} MiB)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None, help="folder for the trace files (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_memory-"))

    started = time.perf_counter()
    prepared = load_text(scenario_text(args.alerts), str(SCENARIO))
    loaded = time.perf_counter()
    print(
        f"{len(prepared.topology.nodes):,} nodes, {len(prepared.topology.links):,} links, {args.alerts} alerts; "
        f"loaded in {loaded - started:.2f} s, {memory()}"
    )
    result = run(prepared)
    ran = time.perf_counter()
    print(f"ran in {ran - loaded:.2f} s: {len(result.trace):,} trace rows, {memory()}")
    summarise_lean(prepared, result)
    summarised = time.perf_counter()
    print(f"summarised in {summarised - ran:.2f} s, {memory()}")
    columnar = []
    for parquet in (False, True) if has_parquet() else (False,):  # a folder each: one format removes the other
        folder = out / ("columnar-parquet" if parquet else "columnar-csv")
        folder.mkdir(parents=True, exist_ok=True)
        columnar.append(write_trace(folder, result.trace, parquet))
    peak = peak_mib()
    print(f"trace files written in {time.perf_counter() - summarised:.2f} s, {memory()}")
    print(f"peak RSS: {peak:.0f} MiB (target <= {TARGET_MIB} MiB) {'ok' if peak <= TARGET_MIB else 'OVER'}")

    del result
    original = simulation_module.Trace
    simulation_module.Trace = TupleTrace  # type: ignore[misc,assignment]
    try:
        reference = run(prepared)
    finally:
        simulation_module.Trace = original  # type: ignore[misc]
    tuples = write_reference(out / "tuples", reference.trace.named_columns())
    same = all(a.read_bytes() == b.read_bytes() for a, b in zip(columnar, tuples, strict=True))
    print(f"trace files ({', '.join(p.name for p in columnar)}) byte-identical to the tuple trace's: {same}")
    return 0 if same and peak <= TARGET_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
