"""What the console page draws before anything happens: the scenario's layout as one JSON-ready dict.

The map is projected here, on the server, from the packaged outlines (the report's
``boundaries`` and ``projection``): every municipality of the scenario's prefectures as
an SVG path in one view box, the outlines of the prefectures the view shows, and each
node at its municipality's reference coordinates (nodes of one town spread on a small
ring around it, so none hides another). National nodes have no place (``x``/``y`` None):
the page lists them beside the map. Names come from ``report/places.py`` in the run's
language, with the page's own texts from the ``console`` catalogue. Beyond the keys console/protocol.py
names: a node's ``channel`` (emitters), a prefecture's ``in_scenario`` (False: a neighbour shown for
context) and an alert's ``category_name`` (its category in the run's language).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from lalert_sim.console.protocol import Banner, Layout, Mode
from lalert_sim.i18n import Messages, catalogue
from lalert_sim.model.alerts import Alert
from lalert_sim.model.network import Channel, Node, NodeKind
from lalert_sim.model.scenario import Objective
from lalert_sim.prepare import Prepared
from lalert_sim.reach.parameters import AGE_BANDS, REACH_CHANNELS
from lalert_sim.report.boundaries import Outline, municipality_outlines, prefecture_outlines
from lalert_sim.report.map import outline_path
from lalert_sim.report.places import Places
from lalert_sim.report.projection import Projection
from lalert_sim.topology.reference import Municipality, MunicipalityTable

VIEW_WIDTH_PX: Final = 1000.0
"""Width of the map's view box; its height follows from the area's shape."""
RING_PX: Final = 6.0
"""Distance between successive rings of the nodes placed around one municipality's point."""
PER_RING: Final = 8
"""Nodes on the first ring around a municipality (each further ring holds as many more)."""
COHORTS: Final = ("overall", *AGE_BANDS)
"""The warned-residents curves the page draws: everyone, then each age band."""
TEXT_PREFIX: Final = "console."
"""Catalogue file of the page's own texts; ``texts`` holds them without this prefix."""
_BANNER_ORDER: Final = (Banner.ACTUAL, Banner.EXERCISE, Banner.TEST)


def scenario_layout(
    prepared: Prepared,
    messages: Messages,
    *,
    mode: Mode = Mode.LIVE,
    speed: float = 1.0,
    until_s: float | None = None,
) -> Layout:
    """The layout the server serves at ``/api/scenario`` (see ``console/protocol.py`` for its shape)."""
    scenario = prepared.scenario
    places = Places(table=prepared.municipalities)
    towns = _towns(prepared)
    view = Projection.fit(_bounds(towns), VIEW_WIDTH_PX)
    alerts = [_alert(injection.alert, messages) for injection in prepared.injections]
    alerts += [_alert(stream.template, messages) | {"id": stream.spec.id} for stream in prepared.streams]
    return {
        "name": scenario.metadata.name,
        "mode": Mode(mode).value,
        "banner": banner([a["mode"] for a in alerts]).value,
        "language": messages.lang.value,
        "until_s": float(until_s if until_s is not None else _until_s(prepared)),
        "speed": float(speed),
        "view_box": [0.0, 0.0, view.width, view.height],
        "municipalities": [_municipality(town, view) for town in towns],
        "prefectures": _prefectures(towns, prepared.municipalities, view),
        "nodes": _nodes(prepared, places, messages, view),
        "alerts": alerts,
        "cohorts": [{"id": c, "name": messages.term("cohort", c)} for c in COHORTS],
        "channels": [{"id": c.value, "name": messages.term("channel", c.value)} for c in _channels(prepared)],
        "objectives": [_objective(o, messages) for o in scenario.objectives],
        "texts": page_texts(messages),
    }


def banner(modes: Iterable[str]) -> Banner:
    """The page's banner: ACTUAL if any alert is real, else exercise if any is, else test (none: exercise)."""
    present = set(modes)
    return next((candidate for candidate in _BANNER_ORDER if candidate.value in present), Banner.EXERCISE)


def page_texts(messages: Messages) -> dict[str, str]:
    """Every text of the ``console`` catalogue in the run's language, keyed without ``console.``."""
    return {key.removeprefix(TEXT_PREFIX): messages(key) for key in catalogue() if key.startswith(TEXT_PREFIX)}


def _until_s(prepared: Prepared) -> float:
    field = prepared.scenario.field_nodes
    if field is not None and field.until_s is not None:
        return field.until_s
    return prepared.scenario.duration_s


def _towns(prepared: Prepared) -> list[Municipality]:
    """Every municipality of the prefectures the network serves, by code."""
    table = prepared.municipalities
    codes = {n.area[:2] for n in prepared.topology.nodes.values() if n.area is not None}
    return [m for prefecture in sorted(codes) for m in table.in_prefecture(prefecture)]


def _bounds(towns: list[Municipality]) -> tuple[float, float, float, float]:
    """West, south, east, north of the towns' outlines (their points where they have none; Japan if none)."""
    if not towns:
        return 122.9, 24.0, 146.0, 45.6
    outlines = municipality_outlines()
    edges = [
        outlines[t.code].bounds() if t.code in outlines else (t.lon, t.lat, t.lon, t.lat)  # small islands
        for t in towns
    ]
    west, south, east, north = zip(*edges, strict=True)
    return min(west), min(south), max(east), max(north)


