"""The report as a PDF to hand round: the HTML report's page on A4, plots as vectors, through WeasyPrint."""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from types import ModuleType

from lalert_sim.atomic import atomic_path
from lalert_sim.errors import LalertError
from lalert_sim.i18n import Language, messages
from lalert_sim.report.html import read_summary, render_page

# The PDF's own layout, on top of the page's screen style: A4 with the scenario and its date at the top and
# page numbers at the foot; a table, figure or plot kept whole on one page where it fits; a heading kept with
# what follows it; plots no wider than the page.
_PRINT_CSS = """
@page {{
  size: A4;
  margin: 15mm;
  font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif;
  font-size: 8pt;
  color: #666;
  @top-left {{ content: {title}; }}
  @top-right {{ content: {date}; }}
  @bottom-right {{ content: counter(page) " / " counter(pages); }}
}}
html {{ font-size: 10pt; }}
body {{ margin: 0; max-width: none; }}
table, figure, img, svg, pre, .plot {{ break-inside: avoid; }}
tr {{ break-inside: avoid; }}
h1, h2, h3 {{ break-after: avoid; }}
img, svg, .plot {{ max-width: 100%; height: auto; }}
"""


def build_pdf(results: Path, scenario_text: str | None = None, lang: Language | str | None = None) -> Path:
    """Write ``report.pdf`` (A4) into a results folder and return its path.

    The same page as ``report.html`` (same ``scenario_text`` and ``lang`` defaults), with plots drawn as SVG.
    """
    summary = read_summary(results)
    weasyprint = _weasyprint()
    m = messages(lang or summary.scenario.language)
    page = render_page(results, scenario_text, lang, "svg")
    stylesheet = print_stylesheet(summary.scenario.name, m.date_time(datetime.fromisoformat(summary.scenario.epoch)))
    path = results / "report.pdf"
    with atomic_path(path) as temporary:
        document = weasyprint.HTML(string=page, base_url=str(results.resolve()))
        document.write_pdf(temporary, stylesheets=[weasyprint.CSS(string=stylesheet)])
    return path


def print_stylesheet(title: str, date: str) -> str:
    """The print stylesheet for one report: A4 pages headed with the scenario's name and date, numbered."""
    return _PRINT_CSS.format(title=_css_string(title), date=_css_string(date))


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes, backslashes and control characters escaped."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\' or not char.isprintable() else char for char in text.replace("\n", " ")
    )
    return f'"{escaped}"'


def _weasyprint() -> ModuleType:
    """WeasyPrint, or a clear error saying what to install (the Python package, or the system's pango)."""
    try:
        weasyprint = importlib.import_module("weasyprint")
    except ImportError:
        raise LalertError("report --pdf needs WeasyPrint: pip install 'lalert-sim[pdf]'") from None
    except OSError as exc:  # the package is there but cannot load pango
        raise LalertError(
            f"report --pdf: WeasyPrint cannot load its system libraries ({str(exc).splitlines()[0]}); "
            "install pango (Debian: libpango-1.0-0 libpangoft2-1.0-0, as scripts/system-deps.sh does)"
        ) from None
    return weasyprint
