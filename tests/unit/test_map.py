"""The report's map: the TopoJSON reader, the projection, label placement and the SVG it draws."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from itertools import combinations
from typing import Any

import numpy as np
import pytest

from lalert_sim.errors import InvalidInput
from lalert_sim.i18n import Messages
from lalert_sim.report.boundaries import Outline, decode, municipality_outlines, prefecture_outlines
from lalert_sim.report.labels import Box, place_labels, text_box, text_width_em
from lalert_sim.report.map import FONT_PX, SCALE, SMALL_FONT_PX, WIDTH_PX, colour, map_html
from lalert_sim.report.projection import Projection
from lalert_sim.topology.reference import MunicipalityTable, municipalities

SVG = "{http://www.w3.org/2000/svg}"
NO_GEOMETRY = {"13362", "13402", "30422", "38356", "44322", "47354", "47355", "47356"}

# Two arcs around a unit square at (100°E, 30°N) in a quantized topology: scale (0.5, 0.25).
SQUARE: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [100.0, 30.0]},
    "arcs": [
        [[0, 0], [2, 0], [0, 4]],  # (100, 30) → (101, 30) → (101, 31)
        [[2, 4], [-2, 0], [0, -4]],  # (101, 31) → (100, 31) → (100, 30)
        [[1, 1], [0, 2], [1, 0], [0, -2], [-1, 0]],  # a hole: (100.5, 30.25) ... back
    ],
    "objects": {
        "shapes": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"id": "square"}},
                {"type": "Polygon", "arcs": [[~1, ~0]], "properties": {"id": "backwards"}},
                {"type": "MultiPolygon", "arcs": [[[0, 1], [2]]], "properties": {"id": "holed"}},
                {"type": None, "properties": {"id": "none"}},
            ],
        }
    },
}


def _shapes() -> dict[str, Outline | None]:
    return {props["id"]: outline for props, outline in decode(SQUARE, "shapes")}


def test_quantized_arcs_decode_to_known_coordinates() -> None:
    square = _shapes()["square"]
    assert square is not None
    (ring,) = square.rings
    np.testing.assert_allclose(ring, [[100, 30], [101, 30], [101, 31], [100, 31], [100, 30]])


def test_a_negative_arc_index_walks_the_arc_backwards() -> None:
    backwards = _shapes()["backwards"]
    assert backwards is not None
    np.testing.assert_allclose(backwards.rings[0], [[100, 30], [100, 31], [101, 31], [101, 30], [100, 30]])


def test_unquantized_arcs_are_read_as_degrees() -> None:
    hole = [[100.5, 30.25], [100.5, 30.75], [101, 30.75], [101, 30.25], [100.5, 30.25]]
    plain = {**SQUARE, "arcs": [[[100, 30], [101, 30], [101, 31]], [[101, 31], [100, 31], [100, 30]], hole]}
    del plain["transform"]
    (props, outline), *_ = decode(plain, "shapes")
    assert outline is not None
    np.testing.assert_allclose(outline.rings[0][2], [101, 31])


def test_a_hole_is_outside_and_the_ring_around_it_inside() -> None:
    holed = _shapes()["holed"]
    assert holed is not None and len(holed.rings) == 2
    assert holed.contains(100.2, 30.5)
    assert not holed.contains(100.6, 30.5)  # in the hole (100.5-101.0 × 30.25-30.75)
    assert not holed.contains(101.5, 30.5)
    assert holed.bounds() == (100.0, 30.0, 101.0, 31.0)


def test_no_geometry_means_no_outline_and_the_centroid_of_a_square_is_its_middle() -> None:
    shapes = _shapes()
    assert shapes["none"] is None
    assert shapes["square"] is not None
    assert shapes["square"].centroid() == pytest.approx((100.5, 30.5))


def test_every_municipality_but_eight_small_ones_has_an_outline() -> None:
    outlines = municipality_outlines()
    codes = {m.code for m in municipalities()}
    assert codes - set(outlines) == NO_GEOMETRY
    assert len(codes & set(outlines)) == 1741 - len(NO_GEOMETRY)


def test_hirosaki_outline_holds_its_office_and_not_aomori_city() -> None:
    table = MunicipalityTable.reference()
    hirosaki, aomori = table["02202"], table["02201"]
    outline = municipality_outlines()["02202"]
    assert outline.contains(hirosaki.lon, hirosaki.lat)
    assert not outline.contains(aomori.lon, aomori.lat)
    west, south, east, north = outline.bounds()
    assert 140.0 < west < hirosaki.lon < east < 140.8 and 40.3 < south < hirosaki.lat < north < 40.9


def test_every_prefecture_has_an_outline_holding_its_capital() -> None:
    outlines = prefecture_outlines()
    table = MunicipalityTable.reference()
    assert {m.prefecture_name for m in municipalities()} == set(outlines)
    for code, prefecture in (("02201", "青森県"), ("13101", "東京都"), ("47201", "沖縄県"), ("01100", "北海道")):
        assert outlines[prefecture].contains(table[code].lon, table[code].lat), prefecture


def test_projection_shrinks_longitude_by_the_cosine_of_latitude() -> None:
    view = Projection.fit((139.0, 59.0, 141.0, 61.0), WIDTH_PX)
    (x0, y0), (x1, y1) = view(np.array([[140.0, 60.0], [141.0, 61.0]]))
    assert (x1 - x0) / (y0 - y1) == pytest.approx(np.cos(np.radians(60)), rel=1e-9)
    assert y1 < y0  # north is up


def test_the_view_holds_the_fitted_bounds_with_a_margin_and_a_sensible_shape() -> None:
    for bounds in [(139.5, 40.2, 141.7, 41.6), (135.0, 34.0, 135.2, 36.0), (128.0, 33.0, 146.0, 33.5)]:
        view = Projection.fit(bounds, WIDTH_PX)
        west, south, east, north = bounds
        corners = view(np.array([[west, north], [east, south]]))
        assert (corners > 5).all() and corners[1, 0] < view.width - 5 and corners[1, 1] < view.height - 5
        assert 0.55 * view.width - 1 <= view.height <= 1.3 * view.width + 1
        assert view.shows(bounds) and not view.shows((west - 20, south, west - 10, north))


def test_text_width_counts_cjk_as_one_em_and_latin_as_six_tenths() -> None:
    assert text_width_em("十和田市") == 4.0
    assert text_width_em("おいらせ町") == 5.0
    assert text_width_em("Aomori") == pytest.approx(3.6)
    box = text_box("六戸町", 100, 50, "end", 10)
    assert (box.left, box.right) == (70, 100) and box.top < 50 - 10 < 50 < box.bottom


def _check_placement(labels: list[Any], frame: Box) -> None:
    for a, b in combinations(labels, 2):
        assert not a.box.overlaps(b.box), (a.text, b.text)
    for label in labels:
        assert label.box.within(frame)
        dot = Box(label.point[0] - 2, label.point[1] - 2, label.point[0] + 2, label.point[1] + 2)
        assert not any(dot.overlaps(other.box) for other in labels), label.text


def test_labels_never_overlap_on_random_crowded_maps() -> None:
    rng = np.random.default_rng(14)
    names = ["十和田市", "六戸町", "おいらせ町", "三沢市", "Aomori", "東通村", "八戸市", "五所川原市"]
    for _ in range(200):
        count = int(rng.integers(1, 40))
        frame = Box(0, 0, float(rng.uniform(100, 700)), float(rng.uniform(80, 500)))
        wanted = [
            (str(rng.choice(names)), float(rng.uniform(0, frame.right)), float(rng.uniform(0, frame.bottom)))
            for _ in range(count)
        ]
        labels = place_labels(wanted, frame, font_px=float(rng.uniform(8, 14)), dot_px=2.0)
        _check_placement(labels, frame)


def test_labels_go_in_priority_order_and_the_crowded_ones_are_dropped() -> None:
    frame = Box(0, 0, 400, 300)
    wanted = [(f"町{i}", 200.0 + i * 0.5, 150.0) for i in range(12)]
    labels = place_labels(wanted, frame, font_px=11, dot_px=2)
    assert labels[0].text == "町0" and labels[0].anchor == "start"  # first choice: right of the point
    assert 1 <= len(labels) < 12
    _check_placement(labels, frame)
    assert len(place_labels(wanted, frame, font_px=11, dot_px=2, limit=1)) == 1


def _rows(alert: str, prefecture_code: str | None, unwarned: float = 0.2) -> list[dict[str, str]]:
    table = MunicipalityTable.reference()
    chosen = table.all() if prefecture_code is None else table.in_prefecture(prefecture_code)
    return [
        {
            "alert": alert,
            "code": m.code,
            "name": m.name,
            "population": str(m.population),
            "unwarned_at_deadline": str(unwarned),
        }
        for m in chosen
    ]


def _svg(fragment: str) -> ET.Element:
    start, end = fragment.index("<svg"), fragment.rindex("</svg>") + len("</svg>")
    return ET.fromstring(fragment[start:end])


def test_the_aomori_map_fills_every_town_and_names_several_without_overlap() -> None:
    rows = _rows("drill", "02")
    rows[[r["code"] for r in rows].index("02206")]["unwarned_at_deadline"] = "0.9"  # 十和田市 worst off
    svg = _svg(map_html("drill", rows, Messages("ja")))
    paths = list(svg.iter(f"{SVG}path"))
    filled = [p for p in paths if p.get("fill") not in (None, "none")]
    assert len(filled) == 40 and {p.get("fill") for p in filled} == {colour(0.2), colour(0.9)}
    assert any(p.findtext(f"{SVG}title") == "十和田市：期限時点で未伝達 90.0 %" for p in filled)
    assert len([p for p in paths if p.get("fill") is None]) > 15  # neighbours, in the grey of their group
    borders = next(g for g in svg.iter(f"{SVG}g") if g.get("fill") == "none")
    assert len(list(borders)) >= 4  # Aomori, Hokkaido, Akita, Iwate
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "muni-label"]
    texts = [t.text or "" for t in labels]
    assert len(labels) >= 8 and texts[0] == "十和田市" and "青森市" in texts and "八戸市" in texts
    boxes = [
        text_box(t.text or "", float(t.get("x", 0)), float(t.get("y", 0)), t.get("text-anchor"), 11) for t in labels
    ]  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for a, b in combinations(boxes, 2))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_map_carries_its_legend_and_the_mlit_credit_in_each_language(lang: str) -> None:
    m = Messages(lang)
    fragment = map_html("drill", _rows("drill", "02"), m)
    svg = _svg(fragment)
    words = " ".join("".join(t.itertext()) for t in svg.iter(f"{SVG}text"))
    for key in ("map.legend_title", "map.outside_alert", "map.credit", "map.credit_simplified"):
        assert m(key) in words, key
    assert "国土数値情報" in m("map.credit")
    if lang == "ja":
        assert "出典：国土交通省「国土数値情報（行政区域データ）」" in words and "加工して作成" in words
    else:
        assert "Source: MLIT" in words and "edited" in words and "unwarned at the deadline (%" in words


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_line_under_the_map_fits_its_width(lang: str) -> None:
    m = Messages(lang)
    assert text_width_em(m("map.legend_title")) * FONT_PX < WIDTH_PX - 16
    for key in ("map.credit", "map.credit_simplified"):
        assert text_width_em(m(key)) * SMALL_FONT_PX < WIDTH_PX - 16, key
    for key in ("map.outside_alert", "map.island_dot"):  # beside the colour bar, 296 px in
        assert text_width_em(m(key)) * SMALL_FONT_PX < WIDTH_PX - 316, key


def test_islands_without_an_outline_are_dots_with_their_name() -> None:
    rows = _rows("quake", "47")
    svg = _svg(map_html("quake", rows, Messages("en")))
    dots = [c for c in svg.iter(f"{SVG}circle") if c.findtext(f"{SVG}title")]
    assert {(c.findtext(f"{SVG}title") or "").split(":")[0] for c in dots} >= {"座間味村", "粟国村", "渡名喜村"}


def test_the_nationwide_map_is_small_and_quick() -> None:
    rows = _rows("eew", None)
    municipality_outlines(), prefecture_outlines()  # the packaged files are read once per process
    started = time.perf_counter()
    fragment = map_html("eew", rows, Messages("ja"))
    elapsed = time.perf_counter() - started
    svg = _svg(fragment)
    assert elapsed < 2.0 and len(fragment.encode()) < 1_500_000
    view_width, view_height = (float(v) for v in svg.get("viewBox", "").split()[2:])
    assert view_height > view_width  # all of Japan, Hokkaido to Okinawa
    shown = [e.findtext(f"{SVG}title") for e in svg.iter() if e.tag in (f"{SVG}path", f"{SVG}circle")]
    assert len([title for title in shown if title]) == 1741  # each once: an outline, or a dot when too small


def test_an_alert_without_placeable_municipalities_has_no_map() -> None:
    assert map_html("other", _rows("drill", "02"), Messages("en")) == ""
    assert (
        map_html(
            "drill",
            [{"alert": "drill", "code": "99999", "population": "1", "unwarned_at_deadline": "0"}],
            Messages("en"),
        )
        == ""
    )


def test_the_colour_scale_darkens_as_more_are_unwarned() -> None:
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    shades = [lightness(colour(s)) for s in np.linspace(0, 1, 21)]
    assert all(a > b for a, b in zip(shades, shades[1:], strict=False))
    assert colour(0) == SCALE[0][1] and colour(1) == SCALE[-1][1] and colour(2) == colour(1)


@pytest.mark.parametrize(
    ("field", "value"), [("unwarned_at_deadline", "n/a"), ("population", ""), ("unwarned_at_deadline", "1.5")]
)
def test_a_broken_results_row_is_named_not_a_traceback(field: str, value: str) -> None:
    rows = _rows("drill", "02")
    rows[3][field] = value
    with pytest.raises(InvalidInput, match=rf"reach_municipalities.csv: municipality {rows[3]['code']}: .*{field}"):
        map_html("drill", rows, Messages("en"))
