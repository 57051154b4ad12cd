"""Rebuilds lalert_sim/data/municipalities.csv from its public sources.

Maintainers only (the package ships the result). Needs the code4fukui/localgovjp
table (CC0) and the `global-land-mask` package (MIT) for the coastal flag:

    pip install global-land-mask
    python tools/build_reference_data.py path/to/localgovjp-utf8.csv

What is derived, and by which rule, is written to data/SOURCES.md by hand;
keep both in step.
"""

from __future__ import annotations

import csv
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "lalert_sim" / "data" / "municipalities.csv"

# 2020 census (final), population by prefecture, JIS X 0401 order 01..47.
CENSUS_2020 = [
    5224614,
    1237984,
    1210534,
    2301996,
    959502,
    1068027,
    1833152,
    2867009,
    1933146,
    1939110,
    7344765,
    6284480,
    14047594,
    9237337,
    2201272,
    1034814,
    1132526,
    766863,
    809974,
    2048011,
    1978742,
    3633202,
    7542415,
    1770254,
    1413610,
    2578087,
    8837685,
    5465002,
    1324473,
    922584,
    553407,
    671126,
    1888432,
    2799702,
    1342059,
    719559,
    950244,
    1334841,
    691527,
    5135214,
    811442,
    1312317,
    1738301,
    1123852,
    1069576,
    1588256,
    1467480,
]
assert sum(CENSUS_2020) == 126_146_099

# Relative size weights used to split a prefecture's total over its municipalities
# (assumptions, roughly the national mean population of each kind relative to a city).
WEIGHT_CITY, WEIGHT_TOWN, WEIGHT_VILLAGE = 1.0, 0.12, 0.04
WEIGHT_TOKYO_WARD = 4.5
WEIGHT_PER_WARD = 1.5  # designated cities: per administrative ward

COAST_RADIUS_KM = 8.0


def kind_of(name: str, code: str) -> str:
    if code.startswith("131"):
        return "special_ward"
    return {"市": "city", "町": "town", "村": "village"}[name[-1]]


def weight(kind: str, wards: int) -> float:
    if kind == "special_ward":
        return WEIGHT_TOKYO_WARD
    if kind == "city":
        return WEIGHT_PER_WARD * wards if wards else WEIGHT_CITY
    return WEIGHT_TOWN if kind == "town" else WEIGHT_VILLAGE


def coastal(lat: float, lon: float) -> bool:
    """Any sea within COAST_RADIUS_KM of the municipal office (1 km grid)."""
    from global_land_mask import globe

    steps = np.arange(-COAST_RADIUS_KM, COAST_RADIUS_KM + 1)
    dy, dx = np.meshgrid(steps, steps)
    inside = dx**2 + dy**2 <= COAST_RADIUS_KM**2
    lats = lat + dy[inside] / 111.0
    lons = lon + dx[inside] / (111.0 * math.cos(math.radians(lat)))
    return bool(globe.is_ocean(lats, lons).any())


def split_totals(municipalities: list[dict], weights: dict) -> dict[str, int]:
    """Each prefecture's census total split by weight, rounded by largest remainder (sums exact)."""
    populations: dict[str, int] = {}
    for pref in sorted({r["lgcode"][:2] for r in municipalities}):
        codes = [r["lgcode"] for r in municipalities if r["lgcode"][:2] == pref]
        total = CENSUS_2020[int(pref) - 1]
        share = sum(weights[c][1] for c in codes)
        exact = {c: total * weights[c][1] / share for c in codes}
        floors = {c: math.floor(v) for c, v in exact.items()}
        left = total - sum(floors.values())
        for c in sorted(codes, key=lambda c: exact[c] - floors[c], reverse=True)[:left]:
            floors[c] += 1
        populations.update(floors)
    return populations


def main(source: str) -> None:
    rows = list(csv.DictReader(open(source, encoding="utf-8-sig")))
    wards = Counter(r["city"].split(" ")[0] + r["lgcode"][:2] for r in rows if " " in r["city"])
    municipalities = sorted((r for r in rows if " " not in r["city"]), key=lambda r: r["lgcode"])
    weights = {}
    for r in municipalities:
        kind = kind_of(r["city"], r["lgcode"][:5])
        weights[r["lgcode"]] = (kind, weight(kind, wards.get(r["city"] + r["lgcode"][:2], 0)))
    populations = split_totals(municipalities, weights)
    with open(OUT, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "code",
                "lgcode",
                "pref_code",
                "pref_name",
                "name",
                "kana",
                "kind",
                "lat",
                "lon",
                "population_derived",
                "coastal_derived",
            ]
        )
        for r in municipalities:
            pref = r["lgcode"][:2]
            kind, _ = weights[r["lgcode"]]
            population = populations[r["lgcode"]]
            writer.writerow(
                [
                    r["lgcode"][:5],
                    r["lgcode"],
                    pref,
                    r["pref"],
                    r["city"],
                    r["citykana"],
                    kind,
                    r["lat"],
                    r["lng"],
                    population,
                    int(coastal(float(r["lat"]), float(r["lng"]))),
                ]
            )


if __name__ == "__main__":
    main(sys.argv[1])
