"""Sweep results as files a notebook loads: the replication table and the aggregate summary."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.statistics import describe, paired
from lalert_sim.report.files import atomic_write, has_parquet, write_csv

KEYS = ("replication", "seed")


def kpi_names(rows: list[Row]) -> list[str]:
    """Every KPI column of the rows, in a stable order."""
    return sorted({k for row in rows for k in row if k not in KEYS})


def column(rows: list[Row], name: str) -> np.ndarray:
    """One KPI over the replications (NaN where a replication lacks it)."""
    return np.array([float(row.get(name, math.nan)) for row in rows])


def write_table(out_dir: Path, rows: list[Row], parquet: bool | None = None) -> Path:
    """``replications.parquet`` (with pyarrow) or ``replications.csv``: one row per replication."""
    names = [*KEYS, *kpi_names(rows)]
    if parquet if parquet is not None else has_parquet():
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = out_dir / "replications.parquet"
        temporary = out_dir / ".replications.parquet.partial"
        table = {"replication": [int(r["replication"]) for r in rows], "seed": [int(r["seed"]) for r in rows]}
        table.update({n: column(rows, n).tolist() for n in names[2:]})
        pq.write_table(pa.table(table), temporary)
        os.replace(temporary, path)
        return path
    path = out_dir / "replications.csv"
    write_csv(path, names, ([row.get(n, "") for n in names] for row in rows))
    return path


def aggregate(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Per KPI: n, how many finite, mean with 95 % CI, s.d., 5/50/95th percentiles."""
    return {name: describe(column(rows, name)) for name in kpi_names(rows)}


def compare(plans: dict[str, list[Row]]) -> dict[str, dict[str, dict[str, float]]]:
    """Paired differences of every plan against the first, KPI by KPI, on common seeds."""
    names = list(plans)
    base = plans[names[0]]
    return {
        name: {
            kpi: paired(column(base, kpi), column(plans[name], kpi))
            for kpi in kpi_names(base)
            if kpi in kpi_names(plans[name])
        }
        for name in names[1:]
    }


def write_json(path: Path, data: dict) -> None:
    """JSON with NaN written as null, atomically."""

    def clean(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    atomic_write(path, lambda out: out.write(json.dumps(clean(data), indent=2, ensure_ascii=False) + "\n"))
