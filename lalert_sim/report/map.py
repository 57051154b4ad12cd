"""The map of a report: municipalities by the share of residents still unwarned at the deadline."""

from __future__ import annotations

import math
from typing import Any

from lalert_sim.i18n import Messages
from lalert_sim.report.plotting import png, pyplot
from lalert_sim.topology.reference import MunicipalityTable

WORST_SHOWN = 5


def map_html(alert_id: str, municipalities: list[dict[str, str]], m: Messages) -> str:
    """The map section's HTML for one alert (empty when no municipality of it can be placed)."""
    data = _map(pyplot(), alert_id, municipalities)
    return "" if data is None else f"<img class='plot' alt='map' src='data:image/png;base64,{data}'>"


def _map(plt: Any, alert_id: str, municipalities: list[dict[str, str]]) -> str | None:
    rows = [r for r in municipalities if r["alert"] == alert_id]
    table = MunicipalityTable.reference()
    points = [(table[r["code"]], r) for r in rows if r["code"] in table]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    values = [100 * float(r["unwarned_at_deadline"]) for _, r in points]
    sizes = [max(6.0, min(120.0, math.sqrt(int(r["population"])) / 8)) for _, r in points]
    scatter = ax.scatter(
        [m.lon for m, _ in points],
        [m.lat for m, _ in points],
        c=values,
        s=sizes,
        cmap="RdYlGn_r",
        vmin=0,
        vmax=100,
        edgecolors="black",
        linewidths=0.2,
    )
    fig.colorbar(scatter, ax=ax, label="unwarned at the deadline (%)", shrink=0.8)
    worst = sorted(points, key=lambda p: -float(p[1]["unwarned_at_deadline"]))[:WORST_SHOWN]
    for m, _ in worst:
        ax.annotate(m.name, (m.lon, m.lat), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_aspect(1 / math.cos(math.radians(sum(m.lat for m, _ in points) / len(points))))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{alert_id}: municipalities by share unwarned (size: population)")
    return png(fig)
