"""A replication's KPI row is read off its typed summary: one column per figure, NaN where never reached."""

from __future__ import annotations

import math

from lalert_sim import load, run, summarise
from lalert_sim.analysis.kpis import replication_kpis
from tests.conftest import SCENARIOS


def test_kpis_of_an_alert_with_residents_name_every_figure() -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    summary = summarise(prepared, run(prepared, seed=2))
    row = replication_kpis(summary)
    alert = summary.alerts[0]
    assert alert.residents is not None
    prefix = f"{alert.id}."
    assert {f"{prefix}emitters_{q}pct_s" for q in (50, 90, 95, 99)} <= set(row)
    assert {f"{prefix}unwarned_{band}" for band in ("under_60", "60s", "70_plus", "no_smartphone")} <= set(row)
    assert row[f"{prefix}unwarned_at_deadline"] == alert.residents.unwarned_at_deadline
    for label, seconds in alert.time_to_emitters_s.items():
        value = row[f"{prefix}emitters_{label.rstrip('%')}pct_s"]
        assert math.isnan(value) if seconds is None else value == seconds
    assert not any(name.startswith("responses.") for name in row)


def test_kpis_of_responses_give_the_worst_cut_off() -> None:
    prepared = load(SCENARIOS / "tsunami_wide_area_loans.yaml")
    summary = summarise(prepared, run(prepared))
    assert summary.responses is not None
    row = replication_kpis(summary)
    assert row["responses.requests"] == len(summary.responses.requests) > 0
    assert row["responses.worst_cut_off_s"] == summary.responses.worst_cut_off[0].cut_off_for_s
    assert 0 < row["responses.mean_cut_off_s"] <= row["responses.worst_cut_off_s"]
