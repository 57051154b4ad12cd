"""Reference data: Japan's municipalities with codes, coordinates and (derived) populations."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Municipality:
    """One municipality (see ``data/SOURCES.md`` for what is derived and how)."""

    code: str  # five-digit JIS X 0402 code without check digit
    prefecture_code: str
    prefecture_name: str
    name: str
    kind: str  # city, town, village, special_ward
    lat: float
    lon: float
    population: int
    coastal: bool


@cache
def municipalities() -> tuple[Municipality, ...]:
    """All 1,741 municipalities of the packaged reference list, sorted by code."""
    text = resources.files("lalert_sim.data").joinpath("municipalities.csv").read_text("utf-8")
    return tuple(
        Municipality(
            code=row["code"],
            prefecture_code=row["pref_code"],
            prefecture_name=row["pref_name"],
            name=row["name"],
            kind=row["kind"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            population=int(row["population_derived"]),
            coastal=row["coastal_derived"] == "1",
        )
        for row in csv.DictReader(text.splitlines())
    )


def in_prefecture(prefecture_code: str) -> list[Municipality]:
    """The municipalities of one prefecture, by code."""
    return [m for m in municipalities() if m.prefecture_code == prefecture_code]
