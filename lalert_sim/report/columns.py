"""Result CSV files read once into numpy columns, so the report filters and plots whole arrays."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Columns:
    """A CSV file as one numpy array per column (text; ``floats`` reads one as numbers)."""

    names: tuple[str, ...]
    values: dict[str, np.ndarray]

    @classmethod
    def read(cls, path: Path) -> Columns:
        """The file's columns; no rows (and no columns) when the file is not there."""
        if not path.exists():
            return cls((), {})
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = tuple(next(reader, ()))
            rows = list(reader)
        if not rows:
            return cls(header, {name: np.array([], dtype=str) for name in header})
        transposed = list(zip(*rows, strict=True))
        return cls(header, {name: np.array(column, dtype=str) for name, column in zip(header, transposed, strict=True)})

    def __len__(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def __getitem__(self, name: str) -> np.ndarray:
        """A text column (empty when the file has no such column or no rows)."""
        return self.values.get(name, np.array([], dtype=str))

    def floats(self, name: str) -> np.ndarray:
        """A column as numbers, NaN where a cell is empty."""
        column = self[name]
        return np.where(column == "", "nan", column).astype(float)

    def where(self, mask: np.ndarray) -> Columns:
        """The rows where ``mask`` is true."""
        return Columns(self.names, {name: column[mask] for name, column in self.values.items()})

    def of_alert(self, alert_id: str) -> Columns:
        """The rows of one alert (files that hold several alerts have an ``alert`` column)."""
        return self.where(self["alert"] == alert_id) if "alert" in self.values else self

    def rows(self) -> list[dict[str, str]]:
        """The rows as dicts (for the few places that take a handful of rows)."""
        return [
            dict(zip(self.names, row, strict=True)) for row in zip(*(self.values[n] for n in self.names), strict=True)
        ]
