"""The drill report a person reads: one self-contained HTML file with plots embedded.

Built from a results folder (summary.json, nodes.csv, warned.csv,
reach_municipalities.csv, outages.csv, requests.csv), so ``lalert-sim report DIR``
works on any earlier run (the "first learned via" bars come from summary.json).
Plots are inlined as data: URIs (PNG for the screen, SVG for print): the page needs
no network. Every word on it comes from the message catalogues, in Japanese or English.
"""

from __future__ import annotations

import html
import importlib.util
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from lalert_sim.analysis.results import AlertSummary, ObjectiveResult, ResponsesSummary, RunSummary
from lalert_sim.atomic import write_text
from lalert_sim.errors import InvalidInput
from lalert_sim.i18n import Language, Messages, messages
from lalert_sim.report.columns import Columns
from lalert_sim.report.map import map_html
from lalert_sim.report.places import Places
from lalert_sim.report.plots import MEDIUM_COLOURS, curves, first_via, timeline
from lalert_sim.report.plotting import ImageFormat, data_uri, pyplot
from lalert_sim.report.story import story

__all__ = [
    "MEDIUM_COLOURS",
    "ImageFormat",
    "Progress",
    "build_report",
    "has_matplotlib",
    "progress_on_stderr",
    "read_summary",
    "render_page",
]

LATEST_SHOWN = 10
LOST_REASON = re.compile(r"^lost on (?P<link>\S+) \((?P<cause>[a-z_]+)(?:: (?P<detail>.*))?\) x(?P<count>\d+)$")
NO_UPSTREAM = "never sent: no upstream node had it"
LOAN_LINK = re.compile(r"^loan/(?P<equipment>[a-z_]+)/(?P<code>\d{5})$")  # topology/responses.py's loan links
CAUSES = {"link_down": "page.cause_link_down", "node_down": "page.cause_node_down", "loss": "page.cause_loss"}

Progress = Callable[[str], None]
"""Told each step of a report as it starts (reading, each alert's plots, writing), to show a person."""


@contextmanager
def progress_on_stderr(quiet: bool = False) -> Iterator[Progress]:
    """A spinner on stderr that shows the report's current step (nothing when quiet or not a terminal)."""
    if quiet:
        yield lambda step: None
        return
    from rich.console import Console

    with Console(stderr=True).status("report") as status:
        yield lambda step: status.update(step)


def has_matplotlib() -> bool:
    """Whether the report can be drawn here (matplotlib installed)."""
    return importlib.util.find_spec("matplotlib") is not None


