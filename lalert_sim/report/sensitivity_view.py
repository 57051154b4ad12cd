"""The terminal table of a sensitivity analysis: parameters ranked by their influence on each KPI."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lalert_sim.montecarlo.sensitivity import MorrisIndex, Sensitivity, SobolIndex
from lalert_sim.report.format import number


def _with_interval(value: float, low: float, high: float) -> str:
    return f"{number(value)}\n({number(low)} – {number(high)})"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("parameter (range)", overflow="fold", ratio=3)
    for name in columns:
        table.add_column(name, justify="right", ratio=1)
    return table


def print_sensitivity(result: Sensitivity, console: Console | None = None) -> None:
    """One table per KPI, most influential parameter first, indices with their 95 % CIs."""
    console = console or Console()
    ranges = {p.path: f"{p.low:g} – {p.high:g}" for p in result.parameters}
    for kpi in result.kpis:
        title = (
            f"{kpi.kpi}: {result.method}, {result.points} points × {result.replications} replications "
            f"(s.d. over the points {number(kpi.spread)})"
        )
        if result.method == "morris":
            table = _table(title, "mu* (95 % CI)", "sigma (95 % CI)", "mu")
            for rank, index in enumerate(kpi.indices, 1):
                assert isinstance(index, MorrisIndex)
                table.add_row(
                    str(rank),
                    f"{index.parameter}\n({ranges[index.parameter]})",
                    _with_interval(index.mu_star, index.mu_star_ci95_low, index.mu_star_ci95_high),
                    _with_interval(index.sigma, index.sigma_ci95_low, index.sigma_ci95_high),
                    number(index.mu),
                )
        else:
            table = _table(title, "ST (95 % CI)", "S1 (95 % CI)")
            for rank, index in enumerate(kpi.indices, 1):
                assert isinstance(index, SobolIndex)
                table.add_row(
                    str(rank),
                    f"{index.parameter}\n({ranges[index.parameter]})",
                    _with_interval(index.st, index.st_ci95_low, index.st_ci95_high),
                    _with_interval(index.s1, index.s1_ci95_low, index.s1_ci95_high),
                )
        console.print(table)
        if kpi.spread == 0:
            console.print("no parameter moved this KPI over its range", markup=False)
    if result.left_out:
        paths = ", ".join(reason.split(": ", 1)[0] for reason in result.left_out)
        console.print(
            f"left out {len(result.left_out)} default parameters this scenario does not have "
            f"(sensitivity.json says why): {paths}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
