"""The console page's responsiveness: the longest gap between two animation frames, measured in the page
(requestAnimationFrame in headless Chromium), during the first minute of the nationwide scenario at 10×.

    python bench/bench_console.py [--scenario FILE] [--speed 10] [--seconds 60] [--screenshot docs/console.png]

Prints the longest frame gap (target < 100 ms), the 99th percentile, frames drawn, batches and events the
page applied. With ``--screenshot`` it also takes the README's picture: the Aomori drill mid-way.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.console_page import FRAME_GAPS_JS, PageProblems, serve, wait_ready  # noqa: E402

NATIONWIDE = ROOT / "scenarios" / "jalert_eew_nationwide.yaml"
DRILL = ROOT / "scenarios" / "jalert_missile_drill_aomori.yaml"
TARGET_GAP_MS = 100.0
# Main-thread tasks over 50 ms (the browser's Long Tasks API), whatever ran them.
LONG_TASKS_JS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: "longtask", buffered: false });
}"""
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


def frame_gaps(scenario: Path, speed: float, seconds: float) -> dict[str, float]:
    """Frame gaps (ms) and what the page applied over the first ``seconds`` of a console run."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as out, serve("console", scenario, "--speed", str(speed), "--out", out) as s:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems = PageProblems(page)
            loading = time.monotonic()
            page.goto(s.url)
            wait_ready(page, timeout_ms=120_000)
            loaded_s = time.monotonic() - loading
            page.evaluate(LONG_TASKS_JS)
            page.evaluate(FRAME_GAPS_JS)
            page.click("#btn-start")
            time.sleep(seconds)
            gaps = sorted(page.evaluate("window.__gaps"))
            applied = page.evaluate("() => [window.consoleState.batches, window.consoleState.eventsTotal]")
            steps = page.evaluate("() => window.consoleState.timings")
            long_tasks = page.evaluate("window.__longTasks")
            sim_s = float(page.evaluate("() => window.consoleState.clock.sim_s"))
            problems.closing = True
            browser.close()
    if problems.errors:
        raise SystemExit(f"the page reported errors: {problems.errors[:5]}")
    return {
        "longest_ms": gaps[-1],
        "p99_ms": gaps[int(0.99 * (len(gaps) - 1))],
        "frames": len(gaps),
        "batches": applied[0],
        "events": applied[1],
        "sim_s": sim_s,
        "load_s": loaded_s,
        "long_tasks": len(long_tasks),
        "longest_task_ms": max(long_tasks, default=0.0),
        **{f"step_{name}_ms": float(ms) for name, ms in steps.items()},
    }


def idle_gaps(seconds: float) -> float:
    """The longest frame gap of an empty page over ``seconds``: what this machine gives any page (the floor)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<!doctype html><title>floor</title><p>idle</p>")
        page.evaluate(FRAME_GAPS_JS)
        time.sleep(seconds)
        gaps: list[float] = page.evaluate("window.__gaps")
        browser.close()
    return max(gaps)


def screenshot(path: Path, speed: float = 20.0, warned: float = 0.5) -> None:
    """The Aomori drill's page, paused once ``warned`` of its residents are warned, saved as a PNG."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as out, serve("console", DRILL, "--speed", str(speed), "--out", out) as s:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(s.url)
            wait_ready(page)
            page.click("#btn-start")
            page.wait_for_function(
                "share => { const w = window.consoleState.warned;"
                " return w.length && (w[w.length - 1].by_cohort.overall || 0) >= share; }",
                arg=warned,
                timeout=180_000,
            )
            page.click("#btn-pause")
            page.wait_for_selector("#state[data-state='paused']")
            page.wait_for_timeout(600)
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True)
            browser.close()


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=NATIONWIDE)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--screenshot", type=Path, default=None, help="also save the README's screenshot here")
    args = parser.parse_args()
    floor_ms = idle_gaps(min(args.seconds, 20.0))
    figures = frame_gaps(args.scenario, args.speed, args.seconds)
    verdict = "ok" if figures["longest_ms"] < TARGET_GAP_MS else "OVER TARGET"
    print(f"{args.scenario.name} at {args.speed:g}x, first {args.seconds:g} s of wall time:")
    print(f"  page loaded and drawn in {figures['load_s']:.1f} s")
    print(f"  longest frame gap {figures['longest_ms']:.1f} ms (target < {TARGET_GAP_MS:.0f} ms: {verdict})")
    print(f"  floor: longest frame gap of an empty page on this machine {floor_ms:.1f} ms (load {_load()})")
    print(f"  main-thread tasks over 50 ms: {figures['long_tasks']:.0f}, longest {figures['longest_task_ms']:.0f} ms")
    print(f"  99th percentile gap {figures['p99_ms']:.1f} ms over {figures['frames']:.0f} frames")
    steps = ", ".join(
        f"{k.removeprefix('step_').removesuffix('_ms')} {v:.0f}" for k, v in figures.items() if k.startswith("step_")
    )
    print(f"  longest step of a frame's script (ms): {steps}")
    print(
        f"  applied {figures['batches']:.0f} batches, {figures['events']:.0f} events;"
        f" simulation at {figures['sim_s']:.0f} s"
    )
    if args.screenshot is not None:
        screenshot(args.screenshot)
        print(f"  wrote {args.screenshot}")


if __name__ == "__main__":
    main()
