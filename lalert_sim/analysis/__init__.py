"""What runs mean: the typed summary of a run (per alert, objectives, responses) and its KPIs."""

from lalert_sim.analysis.metrics import alert_summary, objective_results, outcomes
from lalert_sim.analysis.results import RunSummary
from lalert_sim.analysis.summary import run_summary

__all__ = ["RunSummary", "alert_summary", "objective_results", "outcomes", "run_summary"]
