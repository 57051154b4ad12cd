"""The report's figures: the timeline, the warned curves and the first-learned-via bars.

Each figure is drawn with one call per series over numpy columns (a nationwide run has
some 14,000 nodes), with one colour per meaning: a colour never stands for two things.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lalert_sim.analysis.results import AlertSummary, ResidentsReach
from lalert_sim.i18n import Messages
from lalert_sim.model.media import Medium
from lalert_sim.reach.model import ATTRIBUTED
from lalert_sim.reach.parameters import AGE_BANDS
from lalert_sim.report.columns import Columns

MEDIUM_COLOURS: dict[Medium, str] = {
    Medium.SATELLITE_GEO: "#1f77b4",
    Medium.SATELLITE_LEO: "#17becf",
    Medium.TERRESTRIAL_GOV: "#2ca02c",
    Medium.FIBRE: "#98df8a",
    Medium.MUNICIPAL_DISASTER_RADIO: "#d62728",
    Medium.CELL_BROADCAST: "#9467bd",
    Medium.INTERNET: "#ff7f0e",
    Medium.BROADCAST: "#8c564b",
    Medium.MANUAL_RELAY: "#e377c2",
    Medium.MCA: "#bcbd22",
    Medium.PREFECTURE_DISASTER_RADIO: "#aec7e8",
    Medium.LG_SATELLITE: "#393b79",
    Medium.CENTRAL_DISASTER_RADIO: "#637939",
    Medium.FDMA_PREFECTURE_RADIO: "#8c6d31",
    Medium.PUBLIC_SAFETY_MOBILE: "#7b4173",
}
"""The timeline's dot colour for the medium that brought a node its first copy."""

CHANNEL_COLOURS: dict[str, str] = {
    "outdoor_loudspeaker": "#e6550d",
    "indoor_receiver": "#ffbb78",
    "cell_broadcast": "#756bb1",
    "tv": "#3182bd",
    "radio": "#9edae5",
    "community_fm": "#31a354",
    "portal": "#bd9e39",
    "app": "#c5b0d5",
    "signage": "#f7b6d2",
    "door_to_door": "#843c39",
    "registered_mail": "#8ca252",
    "word_of_mouth": "#a55194",
}
"""The first-learned-via bars' colour for each channel residents learn through (``ATTRIBUTED``)."""

COHORT_COLOURS: dict[str, str] = {
    "overall": "#1b1b1b",
    "age_under_60": "#6baed6",
    "age_60s": "#fd8d3c",
    "age_70_plus": "#a50f15",
    "no_smartphone": "#54278f",
}
"""The warned curves' colour for each group of residents (warned.csv's columns)."""

ORIGIN_COLOUR = "#e6ab02"  # the origin node (a star): no medium brought it the alert
EMITTED_COLOUR = "#000000"  # an emitter putting the alert in front of residents (a cross)
OUTAGE_COLOUR = "#737373"  # a component going down (dotted line, ▼ at the top)
SETUP_COLOUR = "#00897b"  # a loaned unit set up (dash-dot line, ▲ at the bottom)
NOT_WARNED_COLOUR = "#dddddd"  # residents not warned by the deadline
DEADLINE_COLOUR = "#4d4d4d"  # the deadline on the warned curves

CURVES: tuple[tuple[str, str, str], ...] = (
    ("overall", "overall", "-"),
    *((f"age_{band}", band, "--") for band in AGE_BANDS),
    ("no_smartphone", "no_smartphone", ":"),
)
"""warned.csv's column, its cohort word and line style, per curve drawn."""


def meaning_colours() -> dict[str, str]:
    """Every colour the figures use and what it means (a test checks no colour has two meanings)."""
    return {
        **{f"medium.{m.value}": c for m, c in MEDIUM_COLOURS.items()},
        **{f"channel.{name}": c for name, c in CHANNEL_COLOURS.items()},
        **{f"cohort.{name}": c for name, c in COHORT_COLOURS.items()},
        "origin": ORIGIN_COLOUR,
        "emitted": EMITTED_COLOUR,
        "outage": OUTAGE_COLOUR,
        "setup": SETUP_COLOUR,
        "not_warned": NOT_WARNED_COLOUR,
        "deadline": DEADLINE_COLOUR,
    }


