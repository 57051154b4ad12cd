"""The map of a report: municipalities coloured by the share of residents still unwarned at the deadline.

Inline SVG over the packaged MLIT outlines (see ``data/SOURCES.md``), fitted to the
alert's municipalities: municipalities outside the alert in grey, prefecture borders
on top, town names placed so that none covers another, a legend and the source credit.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np

from lalert_sim.errors import InvalidInput
from lalert_sim.i18n import Messages
from lalert_sim.report.boundaries import Outline, municipality_outlines, prefecture_outlines
from lalert_sim.report.labels import Box, Label, place_labels
from lalert_sim.report.projection import Projection
from lalert_sim.topology.reference import MunicipalityTable

WIDTH_PX: Final = 720
LEGEND_PX: Final = 96  # the strip under the map: legend, then the credit
FONT_PX: Final = 11
SMALL_FONT_PX: Final = 9
DOT_PX: Final = 2.0
ISLAND_DOT_PX: Final = 3.0
WORST_LABELLED: Final = 12
POPULOUS_LABELLED: Final = 12
MOST_LABELS: Final = 20
SEA: Final = "#eaf1f7"
OUTSIDE: Final = "#d9d9d9"
BORDER: Final = "#ffffff"
PREFECTURE_BORDER: Final = "#3c3c3c"
# Sequential scale of the share unwarned (ColorBrewer YlOrRd): pale is good, dark red is bad.
SCALE: Final = ((0.0, "#ffffcc"), (0.25, "#fed976"), (0.5, "#fd8d3c"), (0.75, "#e31a1c"), (1.0, "#800026"))
_FIGURE: Final = "{:g}".format  # a multiple of 0.1 below 10,000 px: "12.3", "-0.5", "7"
FONTS: Final = "'Noto Sans CJK JP','Noto Sans JP','IPAexGothic','Hiragino Sans','Yu Gothic',sans-serif"


@dataclass(frozen=True)
class Place:
    """One municipality of the alert as the map shows it."""

    code: str
    name: str
    population: int
    unwarned: float  # share of residents unwarned at the deadline, 0-1
    outline: Outline | None  # None: a small island the outlines leave out, drawn as a dot
    point: tuple[float, float]  # (lon, lat) where its label goes


def map_html(alert_id: str, municipalities: list[dict[str, str]], m: Messages) -> str:
    """The map section's HTML for one alert (empty when no municipality of it can be placed)."""
    places = _places(alert_id, municipalities)
    if not places:
        return ""
    style = (
        "figure.map{margin:0.5em 0}"
        f"svg.map{{width:100%;max-width:{WIDTH_PX}px;height:auto;display:block}}"
        f"figure.map figcaption{{font-size:0.85em;color:#555555;max-width:{WIDTH_PX}px}}"
    )
    caption = _tag("figcaption", html.escape(m("map.caption")))
    return _tag("figure", _tag("style", style) + map_svg(places, m) + caption, class_="map")


def _places(alert_id: str, municipalities: list[dict[str, str]]) -> list[Place]:
    outlines = municipality_outlines()
    table = MunicipalityTable.reference()
    places = []
    for row in municipalities:
        code = row.get("code", "")
        if row.get("alert") != alert_id or code not in table:
            continue
        population, unwarned = _figures(row)
        known = table[code]
        outline = outlines.get(code)
        point = (known.lon, known.lat)
        if outline is not None:
            centroid = outline.centroid()
            point = centroid if outline.contains(*centroid) else point
        name = row.get("name") or known.name
        places.append(Place(code, name, population, unwarned, outline, point))
    return places


