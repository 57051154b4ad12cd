"""The terminal views (rich): one run's summary, a sweep's statistics, a comparison of plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from lalert_sim.analysis.results import (
    AlertSummary,
    ObjectiveResult,
    ResidentsReach,
    ResponsesSummary,
    RunSummary,
    Silence,
)
from lalert_sim.i18n import Language
from lalert_sim.montecarlo.statistics import Description, PairedDifference
from lalert_sim.report.format import NOT_YET, number, percent, seconds

UNREACHED_SHOWN = 10
WORST_SHOWN = 5
SHOWN_KPIS = 14
_Row = TypeVar("_Row")


def print_summary(summary: RunSummary, console: Console | None = None, lang: Language | str | None = None) -> None:
    """Print what a drill official needs to see first, in ``lang`` (default: the scenario's language)."""
    console = console or Console()
    meta, topology = summary.scenario, summary.topology
    console.rule(f"[bold]{meta.name}")
    console.print(
        f"seed {meta.seed} · {topology.nodes} nodes · {topology.links} links · "
        f"{topology.emitters} emitters · simulated {seconds(meta.duration_s)}"
    )
    for alert in summary.alerts:
        _print_alert(console, alert)
    _print_chains(console, summary.alerts)
    if summary.responses is not None:
        _print_responses(console, summary.responses)
    if summary.objectives:
        _print_objectives(console, summary.objectives)


def _quantiles(times_s: Mapping[str, float | None]) -> str:
    return " · ".join(f"{label} {seconds(value)}" for label, value in times_s.items())


def _print_alert(console: Console, alert: AlertSummary) -> None:
    areas = ", ".join(alert.areas) or "nationwide"
    console.print()
    console.print(
        f"[bold]{alert.id}[/] {alert.system} {alert.category} ({alert.mode}) "
        f"to {areas}, issued at {alert.issue_s:.0f} s from {alert.origin}"
    )
    console.print(
        f"emitters reached {alert.emitters_reached}/{alert.emitters_expected} · "
        f"time to {_quantiles(alert.time_to_emitters_s)}"
    )
    table = Table("channel", "reached", "median", "slowest", box=None, pad_edge=False)
    for channel, reach in alert.channels.items():
        table.add_row(
            channel,
            f"{reach.reached}/{reach.expected}",
            seconds(reach.median_s),
            seconds(reach.max_s),
            style="" if reach.reached == reach.expected else "red",
        )
    console.print(table)
    if alert.residents is not None:
        _print_residents(console, alert.residents)
    media = ", ".join(f"{m} {n}" for m, n in alert.first_arrival_by_medium.items())
    lost = ", ".join(f"{c} {n}" for c, n in alert.lost.items()) or "none"
    console.print(f"first arrivals by medium: {media} · duplicates {alert.duplicates} · lost: {lost}")
    if alert.silence is not None:
        console.print(_silence_line(alert.silence))
    missing = alert.unreached
    if missing:
        console.print(f"[red]never reached: {len(missing)}")
        for node in missing[:UNREACHED_SHOWN]:
            console.print(f"  {node.node}: {node.reason}")
        if len(missing) > UNREACHED_SHOWN:
            console.print(f"  … and {len(missing) - UNREACHED_SHOWN} more (nodes.csv)")


def _print_chains(console: Console, alerts: tuple[AlertSummary, ...]) -> None:
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
        table = Table(
            "#", "message", "kind", "issued", "outputs 95%", "residents 90%", "stopped", "stop 95%", "at end",
            title=f"Chain {event}: {len(members)} messages",
        )  # fmt: skip
        ordered = sorted(members, key=lambda a: (a.issue_s, a.chain.serial if a.chain else 0))
        for position, alert in enumerate(ordered, start=1):
            step = alert.chain
            assert step is not None
            warned = alert.residents.time_to_warned_s.get("90%") if alert.residents else None
            table.add_row(
                str(position),
                alert.id,
                step.kind,
                seconds(alert.issue_s),
                seconds(alert.time_to_emitters_s.get("95%")),
                seconds(warned),
                f"{step.outputs_stopped}" + (f" ({step.stale} stale)" if step.stale else ""),
                seconds(step.stop_s.get("95%"), missing="-"),
                str(step.sounding_at_end),
            )
        console.print(table)


def _print_objectives(console: Console, objectives: tuple[ObjectiveResult, ...]) -> None:
    console.print()
    table = Table("objective", "alert", "nodes", "target", "achieved", "", title="Objectives")
    for row in objectives:
        table.add_row(
            row.name,
            row.alert,
            str(row.nodes),
            f"{row.target_fraction:.0%} within {seconds(row.within_s)}",
            percent(row.achieved_fraction),
            "[green]met" if row.met else "[red]NOT met",
        )
    console.print(table)


def _print_residents(console: Console, residents: ResidentsReach) -> None:
    count = residents.municipalities
    hour = residents.local_hour
    console.print(
        f"residents: {residents.residents:,} in {count} municipalit{'y' if count == 1 else 'ies'} "
        f"(local {int(hour):02d}:{round(hour % 1 * 60):02d} {residents.day_type}) "
        f"· warned {_quantiles(residents.time_to_warned_s)}"
    )
    ages = ", ".join(f"{band} {percent(row.unwarned_at_deadline)}" for band, row in residents.by_age.items())
    console.print(
        f"unwarned after {seconds(residents.deadline_s)}: [bold]{percent(residents.unwarned_at_deadline)}[/] · "
        f"by age: {ages} · without smartphone {percent(residents.by_smartphone.no_smartphone.unwarned_at_deadline)}"
    )
    worst = ", ".join(
        f"{w.name} {percent(w.unwarned_at_deadline)} of {w.population:,}"
        for w in residents.worst_municipalities[:WORST_SHOWN]
    )
    console.print(f"worst off (unwarned of residents): {worst}")
    _print_first_via(console, residents)


FIRST_VIA_GROUPS = {"overall": "all", "under_60": "<60", "60s": "60s", "70_plus": "70+", "no_smartphone": "no phone"}


def _print_first_via(console: Console, residents: ResidentsReach) -> None:
    """A small table: share first warned through each channel at the deadline, by age and smartphone use."""
    shares = residents.channel_shares
    groups = [g for g in FIRST_VIA_GROUPS if g in shares]
    if not groups or not shares[groups[0]].first_via:
        return
    overall = shares[groups[0]]
    table = Table(
        "first learned via",
        *(FIRST_VIA_GROUPS[g] for g in groups),
        "reached",
        box=None,
        pad_edge=False,
        title=f"residents by {seconds(residents.deadline_s)}: first learned via (reached: by it at all)",
        title_justify="left",
    )
    for channel in sorted(overall.first_via, key=lambda c: -overall.first_via[c]):
        table.add_row(
            channel.replace("_", " "),
            *(percent(shares[g].first_via[channel]) for g in groups),
            percent(overall.reached_by[channel]),
        )
    console.print(table)


def _print_responses(console: Console, responses: ResponsesSummary) -> None:
    console.print()
    outages = ", ".join(f"{o.count} {o.component}s ({o.cause})" for o in responses.outages) or "none"
    console.print(f"[bold]incidents[/]: went down: {outages}")
    requests = responses.requests
    if requests:
        console.print(
            f"[bold]responses[/]: {len(requests)} requests, {responses.requests_waited} waited for a unit "
            f"(longest served after {seconds(responses.longest_wait_s)}; "
            f"{responses.requests_never_served} still waiting at the end)"
        )
        for name, pool in responses.pools.items():
            console.print(f"  pool {name}: at most {pool.max_in_use} in use, {pool.max_waiting} waiting")
        table = Table(
            "municipality",
            "equipment",
            "cut off at",
            "wait",
            "transport",
            "set-up",
            "cut off for",
            box=None,
            pad_edge=False,
            title="longest cut off",
        )
        for row in responses.worst_cut_off[:WORST_SHOWN]:
            table.add_row(
                row.municipality,
                row.equipment,
                seconds(row.cut_off_s),
                seconds(row.wait_s, NOT_YET),
                seconds(row.transport_s, NOT_YET),
                seconds(row.setup_s, NOT_YET),
                seconds(row.cut_off_for_s) + ("" if row.restored else "+"),
            )
        console.print(table)
    for roam in responses.roaming:
        console.print(f"roaming: {roam.carrier} subscribers through {roam.partner} from {seconds(roam.active_s)}")
    late = responses.affected_alerts
    if late:
        never = sum(1 for r in late if r.through is None)
        console.print(
            f"alerts held up by cut-offs: {len(late) - never} arrived late through loaned units, {never} never arrived"
        )


def _headline_first(kpis: Mapping[str, _Row]) -> list[tuple[str, _Row]]:
    """KPIs in their order, the per-channel attribution ones (``.first_via.``, ``.reached_by.``) last."""
    detail = (".first_via.", ".reached_by.")
    items = list(kpis.items())
    return [i for i in items if not any(d in i[0] for d in detail)] + [
        i for i in items if any(d in i[0] for d in detail)
    ]


def print_sweep(kpis: Mapping[str, Description], console: Console | None = None) -> None:
    """Means with 95 % confidence intervals of a sweep's KPIs."""
    console = console or Console()
    table = Table("KPI", "mean", "95 % CI", "p5", "p50", "p95", "reached", title="Replications")
    for name, row in _headline_first(kpis)[:SHOWN_KPIS]:
        table.add_row(
            name,
            number(row.mean),
            f"{number(row.ci95_low)} – {number(row.ci95_high)}",
            number(row.p5),
            number(row.p50),
            number(row.p95),
            f"{row.finite}/{row.n}",
        )
    console.print(table)
    if len(kpis) > SHOWN_KPIS:
        console.print(f"… {len(kpis) - SHOWN_KPIS} more KPIs in sweep_summary.json")


def print_comparison(
    differences: Mapping[str, Mapping[str, PairedDifference]], base: str, console: Console | None = None
) -> None:
    """Paired differences of each plan against the base, with the variance reduction of pairing."""
    console = console or Console()
    for plan, rows in differences.items():
        table = Table(
            "KPI",
            "mean difference",
            "95 % CI",
            "pairs",
            "variance reduction",
            title=f"{plan} − {base} (paired on common random numbers)",
        )
        for name, row in _headline_first(rows)[:SHOWN_KPIS]:
            table.add_row(
                name,
                number(row.mean_difference),
                f"{number(row.ci95_low)} – {number(row.ci95_high)}",
                str(row.pairs),
                f"{number(row.variance_reduction)} x",
                style="bold" if row.significant else "",
            )
        console.print(table)


def _silence_line(silence: Silence) -> str:
    """One line: how many municipalities sounded nothing, how many of those downstream, their causes."""
    silent = silence.silent
    if not silent:
        return f"silent municipalities: 0/{silence.municipalities}"
    downstream = sum(s.downstream for s in silent)
    causes = Counter(s.cause for s in silent)
    listed = ", ".join(f"{cause} {n}" for cause, n in causes.most_common())
    return (
        f"[red]silent municipalities: {len(silent)}/{silence.municipalities} "
        f"({100 * silence.share:.1f} %; {downstream} downstream of the receiver): {listed}"
    )
