"""Municipality and prefecture outlines read from the packaged TopoJSON (MLIT N03, simplified).

TopoJSON stores each shared border once as an *arc* (quantized, delta-encoded
integer positions); a polygon is a list of rings, each a list of arc indices
(``~i`` walks arc ``i`` backwards). Decoded once per process with numpy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

MUNICIPALITIES_FILE = "municipality_outlines.json"
PREFECTURES_FILE = "prefecture_outlines.json"

Points = NDArray[np.float64]  # (n, 2): longitude, latitude in degrees


@dataclass(frozen=True)
class Outline:
    """A region's outline: its rings (outer borders and holes alike, read by the even-odd rule)."""

    rings: tuple[Points, ...]

    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north edges in degrees."""
        points = np.concatenate(self.rings)
        (west, south), (east, north) = points.min(axis=0), points.max(axis=0)
        return float(west), float(south), float(east), float(north)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside (an odd number of ring crossings to its east)."""
        inside = False
        for ring in self.rings:
            x0, y0 = ring[:-1, 0], ring[:-1, 1]
            x1, y1 = ring[1:, 0], ring[1:, 1]
            straddles = (y0 > lat) != (y1 > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                crossing_x = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
            inside ^= bool(np.count_nonzero(straddles & (crossing_x > lon)) % 2)
        return inside

    def centroid(self) -> tuple[float, float]:
        """The area centroid (lon, lat) of the largest ring, in plain degrees (fine at town scale)."""
        areas = [_signed_area(ring) for ring in self.rings]
        ring = self.rings[int(np.argmax(np.abs(areas)))]
        x, y = ring[:, 0], ring[:, 1]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        area = cross.sum() / 2
        if area == 0:
            return float(x.mean()), float(y.mean())
        cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
        cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
        return float(cx), float(cy)


def _signed_area(ring: Points) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float((x[:-1] * y[1:] - x[1:] * y[:-1]).sum() / 2)


def decode_arcs(topology: Mapping[str, Any]) -> list[Points]:
    """Every arc of a topology in degrees: quantized arcs are delta-decoded, then scaled and translated."""
    arcs = [np.asarray(arc, dtype=np.float64).reshape(-1, 2) for arc in topology["arcs"]]
    transform = topology.get("transform")
    if transform is None or not arcs:
        return arcs
    lengths = np.array([len(arc) for arc in arcs])
    running = np.cumsum(np.concatenate(arcs), axis=0)
    # Each arc's deltas restart from zero: subtract the running sum reached before the arc began.
    ends = np.cumsum(lengths)
    before = np.vstack([np.zeros((1, 2)), running[ends[:-1] - 1]])
    positions = running - np.repeat(before, lengths, axis=0)
    degrees = positions * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
    return np.split(degrees, ends[:-1])


def decode(topology: Mapping[str, Any], object_name: str) -> list[tuple[dict[str, Any], Outline | None]]:
    """Each geometry of one object: its properties and its outline (None for no or non-areal geometry)."""
    arcs = decode_arcs(topology)
    found: list[tuple[dict[str, Any], Outline | None]] = []
    for geometry in topology["objects"][object_name]["geometries"]:
        match geometry.get("type"):
            case "Polygon":
                polygons = [geometry["arcs"]]
            case "MultiPolygon":
                polygons = geometry["arcs"]
            case _:
                polygons = []
        rings = tuple(_ring(arcs, indices) for polygon in polygons for indices in polygon)
        found.append((dict(geometry.get("properties") or {}), Outline(rings) if rings else None))
    return found


def _ring(arcs: list[Points], indices: list[int]) -> Points:
    pieces = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
    # Consecutive arcs share their joining point: keep it once.
    return np.concatenate([pieces[0], *(piece[1:] for piece in pieces[1:])])


def _packaged(name: str) -> dict[str, Any]:
    text = resources.files("lalert_sim.data").joinpath(name).read_text(encoding="utf-8")
    topology: dict[str, Any] = json.loads(text)
    return topology


@cache
def municipality_outlines() -> dict[str, Outline]:
    """Outlines by five-digit municipality code (designated cities whole; 7 small islands have none)."""
    topology = _packaged(MUNICIPALITIES_FILE)
    (name,) = topology["objects"]
    return {
        str(props["N03_007"]): outline
        for props, outline in decode(topology, name)
        if outline is not None and props.get("N03_007")
    }


@cache
def prefecture_outlines() -> dict[str, Outline]:
    """Outlines of the 47 prefectures by name (東京都, 青森県...)."""
    topology = _packaged(PREFECTURES_FILE)
    (name,) = topology["objects"]
    return {str(props["N03_001"]): outline for props, outline in decode(topology, name) if outline is not None}