def build_report(
    results: Path,
    scenario_text: str | None = None,
    lang: Language | str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``report.html`` into a results folder and return its path.

    ``scenario_text``: the scenario file, for its comments; by default read from the
    summary's source when that file is still there. ``lang``: ``en`` or ``ja``; by default
    the scenario's ``metadata.language``. ``progress``: told each step as it starts.
    """
    page = render_page(results, scenario_text, lang, "png", progress=progress)
    path = results / "report.html"
    write_text(path, page)
    return path


def read_summary(results: Path) -> RunSummary:
    """The run summary of a results folder; InvalidInput when the folder holds none."""
    summary_path = results / "summary.json"
    if not summary_path.is_file():
        raise InvalidInput(f"{results}: no summary.json here; run `lalert-sim run SCENARIO --out {results}` first")
    return RunSummary.from_json(summary_path.read_text(encoding="utf-8"), str(summary_path))


class _Page:
    """One page being written: the language, the run's files as columns and the place names."""

    def __init__(self, results: Path, summary: RunSummary, m: Messages, image_format: ImageFormat, tell: Progress):
        self.summary, self.m, self.image_format, self.tell = summary, m, image_format, tell
        tell(m("page.progress_reading"))
        self.nodes = Columns.read(results / "nodes.csv")
        self.warned = Columns.read(results / "warned.csv")
        self.municipalities = Columns.read(results / "reach_municipalities.csv")
        self.outages = Columns.read(results / "outages.csv")
        self.requests = Columns.read(results / "requests.csv")
        own = zip(self.municipalities["code"].tolist(), self.municipalities["name"].tolist(), strict=True)
        self.places = Places(own)
        self.plt = pyplot()

    def image(self, fig: object | None, plot: str, alert: str) -> str:
        if fig is None:
            return ""
        alt = html.escape(self.m("page.plot_alt", plot=plot, alert=alert))
        return f"<img class='plot' alt='{alt}' src='{data_uri(fig, self.image_format)}'>"

    def node_name(self, node_id: str, alert_nodes: Columns | None = None) -> str:
        area, channel = None, None
        if alert_nodes is not None:
            where = alert_nodes["node"] == node_id
            if where.any():
                area, channel = str(alert_nodes["area"][where][0]), str(alert_nodes["channel"][where][0])
        return self.places.node(node_id, area or None, channel or None, self.m)

    def alert(self, alert: AlertSummary) -> str:
        m, tell = self.m, self.tell
        nodes = self.nodes.of_alert(alert.id)
        origin = self.node_name(alert.origin, nodes)
        parts = [f"<section><h2>{_text(m('page.alert_heading', id=alert.id))}</h2>", self.facts(alert, origin)]
        tell(m("page.progress_step", alert=alert.id, step=m("page.timeline")))
        fig = timeline(self.plt, m, alert, origin, nodes, self.outages, self.requests)
        parts.append(_h3(m("page.timeline")) + self.image(fig, m("page.timeline"), alert.id))
        residents = alert.residents
        if residents is not None:
            tell(m("page.progress_step", alert=alert.id, step=m("page.residents_warned")))
            fig = curves(self.plt, m, alert.id, self.warned.of_alert(alert.id), residents.deadline_s)
            parts.append(_h3(m("page.residents_warned")) + self.image(fig, m("page.residents_warned"), alert.id))
            tell(m("page.progress_step", alert=alert.id, step=m("page.first_learned")))
            fig = first_via(self.plt, m, alert.id, residents)
            said = story(residents, m)
            parts.append(
                _h3(m("page.first_learned"))
                + (f"<p class='story'>{_text(said)}</p>" if said else "")
                + self.image(fig, m("page.first_learned"), alert.id)
            )
            tell(m("page.progress_step", alert=alert.id, step=m("page.map")))
            parts.append(_h3(m("page.map")) + map_html(alert.id, self.municipalities.rows(), m))
        parts.append(self.places_tables(alert, nodes))
        parts.append("</section>")
        return "".join(parts)

    def facts(self, alert: AlertSummary, origin: str) -> str:
        m = self.m
        separator = _separator(m)
        areas = separator.join(self.places.area(code) for code in alert.areas) or m("page.whole_country")
        clock = m.date_time(_epoch(self.summary) + timedelta(seconds=alert.issue_s))
        times = separator.join(
            m("page.share_by", share=share, time=m.seconds(value)) for share, value in alert.time_to_emitters_s.items()
        )
        lines = [
            m(
                "page.issued",
                system=m.term("system", alert.system),
                category=m.term("category", alert.category),
                mode=m.term("mode", alert.mode),
                areas=areas,
                clock=clock,
                after=m.seconds(alert.issue_s),
                origin=origin,
            ),
            m(
                "page.emitters_line",
                reached=m.count(alert.emitters_reached),
                expected=m.count(alert.emitters_expected),
                times=times,
            ),
        ]
        residents = alert.residents
        if residents is not None:
            ages = separator.join(
                m("page.group_share", group=m.term("cohort", band), share=m.percent(row.unwarned_at_deadline))
                for band, row in residents.by_age.items()
            )
            lines.append(
                m(
                    "page.residents_line",
                    residents=m.people(residents.residents),
                    deadline=m.seconds(residents.deadline_s),
                    share=m.percent(residents.unwarned_at_deadline),
                    ages=ages,
                    no_smartphone=m.percent(residents.by_smartphone.no_smartphone.unwarned_at_deadline),
                )
            )
        rows = [
            [
                m.term("channel", c),
                f"{m.count(r.reached)}/{m.count(r.expected)}",
                m.seconds(r.median_s, "—"),
                m.seconds(r.max_s, "—"),
            ]
            for c, r in alert.channels.items()
        ]
        headers = [m("page.channel"), m("page.reached"), m("page.median"), m("page.slowest")]
        return (
            "<ul>"
            + "".join(f"<li>{_text(line)}</li>" for line in lines)
            + "</ul>"
            + _table(headers, rows, m("page.no_emitters"))
        )

    def places_tables(self, alert: AlertSummary, nodes: Columns) -> str:
        m = self.m
        unreached = []
        for u in alert.unreached:
            name = self.places.node(u.node, u.area, u.channel, m)
            unreached.append([name, m.term("kind", u.kind), self.reason(u.reason, name)])
        emitted_s = nodes.floats("emitted_s")
        sounded = np.flatnonzero(~np.isnan(emitted_s))
        latest = sounded[np.argsort(-emitted_s[sounded], kind="stable")][:LATEST_SHOWN]
        late = [
            [
                self.places.node(str(nodes["node"][i]), str(nodes["area"][i]) or None, None, m),
                m.term("channel", str(nodes["channel"][i])),
                m.seconds(float(emitted_s[i])),
                m.term("medium", str(nodes["medium"][i])),
                str(nodes["hops"][i]),
            ]
            for i in latest
        ]
        worst = alert.residents.worst_municipalities if alert.residents is not None else ()
        worst_rows = [[w.name, m.people(w.population), m.percent(w.unwarned_at_deadline)] for w in worst]
        return (
            _h3(m("page.never_reached"))
            + _table([m("page.place"), m("page.kind"), m("page.why")], unreached, m("page.all_reached"))
            + _h3(m("page.latest_emitters"))
            + _table(
                [
                    m("page.place"),
                    m("page.channel"),
                    m("page.after_issue"),
                    m("page.arrived_over"),
                    m("page.hops"),
                ],
                late,
                m("page.none_emitted"),
            )
            + (
                _h3(m("page.worst_off"))
                + _table([m("page.municipality"), m("page.residents"), m("page.unwarned")], worst_rows, "")
                if worst_rows
                else ""
            )
        )

    def reason(self, reason: str, where: str) -> str:
        """Why a node was never reached (analysis/metrics.py's wording), with places named, not ids."""
        if reason == NO_UPSTREAM:
            return self.m("page.reason_no_upstream")
        return _separator(self.m).join(self.loss(part, where) for part in reason.split("; "))

    def loss(self, part: str, where: str) -> str:
        m = self.m
        lost = LOST_REASON.match(part)
        if lost is None:
            return part
        cause = m(CAUSES[lost["cause"]]) if lost["cause"] in CAUSES else lost["cause"]
        place = where if lost["link"] == "arrival" else self.places.node(lost["link"], None, None, m)
        if lost["detail"] is None:
            return m("page.reason_lost_plain", place=place, cause=cause, count=lost["count"])
        return m("page.reason_lost", place=place, cause=cause, detail=lost["detail"], count=lost["count"])

    def through(self, link: str) -> str:
        """The link an alert finally came over: a loaned unit by its equipment and town, else by its place."""
        loan = LOAN_LINK.match(link)
        if loan is None:
            return self.places.node(link, None, None, self.m)
        equipment = self.m.term("equipment", loan["equipment"])
        return self.m("page.through_loan", equipment=equipment, place=self.places.area(loan["code"]))

    def responses(self, responses: ResponsesSummary) -> str:
        m, place = self.m, self.places.area
        dash = "—"
        kinds = {"link": "page.outage_link", "node": "page.outage_node"}
        outages = [
            [m(kinds[o.component]) if o.component in kinds else o.component, o.cause, o.count]
            for o in responses.outages
        ]
        requests = [
            [
                place(r.municipality),
                m.term("equipment", r.equipment),
                m.seconds(r.cut_off_s, dash),
                m.seconds(r.wait_s, dash),
                r.depot,
                m.seconds(r.transport_s, dash),
                m.seconds(r.setup_s, dash),
                m.seconds(r.cut_off_for_s, dash),
            ]
            for r in responses.worst_cut_off
        ]
        pools = [[m.term("equipment", name), p.max_in_use, p.max_waiting] for name, p in responses.pools.items()]
        affected = [
            [
                a.alert,
                place(a.municipality),
                self.through(a.through) if a.through else m("page.never_arrived"),
                m.seconds(a.after_issue_s, dash),
            ]
            for a in responses.affected_alerts
        ]
        request_headers = [
            "municipality",
            "equipment",
            "cut_off_at",
            "wait",
            "depot",
            "transport",
            "setup",
            "cut_off_for",
        ]
        return (
            f"<section><h2>{_text(m('page.responses'))}</h2>"
            + _h3(m("page.what_went_down"))
            + _table([m("page.component"), m("page.cause"), m("page.count")], outages, m("page.nothing_down"))
            + _h3(m("page.longest_cut_off"))
            + _table([m(f"page.{h}") for h in request_headers], requests, m("page.no_requests"))
            + _h3(m("page.pools"))
            + _table([m("page.pool"), m("page.most_in_use"), m("page.most_waiting")], pools, m("page.no_pools"))
            + _h3(m("page.held_up"))
            + _table(
                [m("page.alert"), m("page.municipality"), m("page.reached_through"), m("page.after_issue")],
                affected,
                m("page.none"),
            )
            + "</section>"
        )


def render_page(
    results: Path,
    scenario_text: str | None,
    lang: Language | str | None,
    image_format: ImageFormat,
    progress: Progress | None = None,
) -> str:
    """The whole report page as HTML text, plots embedded as PNG (screen) or SVG (print, vectors)."""
    summary = read_summary(results)
    m = messages(lang or summary.scenario.language)
    source = Path(summary.scenario.source) if summary.scenario.source else None
    if scenario_text is None and source is not None and source.is_file():
        scenario_text = source.read_text(encoding="utf-8")
    tell = progress or (lambda step: None)
    page = _Page(results, summary, m, image_format, tell)
    sections = [_header(summary, scenario_text, m), _objectives(summary.objectives, m)]
    sections += [page.alert(alert) for alert in summary.alerts]
    if summary.responses is not None:
        sections.append(page.responses(summary.responses))
    tell(m("page.progress_writing"))
    return _PAGE.format(
        lang=m.lang.value,
        title=_text(m("page.page_title", name=summary.scenario.name)),
        body="\n".join(sections),
        footer=_text(m("page.footer")),
    )


def _separator(m: Messages) -> str:
    # Japanese lists take the ideographic comma.
    return "、" if m.lang is Language.JA else ", "


def _epoch(summary: RunSummary) -> datetime:
    return datetime.fromisoformat(summary.scenario.epoch)


def _header(summary: RunSummary, scenario_text: str | None, m: Messages) -> str:
    meta, topology = summary.scenario, summary.topology
    comment = ""
    if scenario_text:
        lines = [line[1:].strip() for line in scenario_text.splitlines() if line.startswith("#")]
        comment = (
            f"<details><summary>{_text(m('page.what_modelled'))}</summary><pre>"
            + html.escape("\n".join(lines))
            + "</pre></details>"
        )
    line = m(
        "page.meta",
        source=meta.source or "",
        seed=meta.seed,
        epoch=m.date_time(_epoch(summary)),
        nodes=m.count(topology.nodes),
        links=m.count(topology.links),
        emitters=m.count(topology.emitters),
    )
    return (
        f"<header><h1>{_text(meta.name)}</h1><p>{_text(meta.description)}</p>"
        f"<p class='quiet'>{_text(line)}</p>{comment}</header>"
    )


def _objectives(objectives: tuple[ObjectiveResult, ...], m: Messages) -> str:
    rows = [
        [
            o.name,
            o.alert,
            m("page.selection", selection=o.selection, nodes=m.count(o.nodes)),
            m("page.target_within", share=m.percent(o.target_fraction), time=m.seconds(o.within_s)),
            m.percent(o.achieved_fraction),
            _Badge(o.met, m("page.met") if o.met else m("page.not_met")),
        ]
        for o in objectives
    ]
    headers = ["objective", "alert", "nodes", "target", "achieved", "result"]
    return (
        f"<section><h2>{_text(m('page.objectives'))}</h2>"
        + _table([m(f"page.{h}") for h in headers], rows, m("page.no_objectives"))
        + "</section>"
    )


class _Badge:
    """A met / not met mark: a coloured badge in a table cell."""

    def __init__(self, met: bool, text: str) -> None:
        self.met, self.text = met, text

    def html(self) -> str:
        return f"<span class='badge {'met' if self.met else 'not-met'}'>{_text(self.text)}</span>"


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _h3(title: str) -> str:
    return f"<h3>{_text(title)}</h3>"


def _cell(value: object) -> str:
    return value.html() if isinstance(value, _Badge) else _text(str(value))


def _table(headers: list[str], rows: Iterable[Sequence[object]], empty: str) -> str:
    rows = list(rows)
    if not rows:
        return f"<p class='quiet'>{_text(empty)}</p>" if empty else ""
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; line-height: 1.4; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 2px solid #ccc; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }} .quiet {{ color: #666; }} img.plot {{ max-width: 100%; display: block; margin: 0.5em 0; }}
pre {{ white-space: pre-wrap; background: #f8f8f8; padding: 0.6em; }}
.badge {{ display: inline-block; padding: 0.05em 0.6em; border-radius: 0.8em; font-weight: bold; color: #fff; }}
.badge.met {{ background: #1a7f37; }} .badge.not-met {{ background: #c62828; }}
.story {{ font-size: 1.1em; border-left: 4px solid #888; padding: 0.3em 0.8em; background: #f6f6f6; }}
</style></head><body>
{body}
<footer class="quiet"><p>{footer}</p></footer>
</body></html>
"""
