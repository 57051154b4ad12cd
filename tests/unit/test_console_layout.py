"""The console's scenario layout: the map drawn where the towns are, every node placed once, names and
texts in the run's language, the banner from the alerts' modes, and every text the page asks for present."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import numpy as np
import pytest

from lalert_sim.console.layout import COHORTS, banner, page_texts, scenario_layout
from lalert_sim.console.protocol import Banner, ClockState, Mode
from lalert_sim.engine.trace import Event
from lalert_sim.i18n import Messages
from lalert_sim.prepare import load
from lalert_sim.report.boundaries import municipality_outlines
from tests.conftest import ROOT, SCENARIOS

STATIC = ROOT / "lalert_sim" / "console" / "static"
PATH_TOKEN = re.compile(r"[Mlz]|-?\d+(?:\.\d+)?")


@cache
def _layout(scenario: str, lang: str) -> dict[str, Any]:
    layout = scenario_layout(load(SCENARIOS / scenario), Messages(lang))
    return json.loads(json.dumps(layout))  # what the page receives: plain JSON


def _rings(path: str) -> list[np.ndarray]:
    """Decode the path data the layout writes (``M x y l dx dy ... z``, repeated) into absolute points."""
    rings, tokens = [], PATH_TOKEN.findall(path)
    i = 0
    while i < len(tokens):
        assert tokens[i] == "M", path[:40]
        start = np.array([float(tokens[i + 1]), float(tokens[i + 2])])
        assert tokens[i + 3] == "l"
        i += 4
        steps = []
        while tokens[i] != "z":
            steps.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        i += 1
        rings.append(np.vstack([start, start + np.cumsum(np.array(steps), axis=0)]))
    return rings


def _inside(rings: list[np.ndarray], x: float, y: float) -> bool:
    """Even-odd point-in-polygon on the drawn rings (independent of the outline code)."""
    inside = False
    for ring in rings:
        closed = np.vstack([ring, ring[:1]])
        x0, y0, x1, y1 = closed[:-1, 0], closed[:-1, 1], closed[1:, 0], closed[1:, 1]
        straddles = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= bool(np.count_nonzero(straddles & (crossing > x)) % 2)
    return inside


def test_aomori_map_draws_every_town_inside_the_view_with_its_point_inside_its_outline() -> None:
    layout = _layout("jalert_missile_drill_aomori.yaml", "en")
    _, _, width, height = layout["view_box"]
    towns = layout["municipalities"]
    assert len(towns) == 40 and {t["prefecture"] for t in towns} == {"02"}
    outlined = [t for t in towns if t["code"] in municipality_outlines()]
    assert len(outlined) == 40
    inside = 0
    for town in outlined:
        rings = _rings(town["path"])
        points = np.concatenate(rings)
        assert (points >= -1).all() and (points[:, 0] <= width + 1).all() and (points[:, 1] <= height + 1).all()
        inside += _inside(rings, town["x"], town["y"])
    # The reference point is the town office: inside its own outline (a coarse outline may miss a shore office).
    assert inside >= 38
    aomori = next(t for t in towns if t["code"] == "02201")
    hachinohe = next(t for t in towns if t["code"] == "02203")
    assert aomori["x"] < hachinohe["x"] and aomori["y"] < hachinohe["y"]  # Hachinohe lies south-east of Aomori
    own = [p for p in layout["prefectures"] if p["in_scenario"]]
    assert [p["code"] for p in own] == ["02"] and own[0]["path"]
    assert {"岩手県", "秋田県"} <= {p["name"] for p in layout["prefectures"]}  # the neighbours, for context


def test_every_node_is_placed_once_near_its_town_and_national_ones_are_listed_without_a_place() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    layout = _layout("jalert_missile_drill_aomori.yaml", "en")
    nodes = layout["nodes"]
    assert [n["id"] for n in nodes] == list(prepared.topology.nodes)
    towns = {t["code"]: t for t in layout["municipalities"]}
    for node in nodes:
        spec = prepared.topology.nodes[node["id"]]
        if spec.area is None:
            assert node["x"] is None and node["y"] is None and node["municipality"] is None
        elif len(spec.area) == 5:
            town = towns[spec.area]
            assert node["municipality"] == spec.area
            assert np.hypot(node["x"] - town["x"], node["y"] - town["y"]) <= 20
    placed = [(n["x"], n["y"]) for n in nodes if n["x"] is not None]
    assert len(set(placed)) == len(placed), "two nodes on the same spot"
    loudspeakers = next(n for n in nodes if n["id"] == "m-02203/loudspeakers")
    assert loudspeakers["name"] == "八戸市 outdoor loudspeakers" and loudspeakers["channel"] == "outdoor_loudspeaker"


def test_names_and_texts_come_in_the_run_language() -> None:
    en, ja = _layout("jalert_missile_drill_aomori.yaml", "en"), _layout("jalert_missile_drill_aomori.yaml", "ja")
    assert en["language"] == "en" and ja["language"] == "ja"
    assert next(t["name"] for t in ja["municipalities"] if t["code"] == "02201") == "青森市"
    assert ja["texts"]["pause"] == "一時停止" and en["texts"]["pause"] == "Pause"
    assert set(en["texts"]) == set(ja["texts"]) == set(page_texts(Messages("en")))
    assert [c["id"] for c in en["cohorts"]] == list(COHORTS)
    assert {c["id"] for c in en["channels"]} >= {"outdoor_loudspeaker", "indoor_receiver", "cell_broadcast"}
    assert en["objectives"] and all(o["text"] for o in en["objectives"])
    assert en["until_s"] == 1800 and en["mode"] == "live" and en["banner"] == "exercise"


def test_bound_field_nodes_are_named_on_their_simulated_nodes() -> None:
    layout = _layout("field_nodes_missile_drill.yaml", "en")
    bound = {n["id"]: n["field_node"] for n in layout["nodes"] if n["field_node"]}
    prepared = load(SCENARIOS / "field_nodes_missile_drill.yaml")
    assert prepared.scenario.field_nodes is not None
    assert bound == {b.node: b.field_node for b in prepared.scenario.field_nodes.bindings}


@pytest.mark.parametrize(
    ("modes", "expected"),
    [
        (["exercise"], Banner.EXERCISE),
        (["test"], Banner.TEST),
        (["test", "exercise"], Banner.EXERCISE),
        (["exercise", "actual", "test"], Banner.ACTUAL),
        ([], Banner.EXERCISE),
    ],
)
def test_the_banner_shows_the_most_serious_mode_present(modes: list[str], expected: Banner) -> None:
    assert banner(modes) is expected


def test_every_text_the_page_asks_for_is_in_the_catalogue() -> None:
    script = (STATIC / "console.js").read_text(encoding="utf-8")
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    asked = set(re.findall(r"""\bT\(["']([a-z0-9_]+)["']""", script))
    asked |= set(re.findall(r'data-t(?:-placeholder)?="([a-z0-9_]+)"', page))
    asked |= {f"banner_{b.value}" for b in Banner} | {f"state_{s.value}" for s in ClockState}
    asked |= {f"mode_{m.value}" for m in Mode}
    asked |= {f"event_{e.name.lower()}" for e in Event} | {"event_action", "event_field", "event_down", "event_up"}
    assert len(asked) > 20
    assert asked - set(page_texts(Messages("en"))) == set()
