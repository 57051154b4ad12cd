"""Packaged reference data: Japan's municipalities with codes and office coordinates."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Municipality:
    """One municipality of the reference list (see ``data/SOURCES.md``)."""

    code: str  # five-digit JIS X 0402 code without check digit
    prefecture_code: str
    prefecture_name: str
    name: str
    lat: float
    lon: float


@cache
def municipalities() -> tuple[Municipality, ...]:
    """All 1,741 municipalities, sorted by code."""
    text = resources.files("lalert_sim.data").joinpath("municipalities.csv").read_text("utf-8")
    return tuple(
        Municipality(
            code=row["code"],
            prefecture_code=row["pref_code"],
            prefecture_name=row["pref_name"],
            name=row["name"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in csv.DictReader(text.splitlines())
    )


def in_prefecture(prefecture_code: str) -> list[Municipality]:
    """The municipalities of one prefecture, by code."""
    return [m for m in municipalities() if m.prefecture_code == prefecture_code]
