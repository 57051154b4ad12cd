"""The drill report a person reads: one self-contained HTML file with plots embedded.

Built from a results folder (summary.json, nodes.csv, warned.csv,
reach_municipalities.csv, outages.csv, requests.csv), so ``lalert-sim report DIR``
works on any earlier run (the "first learned via" bars come from summary.json).
Plots are matplotlib PNGs inlined as base64: the page needs no network.
"""

from __future__ import annotations

import csv
import html
import importlib.util
from pathlib import Path
from typing import Any, Literal

from lalert_sim.analysis.results import AlertSummary, ObjectiveResult, ResidentsReach, ResponsesSummary, RunSummary
from lalert_sim.atomic import write_text
from lalert_sim.errors import InvalidInput
from lalert_sim.i18n import Language, messages
from lalert_sim.model.media import Medium
from lalert_sim.reach.parameters import AGE_BANDS
from lalert_sim.report.format import NOT_YET, percent, seconds
from lalert_sim.report.map import map_html
from lalert_sim.report.plotting import png, pyplot

MEDIUM_COLOURS: dict[Medium, str] = {
    Medium.SATELLITE_GEO: "#1f77b4",
    Medium.SATELLITE_LEO: "#17becf",
    Medium.TERRESTRIAL_GOV: "#2ca02c",
    Medium.FIBRE: "#7f7f7f",
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
ORIGIN_COLOUR = "#333333"  # the origin node: no medium brought it the alert
WORST_SHOWN = 5
LATEST_SHOWN = 10


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _seconds(value: float | None) -> str:
    return seconds(value, NOT_YET)


def _colour(medium: str) -> str:
    """The colour of a medium named in nodes.csv (empty for the origin)."""
    return MEDIUM_COLOURS[Medium(medium)] if medium else ORIGIN_COLOUR


def _timeline(
    plt: Any,
    alert: AlertSummary,
    nodes: list[dict[str, str]],
    outages: list[dict[str, str]],
    requests: list[dict[str, str]],
) -> str:
    """Each reached node at its first receipt (after issue), coloured by the medium that brought it."""
    mine = [r for r in nodes if r["alert"] == alert.id and r["first_receipt_s"]]
    rows = sorted(((float(r["first_receipt_s"]), r) for r in mine), key=lambda pair: pair[0])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for rank, (time, row) in enumerate(rows):
        ax.scatter(time, rank, s=8, color=_colour(row["medium"]))
        if row["emitted_s"]:
            ax.scatter(float(row["emitted_s"]), rank, s=14, marker="x", color="black", linewidths=0.6)
    issue = alert.issue_s
    for outage in outages:
        if outage["event"] == "down" and outage["cause"] != "dormant":
            ax.axvline(float(outage["time_s"]) - issue, color="#d62728", alpha=0.15, linewidth=1)
    for request in requests:
        if request["active_s"]:
            ax.axvline(float(request["active_s"]) - issue, color="#2ca02c", alpha=0.5, linewidth=1, linestyle="--")
    ax.set_xlabel("seconds after issue (x: emitted; red: component went down; green dashes: loaned unit set up)")
    ax.set_ylabel("nodes, in order of first receipt")
    times = [t for t, _ in rows] + [float(r["emitted_s"]) for _, r in rows if r["emitted_s"]]
    if len(rows) > 2:
        # A long first step (a decision, a person typing) would squash the fan-out: start just before it.
        start, end = rows[1][0], max(times)
        margin = 0.05 * max(end - start, 1.0)
        ax.set_xlim(start - margin, end + margin)
        if rows[0][0] < start - margin:
            ax.text(
                0.01,
                0.97,
                f"origin at {_seconds(rows[0][0])} (left of the scale)",
                transform=ax.transAxes,
                fontsize=7,
                va="top",
            )
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=c, label=m.value)
        for m, c in MEDIUM_COLOURS.items()
        if any(r["medium"] == m for _, r in rows)
    ]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="lower right", title="arrived over", title_fontsize=7)
    ax.set_title(f"{alert.id}: from {alert.origin} to the last emitter")
    return png(fig)


