"""Helpers for driving ``lalert-sim console`` / ``replay`` in a real process and its page in Chromium.

Shared by tests/browser/test_console.py and bench/bench_console.py: start the server on a free
loopback port, read the URL (with its token) it prints, stop it by its process id; open the page with
every console error, page error and failed request collected.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_\-]+)")
START_TIMEOUT_S = 90.0
# Frame gaps measured in the page: every requestAnimationFrame's distance from the previous one.
FRAME_GAPS_JS = """() => {
  window.__gaps = [];
  let last = performance.now();
  const tick = (now) => { window.__gaps.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def free_port() -> int:
    """A TCP port nothing listens on at the moment (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """A running console or replay process and the URL it printed."""

    process: subprocess.Popen[str]
    url: str
    token: str
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(*args: str | Path, cwd: Path | None = None) -> Iterator[Served]:
    """``lalert-sim ARGS --port P`` in its own process group until the block ends; the URL it printed."""
    port = free_port()
    env = {**os.environ, "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lalert_sim", *map(str, args), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    output: list[str] = []
    found = threading.Event()
    match: list[re.Match[str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            hit = URL.search(line)
            if hit and not match:
                match.append(hit)
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not found.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not print its URL: {''.join(output)[-2000:]}")
        (hit,) = match
        yield Served(process, hit.group(0), hit.group(2), int(hit.group(1)), output)
    finally:
        _stop(process)
        reader.join(5)


def _stop(process: subprocess.Popen[str]) -> None:
    """Interrupt the process (as Ctrl-C does), then kill it by its process id if it lingers."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


class PageProblems:
    """Console errors, page errors and failed requests of one page, as they happen."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.closing = False
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        # The event stream is cut when the page closes: not a failure of the page.
        if not self.closing:
            self.errors.append(f"failed request {request.url}: {request.failure}")


def sim_seconds(page: Any) -> float:
    """The simulation time the page shows (the latest clock it applied)."""
    return float(page.locator("#sim-clock").get_attribute("data-sim-s"))


def wait_ready(page: Any, timeout_ms: float = 30_000) -> None:
    """Until the page has drawn its layout and applied the stream's snapshot."""
    page.wait_for_selector("body[data-ready='true']", timeout=timeout_ms)
    page.wait_for_function("() => window.consoleState && window.consoleState.snapshots > 0", timeout=timeout_ms)