def _municipality(town: Municipality, view: Projection) -> dict[str, Any]:
    outline = municipality_outlines().get(town.code)
    x, y = view.point(town.lon, town.lat)
    return {
        "code": town.code,
        "name": town.name,
        "prefecture": town.prefecture_code,
        "path": outline_path(view, outline) if outline is not None else "",
        "x": round(x, 1),
        "y": round(y, 1),
        "population": town.population,
    }


def _prefectures(towns: list[Municipality], table: MunicipalityTable, view: Projection) -> list[dict[str, Any]]:
    """Every prefecture the view shows (neighbours too, for context), the scenario's first."""
    own = {t.prefecture_name: t.prefecture_code for t in towns}
    codes = {t.prefecture_name: t.prefecture_code for t in table.all()}
    shown: list[tuple[bool, str, str, Outline]] = [
        (name not in own, codes.get(name, ""), name, outline)
        for name, outline in prefecture_outlines().items()
        if view.shows(outline.bounds())
    ]
    return [
        {"code": code, "name": name, "path": outline_path(view, outline), "in_scenario": not outside}
        for outside, code, name, outline in sorted(shown, key=lambda s: (s[0], s[1]))
    ]


def _nodes(prepared: Prepared, places: Places, messages: Messages, view: Projection) -> list[dict[str, Any]]:
    """Every node with its place on the map (None for national ones) and its bound field node."""
    bound = {}
    if prepared.scenario.field_nodes is not None:
        bound = {b.node: b.field_node for b in prepared.scenario.field_nodes.bindings}
    centres = _centres(prepared, view)
    count_at: dict[str, int] = defaultdict(int)
    found = []
    for node in prepared.topology.nodes.values():
        x: float | None = None
        y: float | None = None
        if node.area is not None and node.area in centres:
            index = count_at[node.area]
            count_at[node.area] += 1
            x, y = _around(centres[node.area], index)
        found.append(
            {
                "id": node.id,
                "kind": node.kind.value,
                "channel": node.channel.value if node.channel is not None else None,
                "name": places.node(node.id, node.area, _channel(node), messages),
                "x": x,
                "y": y,
                "municipality": node.area if node.area is not None and len(node.area) == 5 else None,
                "field_node": bound.get(node.id),
            }
        )
    return found


def _channel(node: Node) -> str | None:
    return node.channel.value if node.kind is NodeKind.EMITTER and node.channel is not None else None


def _centres(prepared: Prepared, view: Projection) -> dict[str, tuple[float, float]]:
    """Where each area's nodes gather: a municipality's reference point; a prefecture's mean of its towns."""
    table = prepared.municipalities
    centres: dict[str, tuple[float, float]] = {}
    by_prefecture: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for area in {n.area for n in prepared.topology.nodes.values() if n.area is not None}:
        if len(area) == 5 and area in table:
            town = table[area]
            centres[area] = view.point(town.lon, town.lat)
    for town in table.all():
        by_prefecture[town.prefecture_code].append(view.point(town.lon, town.lat))
    for code, points in by_prefecture.items():
        xs, ys = zip(*points, strict=True)
        centres[code] = (sum(xs) / len(xs), sum(ys) / len(ys))
    return centres


def _around(centre: tuple[float, float], index: int) -> tuple[float, float]:
    """The ``index``-th place around a point: the point itself, then rings of growing size."""
    if index == 0:
        return round(centre[0], 1), round(centre[1], 1)
    ring, slot = 1, index - 1
    while slot >= PER_RING * ring:
        slot -= PER_RING * ring
        ring += 1
    angle = 2 * math.pi * slot / (PER_RING * ring)
    return round(centre[0] + RING_PX * ring * math.cos(angle), 1), round(
        centre[1] + RING_PX * ring * math.sin(angle), 1
    )


def _channels(prepared: Prepared) -> list[Channel]:
    """The channels some emitter of the network uses, in the reach model's order."""
    used = {n.channel for n in prepared.topology.nodes.values() if n.kind is NodeKind.EMITTER}
    return [c for c in REACH_CHANNELS if c in used]


def _alert(alert: Alert, messages: Messages) -> dict[str, Any]:
    return {
        "id": alert.id,
        "category": alert.category.value,
        "category_name": messages.term("category", alert.category.value),
        "system": alert.system.value,
        "issue_s": float(alert.issue_s),
        "mode": alert.mode.value,
    }


def _objective(objective: Objective, messages: Messages) -> dict[str, str]:
    """An objective's name and what it asks, in words: ``95.0 % of emitter in 02 within 60.0 s``."""
    text = messages(
        "console.objective_text",
        share=messages.percent(objective.fraction),
        selection=objective.select.describe(),
        time=messages.seconds(objective.within_s),
    )
    if objective.alert is not None:
        text = messages("console.objective_of_alert", text=text, alert=objective.alert)
    return {"name": objective.name, "text": text}
