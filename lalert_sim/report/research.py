"""Terminal views of research runs: a criticality ranking."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lalert_sim.montecarlo.criticality import CriticalityRanking
from lalert_sim.montecarlo.statistics import PairedDifference
from lalert_sim.report.format import number


def _added(difference: PairedDifference) -> str:
    """Mean difference and its 95 % CI in one cell."""
    return f"{number(difference.mean_difference)} ({number(difference.ci95_low)} – {number(difference.ci95_high)})"


def print_criticality(ranking: CriticalityRanking, top: int, console: Console | None = None) -> None:
    """The ``top`` costliest knock-outs: added unwarned residents and unreached emitters, paired 95 % CIs."""
    console = console or Console()
    table = Table(
        "rank",
        ranking.by,
        "unwarned residents added (95 % CI)",
        "unreached emitters added (95 % CI)",
        title=f"Knock-outs by {ranking.by}, most costly first ({ranking.replications} replications on common seeds)",
    )
    for row in ranking.ranking[:top]:
        residents, emitters = row.unwarned_residents, row.unreached_emitters
        table.add_row(
            str(row.rank),
            row.component,
            _added(residents),
            _added(emitters),
            style="bold" if residents.significant or emitters.significant else "",
        )
    console.print(table)
    console.print(
        f"base: {number(ranking.base_unwarned_residents)} of {ranking.residents:,} residents unwarned at the "
        f"deadline, {number(ranking.base_unreached_emitters)} of {ranking.emitters:,} emitters never reached; "
        "bold: the 95 % CI excludes 0"
    )
    if len(ranking.ranking) > top:
        console.print(f"... and {len(ranking.ranking) - top} more in criticality.csv")
