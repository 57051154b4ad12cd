"""Reads a user's own municipality table (CSV) that replaces reference rows by code.

Officials know their own numbers: population, age structure, which outputs they
have. Columns: ``code`` and ``population`` are required; ``name``, ``lat``,
``lon``, ``coastal``, ``share_under_60``, ``share_60s``, ``share_70_plus`` (all
three or none, summing to 1; none keeps the reference list's shares), ``disaster_radio``,
``community_fm`` (yes/no), ``indoor_receiver_share`` (0-1), ``loudspeaker_stations`` and
``base_stations`` (per carrier; counts) are optional.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import replace
from pathlib import Path

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model.areas import canonical_area
from lalert_sim.model.files import TABLE_MAX_BYTES, read_bounded
from lalert_sim.topology.reference import Municipality, MunicipalityTable

KNOWN = {
    "code",
    "name",
    "population",
    "lat",
    "lon",
    "coastal",
    "share_under_60",
    "share_60s",
    "share_70_plus",
    "disaster_radio",
    "community_fm",
    "indoor_receiver_share",
    "loudspeaker_stations",
    "base_stations",
}
MAX_ROWS = 5_000
"""Most rows a table may have (Japan has 1,741 municipalities)."""
MAX_FIELD_CHARS = 200
"""Longest value in one cell (a name, a number)."""
MAX_POPULATION = 50_000_000
MAX_STATIONS = 100_000
"""Most stations of one kind a municipality may have (the limit on a node's ``stations``)."""
_COLUMN_NAME = re.compile(r"[A-Za-z0-9_ -]{1,40}")  # a column name worth repeating in a message
_YES = {"1", "yes", "true", "y"}
_NO = {"0", "no", "false", "n"}


class _RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def read_municipality_table(path: Path, base: MunicipalityTable) -> MunicipalityTable:
    """``base`` with every row of the file replacing the municipality of its code.

    A file that is not such a table (not UTF-8, no header with ``code`` and
    ``population``) is named, never quoted, in the error.
    """
    where = str(path)
    data = read_bounded(path, TABLE_MAX_BYTES, "municipality table")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem(f"cannot read municipality table: not UTF-8 text (byte {exc.start})", file=where)
        raise ScenarioError([problem]) from None
    lines = text.splitlines()
    if len(lines) > MAX_ROWS + 1:
        raise ScenarioError([Problem(f"more than {MAX_ROWS:,} rows; a table has one per municipality", file=where)])
    try:
        return _read_rows(csv.DictReader(lines), base, where)
    except csv.Error as exc:
        raise ScenarioError([Problem(f"not a CSV table: {exc}", file=where)]) from None


def _read_rows(reader: csv.DictReader[str], base: MunicipalityTable, where: str) -> MunicipalityTable:
    names = reader.fieldnames or []
    problems = [
        Problem(f"unknown column {_column(c, i)} (known: {', '.join(sorted(KNOWN))})", file=where, line=1)
        for i, c in enumerate(names, start=1)
        if c not in KNOWN
    ]
    problems += [
        Problem(f"required column {c!r} is missing", file=where, line=1)
        for c in ("code", "population")
        if c not in names
    ]
    if problems:
        raise ScenarioError(problems)
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            rows.append(_municipality(row, base))
        except _RowError as exc:
            problems.append(Problem(str(exc), (exc.column,), where, line))
    if problems:
        raise ScenarioError(problems)
    return base.replaced(rows)


def _column(name: str, position: int) -> str:
    return repr(name) if _COLUMN_NAME.fullmatch(name) else f"number {position}"


def _municipality(row: dict[str, str], base: MunicipalityTable) -> Municipality:
    for column, value in row.items():
        if column is None or not isinstance(value, str):
            raise _RowError("code", f"more cells than the header has columns ({len(row) - 1} columns)")
        if len(value) > MAX_FIELD_CHARS:
            raise _RowError(column, f"longer than {MAX_FIELD_CHARS} characters")
    try:
        code = canonical_area(row["code"])
    except ValueError as exc:
        raise _RowError("code", str(exc)) from None
    if code not in base:
        raise _RowError("code", f"{code} is not a municipality of the reference list")
    known = base[code]
    shares = [_number(row, c, 0, 1) for c in ("share_under_60", "share_60s", "share_70_plus")]
    if any(s is not None for s in shares):
        if any(s is None for s in shares):
            raise _RowError("share_70_plus", "give all three age shares or none")
        if abs(sum(shares) - 1) > 0.01:  # type: ignore[arg-type]
            raise _RowError("share_70_plus", f"age shares sum to {sum(shares):.3f}, not 1")  # type: ignore[arg-type]
    population = _number(row, "population", 0, MAX_POPULATION)
    if population is None:
        raise _RowError("population", "population is required")
    return replace(
        known,
        name=row.get("name") or known.name,
        population=round(population),
        lat=_number(row, "lat", -90, 90) or known.lat,
        lon=_number(row, "lon", -180, 180) or known.lon,
        coastal=bool(_flag(row, "coastal", known.coastal)),
        age_shares=tuple(shares) if shares[0] is not None else known.age_shares,  # type: ignore[arg-type]
        disaster_radio=_flag(row, "disaster_radio", None),
        community_fm=_flag(row, "community_fm", None),
        indoor_receiver_share=_number(row, "indoor_receiver_share", 0, 1),
        loudspeaker_stations=_count(row, "loudspeaker_stations"),
        base_stations=_count(row, "base_stations"),
    )


def _count(row: dict[str, str], column: str) -> int | None:
    value = _number(row, column, 1, MAX_STATIONS)
    if value is not None and value != int(value):
        raise _RowError(column, f"{value:g} is not a whole number")
    return None if value is None else int(value)


def _number(row: dict[str, str], column: str, low: float, high: float) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _RowError(column, f"{shown(text)} is not a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise _RowError(column, f"{shown(text)} must be between {low} and {high}")
    return value


def _flag(row: dict[str, str], column: str, default: bool | None) -> bool | None:
    text = (row.get(column) or "").strip().lower()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _RowError(column, f"{shown(text)} is not yes/no (1/0)")
