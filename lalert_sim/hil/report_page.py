"""The HTML page of a bridge run (hil_report.html): per bound simulated node, the delay the simulation drew
(arrival → emission) beside what its field nodes measured (publish → actuation), as a table and a strip
plot, then a row per delivery. Self-contained: inline SVG and CSS, no network; every word from the
catalogues."""

from __future__ import annotations

import html
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lalert_sim.atomic import write_text
from lalert_sim.hil.protocol import Outcome
from lalert_sim.hil.report import DeliveryRow, FieldReport
from lalert_sim.i18n import Language, Messages, messages

PAGE_FILE = "hil_report.html"
_PLOT_WIDTH, _LABEL_WIDTH, _ROW_HEIGHT = 760, 230, 30
_MEASURED, _SIMULATED = "#1f5fa8", "#e07b00"


@dataclass(frozen=True, slots=True)
class NodeComparison:
    """One bound simulated node: its field nodes, and the simulated and measured delays (ms) of each delivery."""

    sim_node: str
    """The simulated node."""
    field_nodes: tuple[str, ...]
    """The field nodes bound to it."""
    deliveries: int
    """Deliveries to those field nodes."""
    simulated_ms: tuple[float, ...]
    """The simulated node's delay (arrival → emission) for each delivery's alert, where it emitted."""
    measured_ms: tuple[float, ...]
    """Publish → actuation of each actuated delivery, on the bridge's clock."""

    @property
    def difference_ms(self) -> float | None:
        """Median measured − median simulated (None when either is missing)."""
        if not self.simulated_ms or not self.measured_ms:
            return None
        return statistics.median(self.measured_ms) - statistics.median(self.simulated_ms)


def comparisons(rows: Sequence[DeliveryRow]) -> list[NodeComparison]:
    """The measured against the simulated delays per bound simulated node, in delivery order."""
    by_node: dict[str, list[DeliveryRow]] = {}
    for row in rows:
        by_node.setdefault(row.sim_node, []).append(row)
    return [
        NodeComparison(
            sim_node,
            tuple(dict.fromkeys(r.field_node for r in group)),
            len(group),
            tuple(r.sim_node_delay_ms for r in group if r.sim_node_delay_ms is not None),
            tuple(
                r.actuation_latency_ms
                for r in group
                if r.outcome == Outcome.ACTUATED and r.actuation_latency_ms is not None
            ),
        )
        for sim_node, group in by_node.items()
    ]


def render_page(report: FieldReport, lang: Language | str | None = None) -> str:
    """The whole page as HTML text."""
    m = messages(lang)
    nodes = comparisons(report.deliveries)
    summary = _table(
        [
            m("calibrate.page_node"),
            m("calibrate.page_field_nodes"),
            m("calibrate.page_actuated"),
            m("calibrate.page_simulated_p50"),
            m("calibrate.page_measured_p50"),
            m("calibrate.page_measured_p95"),
            m("calibrate.page_difference"),
        ],
        (
            [
                n.sim_node,
                " ".join(n.field_nodes),
                f"{len(n.measured_ms)}/{n.deliveries}",
                _ms(_median(n.simulated_ms)),
                _ms(_median(n.measured_ms)),
                _ms(_p95(n.measured_ms)),
                "–" if n.difference_ms is None else f"{n.difference_ms:+.2f}",
            ]
            for n in nodes
        ),
        m("calibrate.page_none"),
    )
    deliveries = _table(
        [
            m("calibrate.page_field_node"),
            m("calibrate.page_node"),
            m("calibrate.page_alert"),
            m("calibrate.page_outcome"),
            m("calibrate.page_receipt"),
            m("calibrate.page_actuation"),
            m("calibrate.page_simulated"),
        ],
        (
            [
                r.field_node,
                r.sim_node,
                r.alert,
                r.outcome if r.reason is None else f"{r.outcome} ({r.reason})",
                _ms(r.receipt_latency_ms),
                _ms(r.actuation_latency_ms),
                _ms(r.sim_node_delay_ms),
            ]
            for r in report.deliveries
        ),
        m("calibrate.page_none"),
    )
    body = [
        f"<h1>{_text(m('calibrate.page_title', scenario=report.scenario))}</h1>",
        f"<p>{_text(m('calibrate.page_intro'))}</p>",
        summary,
        strip_plot(nodes, m),
        f"<h2>{_text(m('calibrate.page_deliveries'))}</h2>",
        deliveries,
        f"<p class='quiet'>{_text(m('calibrate.page_calibrate'))}</p>",
    ]
    return _PAGE.format(
        lang=m.lang.value, title=_text(m("calibrate.page_title", scenario=report.scenario)), body="\n".join(body)
    )