def timeline(
    plt: Any, m: Messages, alert: AlertSummary, origin: str, nodes: Columns, outages: Columns, requests: Columns
) -> Any:
    """Each reached node of one alert at its first receipt, coloured by the medium that brought it;
    emissions, outages and loaned units' set-up marked. ``nodes`` holds the alert's rows only."""
    times = nodes.floats("first_receipt_s")
    reached = ~np.isnan(times)
    order = np.argsort(times[reached], kind="stable")
    times = times[reached][order]
    medium = nodes["medium"][reached][order]
    emitted = nodes.floats("emitted_s")[reached][order]
    rank = np.arange(len(times))
    fig, ax = plt.subplots(figsize=(9, 4.6))
    media = []
    for each, colour in MEDIUM_COLOURS.items():
        mine = medium == each.value
        if mine.any():
            ax.scatter(times[mine], rank[mine], s=8, color=colour, linewidths=0)
            media.append(plt.Line2D([], [], marker="o", linestyle="", color=colour, label=m.term("medium", each.value)))
    markers = [plt.Line2D([], [], marker="o", linestyle="", color="#aaaaaa", label=m("page.marker_received"))]
    first = medium == ""
    if first.any():
        ax.scatter(times[first], rank[first], s=70, marker="*", color=ORIGIN_COLOUR, zorder=3)
        markers.append(_marker(plt, "*", ORIGIN_COLOUR, m("page.marker_origin")))
    sounding = ~np.isnan(emitted)
    if sounding.any():
        ax.scatter(emitted[sounding], rank[sounding], s=14, marker="x", color=EMITTED_COLOUR, linewidths=0.6)
        markers.append(_marker(plt, "x", EMITTED_COLOUR, m("page.marker_emitted")))
    low, high = _time_window(times, emitted[sounding])
    ax.set_xlim(low, high)
    ax.set_ylim(-0.02 * max(len(rank), 1), 1.02 * max(len(rank), 1))
    down = (outages["event"] == "down") & (outages["cause"] != "dormant")
    down_s = outages.floats("time_s")[down] - alert.issue_s if len(outages) else np.array([])
    if _events(ax, down_s, low, high, OUTAGE_COLOUR, ":", "v", 1.0):
        markers.append(_marker(plt, "v", OUTAGE_COLOUR, m("page.marker_down"), ":"))
    set_up_s = requests.floats("active_s") - alert.issue_s if len(requests) else np.array([])
    if _events(ax, set_up_s[~np.isnan(set_up_s)], low, high, SETUP_COLOUR, "-.", "^", 0.0):
        markers.append(_marker(plt, "^", SETUP_COLOUR, m("page.marker_setup"), "-."))
    if len(times) > 2 and times[0] < low:
        ax.text(
            0.99,
            0.02,
            m("page.origin_left", time=m.seconds(float(times[0]))),
            transform=ax.transAxes,
            fontsize=7,
            ha="right",
        )
    time_axis(ax, high - low, m)
    ax.set_ylabel(m("page.nodes_in_order"))
    ax.set_title(m("page.timeline_title", alert=alert.id, origin=origin))
    if media:
        ax.add_artist(legend_outside(ax, media, m("page.legend_media"), top=True))
    legend_outside(ax, markers, m("page.legend_markers"), top=False)
    return fig


def legend_outside(ax: Any, handles: list[Any] | None, title: str, top: bool = True) -> Any:
    """A legend right of the plot, at its top or bottom, so it never covers the data (None: the axes' own)."""
    anchor = (1.01, 1.0) if top else (1.01, 0.0)
    given = {} if handles is None else {"handles": handles}
    return ax.legend(
        **given,
        fontsize=7,
        loc="upper left" if top else "lower left",
        bbox_to_anchor=anchor,
        title=title,
        title_fontsize=7,
    )


TIME_UNITS: tuple[tuple[float, float, str], ...] = (
    (7200.0, 3600.0, "page.time_after_issue_h"),
    (1200.0, 60.0, "page.time_after_issue_min"),
    (0.0, 1.0, "page.time_after_issue_s"),
)
"""(shortest span, seconds per unit, axis title): hours past two hours, minutes past twenty minutes."""


