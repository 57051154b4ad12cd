"""A console as the user starts it: ``lalert-sim console``/``replay`` in its own process on a free port,
its URL read from its first line, the stream read by a thread, controls posted with urllib.

Every wait is bounded; the process is stopped by its PID (SIGINT, then SIGKILL) after the test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lalert_sim.console.protocol import bearer
from tests.conftest import start_cli

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

WAIT_S = 20.0  # the longest a start, a message or a state change may take on this machine


class Stream:
    """The server-sent events of ``/api/stream``, read in a thread into ``messages``."""

    def __init__(self, base: str, token: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._response = urllib.request.urlopen(f"{base}/api/stream?token={token}", timeout=WAIT_S)
        self.content_type = self._response.headers.get("Content-Type", "")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._response:
                if line.startswith(b"data:"):
                    message = json.loads(line[5:])
                    with self._changed:
                        self.messages.append(message)
                        self._changed.notify_all()
        except (OSError, ValueError, AttributeError):  # closed by the test (http.client then has no socket)
            pass

    def wait_for(self, condition: Callable[[dict[str, Any]], bool], timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The first message (from the start) that meets ``condition``; AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        with self._changed:
            while True:
                for message in self.messages[seen:]:
                    if condition(message):
                        return message
                seen = len(self.messages)
                left = deadline - time.monotonic()
                assert left > 0, f"no such message within {timeout_s} s (last: {self.messages[-1:]})"
                self._changed.wait(left)

    def latest(self) -> dict[str, Any]:
        """The last message so far."""
        with self._changed:
            return self.messages[-1]

    def close(self) -> None:
        self._thread.join(WAIT_S)
        self._response.close()


class Served:
    """A running ``console`` or ``replay`` process and its URL."""

    def __init__(self, *args: str | Path) -> None:
        self.process = start_cli(*args)
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline()
        assert " at http://" in self.first_line, self.first_line + self._stderr()
        self.url = self.first_line.rsplit(" at ", 1)[1].strip()
        self.base, self.token = self.url.split("/?token=")
        self.streams: list[Stream] = []

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def get(self, path: str, token: str | None = "") -> tuple[int, bytes, dict[str, str]]:
        """GET ``path`` with the right token (``token``: another one; None: none): status, body, headers."""
        chosen = self.token if token == "" else token
        request = urllib.request.Request(self.base + path, headers={} if chosen is None else bearer(chosen))
        try:
            with urllib.request.urlopen(request, timeout=WAIT_S) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def post(self, body: object, token: str | None = "", raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        """POST /api/control with ``body`` and the right token (``token``: another one; None: none)."""
        headers = {"Content-Type": "application/json"}
        chosen = self.token if token == "" else token
        if chosen is not None:
            headers |= bearer(chosen)
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api/control", data, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=WAIT_S) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stream(self) -> Stream:
        """A new viewer of the stream."""
        stream = Stream(self.base, self.token)
        self.streams.append(stream)
        return stream

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C; its exit status, stdout and stderr (viewers' streams end with the server: closing one
        from here while its thread reads would wait for the next message)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            out, err = self.process.communicate(timeout=WAIT_S)
        for stream in self.streams:
            stream.close()
        return self.process.returncode, out, err


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start ``lalert-sim ARGS`` (console or replay, on --port 0); stopped by PID after the test."""
    started: list[Served] = []

    def start(*args: str | Path) -> Served:
        served = Served(*args, "--port", "0")
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