def strip_plot(nodes: Sequence[NodeComparison], m: Messages) -> str:
    """An inline SVG: a row per simulated node, a dot per measured delay and a square per simulated one."""
    values = [v for n in nodes for v in (*n.measured_ms, *n.simulated_ms)]
    if not values:
        return ""
    top = _nice(max(max(values), 1e-3) * 1.05)
    span = _PLOT_WIDTH - _LABEL_WIDTH - 20
    height = 40 + _ROW_HEIGHT * len(nodes) + 30

    def x(value: float) -> float:
        return _LABEL_WIDTH + span * min(max(value, 0.0), top) / top

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='strip' width='{_PLOT_WIDTH}' height='{height}' "
        f"role='img' aria-label='{_attr(m('calibrate.page_plot'))}'>",
        f"<text x='{_LABEL_WIDTH}' y='14' class='legend'><tspan fill='{_MEASURED}'>●</tspan> "
        f"{_text(m('calibrate.page_legend_measured'))}   <tspan fill='{_SIMULATED}'>■</tspan> "
        f"{_text(m('calibrate.page_legend_simulated'))}</text>",
    ]
    axis_y = 40 + _ROW_HEIGHT * len(nodes)
    for k in range(6):
        tick = top * k / 5
        parts.append(f"<line x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='30' y2='{axis_y}' class='grid'/>")
        parts.append(f"<text x='{x(tick):.1f}' y='{axis_y + 14}' text-anchor='middle'>{tick:g}</text>")
    parts.append(
        f"<text x='{_LABEL_WIDTH + span / 2:.1f}' y='{axis_y + 28}' text-anchor='middle'>"
        f"{_text(m('calibrate.page_axis'))}</text>"
    )
    for index, node in enumerate(nodes):
        y = 40 + _ROW_HEIGHT * index + _ROW_HEIGHT / 2
        parts.append(f"<text x='{_LABEL_WIDTH - 8}' y='{y + 4:.1f}' text-anchor='end'>{_text(node.sim_node)}</text>")
        parts += [
            f"<rect x='{x(v) - 3:.1f}' y='{y - 9:.1f}' width='6' height='6' fill='{_SIMULATED}'/>"
            for v in node.simulated_ms
        ]
        parts += [
            f"<circle cx='{x(v):.1f}' cy='{y + 5:.1f}' r='3.5' fill='{_MEASURED}' fill-opacity='0.7'/>"
            for v in node.measured_ms
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (an axis end)."""
    step = 10.0 ** math.floor(math.log10(value))
    return next(factor * step for factor in (1, 2, 5, 10) if factor * step >= value * (1 - 1e-12))


def write_page(report: FieldReport, out: Path, lang: Language | str | None = None) -> Path:
    """hil_report.html in ``out`` (written atomically)."""
    path = out / PAGE_FILE
    write_text(path, render_page(report, lang))
    return path


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _p95(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _table(headers: list[str], rows: Iterable[Sequence[str]], empty: str) -> str:
    rows = list(rows)
    if not rows:
        return f"<p class='quiet'>{_text(empty)}</p>"
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; line-height: 1.4; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }} .quiet {{ color: #666; }}
svg.strip text {{ font-size: 12px; fill: #333; }} svg.strip .grid {{ stroke: #ddd; }}
</style></head><body>
{body}
</body></html>
"""
