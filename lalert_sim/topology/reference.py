"""Reference data: Japan's municipalities with codes, coordinates, populations and age shares."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Municipality:
    """One municipality (see ``data/SOURCES.md`` for the sources and what is derived and how).

    In the reference list ``population`` is the 2020 census count and ``age_shares``
    a two-source estimate: the resident register's age structure (2021-01-01)
    applied to the census total. A user's municipality table overrides both.
    """

    code: str  # five-digit JIS X 0402 code without check digit
    prefecture_code: str
    prefecture_name: str
    name: str
    kind: str  # city, town, village, special_ward
    lat: float
    lon: float
    population: int  # residents, 2020 census (final figures)
    coastal: bool
    # Shares of residents under 60, in their 60s, 70 and over (resident register 2021);
    # None (a row built without ages) means the national shares.
    age_shares: tuple[float, float, float] | None = None
    # Known local facts from a user's table; None means "use the template's default or share".
    disaster_radio: bool | None = None
    community_fm: bool | None = None
    indoor_receiver_share: float | None = None
    loudspeaker_stations: int | None = None  # outdoor loudspeaker stations of its disaster radio
    base_stations: int | None = None  # macro base stations of each carrier


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
            population=int(row["population"]),
            coastal=row["coastal_derived"] == "1",
            age_shares=(float(row["under_60"]), float(row["60s"]), float(row["70_plus"])),
        )
        for row in csv.DictReader(text.splitlines())
    )


class MunicipalityTable:
    """The municipalities a scenario uses: the reference list, with a user's rows replacing theirs."""

    def __init__(self, rows: Iterable[Municipality]) -> None:
        self._by_code = {m.code: m for m in sorted(rows, key=lambda m: m.code)}

    @classmethod
    def reference(cls) -> MunicipalityTable:
        """The packaged reference list alone."""
        return _reference_table()

    def replaced(self, rows: Iterable[Municipality]) -> MunicipalityTable:
        """A table where each given row replaces the one with its code."""
        return MunicipalityTable([*self._by_code.values(), *rows])

    def all(self) -> list[Municipality]:
        """Every municipality, by code."""
        return list(self._by_code.values())

    def in_prefecture(self, prefecture_code: str) -> list[Municipality]:
        """The municipalities of one prefecture, by code."""
        return [m for m in self._by_code.values() if m.prefecture_code == prefecture_code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Municipality:
        return self._by_code[code]

    def __len__(self) -> int:
        return len(self._by_code)


@cache
def _reference_table() -> MunicipalityTable:
    return MunicipalityTable(municipalities())
