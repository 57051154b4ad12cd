"""Rewrites the README's "Checked against history" table from a fresh `lalert-sim history` run.

    python tools/update_readme_history.py [-n N] [--seed S] [--workers W]

Runs every event of validation/events.yaml (each with its own replications
unless -n is given) and replaces what lies between ``<!-- history:start -->``
and ``<!-- history:end -->`` in README.md with the Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from lalert_sim.montecarlo.history import load_events, run_history
from lalert_sim.montecarlo.sweep import cpu_count
from lalert_sim.report.history import history_markdown, replace_between_markers

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--replications", type=int, default=None, help="replications per event")
    parser.add_argument("--seed", type=int, default=None, help="master seed (default: each scenario's)")
    parser.add_argument("--workers", type=int, default=cpu_count(), help="local worker processes")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--events", type=Path, default=ROOT / "validation" / "events.yaml")
    args = parser.parse_args()
    loaded = load_events(args.events)
    with tempfile.TemporaryDirectory(prefix="lalert-history-") as scratch:
        rows = run_history(loaded, Path(scratch), args.replications, args.seed, args.workers)
    text = args.readme.read_text(encoding="utf-8")
    args.readme.write_text(replace_between_markers(text, history_markdown(rows)), encoding="utf-8")
    print(f"rewrote the history table in {args.readme} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
