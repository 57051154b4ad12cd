"""One replication reduced to a flat row of key figures, for Monte Carlo tables."""

from __future__ import annotations

import math

from lalert_sim.analysis.figures import or_nan, quantile_name
from lalert_sim.analysis.results import AlertSummary, ResidentsReach, ResponsesSummary, RunSummary
from lalert_sim.reach.model import ATTRIBUTED
from lalert_sim.reach.parameters import AGE_BANDS


def replication_kpis(summary: RunSummary) -> dict[str, float]:
    """Flat ``name -> value`` figures of one run's summary; NaN where a figure was never reached."""
    row: dict[str, float] = {}
    for alert in summary.alerts:
        row.update(_alert_kpis(alert, f"{alert.id}."))
        if alert.residents is not None:
            row.update(_residents_kpis(alert.residents, f"{alert.id}."))
    for correction in summary.corrections:  # of the first alert a correction corrects
        prefix = f"{correction.correction}."
        if f"{prefix}correction_50pct_s" not in row:
            row[f"{prefix}correction_50pct_s"] = or_nan(correction.t50_s)
            row[f"{prefix}correction_95pct_s"] = or_nan(correction.t95_s)
    if summary.responses is not None:
        row.update(_responses_kpis(summary.responses))
    row.update(_equipment_kpis(summary))
    return row


def _alert_kpis(alert: AlertSummary, prefix: str) -> dict[str, float]:
    row = {f"{prefix}emitters_{quantile_name(q)}_s": or_nan(s) for q, s in alert.time_to_emitters_s.items()}
    expected = alert.emitters_expected
    row[f"{prefix}emitters_never_reached"] = (expected - alert.emitters_reached) / expected if expected else math.nan
    if alert.chain is not None:  # a message of a chain: the outputs it stopped or switched, and how fast
        row[f"{prefix}outputs_stopped"] = float(alert.chain.outputs_stopped)
        for q, s in alert.chain.stop_s.items():
            row[f"{prefix}outputs_stopped_{quantile_name(q)}_s"] = or_nan(s)
        row[f"{prefix}sounding_at_end"] = float(alert.chain.sounding_at_end)
    return row


def _residents_kpis(residents: ResidentsReach, prefix: str) -> dict[str, float]:
    row = {f"{prefix}warned_{quantile_name(q)}_s": or_nan(s) for q, s in residents.time_to_warned_s.items()}
    row[f"{prefix}unwarned_at_deadline"] = residents.unwarned_at_deadline
    for band in AGE_BANDS:
        row[f"{prefix}unwarned_{band}"] = residents.by_age[band].unwarned_at_deadline
    row[f"{prefix}unwarned_no_smartphone"] = residents.by_smartphone.no_smartphone.unwarned_at_deadline
    overall = residents.channel_shares["overall"]
    for channel in ATTRIBUTED:  # every channel, 0 where it reached nobody: the same columns in every replication
        row[f"{prefix}first_via.{channel}"] = overall.first_via.get(channel, 0.0)
    for channel in ATTRIBUTED:
        row[f"{prefix}reached_by.{channel}"] = overall.reached_by.get(channel, 0.0)
    return row


def _responses_kpis(responses: ResponsesSummary) -> dict[str, float]:
    cut = [r.cut_off_for_s for r in responses.requests]
    return {
        "responses.requests": float(len(responses.requests)),
        "responses.requests_waited": float(responses.requests_waited),
        "responses.longest_wait_s": or_nan(responses.longest_wait_s),
        "responses.worst_cut_off_s": max(cut) if cut else 0.0,
        "responses.mean_cut_off_s": sum(cut) / len(cut) if cut else 0.0,
    }


def _equipment_kpis(summary: RunSummary) -> dict[str, float]:
    """Silent municipalities per alert and stations off air per channel."""
    row: dict[str, float] = {}
    for alert in summary.alerts:
        if alert.silence is not None:
            row[f"{alert.id}.silent_municipalities"] = alert.silence.share
            row[f"{alert.id}.silent_downstream"] = or_nan(alert.silence.downstream_share)
    for channel, stations in summary.stations.items():
        row[f"stations.{channel}.down_peak"] = float(stations.down_peak)
        row[f"stations.{channel}.down_peak_s"] = or_nan(stations.down_peak_s)
    return row