def _figures(row: dict[str, str]) -> tuple[int, float]:
    """A row's population and share unwarned; InvalidInput naming the row when they are not figures."""
    try:
        population, unwarned = int(row["population"]), float(row["unwarned_at_deadline"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(
            f"reach_municipalities.csv: municipality {row.get('code')}: population and unwarned_at_deadline "
            f"must be figures, got {row.get('population')!r} and {row.get('unwarned_at_deadline')!r}"
        ) from None
    if not 0 <= unwarned <= 1 or population < 0:
        raise InvalidInput(
            f"reach_municipalities.csv: municipality {row['code']}: unwarned_at_deadline must be a share "
            f"from 0 to 1 and population not negative, got {unwarned} and {population}"
        )
    return population, unwarned


def map_svg(places: list[Place], m: Messages) -> str:
    """The map as one ``<svg class="map">``: the map area, then the legend and credit under it."""
    view = Projection.fit(_bounds(places), WIDTH_PX)
    in_alert = {p.code for p in places}
    background = [
        outline_path(view, outline)
        for code, outline in municipality_outlines().items()
        if code not in in_alert and view.shows(outline.bounds())
    ]
    prefectures = [outline_path(view, o) for o in prefecture_outlines().values() if view.shows(o.bounds())]
    shapes, dots = [], []
    for place in places:
        tip = _tag("title", html.escape(m("map.tooltip", name=place.name, share=m.percent(place.unwarned))))
        d = outline_path(view, place.outline) if place.outline is not None else ""
        if d:
            shapes.append(_tag("path", tip, fill=colour(place.unwarned), d=d))
        else:
            x, y = view.point(*place.point)
            dots.append(_tag("circle", tip, cx=x, cy=y, r=ISLAND_DOT_PX, fill=colour(place.unwarned)))
    frame = Box(0, 0, view.width, view.height)
    labels = place_labels(_label_order(places, view), frame, FONT_PX, DOT_PX, limit=MOST_LABELS)
    area = (
        _tag("rect", width="100%", height="100%", fill=SEA)
        + _tag("g", _paths(background), fill=OUTSIDE, stroke=BORDER, stroke_width=0.4)
        + _tag("g", "".join(shapes), stroke=BORDER, stroke_width=0.4, stroke_linejoin="round")
        + _tag("g", _paths(prefectures), fill="none", stroke=PREFECTURE_BORDER, stroke_width=0.9)
        + _tag("g", "".join(dots), stroke=PREFECTURE_BORDER, stroke_width=0.6)
        + _labels_svg(labels)
    )
    height = view.height + LEGEND_PX
    return _tag(
        "svg",
        _tag("svg", area, x=0, y=0, width=view.width, height=view.height, overflow="hidden")
        + _legend(m, view.height, with_islands=bool(dots)),
        class_="map",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {_number(view.width)} {_number(height)}",
        width=view.width,
        height=height,
        font_family=FONTS,
        role="img",
        aria_label=m("map.legend_title"),
    )


def _bounds(places: list[Place]) -> tuple[float, float, float, float]:
    edges = [p.outline.bounds() if p.outline is not None else (*p.point, *p.point) for p in places]
    west, south, east, north = zip(*edges, strict=True)
    return min(west), min(south), max(east), max(north)


def _label_order(places: list[Place], view: Projection) -> list[tuple[str, float, float]]:
    """The worst-off and the most populous municipalities, taken in turn, each once."""
    worst = sorted(places, key=lambda p: (-p.unwarned, -p.population, p.code))[:WORST_LABELLED]
    populous = sorted(places, key=lambda p: (-p.population, p.code))[:POPULOUS_LABELLED]
    order: dict[str, Place] = {}
    for pair in zip(worst, populous, strict=False):
        for place in pair:
            order.setdefault(place.code, place)
    for place in [*worst, *populous]:
        order.setdefault(place.code, place)
    return [(p.name, *view.point(*p.point)) for p in order.values()]


def _labels_svg(labels: list[Label]) -> str:
    """Dots and names; each name drawn twice, a white halo under it (paint-order is not universal)."""
    dots = "".join(_tag("circle", cx=lb.point[0], cy=lb.point[1], r=DOT_PX) for lb in labels)

    def texts(css_class: str) -> str:
        return "".join(
            _tag("text", html.escape(lb.text), class_=css_class, x=lb.x, y=lb.y, text_anchor=lb.anchor) for lb in labels
        )

    halo: dict[str, str | float] = {
        "stroke": "#ffffff",
        "stroke_width": 3,
        "stroke_linejoin": "round",
        "aria_hidden": "true",
    }
    return (
        _tag("g", dots, fill="#111111", stroke="#ffffff", stroke_width=0.8)
        + _tag("g", texts("muni-halo"), font_size=FONT_PX, fill="#ffffff", **halo)
        + _tag("g", texts("muni-label"), font_size=FONT_PX, fill="#111111")
    )


def _legend(m: Messages, top: float, with_islands: bool) -> str:
    """The colour scale with its meaning and unit, the grey of the rest, then the credit."""
    x, bar_y, bar_w, bar_h, steps = 16.0, top + 24, 240.0, 12.0, 48
    edge: dict[str, str | float] = {"stroke": "#666666", "stroke_width": 0.5}
    cells = "".join(
        _tag(
            "rect",
            x=x + i * bar_w / steps,
            y=bar_y,
            width=bar_w / steps + 0.3,
            height=bar_h,
            fill=colour((i + 0.5) / steps),
        )
        for i in range(steps)
    )
    ticks = "".join(
        _tag("text", f"{round(100 * share)} %", x=x + share * bar_w, y=bar_y + bar_h + 11, text_anchor="middle")
        for share in (0, 0.25, 0.5, 0.75, 1)
    )
    key_x = x + bar_w + 40
    key = _tag("rect", x=key_x, y=bar_y, width=14, height=bar_h, fill=OUTSIDE, **edge) + _tag(
        "text", html.escape(m("map.outside_alert")), x=key_x + 20, y=bar_y + 10
    )
    if with_islands:
        key += _tag("circle", cx=key_x + 7, cy=bar_y + bar_h + 12, r=ISLAND_DOT_PX, fill=colour(0.5), **edge)
        key += _tag("text", html.escape(m("map.island_dot")), x=key_x + 20, y=bar_y + bar_h + 15)
    title = _tag("text", html.escape(m("map.legend_title")), x=x, y=top + 16, font_size=FONT_PX)
    frame = _tag("rect", x=x, y=bar_y, width=bar_w, height=bar_h, fill="none", **edge)
    credit_y = top + LEGEND_PX - 22
    credit = _tag("text", html.escape(m("map.credit")), x=x, y=credit_y) + _tag(
        "text", html.escape(m("map.credit_simplified")), x=x, y=credit_y + 13
    )
    return _tag(
        "g", title + cells + frame + ticks + key, class_="map-legend", font_size=SMALL_FONT_PX, fill="#222222"
    ) + _tag("g", credit, class_="map-credit", font_size=SMALL_FONT_PX, fill="#555555")


def _tag(name: str, content: str | None = None, /, **attributes: str | float) -> str:
    """An SVG/HTML element; ``stroke_width=`` writes ``stroke-width``, ``class_=`` ``class``, numbers to 0.1."""
    written = " ".join(
        f"{key.rstrip('_').replace('_', '-')}='{html.escape(value if isinstance(value, str) else _number(value))}'"
        for key, value in attributes.items()
    )
    opening = f"<{name} {written}" if written else f"<{name}"
    return f"{opening}/>" if content is None else f"{opening}>{content}</{name}>"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def colour(share: float) -> str:
    """The scale's colour for a share unwarned (0-1, clipped), interpolated between its stops."""
    share = min(max(share, 0.0), 1.0)
    for (low, low_hex), (high, high_hex) in zip(SCALE, SCALE[1:], strict=False):
        if share <= high:
            t = (share - low) / (high - low)
            a, b = _rgb(low_hex), _rgb(high_hex)
            return "#" + "".join(f"{round(x + t * (y - x)):02x}" for x, y in zip(a, b, strict=True))
    return SCALE[-1][1]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def outline_path(view: Projection, outline: Outline) -> str:
    """SVG path data for an outline in a view: tenths of a pixel, relative moves, repeated points dropped."""
    parts = []
    for ring in outline.rings:
        tenths = np.rint(view(ring) * 10).astype(np.int64)
        if len(tenths) > 1 and (tenths[0] == tenths[-1]).all():
            tenths = tenths[:-1]  # "z" closes the ring
        steps = np.diff(tenths, axis=0)
        steps = steps[np.any(steps != 0, axis=1)]
        if len(steps) < 2:
            continue  # smaller than a pixel at this scale
        start = " ".join(map(_FIGURE, (tenths[0] / 10).tolist()))
        parts.append(f"M{start}l" + " ".join(map(_FIGURE, (steps / 10).ravel().tolist())) + "z")
    return "".join(parts)


def _paths(data: Iterable[str]) -> str:
    return "".join(_tag("path", d=d) for d in data if d)
