"""PNG plots of sweeps: each KPI's distribution per plan, and the paired differences."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.results import column

PLOTTED = 6  # KPIs per figure: the first ones that vary


def _varying(plans: dict[str, list[Row]], names: list[str]) -> list[str]:
    chosen = []
    for name in names:
        values = np.concatenate([column(rows, name) for rows in plans.values()])
        values = values[np.isfinite(values)]
        if values.size and np.ptp(values) > 0:
            chosen.append(name)
    return chosen[:PLOTTED]


def _histograms(out: Path, names: list[str], draw: Callable[[Any, str], None]) -> Path:
    """One histogram panel per KPI, drawn by ``draw(axes, name)``, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(names), 1, figsize=(8, 2.4 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        draw(ax, name)
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_distributions(out: Path, plans: dict[str, list[Row]], names: list[str]) -> Path | None:
    """Histogram of each (varying) KPI, one colour per plan."""
    chosen = _varying(plans, names)
    if not chosen:
        return None

    def draw(ax: Any, name: str) -> None:
        for plan, rows in plans.items():
            values = column(rows, name)
            ax.hist(values[np.isfinite(values)], bins=30, alpha=0.5, label=plan)

    return _histograms(out, chosen, draw)


def plot_differences(out: Path, plans: dict[str, list[Row]], names: list[str]) -> Path | None:
    """Histogram of plan − base on common seeds for each (varying) KPI."""
    base_name, *others = list(plans)
    chosen = _varying(plans, names)
    if not chosen or not others:
        return None

    def draw(ax: Any, name: str) -> None:
        base = column(plans[base_name], name)
        for plan in others:
            difference = column(plans[plan], name) - base
            ax.hist(difference[np.isfinite(difference)], bins=30, alpha=0.5, label=f"{plan} − {base_name}")
        ax.axvline(0, color="black", linewidth=0.8)

    return _histograms(out, chosen, draw)
