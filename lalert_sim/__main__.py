"""``python -m lalert_sim`` runs the command line."""

from lalert_sim.cli import app

app(prog_name="lalert-sim")
