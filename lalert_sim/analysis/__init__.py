"""What runs mean: metrics per alert, objectives, and (later) Monte Carlo statistics."""

from lalert_sim.analysis.metrics import alert_summary, objective_results, outcomes

__all__ = ["alert_summary", "objective_results", "outcomes"]
