"""The terminal views (rich): one run's summary, a sweep's statistics, a comparison of plans.

Every word comes from the ``terminal`` and ``kpi`` catalogues, in Japanese or English; lines are
built from phrases, packed so that a line breaks between phrases (at `` · ``), never within one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lalert_sim.analysis.results import (
    AlertSummary,
    CorrectionTimes,
    ObjectiveResult,
    ResidentsReach,
    ResponsesSummary,
    RunSummary,
    Silence,
    Unreached,
)
from lalert_sim.i18n import Language, Messages, messages
from lalert_sim.i18n.lines import CONTINUED, pack_phrases
from lalert_sim.montecarlo.statistics import Description, PairedDifference
from lalert_sim.report.format import NOT_YET, number
from lalert_sim.report.kpi_labels import kpi_label, row_labels
from lalert_sim.topology.reference import MunicipalityTable

UNREACHED_SHOWN = 10
WORST_SHOWN = 5
SHOWN_KPIS = 14
SEPARATOR = " · "
"""Between the phrases of a line: where a long line breaks."""
FIRST_VIA_GROUPS = {
    "overall": "terminal.group_overall",
    "under_60": "terminal.group_under_60",
    "60s": "terminal.group_60s",
    "70_plus": "terminal.group_70_plus",
    "no_smartphone": "terminal.group_no_smartphone",
}
"""The groups of the first-via table and their short column headers."""
NATIONAL_NODES = {
    "jalert/centre": "terminal.node_jalert_centre",
    "jma/eew": "terminal.node_jma_eew",
    "lalert/hub": "terminal.node_lalert_hub",
    "nhk/newsroom": "terminal.node_nhk_newsroom",
    "nhk/tv": "terminal.node_nhk_tv",
    "nhk/radio": "terminal.node_nhk_radio",
    "broadcast/eew-feed": "terminal.node_broadcast_eew_feed",
    "national/launch-decision": "terminal.node_national_launch_decision",
    "national/population": "terminal.node_national_population",
    "national/command-line": "terminal.node_national_command_line",
}
"""National nodes (no area) by id, as a person names them."""
NODE_PARTS = {
    "receiver": "terminal.part_receiver",
    "startup": "terminal.part_startup",
    "disaster-office": "terminal.part_disaster_office",
}
"""A municipality's nodes that are not emitters, by the last part of their id."""
CAUSES = {
    "loss": "terminal.cause_loss",
    "link_down": "terminal.cause_link_down",
    "node_down": "terminal.cause_node_down",
}
"""Why a delivery was lost."""
_Row = TypeVar("_Row")


def print_summary(summary: RunSummary, console: Console | None = None, lang: Language | str | None = None) -> None:
    """Print what a drill official needs to see first, in ``lang`` (default: the scenario's language)."""
    console = console or Console()
    m = messages(lang or summary.scenario.language)
    meta, topology = summary.scenario, summary.topology
    console.rule(f"[bold]{escape(meta.name)}")
    epoch = _epoch(meta.epoch)
    print_phrases(
        console,
        [
            m("terminal.seed", seed=meta.seed),
            m("terminal.nodes", count=f"{topology.nodes:,}"),
            m("terminal.links", count=f"{topology.links:,}"),
            m("terminal.emitters", count=f"{topology.emitters:,}"),
            m("terminal.simulated", duration=m.seconds(meta.duration_s)),
            m("terminal.starts", time=m.date_time(epoch)) if epoch else "",
        ],
    )
    for alert in summary.alerts:
        _print_alert(console, alert, epoch, m)
    _print_chains(console, summary.alerts, m)
    _print_corrections(console, summary.corrections, m)
    if summary.responses is not None:
        _print_responses(console, summary.responses, m)
    if summary.objectives:
        _print_objectives(console, summary.objectives, m)


