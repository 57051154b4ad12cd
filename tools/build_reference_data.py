"""Rebuilds lalert_sim/data/municipalities.csv from its public sources.

Maintainers only (the package ships the result). Needs, at build time only, the
``openpyxl`` package (MIT, to read the resident-register xlsx) and the
``global-land-mask`` package (MIT, for the coastal flag); neither is a runtime
dependency of lalert-sim:

    pip install openpyxl numpy global-land-mask
    python tools/build_reference_data.py \\
        --localgov path/to/localgovjp-utf8.csv \\
        --census path/to/population-2020-census-by-municipality__yu-saku04-bousai-hensachi.csv \\
        --census-65plus path/to/population-65plus-2020-census-by-municipality__yu-saku04-bousai-hensachi.csv \\
        --register path/to/juki-2021-01-01-age5-by-municipality-total__passaglia-japandata-sources.xlsx

The table is checked (row count, census sum, spot checks) before it is written;
a failed check writes nothing. What is derived, and by which rule, is written to
data/SOURCES.md by hand; keep both in step.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "lalert_sim" / "data" / "municipalities.csv"

MUNICIPALITIES = 1_741
CENSUS_TOTAL = 126_146_099  # 2020 census, final figures: the national total
NO_CENSUS_COUNT = {"07546"}  # Futaba: under evacuation in 2020, counted 0 (census/SOURCES.md)
SPOT_CHECKS = {"01100": 1_973_395, "17201": 463_254, "17205": 12_929}  # Sapporo, Kanazawa, Suzu
ABOUT = {"02202": 168_000, "02206": 60_000}  # 弘前市, 十和田市 (issue 13), within 3 %

REGISTER_SHEET = "年齢別人口（市区町村別）【総計】"
# Register columns (0-based): E is the total, F..Z the 21 five-year bands 0-4 .. 100+.
UNDER_60 = slice(5, 17)  # F..Q: 0-59
SIXTIES = slice(17, 19)  # R..S: 60-69
SIXTY_FIVE_TO_69 = 18  # S
SEVENTY_PLUS = slice(19, 26)  # T..Z: 70 and over
SHARE_UNITS = 10_000  # shares are written with 4 decimals

COAST_RADIUS_KM = 8.0

COLUMNS = [
    "code",
    "lgcode",
    "pref_code",
    "pref_name",
    "name",
    "kana",
    "kind",
    "lat",
    "lon",
    "population",
    "under_60",
    "60s",
    "70_plus",
    "share_65plus_register",
    "share_65plus_census",
    "coastal_derived",
]


def kind_of(name: str, code: str) -> str:
    """City, town, village or (Tokyo's 131xx) special ward, from the name's last character."""
    if code.startswith("131"):
        return "special_ward"
    return {"市": "city", "町": "town", "村": "village"}[name[-1]]


def coastal(lat: float, lon: float) -> bool:
    """Any sea within COAST_RADIUS_KM of the municipal office (1 km grid)."""
    from global_land_mask import globe

    steps = np.arange(-COAST_RADIUS_KM, COAST_RADIUS_KM + 1)
    dy, dx = np.meshgrid(steps, steps)
    inside = dx**2 + dy**2 <= COAST_RADIUS_KM**2
    lats = lat + dy[inside] / 111.0
    lons = lon + dx[inside] / (111.0 * math.cos(math.radians(lat)))
    return bool(globe.is_ocean(lats, lons).any())


def read_csv_column(path: Path, column: str) -> dict[str, int]:
    """``jisCode -> int(column)`` of one of the census CSVs."""
    with open(path, encoding="utf-8-sig") as f:
        return {row["jisCode"]: int(row[column]) for row in csv.DictReader(f)}


def read_register(path: Path) -> dict[str, tuple[int, int, int, int]]:
    """Five-digit code -> (under 60, 60-69, 65-69, 70+) residents from the register's ``計`` rows."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    bands: dict[str, tuple[int, int, int, int]] = {}
    for row in book[REGISTER_SHEET].iter_rows(min_row=4, values_only=True):
        code = row[0]
        if row[3] != "計" or not isinstance(code, str) or not code.isdigit() or len(code) != 6:
            continue
        counts = [int(v or 0) for v in row[5:26]]
        full = [0] * 5 + counts
        bands[code[:5]] = (
            sum(full[UNDER_60]),
            sum(full[SIXTIES]),
            full[SIXTY_FIVE_TO_69],
            sum(full[SEVENTY_PLUS]),
        )
    return bands


def shares_of(counts: Iterable[int]) -> list[str]:
    """Shares of the counts' own sum, 4 decimals, rounded by largest remainder so they sum to 1."""
    values = list(counts)
    total = sum(values)
    exact = [SHARE_UNITS * v / total for v in values]
    units = [math.floor(x) for x in exact]
    for i in sorted(range(len(values)), key=lambda i: exact[i] - units[i], reverse=True)[: SHARE_UNITS - sum(units)]:
        units[i] += 1
    return [f"{u / SHARE_UNITS:.4f}" for u in units]


def build(localgov: Path, census: Path, census_65plus: Path, register: Path) -> list[list[str]]:
    """The rows of municipalities.csv, checked."""
    with open(localgov, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    municipalities = sorted((r for r in rows if " " not in r["city"]), key=lambda r: r["lgcode"])
    population = read_csv_column(census, "population")
    elderly = read_csv_column(census_65plus, "elderlyPopulation")
    ages = read_register(register)
    table = []
    for r in municipalities:
        code = r["lgcode"][:5]
        if code not in population and code not in NO_CENSUS_COUNT:
            raise SystemExit(f"{code} {r['city']}: no census population")
        if code not in ages:
            raise SystemExit(f"{code} {r['city']}: no resident-register age bands")
        people = population.get(code, 0)
        under_60, sixties, sixty_five_to_69, seventy_plus = ages[code]
        banded = under_60 + sixties + seventy_plus
        table.append(
            [
                code,
                r["lgcode"],
                r["lgcode"][:2],
                r["pref"],
                r["city"],
                r["citykana"],
                kind_of(r["city"], code),
                r["lat"],
                r["lng"],
                str(people),
                *shares_of((under_60, sixties, seventy_plus)),
                f"{(sixty_five_to_69 + seventy_plus) / banded:.4f}",
                f"{elderly[code] / people:.4f}" if people and code in elderly else "",
                str(int(coastal(float(r["lat"]), float(r["lng"])))),
            ]
        )
    check(table)
    return table


def check(table: list[list[str]]) -> None:
    """The published sums and spot checks (census/SOURCES.md, issue 13) hold, or nothing is written."""
    by_code = {row[0]: int(row[9]) for row in table}
    problems = []
    if len(table) != MUNICIPALITIES:
        problems.append(f"{len(table)} rows, not {MUNICIPALITIES}")
    if sum(by_code.values()) != CENSUS_TOTAL:
        problems.append(f"populations sum to {sum(by_code.values()):,}, not {CENSUS_TOTAL:,}")
    for code in NO_CENSUS_COUNT:
        if by_code.get(code) != 0:
            problems.append(f"{code} should have no census count")
    for code, expected in SPOT_CHECKS.items():
        if by_code.get(code) != expected:
            problems.append(f"{code}: {by_code.get(code)} residents, not {expected:,}")
    for code, about in ABOUT.items():
        if abs(by_code.get(code, 0) - about) > 0.03 * about:
            problems.append(f"{code}: {by_code.get(code)} residents, not about {about:,}")
    for row in table:
        if abs(sum(float(s) for s in row[10:13]) - 1) > 1e-9:
            problems.append(f"{row[0]}: age shares do not sum to 1")
    if problems:
        raise SystemExit("not written:\n  " + "\n  ".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localgov", type=Path, required=True, help="code4fukui/localgovjp localgovjp-utf8.csv")
    parser.add_argument("--census", type=Path, required=True, help="2020 census population by municipality (CSV)")
    parser.add_argument("--census-65plus", type=Path, required=True, help="2020 census 65+ by municipality (CSV)")
    parser.add_argument("--register", type=Path, required=True, help="resident register 2021-01-01 age bands (xlsx)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: the packaged table)")
    args = parser.parse_args()
    table = build(args.localgov, args.census, args.census_65plus, args.register)
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)
    print(f"wrote {len(table)} municipalities to {args.out}")


if __name__ == "__main__":
    main()
