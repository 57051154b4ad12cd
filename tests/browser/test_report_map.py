"""The flagship drill's map in a real browser (headless Chromium): outlines drawn, town names that
never overlap and stay inside the map, the legend and the MLIT credit in Japanese and in English."""

from __future__ import annotations

import io
import shutil
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lalert_sim.i18n import Messages
from lalert_sim.report.labels import text_width_em
from lalert_sim.report.map import FONT_PX, map_html
from lalert_sim.topology.reference import municipalities
from tests.browser.test_report_in_chromium import CHROMIUM, FLAGS, _need_browser
from tests.conftest import SCENARIOS, cli

LANGUAGES = ("ja", "en")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The flagship's report (written by ``run`` by default), rewritten by ``report --lang`` in each language."""
    out = tmp_path_factory.mktemp("aomori")
    done = cli("run", SCENARIOS / "jalert_missile_drill_aomori.yaml", "--out", out, "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").is_file()
    pages = {}
    for lang in LANGUAGES:
        done = cli("report", out, "--lang", lang, timeout=300)
        assert done.returncode == 0, done.stderr
        pages[lang] = out / f"report-{lang}.html"
        shutil.copy(out / "report.html", pages[lang])
    return pages


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


LABELS_JS = """s => [...s.querySelectorAll('.muni-label')].map(t => {
    const r = t.getBoundingClientRect();
    const style = getComputedStyle(t);
    return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom],
            shown: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'};
})"""
FRAME_JS = "s => { const r = s.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
SCALE_JS = "s => s.getBoundingClientRect().width / s.viewBox.baseVal.width"


def _check_labels(labels: list[dict[str, Any]], frame: list[float], scale: float) -> list[str]:
    """The names shown, after checking no two overlap and each lies inside the map within its estimate."""
    shown = [label for label in labels if label["shown"]]
    for a, b in combinations(shown, 2):
        assert not _overlap(a["box"], b["box"]), (a["text"], b["text"], a["box"], b["box"])
    for label in shown:
        left, top, right, bottom = label["box"]
        assert frame[0] <= left and right <= frame[2] and frame[1] <= top and bottom <= frame[3], label
        # The placement's width estimate is never smaller than what the browser draws.
        assert right - left <= text_width_em(label["text"]) * FONT_PX * scale + 0.5, label
    return [label["text"] for label in shown]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_flagship_map_has_outlines_and_labels_that_never_overlap(reports: dict[str, Path], lang: str) -> None:
    _need_browser()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    m = Messages(lang)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(reports[lang].as_uri())
        svg = page.locator("svg.map").first
        svg.scroll_into_view_if_needed()
        frame, scale, labels = svg.evaluate(FRAME_JS), svg.evaluate(SCALE_JS), svg.evaluate(LABELS_JS)
        outlines = svg.evaluate("s => s.querySelectorAll('path').length")
        legend = svg.locator(".map-legend").text_content() or ""
        credit = svg.locator(".map-credit").text_content() or ""
        shot = svg.screenshot()
        browser.close()
    assert errors == []
    assert outlines > 60  # the 40 municipalities of Aomori, their neighbours in grey and the prefecture borders
    names = _check_labels(labels, frame, scale)
    assert len(names) >= 5 and "十和田市" in names and "八戸市" in names, names
    assert m("map.legend_title") in legend and m("map.outside_alert") in legend and "100 %" in legend
    assert m("map.credit") in credit and m("map.credit_simplified") in credit
    assert ("加工して作成" if lang == "ja" else "edited") in credit
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
    assert pixels.std() > 10, "the map is blank"


def test_crowded_nationwide_map_labels_never_overlap(tmp_path: Path) -> None:
    # All of Japan at 720 px: Kanto's and Kansai's big cities compete for the same few pixels.
    _need_browser()
    from playwright.sync_api import sync_playwright

    rows = [
        {"alert": "eew", "code": m.code, "name": m.name, "population": str(m.population), "unwarned_at_deadline": "0.3"}
        for m in municipalities()
    ]
    page_file = tmp_path / "map.html"
    page_file.write_text(f"<!doctype html><meta charset='utf-8'>{map_html('eew', rows, Messages('ja'))}", "utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:])
        page = browser.new_page(viewport={"width": 800, "height": 900})
        page.goto(page_file.as_uri())
        svg = page.locator("svg.map")
        frame, scale, labels = svg.evaluate(FRAME_JS), svg.evaluate(SCALE_JS), svg.evaluate(LABELS_JS)
        browser.close()
    names = _check_labels(labels, frame, scale)
    assert "横浜市" in names and "札幌市" in names and len(names) >= 10, names
