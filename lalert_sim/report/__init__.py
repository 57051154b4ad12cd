"""Reports: terminal summary and result files."""

from lalert_sim.report.files import write_results
from lalert_sim.report.terminal import print_summary

__all__ = ["print_summary", "write_results"]
