"""The report as a PDF to hand round: A4, plots as vectors."""

from __future__ import annotations

from pathlib import Path

from lalert_sim.errors import LalertError
from lalert_sim.i18n import Language


def build_pdf(results: Path, scenario_text: str | None = None, lang: Language | str | None = None) -> Path:
    """Write ``report.pdf`` into a results folder and return its path."""
    raise LalertError("report --pdf is not available yet")