def _curves(plt: Any, alert_id: str, warned: list[dict[str, str]], deadline_s: float) -> str | None:
    rows = [r for r in warned if r["alert"] == alert_id]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.8))
    times = [float(r["time_s"]) for r in rows]
    for column, label, style in [
        ("overall", "everyone", "-"),
        ("age_under_60", "under 60", "--"),
        ("age_60s", "60s", "--"),
        ("age_70_plus", "70 and over", "--"),
        ("no_smartphone", "no smartphone", ":"),
    ]:
        ax.plot(
            times,
            [100 * float(r[column]) for r in rows],
            style,
            label=label,
            linewidth=2 if column == "overall" else 1.2,
        )
    ax.axvline(deadline_s, color="black", linewidth=0.8)
    ax.text(deadline_s, 2, " deadline", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_xlabel("seconds after issue")
    ax.set_ylabel("residents warned (%)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{alert_id}: expected share of residents warned")
    return png(fig)


def _first_via(plt: Any, alert_id: str, residents: ResidentsReach) -> str | None:
    """Stacked bars by age band: the share first warned through each channel at the deadline, and the unwarned."""
    groups = [g for g in ("overall", *AGE_BANDS) if g in residents.channel_shares]
    channels = sorted(
        {c for g in groups for c in residents.channel_shares[g].first_via},
        key=lambda c: -residents.channel_shares["overall"].first_via.get(c, 0.0),
    )
    if not groups or not channels:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.8))
    labels = ["everyone" if g == "overall" else g.replace("_", " ") for g in groups]
    bottom = [0.0] * len(groups)
    colours = plt.get_cmap("tab20")
    for i, channel in enumerate(channels):
        heights = [100 * residents.channel_shares[g].first_via.get(channel, 0.0) for g in groups]
        ax.bar(labels, heights, bottom=bottom, label=channel.replace("_", " "), color=colours(i % 20))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.bar(labels, [100 - b for b in bottom], bottom=bottom, label="not warned", color="#dddddd")
    ax.set_ylim(0, 100)
    ax.set_ylabel("residents (%)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), title="first learned via", title_fontsize=7)
    ax.set_title(f"{alert_id}: first learned via, by age band, {_seconds(residents.deadline_s)} after issue")
    fig.tight_layout()
    return png(fig)


def _table(headers: list[str], rows: list[list[object]], empty: str) -> str:
    if not rows:
        return f"<p class='quiet'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(data: str | None, alt: str) -> str:
    return "" if data is None else f"<img class='plot' alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


ImageFormat = Literal["png", "svg"]


def has_matplotlib() -> bool:
    """Whether the report can be drawn here (matplotlib installed)."""
    return importlib.util.find_spec("matplotlib") is not None


def build_report(results: Path, scenario_text: str | None = None, lang: Language | str | None = None) -> Path:
    """Write ``report.html`` into a results folder and return its path.

    ``scenario_text``: the scenario file, for its comments; by default read from the
    summary's source when that file is still there. ``lang``: ``en`` or ``ja``; by default
    the scenario's ``metadata.language``.
    """
    page = render_page(results, scenario_text, lang, "png")
    path = results / "report.html"
    write_text(path, page)
    return path


def read_summary(results: Path) -> RunSummary:
    """The run summary of a results folder; InvalidInput when the folder holds none."""
    summary_path = results / "summary.json"
    if not summary_path.is_file():
        raise InvalidInput(f"{results}: no summary.json here; run `lalert-sim run SCENARIO --out {results}` first")
    return RunSummary.from_json(summary_path.read_text(encoding="utf-8"), str(summary_path))


def render_page(
    results: Path, scenario_text: str | None, lang: Language | str | None, image_format: ImageFormat
) -> str:
    """The whole report page as HTML text, plots embedded as PNG (screen) or SVG (print, vectors)."""
    summary = read_summary(results)
    m = messages(lang or summary.scenario.language)
    source = Path(summary.scenario.source) if summary.scenario.source else None
    if scenario_text is None and source is not None and source.is_file():
        scenario_text = source.read_text(encoding="utf-8")
    nodes = _read_csv(results / "nodes.csv")
    warned = _read_csv(results / "warned.csv")
    municipalities = _read_csv(results / "reach_municipalities.csv")
    outages = _read_csv(results / "outages.csv")
    requests = _read_csv(results / "requests.csv")
    plt = pyplot()
    sections = [_header(summary, scenario_text), _objectives(summary.objectives)]
    for alert in summary.alerts:
        sections.append(f"<section><h2>Alert {html.escape(alert.id)}</h2>")
        sections.append(_alert_facts(alert))
        sections.append("<h3>Timeline</h3>" + _image(_timeline(plt, alert, nodes, outages, requests), "timeline"))
        if alert.residents is not None:
            curves = _curves(plt, alert.id, warned, alert.residents.deadline_s)
            sections.append("<h3>Residents warned</h3>" + _image(curves, "warned curves"))
            learned = _first_via(plt, alert.id, alert.residents)
            sections.append("<h3>First learned via</h3>" + _image(learned, "first learned via, by age band"))
            sections.append("<h3>Map</h3>" + map_html(alert.id, municipalities, m))
        sections.append(_places(alert, nodes))
        sections.append("</section>")
    if summary.responses is not None:
        sections.append(_responses(summary.responses))
    return _PAGE.format(title=html.escape(summary.scenario.name), body="\n".join(sections))


def _header(summary: RunSummary, scenario_text: str | None) -> str:
    meta, topology = summary.scenario, summary.topology
    comment = ""
    if scenario_text:
        lines = [line[1:].strip() for line in scenario_text.splitlines() if line.startswith("#")]
        comment = (
            "<details><summary>What the scenario models</summary><pre>"
            + html.escape("\n".join(lines))
            + "</pre></details>"
        )
    return (
        f"<header><h1>{html.escape(meta.name)}</h1><p>{html.escape(meta.description)}</p>"
        f"<p class='quiet'>scenario {html.escape(meta.source or '')} · seed {meta.seed} · "
        f"epoch {html.escape(meta.epoch)} · {topology.nodes} nodes, {topology.links} links, "
        f"{topology.emitters} emitters</p>{comment}</header>"
    )


def _objectives(objectives: tuple[ObjectiveResult, ...]) -> str:
    rows: list[list[object]] = [
        [
            o.name,
            o.alert,
            o.selection,
            f"{o.target_fraction:.0%} within {_seconds(o.within_s)}",
            percent(o.achieved_fraction),
            "met" if o.met else "NOT met",
        ]
        for o in objectives
    ]
    return (
        "<section><h2>Objectives</h2>"
        + _table(["objective", "alert", "nodes", "target", "achieved", ""], rows, "No objectives in this scenario.")
        + "</section>"
    )


def _alert_facts(alert: AlertSummary) -> str:
    times = ", ".join(f"{k}: {_seconds(v)}" for k, v in alert.time_to_emitters_s.items())
    residents = alert.residents
    lines = [
        f"{alert.system} · {alert.category} · {alert.mode} · to "
        f"{', '.join(alert.areas) or 'the whole country'} · issued {_seconds(alert.issue_s)} after "
        f"the epoch at {alert.origin}",
        f"emitters reached {alert.emitters_reached}/{alert.emitters_expected}; time to {times}",
    ]
    if residents is not None:
        ages = ", ".join(f"{band} {percent(row.unwarned_at_deadline)}" for band, row in residents.by_age.items())
        lines.append(
            f"residents {residents.residents:,}: unwarned after {_seconds(residents.deadline_s)}: "
            f"{percent(residents.unwarned_at_deadline)} (by age: {ages}; without smartphone "
            f"{percent(residents.by_smartphone.no_smartphone.unwarned_at_deadline)})"
        )
    channel_rows: list[list[object]] = [
        [c, f"{r.reached}/{r.expected}", _seconds(r.median_s), _seconds(r.max_s)] for c, r in alert.channels.items()
    ]
    return (
        "<ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        + "</ul>"
        + _table(["channel", "reached", "median", "slowest"], channel_rows, "No emitters concerned.")
    )


def _places(alert: AlertSummary, nodes: list[dict[str, str]]) -> str:
    unreached: list[list[object]] = [[u.node, u.kind, u.channel or "", u.area or "", u.reason] for u in alert.unreached]
    emitted = sorted(
        ((float(r["emitted_s"]), r) for r in nodes if r["alert"] == alert.id and r["emitted_s"]),
        key=lambda pair: -pair[0],
    )[:LATEST_SHOWN]
    late: list[list[object]] = [[r["node"], r["channel"], _seconds(t), r["via_link"], r["hops"]] for t, r in emitted]
    worst_rows: list[list[object]] = [
        [w.name, w.code, f"{w.population:,}", percent(w.unwarned_at_deadline)]
        for w in (alert.residents.worst_municipalities if alert.residents is not None else ())
    ]
    return (
        "<h3>Never reached (failed paths)</h3>"
        + _table(["node", "kind", "channel", "area", "why"], unreached, "Every expected node was reached.")
        + "<h3>Latest emitters</h3>"
        + _table(["emitter", "channel", "after issue", "last link", "hops"], late, "No emitter emitted.")
        + (
            "<h3>Municipalities worst off</h3>"
            + _table(["municipality", "code", "residents", "unwarned"], worst_rows, "")
            if worst_rows
            else ""
        )
    )


def _responses(responses: ResponsesSummary) -> str:
    outages: list[list[object]] = [[o.component, o.cause, o.count] for o in responses.outages]
    requests: list[list[object]] = [
        [
            r.municipality,
            r.equipment,
            _seconds(r.cut_off_s),
            _seconds(r.wait_s),
            r.depot,
            _seconds(r.transport_s),
            _seconds(r.setup_s),
            _seconds(r.cut_off_for_s),
        ]
        for r in responses.worst_cut_off
    ]
    pools: list[list[object]] = [[name, p.max_in_use, p.max_waiting] for name, p in responses.pools.items()]
    affected: list[list[object]] = [
        [a.alert, a.municipality, a.through or "never arrived", _seconds(a.after_issue_s)]
        for a in responses.affected_alerts
    ]
    return (
        "<section><h2>Incidents and responses</h2><h3>What went down</h3>"
        + _table(["component", "cause", "count"], outages, "Nothing went down.")
        + "<h3>Longest cut off</h3>"
        + _table(
            ["municipality", "equipment", "cut off at", "wait", "depot", "transport", "set-up", "cut off for"],
            requests,
            "No requests.",
        )
        + "<h3>Pools</h3>"
        + _table(["pool", "most in use", "most waiting"], pools, "No pools used.")
        + "<h3>Alerts held up by cut-offs</h3>"
        + _table(["alert", "municipality", "reached through", "after issue"], affected, "None.")
        + "</section>"
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; line-height: 1.4; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 2px solid #ccc; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }} .quiet {{ color: #666; }} img.plot {{ max-width: 100%; display: block; margin: 0.5em 0; }}
pre {{ white-space: pre-wrap; background: #f8f8f8; padding: 0.6em; }}
</style></head><body>
{body}
<footer class="quiet"><p>lalert-sim drill report. A simulation: it measures warning, not evacuation.</p></footer>
</body></html>
"""
