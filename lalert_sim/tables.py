"""Tables as files: CSV always, Parquet when pyarrow is installed; both written atomically."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lalert_sim.atomic import atomic_path, atomic_write


def has_parquet() -> bool:
    """True when pyarrow is installed (the ``parquet`` extra)."""
    return importlib.util.find_spec("pyarrow") is not None


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """A CSV file with a header row."""

    def write(out: Any) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)

    atomic_write(path, write)


def write_parquet(path: Path, columns: Mapping[str, Sequence[Any]]) -> None:
    """A Parquet file of named columns (needs pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(path) as temporary:
        pq.write_table(pa.table(dict(columns)), temporary)
