"""The map's projection: equirectangular, longitude scaled by cos(latitude), fitted to a view in SVG pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from lalert_sim.report.boundaries import Points

MARGIN_SHARE: Final = 0.06  # of the view's span, added on each side around what it must show
MARGIN_DEG: Final = 0.05
ASPECT_LIMITS: Final = (0.55, 1.3)  # height / width of a view: widened or heightened to stay within


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection scaled by cos(latitude) of the view's middle, in SVG pixels."""

    west: float
    north: float
    px_per_deg: float
    x_per_lon: float  # cos(middle latitude)
    width: float
    height: float

    @classmethod
    def fit(cls, bounds: tuple[float, float, float, float], width: float) -> Projection:
        """The view of ``bounds`` (west, south, east, north) with a margin, widened to a sensible shape."""
        west, south, east, north = bounds
        x_per_lon = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * x_per_lon, 1e-3)
        span_y = max(north - south, 1e-3)
        pad = MARGIN_SHARE * max(span_x, span_y) + MARGIN_DEG
        span_x, span_y = span_x + 2 * pad, span_y + 2 * pad
        low, high = ASPECT_LIMITS
        span_x_shown = max(span_x, span_y / high)  # too tall: widen
        span_y_shown = max(span_y, low * span_x_shown)  # too wide: heighten
        middle_x = (west + east) / 2 * x_per_lon
        middle_y = (south + north) / 2
        px_per_deg = width / span_x_shown
        return cls(
            west=(middle_x - span_x_shown / 2) / x_per_lon,
            north=middle_y + span_y_shown / 2,
            px_per_deg=px_per_deg,
            x_per_lon=x_per_lon,
            width=width,
            height=round(span_y_shown * px_per_deg, 1),
        )

    def __call__(self, points: Points) -> Points:
        """(lon, lat) rows to (x, y) pixel rows."""
        x = (points[:, 0] - self.west) * self.x_per_lon * self.px_per_deg
        y = (self.north - points[:, 1]) * self.px_per_deg
        return np.column_stack([x, y])

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """One (lon, lat) in pixels."""
        ((x, y),) = self(np.array([[lon, lat]]))
        return float(x), float(y)

    def shows(self, bounds: tuple[float, float, float, float]) -> bool:
        """Whether a region with these bounds reaches into the view."""
        west, south, east, north = bounds
        east_edge = self.west + self.width / (self.x_per_lon * self.px_per_deg)
        south_edge = self.north - self.height / self.px_per_deg
        return west < east_edge and east > self.west and south < self.north and north > south_edge
