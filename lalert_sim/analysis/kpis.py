"""One replication reduced to a flat row of key figures, for Monte Carlo tables."""

from __future__ import annotations

import math

from lalert_sim.analysis.metrics import QUANTILES
from lalert_sim.reach.parameters import AGE_BANDS


def replication_kpis(summary: dict) -> dict[str, float]:
    """Flat ``name -> value`` figures of one run's summary; NaN where a figure was never reached."""
    row: dict[str, float] = {}
    for alert in summary["alerts"]:
        prefix = f"{alert['id']}."
        expected = alert["emitters_expected"]
        for key, value in alert["time_to_emitters_s"].items():
            row[f"{prefix}emitters_{key.rstrip('%')}pct_s"] = _number(value)
        row[f"{prefix}emitters_never_reached"] = (
            (expected - alert["emitters_reached"]) / expected if expected else math.nan
        )
        residents = alert.get("residents")
        if residents:
            for key, value in residents["time_to_warned_s"].items():
                row[f"{prefix}warned_{key.rstrip('%')}pct_s"] = _number(value)
            row[f"{prefix}unwarned_at_deadline"] = residents["unwarned_at_deadline"]
            for band in AGE_BANDS:
                row[f"{prefix}unwarned_{band}"] = residents["by_age"][band]["unwarned_at_deadline"]
            row[f"{prefix}unwarned_no_smartphone"] = residents["by_smartphone"]["no_smartphone"]["unwarned_at_deadline"]
    responses = summary.get("responses")
    if responses:
        requests = responses["requests"]
        row["responses.requests"] = float(len(requests))
        row["responses.requests_waited"] = float(responses["requests_waited"])
        row["responses.longest_wait_s"] = _number(responses["longest_wait_s"])
        cut = [r["cut_off_for_s"] for r in requests if r["cut_off_for_s"] is not None]
        row["responses.worst_cut_off_s"] = max(cut) if cut else 0.0
        row["responses.mean_cut_off_s"] = sum(cut) / len(cut) if cut else 0.0
    return row


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


__all__ = ["QUANTILES", "replication_kpis"]
