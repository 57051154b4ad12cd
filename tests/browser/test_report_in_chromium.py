"""The drill report opened in a real browser (headless Chromium): loads cleanly, every section
and plot is there, and the plots are not blank."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SCENARIOS, cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("drill")
    done = cli("run", SCENARIOS / "noto_peninsula_isolated.yaml", "--out", out, "--report", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    return out / "report.html"


def _need_browser() -> None:
    missing = CHROMIUM is None
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Chromium (Debian package chromium) and the playwright package")
        pytest.skip("Chromium or playwright not installed")


def test_report_opens_without_errors_and_shows_every_section_and_plot(report: Path, tmp_path: Path) -> None:
    _need_browser()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"failed request {r.url}"))
        page.goto(report.as_uri())
        headings = page.locator("h2, h3").all_inner_texts()
        images = page.locator("img.plot")
        sizes = [img.evaluate("i => [i.naturalWidth, i.naturalHeight, i.complete]") for img in images.all()]
        shots = [img.screenshot() for img in images.all()]
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    for section in (
        "Objectives",
        "Alert major-tsunami-warning",
        "Timeline",
        "Residents warned",
        "First learned via",
        "Map",
        "Never reached (failed paths)",
        "Incidents and responses",
        "Longest cut off",
    ):
        assert section in headings, section
    assert len(sizes) >= 6 and all(w > 200 and h > 200 and complete for w, h, complete in sizes)
    for shot in shots:
        pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
        assert pixels.std() > 10, "a plot is blank"
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    assert text.count("data:image/png;base64,") >= 6
