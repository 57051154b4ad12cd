"""PNG plot of a criticality ranking: the costliest knock-outs with their paired 95 % CIs."""

from __future__ import annotations

import math
from pathlib import Path

from lalert_sim.montecarlo.criticality import CriticalityRanking
from lalert_sim.montecarlo.statistics import PairedDifference


def _bounds(differences: list[PairedDifference]) -> tuple[list[float], list[list[float]]]:
    """Means and their error bars (below, above); a bound that is not known draws no bar."""
    means = [d.mean_difference if math.isfinite(d.mean_difference) else 0.0 for d in differences]
    below = [m - d.ci95_low if math.isfinite(d.ci95_low) else 0.0 for m, d in zip(means, differences, strict=True)]
    above = [d.ci95_high - m if math.isfinite(d.ci95_high) else 0.0 for m, d in zip(means, differences, strict=True)]
    return means, [below, above]


def plot_ranking(out: Path, ranking: CriticalityRanking, top: int) -> Path | None:
    """Horizontal bars of the ``top`` knock-outs: added unwarned residents and added unreached emitters."""
    shown = list(ranking.ranking[:top])
    if not shown:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [c.component for c in reversed(shown)]
    panels = [
        ("residents unwarned at the deadline, added", [c.unwarned_residents for c in reversed(shown)]),
        ("emitters never reached, added", [c.unreached_emitters for c in reversed(shown)]),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 1.2 + 0.35 * len(shown)), sharey=True, squeeze=False)
    for ax, (title, differences) in zip(axes[0], panels, strict=True):
        means, errors = _bounds(differences)
        ax.barh(labels, means, xerr=errors, capsize=3, color="#b5473a")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"Knock-outs by {ranking.by} ({ranking.replications} paired replications, 95 % CI)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
