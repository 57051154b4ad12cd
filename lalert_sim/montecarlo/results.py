"""Sweep results as files a notebook loads: the replication table and the aggregate summary."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lalert_sim.analysis.results import Record
from lalert_sim.atomic import write_text
from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.statistics import Description, PairedDifference, describe, paired
from lalert_sim.tables import has_parquet, write_csv, write_parquet

KEYS = ("replication", "seed")


@dataclass(frozen=True, slots=True)
class SweepSummary(Record):
    """``sweep_summary.json``: each KPI described over the replications of one scenario."""

    scenario: str
    replications: int
    kpis: Mapping[str, Description]


@dataclass(frozen=True, slots=True)
class Comparison(Record):
    """``comparison.json``: paired differences of every plan against the base, KPI by KPI."""

    base: str
    replications: int
    master_seed: int
    differences: Mapping[str, Mapping[str, PairedDifference]]


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
        path = out_dir / "replications.parquet"
        table: dict[str, list[int] | list[float]] = {key: [int(r[key]) for r in rows] for key in KEYS}
        table.update({n: column(rows, n).tolist() for n in names[len(KEYS) :]})
        write_parquet(path, table)
        return path
    path = out_dir / "replications.csv"
    write_csv(path, names, ([row.get(n, "") for n in names] for row in rows))
    return path


def aggregate(rows: list[Row]) -> dict[str, Description]:
    """Per KPI: n, how many finite, mean with 95 % CI, s.d., 5/50/95th percentiles."""
    return {name: describe(column(rows, name)) for name in kpi_names(rows)}


def compare(plans: Mapping[str, list[Row]]) -> dict[str, dict[str, PairedDifference]]:
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


def write_json(path: Path, record: Record) -> None:
    """A record as JSON, NaN written as null and infinities as strings."""
    write_text(path, json.dumps(_finite(record.as_dict()), indent=2, ensure_ascii=False) + "\n")


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
