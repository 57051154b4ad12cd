"""The history table (published figure beside the simulated one), in the terminal and as Markdown."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lalert_sim.i18n import Language, Messages, messages
from lalert_sim.montecarlo.history import HistoryCheck, HistoryEvent, HistoryRow
from lalert_sim.report.kpi_labels import kpi_label

HEADER = ("event", "what", "KPI", "published", "simulated mean (95 % CI)", "band", "within band")
"""Columns of the table, the same in the terminal and in Markdown."""
README_START = "<!-- history:start -->"
README_END = "<!-- history:end -->"
"""Markers around the generated table in the README."""


def figure(value: float, unit: str) -> str:
    """A figure as the table shows it: shares in %, times in s, min (from 2 min) or h (from 2 h), counts whole."""
    if math.isnan(value):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "seconds":
        if value >= 2 * 3600:
            return f"{value / 3600:.1f} h"
        return f"{value / 60:.1f} min" if value >= 120 else f"{value:.0f} s"
    return f"{value:,.0f}"


def band_text(low: float, high: float, unit: str) -> str:
    """The accepted band, ``low – high``."""
    return f"{figure(low, unit)} – {figure(high, unit)}"


def event_text(name: str, day: str) -> str:
    """The event cell: its name and date."""
    return f"{name} ({day})"


def published_cells(event: HistoryEvent, check: HistoryCheck) -> tuple[str, str, str, str]:
    """The cells an events file fixes by itself: event, what, published, band (README checks compare them)."""
    return (
        event_text(event.name, event.date.isoformat()),
        check.what,
        figure(check.published, check.unit),
        band_text(*check.band, check.unit),
    )


def _simulated(row: HistoryRow) -> str:
    if not row.produced:
        return "KPI not produced"
    if math.isnan(row.ci95_low):
        return figure(row.mean, row.unit)
    return f"{figure(row.mean, row.unit)} ({figure(row.ci95_low, row.unit)} – {figure(row.ci95_high, row.unit)})"


def cells(row: HistoryRow) -> tuple[str, ...]:
    """One row's cells, in HEADER order."""
    return (
        event_text(row.event_name, row.date),
        row.what,
        row.kpi,
        figure(row.published, row.unit),
        _simulated(row),
        band_text(row.band_low, row.band_high, row.unit),
        row.status,
    )


def _status(row: HistoryRow, m: Messages) -> str:
    """The row's status (``yes``, ``no``...) in the reader's language."""
    if not row.produced:
        return m("terminal.history_not_produced")
    if math.isnan(row.mean):
        return m("terminal.history_never_reached")
    if row.within:
        return m("terminal.history_yes")
    return m("terminal.history_no") if row.known_gap is None else m("terminal.history_known_gap")


def short_kpi(kpi: str, m: Messages) -> str:
    """A history row's KPI (``ALERT.FIGURE`` or a ratio ``A / B``) in short words, each part through the KPI
    labels (the alert id left out: the event says it); the full name stays in history.json and history.md."""
    return " / ".join(kpi_label(part, m).text for part in kpi.split(" / "))


def print_history(rows: list[HistoryRow], console: Console | None = None, lang: Language | str | None = None) -> None:
    """The table in the terminal (each KPI under its figure's description), with how many rows lie within band."""
    console = console or Console()
    m = messages(lang)
    table = Table(title=m("terminal.history_title"), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    columns = [m("terminal.history_event"), m("terminal.history_what"), m("terminal.history_published_band")]
    columns += [m("terminal.history_simulated"), m("terminal.history_within")]
    fixed = (12, 16, 16, 8)  # event, published, simulated, within band; the description takes what they leave
    gaps = 2 * (len(columns) - 1)
    widths = (fixed[0], max(16, console.width - sum(fixed) - gaps), *fixed[1:])
    for name, width in zip(columns, widths, strict=True):
        table.add_column(name, overflow="fold", width=width)
    for index, row in enumerate(rows):
        published, simulated, band = (escape(c) for c in cells(row)[3:6])
        status = _status(row, m)
        plain_no = row.produced and not math.isnan(row.mean) and row.known_gap is None
        colour = "green" if row.within else "red" if plain_no else "yellow"
        first_of_event = index == 0 or rows[index - 1].event != row.event
        last_of_event = index + 1 == len(rows) or rows[index + 1].event != row.event
        table.add_row(
            f"{escape(row.event_name)}\n[dim]{row.date}[/]" if first_of_event else "",
            f"{escape(row.what)}\n[dim]{escape(short_kpi(row.kpi, m))}[/]",
            f"{published}\n[dim]({band})[/]",
            simulated.replace(" (", "\n(", 1),
            f"[{colour}]{escape(status)}[/]",
            end_section=last_of_event,
        )
    console.print(table)
    console.print(summary_line(rows, m))


def summary_line(rows: list[HistoryRow], m: Messages | None = None) -> str:
    """``N of M rows within band`` and how many KPIs were not produced (in English unless ``m`` says otherwise)."""
    m = m or Messages(Language.EN)
    within = sum(r.within for r in rows)
    missing = sum(not r.produced for r in rows)
    gaps = sum(1 for r in rows if not r.within and not r.required)
    text = m("terminal.history_rows_within", within=within, total=len(rows))
    if gaps:
        text += m("terminal.history_gap") if gaps == 1 else m("terminal.history_gaps", count=gaps)
    if missing:
        text += m("terminal.history_missing") if missing == 1 else m("terminal.history_missings", count=missing)
    return text


def history_markdown(rows: list[HistoryRow]) -> str:
    """The table in Markdown (a ``|`` in a cell escaped), then the summary line."""

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    replications = sorted({r.replications for r in rows})
    lines = [line(HEADER), "|" + "---|" * len(HEADER)]
    lines += [line(cells(r)) for r in rows]
    lines += ["", f"{summary_line(rows)} ({', '.join(map(str, replications))} replications per event)."]
    gaps = [r for r in rows if not r.within and r.known_gap is not None]
    if gaps:
        lines += ["", "Known gaps:", ""]
        lines += [f"- {r.event_name}, {r.what}: {' '.join((r.known_gap or '').split())}" for r in gaps]
    return "\n".join(lines) + "\n"


def replace_between_markers(text: str, table: str) -> str:
    """``text`` with what lies between the README markers replaced by ``table`` (ValueError without them)."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"no {README_START} ... {README_END} markers")
    return text[: start + len(README_START)] + "\n" + table + text[end:]


def markdown_rows_between_markers(text: str) -> list[list[str]]:
    """The table rows (cells, header and rule left out) between the README markers."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"no {README_START} ... {README_END} markers")
    rows = []
    for raw in text[start:end].splitlines():
        if raw.startswith("| ") and not raw.startswith("| event |"):
            rows.append([c.strip().replace("\\|", "|") for c in raw.strip().strip("|").split(" | ")])
    return rows