def time_axis(ax: Any, span_s: float, m: Messages) -> None:
    """Label a time axis (data in seconds after issue) in the unit that suits its span, ticks on round figures."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    per_unit, title = next((size, key) for longest, size, key in TIME_UNITS if span_s >= longest)
    ax.set_xlabel(m(title))
    if per_unit > 1:
        step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 240) if span_s / per_unit / s <= 8)
        ax.xaxis.set_major_locator(MultipleLocator(step * per_unit))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / per_unit:g}"))


def _marker(plt: Any, marker: str, colour: str, label: str, linestyle: str = "") -> Any:
    return plt.Line2D([], [], marker=marker, linestyle=linestyle, color=colour, label=label)


def _time_window(times: np.ndarray, emitted: np.ndarray) -> tuple[float, float]:
    """The timeline's x range: from just before the second receipt (a long first step, a decision
    or a person typing, would squash the fan-out) to the last receipt or emission."""
    if len(times) == 0:
        return 0.0, 1.0
    end = float(max(times.max(), emitted.max() if len(emitted) else times.max()))
    start = float(times[1]) if len(times) > 2 else float(times[0])
    margin = 0.05 * max(end - start, 1.0)
    return start - margin, end + margin


def _events(ax: Any, at_s: np.ndarray, low: float, high: float, colour: str, style: str, marker: str, y: float) -> bool:
    """Vertical lines at the times in the window, with a marker at the top (y 1) or bottom (y 0)."""
    shown = at_s[(at_s >= low) & (at_s <= high)]
    if len(shown) == 0:
        return False
    ax.vlines(shown, 0, 1, transform=ax.get_xaxis_transform(), colors=colour, linestyles=style, linewidth=1)
    ax.scatter(
        shown,
        np.full(len(shown), y),
        transform=ax.get_xaxis_transform(),
        marker=marker,
        s=30,
        color=colour,
        clip_on=False,
        zorder=4,
    )
    return True


def curves(plt: Any, m: Messages, alert_id: str, warned: Columns, deadline_s: float) -> Any | None:
    """The expected share of residents warned over time, overall, by age band and without a smartphone:
    the first minutes (where the curve rises) beside the whole run, the deadline marked on both."""
    if len(warned) == 0:
        return None
    times = warned.floats("time_s")
    shares = {column: 100 * warned.floats(column) for column, _, _ in CURVES}
    fig, (zoom, whole) = plt.subplots(1, 2, figsize=(10, 3.9), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    for ax, window, title in (
        (zoom, rise_window(times, shares["overall"], deadline_s), m("page.first_minutes")),
        (whole, (0.0, float(times.max())), m("page.whole_run")),
    ):
        for column, cohort, style in CURVES:
            ax.plot(
                times,
                shares[column],
                style,
                color=COHORT_COLOURS[column],
                label=m.term("cohort", cohort),
                linewidth=2 if column == "overall" else 1.2,
            )
        ax.set_xlim(*window)
        if window[0] <= deadline_s <= window[1]:
            ax.axvline(deadline_s, color=DEADLINE_COLOUR, linewidth=1)
            label = m("page.deadline", time=m.seconds(deadline_s))
            right = deadline_s > (window[0] + window[1]) / 2  # the label on the side with room
            ax.text(
                deadline_s,
                98,
                f" {label} ",
                fontsize=8,
                color=DEADLINE_COLOUR,
                ha="right" if right else "left",
                va="top",
            )
        ax.set_title(title, fontsize=9)
        time_axis(ax, window[1] - window[0], m)
        ax.grid(alpha=0.3)
    zoom.set_ylim(0, 100)
    zoom.set_ylabel(m("page.warned_percent"))
    whole.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(m("page.curves_title", alert=alert_id), fontsize=11)
    return fig


def rise_window(times: np.ndarray, overall: np.ndarray, deadline_s: float) -> tuple[float, float]:
    """The first minutes: from just before anyone is warned until the curve has done most of its rise
    (90 % of its final level), half as long again, and at least to the deadline when that is near."""
    final = float(overall.max()) if len(overall) else 0.0
    if final <= 0:
        return 0.0, float(min(times.max(), max(deadline_s, 60.0)))
    first = int(np.argmax(overall > 0))
    onset = float(times[max(first - 1, 0)])  # the last moment nobody was warned yet
    risen = float(times[np.argmax(overall >= 0.9 * final)])
    start = max(0.0, onset - 0.1 * max(risen - onset, 10.0))
    end = max(onset + 1.5 * max(risen - onset, 20.0), deadline_s if deadline_s < 2 * risen else 0.0)
    return start, float(min(end, times.max()))


def channel_order(residents: ResidentsReach) -> list[str]:
    """The channels anyone first learned through, most residents first (the terminal's order)."""
    overall = residents.channel_shares.get("overall")
    found = {c for shares in residents.channel_shares.values() for c in shares.first_via}
    known = [c for c in ATTRIBUTED if c in found] + sorted(found - set(ATTRIBUTED))
    return sorted(known, key=lambda c: -(overall.first_via.get(c, 0.0) if overall else 0.0))


def first_via(plt: Any, m: Messages, alert_id: str, residents: ResidentsReach) -> Any | None:
    """Stacked bars per group (everyone, each age band): the share first warned through each channel
    by the deadline, and the share not warned."""
    groups = [g for g in ("overall", *AGE_BANDS) if g in residents.channel_shares]
    channels = channel_order(residents)
    if not groups or not channels:
        return None
    shares = np.array([[residents.channel_shares[g].first_via.get(c, 0.0) for g in groups] for c in channels])
    heights = 100 * shares
    bottoms = np.vstack([np.zeros(len(groups)), np.cumsum(heights, axis=0)[:-1]])
    labels = [m.term("cohort", g) for g in groups]
    fig, ax = plt.subplots(figsize=(9, 3.9))
    for channel, height, bottom in zip(channels, heights, bottoms, strict=True):
        ax.bar(
            labels,
            height,
            bottom=bottom,
            label=m.term("channel", channel),
            color=CHANNEL_COLOURS.get(channel, "#bbbbbb"),
        )
    warned = heights.sum(axis=0)
    ax.bar(labels, 100 - warned, bottom=warned, label=m("page.not_warned"), color=NOT_WARNED_COLOUR)
    ax.set_ylim(0, 100)
    ax.set_ylabel(m("page.residents_percent"))
    ax.set_xlabel(m("page.age_band"))
    legend_outside(ax, None, m("page.first_learned"))
    ax.set_title(m("page.first_via_title", alert=alert_id, time=m.seconds(residents.deadline_s)))
    return fig
