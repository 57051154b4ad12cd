"""How long the HTML drill report takes: the nationwide earthquake early warning (1,741
municipalities, some 14,000 nodes in nodes.csv) and the flagship Aomori missile drill.

    python bench/bench_report.py [--lang en|ja]

Each scenario is run once into a temporary folder (`lalert-sim run --no-report`); then
``build_report`` is timed in this process (the first call includes importing matplotlib and
finding fonts), with the seconds of each step, and `lalert-sim report DIR` end to end in a
fresh process, as a user runs it. Target: the nationwide report in at most 30 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lalert_sim.report.html import build_report

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "nationwide": ROOT / "scenarios" / "jalert_eew_nationwide.yaml",
    "flagship": ROOT / "scenarios" / "jalert_missile_drill_aomori.yaml",
}
TARGET_S = {"nationwide": 30.0}


def timed_build(folder: Path, lang: str) -> tuple[float, list[tuple[str, float]]]:
    """Seconds ``build_report`` takes, and the seconds of each step it told."""
    steps: list[tuple[str, float]] = []
    started = last = time.perf_counter()

    def tell(step: str) -> None:
        nonlocal last
        now = time.perf_counter()
        if steps:
            steps[-1] = (steps[-1][0], now - last)
        steps.append((step, 0.0))
        last = now

    build_report(folder, lang=lang, progress=tell)
    end = time.perf_counter()
    if steps:
        steps[-1] = (steps[-1][0], end - last)
    return end - started, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en", choices=["en", "ja"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name, scenario in SCENARIOS.items():
            folder = Path(scratch) / name
            command = [sys.executable, "-m", "lalert_sim", "run", str(scenario), "--out", str(folder)]
            subprocess.run([*command, "--no-report", "-q"], check=True, capture_output=True)
            nodes = sum(1 for _ in open(folder / "nodes.csv", encoding="utf-8")) - 1
            seconds, steps = timed_build(folder, args.lang)
            started = time.perf_counter()
            report = [sys.executable, "-m", "lalert_sim", "report", str(folder), "--lang", args.lang]
            subprocess.run(report, check=True, capture_output=True)
            command_s = time.perf_counter() - started
            target = TARGET_S.get(name)
            verdict = (
                ""
                if target is None
                else f" ({'meets' if command_s <= target else 'ABOVE'} the target of {target:.0f} s)"
            )
            size = (folder / "report.html").stat().st_size / 1e6
            print(
                f"{name}: {nodes:,} rows of nodes.csv; build_report {seconds:.2f} s in this process; "
                f"`lalert-sim report` {command_s:.2f} s end to end{verdict}; report.html {size:.1f} MB"
            )
            for step, step_s in steps:
                print(f"  {step_s:6.2f} s  {step}")


if __name__ == "__main__":
    main()
