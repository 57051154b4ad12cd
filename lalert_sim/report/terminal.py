"""The terminal summary of one run (rich): reach, timing, failures, objectives."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

UNREACHED_SHOWN = 10


def _seconds(value: float | None) -> str:
    if value is None:
        return "never"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def print_summary(summary: dict, console: Console | None = None) -> None:
    """Print what a drill official needs to see first."""
    console = console or Console()
    meta = summary["scenario"]
    console.rule(f"[bold]{meta['name']}")
    topo = summary["topology"]
    console.print(
        f"seed {meta['seed']} · {topo['nodes']} nodes · {topo['links']} links · "
        f"{topo['emitters']} emitters · simulated {_seconds(meta['duration_s'])}"
    )
    for alert in summary["alerts"]:
        _print_alert(console, alert)
    if summary.get("responses"):
        _print_responses(console, summary["responses"])
    if summary["objectives"]:
        _print_objectives(console, summary["objectives"])


def _print_alert(console: Console, alert: dict) -> None:
    areas = ", ".join(alert["areas"]) or "nationwide"
    console.print()
    console.print(
        f"[bold]{alert['id']}[/] {alert['system']} {alert['category']} ({alert['mode']}) "
        f"to {areas}, issued at {alert['issue_s']:.0f} s from {alert['origin']}"
    )
    reached, expected = alert["emitters_reached"], alert["emitters_expected"]
    times = " · ".join(f"{k} {_seconds(v)}" for k, v in alert["time_to_emitters_s"].items())
    console.print(f"emitters reached {reached}/{expected} · time to {times}")
    table = Table("channel", "reached", "median", "slowest", box=None, pad_edge=False)
    for channel, row in alert["channels"].items():
        style = "" if row["reached"] == row["expected"] else "red"
        table.add_row(
            channel,
            f"{row['reached']}/{row['expected']}",
            _seconds(row["median_s"]),
            _seconds(row["max_s"]),
            style=style,
        )
    console.print(table)
    if alert.get("residents"):
        _print_residents(console, alert["residents"])
    media = ", ".join(f"{m} {n}" for m, n in alert["first_arrival_by_medium"].items())
    lost = ", ".join(f"{c} {n}" for c, n in alert["lost"].items()) or "none"
    console.print(f"first arrivals by medium: {media} · duplicates {alert['duplicates']} · lost: {lost}")
    missing = alert["unreached"]
    if missing:
        console.print(f"[red]never reached: {len(missing)}")
        for row in missing[:UNREACHED_SHOWN]:
            console.print(f"  {row['node']}: {row['reason']}")
        if len(missing) > UNREACHED_SHOWN:
            console.print(f"  … and {len(missing) - UNREACHED_SHOWN} more (nodes.csv)")


def _print_objectives(console: Console, objectives: list[dict]) -> None:
    console.print()
    table = Table("objective", "alert", "nodes", "target", "achieved", "", title="Objectives")
    for row in objectives:
        mark = "[green]met" if row["met"] else "[red]NOT met"
        table.add_row(
            row["name"],
            row["alert"],
            str(row["nodes"]),
            f"{row['target_fraction']:.0%} within {_seconds(row['within_s'])}",
            f"{row['achieved_fraction']:.1%}",
            mark,
        )
    console.print(table)


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _print_residents(console: Console, residents: dict) -> None:
    deadline = _seconds(residents["deadline_s"])
    times = " · ".join(f"{k} {_seconds(v)}" for k, v in residents["time_to_warned_s"].items())
    count = residents["municipalities"]
    console.print(
        f"residents: {residents['residents']:,} in {count} municipalit{'y' if count == 1 else 'ies'} "
        f"(local {int(residents['local_hour']):02d}:{round(residents['local_hour'] % 1 * 60):02d}) · "
        f"warned {times}"
    )
    ages = ", ".join(f"{band} {_percent(row['unwarned_at_deadline'])}" for band, row in residents["by_age"].items())
    phones = residents["by_smartphone"]
    console.print(
        f"unwarned after {deadline}: [bold]{_percent(residents['unwarned_at_deadline'])}[/] · by age: "
        f"{ages} · without smartphone {_percent(phones['no_smartphone']['unwarned_at_deadline'])}"
    )
    worst = ", ".join(
        f"{w['name']} {_percent(w['unwarned_at_deadline'])}" for w in residents["worst_municipalities"][:5]
    )
    console.print(f"worst off: {worst}")


def _pending(value: float | None) -> str:
    return "—" if value is None else _seconds(value)


def _print_responses(console: Console, responses: dict) -> None:
    console.print()
    outages = ", ".join(f"{o['count']} {o['component']}s ({o['cause']})" for o in responses["outages"]) or "none"
    console.print(f"[bold]incidents[/]: went down: {outages}")
    requests = responses["requests"]
    if requests:
        waited = responses["requests_waited"]
        console.print(
            f"[bold]responses[/]: {len(requests)} requests, {waited} waited for a unit "
            f"(longest served after {_seconds(responses['longest_wait_s'])}; "
            f"{responses['requests_never_served']} still waiting at the end)"
        )
        for name, pool in responses["pools"].items():
            console.print(f"  pool {name}: at most {pool['max_in_use']} in use, {pool['max_waiting']} waiting")
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
        for row in responses["worst_cut_off"][:5]:
            table.add_row(
                row["municipality"],
                row["equipment"],
                _seconds(row["cut_off_s"]),
                _pending(row["wait_s"]),
                _pending(row["transport_s"]),
                _pending(row["setup_s"]),
                _seconds(row["cut_off_for_s"]) + ("" if row["restored"] else "+"),
            )
        console.print(table)
    for roam in responses["roaming"]:
        console.print(
            f"roaming: {roam['carrier']} subscribers through {roam['partner']} from {_seconds(roam['active_s'])}"
        )
    late = responses["affected_alerts"]
    if late:
        never = sum(1 for r in late if r["through"] is None)
        console.print(
            f"alerts held up by cut-offs: {len(late) - never} arrived late through loaned units, {never} never arrived"
        )


SHOWN_KPIS = 14


def _value(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.4g}"


def print_sweep(summary: dict[str, dict[str, float]], console: Console | None = None) -> None:
    """Means with 95 % confidence intervals of a sweep's KPIs."""
    console = console or Console()
    table = Table("KPI", "mean", "95 % CI", "p5", "p50", "p95", "reached", title="Replications")
    for name, row in list(summary.items())[:SHOWN_KPIS]:
        table.add_row(
            name,
            _value(row["mean"]),
            f"{_value(row['ci95_low'])} – {_value(row['ci95_high'])}",
            _value(row["p5"]),
            _value(row["p50"]),
            _value(row["p95"]),
            f"{row['finite']}/{row['n']}",
        )
    console.print(table)
    if len(summary) > SHOWN_KPIS:
        console.print(f"… {len(summary) - SHOWN_KPIS} more KPIs in sweep_summary.json")


def print_comparison(
    differences: dict[str, dict[str, dict[str, float]]], base: str, console: Console | None = None
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
        for name, row in list(rows.items())[:SHOWN_KPIS]:
            low, high = row["ci95_low"], row["ci95_high"]
            significant = low == low and high == high and (low > 0 or high < 0)
            table.add_row(
                name,
                _value(row["mean_difference"]),
                f"{_value(low)} – {_value(high)}",
                str(row["pairs"]),
                f"{_value(row['variance_reduction'])} x",
                style="bold" if significant else "",
            )
        console.print(table)
