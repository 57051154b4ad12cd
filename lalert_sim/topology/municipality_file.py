"""Reads a user's own municipality table (CSV) that replaces reference rows by code.

Officials know their own numbers: population, age structure, which outputs they
have. Columns: ``code`` and ``population`` are required; ``name``, ``lat``,
``lon``, ``coastal``, ``share_under_60``, ``share_60s``, ``share_70_plus`` (all
three or none, summing to 1), ``disaster_radio``, ``community_fm`` (yes/no) and
``indoor_receiver_share`` (0-1) are optional.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from lalert_sim.errors import Problem, ScenarioError
from lalert_sim.model.areas import canonical_area
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
}
_YES = {"1", "yes", "true", "y"}
_NO = {"0", "no", "false", "n"}


class _RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def read_municipality_table(path: Path, base: MunicipalityTable) -> MunicipalityTable:
    """``base`` with every row of the file replacing the municipality of its code."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(f"cannot read municipality table: {exc}", file=where)]) from None
    reader = csv.DictReader(text.splitlines())
    columns = set(reader.fieldnames or [])
    problems = [
        Problem(f"unknown column {c!r} (known: {', '.join(sorted(KNOWN))})", file=where, line=1)
        for c in sorted(columns - KNOWN)
    ]
    problems += [
        Problem(f"required column {c!r} is missing", file=where, line=1)
        for c in ("code", "population")
        if c not in columns
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


def _municipality(row: dict[str, str], base: MunicipalityTable) -> Municipality:
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
    population = _number(row, "population", 0, None)
    if population is None:
        raise _RowError("population", "population is required")
    return replace(
        known,
        name=row.get("name") or known.name,
        population=round(population),
        lat=_number(row, "lat", -90, 90) or known.lat,
        lon=_number(row, "lon", -180, 180) or known.lon,
        coastal=bool(_flag(row, "coastal", known.coastal)),
        age_shares=tuple(shares) if shares[0] is not None else None,  # type: ignore[arg-type]
        disaster_radio=_flag(row, "disaster_radio", None),
        community_fm=_flag(row, "community_fm", None),
        indoor_receiver_share=_number(row, "indoor_receiver_share", 0, 1),
    )


def _number(row: dict[str, str], column: str, low: float, high: float | None) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _RowError(column, f"{text!r} is not a number") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _RowError(column, f"{value} must be {bounds}")
    return value


def _flag(row: dict[str, str], column: str, default: bool | None) -> bool | None:
    text = (row.get(column) or "").strip().lower()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _RowError(column, f"{text!r} is not yes/no (1/0)")
