"""`report --pdf` on a real drill run: an A4 PDF whose every page renders (pdftoppm) to a picture that is
not blank, with text in the language asked for (pdftotext); and a clear error when WeasyPrint is missing."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lalert_sim.errors import InvalidInput
from lalert_sim.report.pdf import build_pdf, print_stylesheet
from tests.conftest import CLI_ENV, ROOT, SCENARIOS, cli

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"
A4_PT = (595.0, 842.0)  # 210 mm x 297 mm in PostScript points
INK_SHARE = 0.003  # header, footer and page number alone cover about 0.2 % of a page at 50 dpi
# The flagship's epoch, 2026-11-22T07:00:00+09:00, as each language writes a date in the page header.
DATE = {"ja": "2026年11月22日 07:00 JST", "en": "22 November 2026, 07:00 JST"}


def _need(*tools: str, modules: tuple[str, ...] = ()) -> None:
    missing = [t for t in tools if shutil.which(t) is None] + [
        m for m in modules if importlib.util.find_spec(m) is None
    ]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {', '.join(missing)} (pip install 'lalert-sim[pdf]'; scripts/system-deps.sh)")
        pytest.skip(f"not installed: {', '.join(missing)}")


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("drill") / "run"
    done = cli("run", FLAGSHIP, "--out", out, "--no-report", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module", params=["ja", "en"])
def pdf(request: pytest.FixtureRequest, drill: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    _need("pdftoppm", "pdftotext", "pdfinfo", modules=("weasyprint", "matplotlib"))
    lang: str = request.param
    results = tmp_path_factory.mktemp(f"pdf-{lang}") / "run"
    shutil.copytree(drill, results)
    done = cli("report", results, "--pdf", "--lang", lang, timeout=300)
    assert done.returncode == 0, done.stderr
    path = results / "report.pdf"
    assert f"wrote {path}" in done.stdout
    return lang, path


def _pages(path: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", path], capture_output=True, text=True, check=True)
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info.stdout, re.MULTILINE)
    return [(float(w), float(h)) for w, h in sizes]


def test_every_page_is_a4(pdf: tuple[str, Path]) -> None:
    pages = _pages(pdf[1])
    assert len(pages) >= 2  # the flagship's report does not fit on one page
    for width, height in pages:
        assert abs(width - A4_PT[0]) <= 1 and abs(height - A4_PT[1]) <= 1, (width, height)


def test_every_page_renders_to_a_picture_that_is_not_blank(pdf: tuple[str, Path], tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "50", "-png", pdf[1], tmp_path / "page"], check=True, timeout=120)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(_pages(pdf[1]))
    coloured_pages = 0
    for image in images:
        pixels = np.asarray(Image.open(image).convert("RGB")).reshape(-1, 3).astype(int)
        ink = (pixels < 240).any(axis=1).mean()
        assert ink > INK_SHARE, f"{image.name}: {ink:.2%} of the page is not white"
        assert len(np.unique(pixels, axis=0)) > 1, image.name
        # A plot: pixels far from grey (text, rules and table shading are grey).
        coloured_pages += int(((pixels.max(axis=1) - pixels.min(axis=1)) > 60).mean() > 0.001)
    assert coloured_pages >= 1, "no page shows a coloured plot"


def test_plots_are_vectors_or_at_print_resolution(pdf: tuple[str, Path]) -> None:
    # Raster images in the PDF (if any) must be at least 200 ppi; the plots and the map come as vectors.
    _need("pdfimages")
    listing = subprocess.run(["pdfimages", "-list", pdf[1]], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    ppi = [int(row[12]) for row in rows if len(row) > 12 and row[2] == "image"]
    assert all(p >= 200 for p in ppi), ppi


def test_text_is_in_the_language_asked_for(pdf: tuple[str, Path], drill: Path) -> None:
    lang, path = pdf
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert pages and all(DATE[lang] in page for page in pages), f"the {lang} date is not in every page's header"
    other = DATE["en" if lang == "ja" else "ja"]
    assert other not in text
    with open(drill / "reach_municipalities.csv", encoding="utf-8", newline="") as rows:
        towns = {row["name"] for row in csv.DictReader(rows)}
    assert any(town in text for town in towns), "no municipality named in Japanese"


def test_a_missing_weasyprint_is_one_clear_error(drill: Path, tmp_path: Path) -> None:
    _need(modules=("matplotlib",))
    results = tmp_path / "run"
    shutil.copytree(drill, results)
    blocked = (
        "import runpy, sys; sys.modules['weasyprint'] = None; "
        f"sys.argv = ['lalert-sim', 'report', {str(results)!r}, '--pdf']; "
        "runpy.run_module('lalert_sim', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, env=CLI_ENV, cwd=ROOT, timeout=300
    )
    assert done.returncode == 1, done.stderr
    assert "pip install 'lalert-sim[pdf]'" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert (results / "report.html").is_file() and not (results / "report.pdf").exists()


def test_pdf_of_a_folder_that_is_not_a_run_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no summary.json here"):
        build_pdf(tmp_path)
    done = cli("report", tmp_path, "--pdf")
    assert done.returncode == 2, done.stderr
    assert "no summary.json here" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "report.pdf").exists()


def test_the_page_header_carries_any_scenario_name_literally() -> None:
    _need(modules=("tinycss2",))
    import tinycss2

    name = 'Drill "A" \\ B\nline two\t;}'
    rules = tinycss2.parse_stylesheet(print_stylesheet(name, DATE["en"]), skip_whitespace=True)
    page = next(rule for rule in rules if rule.type == "at-rule" and rule.lower_at_keyword == "page")
    top_left = next(
        r for r in tinycss2.parse_blocks_contents(page.content) if getattr(r, "at_keyword", "") == "top-left"
    )
    content = tinycss2.parse_blocks_contents(top_left.content, skip_whitespace=True)[0]
    strings = [token.value for token in content.value if token.type == "string"]
    assert strings == [name.replace("\n", " ")]