def print_phrases(console: Console, phrases: Sequence[str], style: str = "", indent: str = "") -> None:
    """Print phrases (rich markup) joined by `` · ``, a new line between two phrases when the next does not fit."""
    for line in pack_phrases(phrases, console.width, SEPARATOR, indent):
        console.print(line, style=style)


def _epoch(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _quantiles(times_s: Mapping[str, float | None], key: str, m: Messages) -> list[str]:
    """One phrase per quantile: ``50% in 5.0 min`` (``key``: the catalogue's wording), ``99% never``."""
    return [
        m("terminal.quantile_never", share=share) if value is None else m(key, share=share, time=m.seconds(value))
        for share, value in times_s.items()
    ]


def area_name(code: str, m: Messages) -> str:
    """A municipality's or prefecture's name from its code (the code itself when the reference list lacks it)."""
    table = MunicipalityTable.reference()
    if code in table:
        return table[code].name
    in_prefecture = table.in_prefecture(code) if len(code) == 2 else []
    return in_prefecture[0].prefecture_name if in_prefecture else code


def node_name(node_id: str, area: str | None, channel: str | None, m: Messages) -> str:
    """A node as a person names it: its town and what it is (``三戸町 indoor receivers``); a national node
    in words (``J-Alert centre``), its id when the catalogue does not know it."""
    if area is None:
        if node_id in NATIONAL_NODES:
            return m(NATIONAL_NODES[node_id])
        carrier, _, rest = node_id.removeprefix("carrier/").partition("/")
        return (
            m("terminal.node_carrier_cbc", carrier=carrier)
            if node_id.startswith("carrier/") and rest == "cbc"
            else node_id
        )
    part = node_id.rpartition("/")[2]
    what = (
        m.term("channel", channel) if channel else m(NODE_PARTS[part]) if part in NODE_PARTS else part.replace("-", " ")
    )
    carrier = part.removeprefix("cbs-") if part.startswith("cbs-") else ""  # a carrier's cell broadcast
    return " ".join(filter(None, (area_name(area, m), what, carrier)))


def _print_alert(console: Console, alert: AlertSummary, epoch: datetime | None, m: Messages) -> None:
    areas = ", ".join(area_name(a, m) for a in alert.areas) or m("terminal.nationwide")
    issued = (
        m("terminal.issued_at", time=m.date_time(epoch + timedelta(seconds=alert.issue_s)))
        if epoch
        else m("terminal.issued_after", after=m.seconds(alert.issue_s))
    )
    console.print()
    heading = m(
        "terminal.alert_heading",
        id=escape(alert.id),
        system=m.term("system", alert.system),
        category=m.term("category", alert.category),
        mode=m.term("mode", alert.mode),
    )
    origin = node_name(alert.origin, None, None, m)
    print_phrases(
        console,
        [f"[bold]{heading}[/]", m("terminal.to_areas", areas=areas), issued, m("terminal.issued_from", origin=origin)],
    )
    reached = m(
        "terminal.emitters_reached", reached=f"{alert.emitters_reached:,}", expected=f"{alert.emitters_expected:,}"
    )
    print_phrases(console, [reached, *_quantiles(alert.time_to_emitters_s, "terminal.emitters_quantile", m)])
    table = _table(
        m("terminal.col_channel"), m("terminal.col_reached"), m("terminal.col_median"), m("terminal.col_slowest")
    )
    for channel, reach in alert.channels.items():
        table.add_row(
            m.term("channel", channel),
            f"{reach.reached:,}/{reach.expected:,}",
            m.seconds(reach.median_s),
            m.seconds(reach.max_s),
            style="" if reach.reached == reach.expected else "red",
        )
    console.print(table)
    if alert.residents is not None:
        _print_residents(console, alert.residents, m)
    media = [f"{m.term('medium', medium)} {n}" for medium, n in alert.first_arrival_by_medium.items()]
    lost = [f"{_cause(cause, m)} {n}" for cause, n in alert.lost.items()] or [m("terminal.none")]
    print_phrases(
        console,
        [
            *_listing(m("terminal.first_arrivals"), media),
            m("terminal.duplicates", count=alert.duplicates),
            *_listing(m("terminal.lost"), lost),
        ],
    )
    if alert.silence is not None:
        _print_silence(console, alert.silence, m)
    _print_unreached(console, alert.unreached, m)


def _shared_prefix(ids: list[str]) -> str:
    """What every id of a chain begins with, up to a separator (the rest tells them apart in a table)."""
    prefix = os.path.commonprefix(ids)
    cut = max(prefix.rfind(c) for c in "-_.:/")
    return prefix[: cut + 1] if cut >= 0 and all(len(i) > cut + 1 for i in ids) else ""


def _print_chains(console: Console, alerts: tuple[AlertSummary, ...], m: Messages) -> None:
    """Per chain of messages, each message in order: when issued, how fast it reached outputs and
    residents, and how many outputs sounding earlier messages it stopped or switched, how fast."""
    chains: dict[str, list[AlertSummary]] = {}
    for alert in alerts:
        if alert.chain is not None:
            chains.setdefault(alert.chain.event, []).append(alert)
    for event, members in chains.items():
        if len(members) < 2:
            continue
        console.print()
        ordered = sorted(members, key=lambda a: (a.issue_s, a.chain.serial if a.chain else 0))
        shared = _shared_prefix([a.id for a in ordered])
        table = _table(
            "#",
            m("terminal.chain_message"),
            m("terminal.chain_kind"),
            m("terminal.chain_issued"),
            m("terminal.chain_outputs"),
            m("terminal.chain_residents"),
            m("terminal.chain_stopped"),
            m("terminal.chain_stop"),
            m("terminal.chain_at_end"),
            title=m("terminal.chain_title", event=escape(event), count=len(members)),
            caption=m("terminal.chain_ids", prefix=escape(shared)) if shared else None,
        )
        table.columns[1].no_wrap = True  # the message's id stays whole; headers and figures wrap first
        table.padding = (0, 1)
        for position, alert in enumerate(ordered, start=1):
            step = alert.chain
            assert step is not None
            warned = alert.residents.time_to_warned_s.get("90%") if alert.residents else None
            stopped = f"{step.outputs_stopped}"
            if step.stale:
                stopped += " " + m("terminal.chain_stale", count=step.stale)
            table.add_row(
                str(position),
                escape(alert.id.removeprefix(shared).removesuffix(f"-{step.kind}")),  # the kind has its column
                m.term("message_kind", step.kind),
                m.seconds(alert.issue_s),
                m.seconds(alert.time_to_emitters_s.get("95%")),
                m.seconds(warned),
                stopped,
                m.seconds(step.stop_s.get("95%"), missing=NOT_YET),
                str(step.sounding_at_end),
            )
        console.print(table)


def _listing(heading: str, items: list[str]) -> list[str]:
    """Phrases of a list under a heading: ``heading: first``, then one phrase per further item."""
    return [f"{heading}: {items[0]}", *items[1:]] if items else [heading]


def _cause(cause: str, m: Messages) -> str:
    return m(CAUSES[cause]) if cause in CAUSES else cause.replace("_", " ")


def _print_corrections(console: Console, corrections: tuple[CorrectionTimes, ...], m: Messages) -> None:
    """Each correction: how long after the alert it was sent, and how fast it reached the alert's recipients."""
    if not corrections:
        return
    console.print()
    table = _table(
        m("corrections.alert"),
        m("corrections.correction"),
        m("corrections.sent_after"),
        m("corrections.recipients"),
        m("corrections.t50"),
        m("corrections.t95"),
        title=m("corrections.title"),
    )
    for correction in corrections:
        table.add_row(
            escape(correction.alert),
            f"{escape(correction.correction)} ({m.term('message_kind', correction.kind)})",
            m.seconds(correction.after_original_s),
            f"{correction.recipients:,.0f}",
            m.seconds(correction.t50_s),
            m.seconds(correction.t95_s),
        )
    console.print(table)


def _table(*columns: str, title: str | None = None, caption: str | None = None) -> Table:
    """A table without borders whose cells wrap (never cut with "…")."""
    table = Table(box=None, pad_edge=False, title=title, title_justify="left", title_style="bold", caption=caption)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_unreached(console: Console, missing: tuple[Unreached, ...], m: Messages) -> None:
    if not missing:
        return
    console.print(f"[red]{m('terminal.never_reached', count=len(missing))}")
    table = Table.grid(padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for node in missing[:UNREACHED_SHOWN]:
        table.add_row(f"{CONTINUED}{escape(node_name(node.node, node.area, node.channel, m))}", escape(node.reason))
    console.print(table)
    if len(missing) > UNREACHED_SHOWN:
        console.print(CONTINUED + m("terminal.more_unreached", count=len(missing) - UNREACHED_SHOWN))


def _print_objectives(console: Console, objectives: tuple[ObjectiveResult, ...], m: Messages) -> None:
    console.print()
    alerts = {row.alert for row in objectives}
    one = next(iter(alerts)) if len(alerts) == 1 else None
    columns = [m("terminal.col_objective"), m("terminal.col_alert"), m("terminal.col_nodes")]
    columns += [m("terminal.col_target"), m("terminal.col_achieved"), m("terminal.col_met")]
    if one is not None:
        del columns[1]
    title = m("terminal.objectives") if one is None else m("terminal.objectives_of", alert=escape(one))
    table = Table(*columns, title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for column in table.columns:  # names wrap; figures, targets and results stay whole
        column.overflow = "fold"
        column.no_wrap = column.header not in (m("terminal.col_objective"), m("terminal.col_alert"))
    for row in objectives:
        cells = [
            escape(row.name),
            escape(row.alert),
            str(row.nodes),
            m("terminal.target", share=f"{row.target_fraction:.0%}", time=m.seconds(row.within_s)),
            m.percent(row.achieved_fraction),
            f"[green]{m('terminal.met')}" if row.met else f"[bold red]{m('terminal.not_met')}",
        ]
        if one is not None:
            del cells[1]
        table.add_row(*cells)
    console.print(table)


def _print_residents(console: Console, residents: ResidentsReach, m: Messages) -> None:
    count = residents.municipalities
    hour = residents.local_hour
    key = "terminal.residents_one" if count == 1 else "terminal.residents"
    local = f"{int(hour):02d}:{round(hour % 1 * 60):02d}"
    print_phrases(
        console,
        [
            m(key, count=f"{residents.residents:,}", municipalities=f"{count:,}"),
            m("terminal.local_time", time=local, day_type=m.term("day_type", residents.day_type)),
            *_quantiles(residents.time_to_warned_s, "terminal.warned_quantile", m),
        ],
    )
    ages = [f"{m.term('cohort', band)} {m.percent(row.unwarned_at_deadline)}" for band, row in residents.by_age.items()]
    no_phone = residents.by_smartphone.no_smartphone.unwarned_at_deadline
    unwarned = m(
        "terminal.unwarned_after",
        time=m.seconds(residents.deadline_s),
        share=f"[bold]{m.percent(residents.unwarned_at_deadline)}[/]",
    )
    print_phrases(
        console,
        [unwarned, *_listing(m("terminal.by_age"), ages), f"{m.term('cohort', 'no_smartphone')} {m.percent(no_phone)}"],
    )
    worst = [
        m(
            "terminal.town_unwarned",
            town=escape(w.name),
            share=m.percent(w.unwarned_at_deadline),
            population=f"{w.population:,}",
        )
        for w in residents.worst_municipalities[:WORST_SHOWN]
    ]
    print_phrases(console, _listing(m("terminal.most_unwarned"), worst))
    _print_first_via(console, residents, m)


def _print_first_via(console: Console, residents: ResidentsReach, m: Messages) -> None:
    """A small table: share first warned through each channel at the deadline, by age and smartphone use."""
    shares = residents.channel_shares
    groups = [g for g in FIRST_VIA_GROUPS if g in shares]
    if not groups or not shares[groups[0]].first_via:
        return
    overall = shares[groups[0]]
    table = _table(
        m("terminal.col_first_via"),
        *(m(FIRST_VIA_GROUPS[g]) for g in groups),
        m("terminal.col_reached"),
        title=m("terminal.first_via_title", time=m.seconds(residents.deadline_s)),
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for channel in sorted(overall.first_via, key=lambda c: -overall.first_via[c]):
        table.add_row(
            m.term("channel", channel),
            *(m.percent(shares[g].first_via[channel]) for g in groups),
            m.percent(overall.reached_by[channel]),
        )
    console.print(table)


def _print_responses(console: Console, responses: ResponsesSummary, m: Messages) -> None:
    console.print()
    outages = [
        m(
            "terminal.outage",
            count=o.count,
            component=m("terminal.component_link") if o.component == "link" else m("terminal.component_node"),
            cause=escape(o.cause),
        )
        for o in responses.outages
    ] or [m("terminal.none")]
    print_phrases(console, _listing(f"[bold]{m('terminal.incidents')}[/]", outages))
    requests = responses.requests
    if requests:
        print_phrases(
            console,
            [
                m("terminal.requests", count=len(requests)),
                m("terminal.requests_waited", count=responses.requests_waited),
                m("terminal.longest_wait", time=m.seconds(responses.longest_wait_s)),
                m("terminal.never_served", count=responses.requests_never_served),
            ],
        )
        for name, pool in responses.pools.items():
            pool_line = m("terminal.pool", name=escape(name), in_use=pool.max_in_use, waiting=pool.max_waiting)
            console.print(CONTINUED + pool_line)
        _print_cut_off(console, responses, m)
    for roam in responses.roaming:
        roaming = m("terminal.roaming", carrier=roam.carrier, partner=roam.partner, time=m.seconds(roam.active_s))
        console.print(escape(roaming))
    late = responses.affected_alerts
    if late:
        never = sum(1 for r in late if r.through is None)
        console.print(m("terminal.held_up", late=len(late) - never, never=never))


def _print_cut_off(console: Console, responses: ResponsesSummary, m: Messages) -> None:
    table = _table(
        m("terminal.col_municipality"),
        m("terminal.col_equipment"),
        m("terminal.col_cut_off_at"),
        m("terminal.col_wait"),
        m("terminal.col_transport"),
        m("terminal.col_setup"),
        m("terminal.col_cut_off_for"),
        title=m("terminal.longest_cut_off"),
    )
    not_yet = m("units.not_yet")
    for row in responses.worst_cut_off[:WORST_SHOWN]:
        table.add_row(
            escape(area_name(row.municipality, m)),
            m.term("equipment", row.equipment),
            m.seconds(row.cut_off_s),
            m.seconds(row.wait_s, not_yet),
            m.seconds(row.transport_s, not_yet),
            m.seconds(row.setup_s, not_yet),
            m.seconds(row.cut_off_for_s) + ("" if row.restored else "+"),
        )
    console.print(table)


def _print_silence(console: Console, silence: Silence, m: Messages) -> None:
    """How many municipalities sounded nothing, how many of those downstream of the receiver, their causes."""
    silent = silence.silent
    counted = m("terminal.silent", silent=len(silent), total=silence.municipalities)
    if not silent:
        console.print(counted)
        return
    downstream = sum(s.downstream for s in silent)
    causes = Counter(s.cause for s in silent)
    listed = [f"{m.term('failure', cause)} {n}" for cause, n in causes.most_common()]
    share = m("terminal.silent_downstream", share=m.percent(silence.share), count=downstream)
    print_phrases(console, [f"{counted} ({share})", *listed], style="red")


def _headline_first(kpis: Mapping[str, _Row]) -> list[tuple[str, _Row]]:
    """KPIs in their order, the per-channel attribution ones (``.first_via.``, ``.reached_by.``) last."""
    detail = (".first_via.", ".reached_by.")
    items = list(kpis.items())
    return [i for i in items if not any(d in i[0] for d in detail)] + [
        i for i in items if any(d in i[0] for d in detail)
    ]


def _times(factor: float | None) -> str:
    """A factor (``56.72 x``); a dash alone where there is none."""
    text = number(factor)
    return text if text == number(None) else f"{text} x"


def _scaled(value: float | None, scale: float) -> str:
    return number(None if value is None else value * scale)


def _kpi_table(title: str, columns: Sequence[str]) -> Table:
    """A KPI table: inner rules only (so every row's cells read apart at 80 columns), cells that wrap."""
    table = Table(title=title, box=box.MINIMAL_HEAVY_HEAD, pad_edge=False, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(
            column, overflow="fold", justify="left" if index == 0 else "right", ratio=3 if index == 0 else None
        )
    return table


def print_sweep(
    kpis: Mapping[str, Description], console: Console | None = None, lang: Language | str | None = None
) -> None:
    """Means with 95 % confidence intervals of a sweep's KPIs (short labels, units in them; full names in the files)."""
    console = console or Console()
    m = messages(lang)
    shown = _headline_first(kpis)[:SHOWN_KPIS]
    alert, labels = row_labels((name for name, _ in shown), m)
    title = m("terminal.replications") if alert is None else m("terminal.replications_of", alert=escape(alert))
    columns = [m("terminal.col_kpi"), m("terminal.col_mean"), m("terminal.col_ci"), m("terminal.col_p5")]
    columns += [m("terminal.col_p50"), m("terminal.col_p95"), m("terminal.col_finite")]
    table = _kpi_table(title, columns)
    for label, (name, row) in zip(labels, shown, strict=True):
        scale = kpi_label(name, m).scale
        table.add_row(
            escape(label),
            _scaled(row.mean, scale),
            f"{_scaled(row.ci95_low, scale)} – {_scaled(row.ci95_high, scale)}",
            _scaled(row.p5, scale),
            _scaled(row.p50, scale),
            _scaled(row.p95, scale),
            f"{row.finite}/{row.n}",
        )
    console.print(table)
    if len(kpis) > SHOWN_KPIS:
        console.print(m("terminal.more_kpis", count=len(kpis) - SHOWN_KPIS))


def print_comparison(
    differences: Mapping[str, Mapping[str, PairedDifference]],
    base: str,
    console: Console | None = None,
    lang: Language | str | None = None,
) -> None:
    """Paired differences of each plan against the base, with the variance reduction of pairing."""
    console = console or Console()
    m = messages(lang)
    columns = [m("terminal.col_kpi"), m("terminal.col_difference"), m("terminal.col_ci"), m("terminal.col_pairs")]
    columns.append(m("terminal.col_variance"))
    for plan, rows in differences.items():
        shown = _headline_first(rows)[:SHOWN_KPIS]
        alert, labels = row_labels((name for name, _ in shown), m, difference=True)
        title = (
            m("terminal.comparison_title", plan=escape(plan), base=escape(base))
            if alert is None
            else m("terminal.comparison_of", plan=escape(plan), base=escape(base), alert=escape(alert))
        )
        table = _kpi_table(title, columns)
        for label, (name, row) in zip(labels, shown, strict=True):
            scale = kpi_label(name, m).scale
            table.add_row(
                escape(label),
                _scaled(row.mean_difference, scale),
                f"{_scaled(row.ci95_low, scale)} – {_scaled(row.ci95_high, scale)}",
                str(row.pairs),
                _times(row.variance_reduction),
                style="bold" if row.significant else "",
            )
        console.print(table)
