"""What the TLS and Pi-install tests share: `provision --tls` for loopback, and Mosquitto on its files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lalert_sim.hil.broker import Mosquitto, free_port
from lalert_sim.hil.provision import Provisioned, provision
from tests.hil.conftest import need_mosquitto


def provisioned(out: Path, ids: list[str], mutual: bool) -> Provisioned:
    """`provision --tls [--mutual]` into ``out`` for a broker on a free loopback port, with virtual (mock) nodes."""
    return provision(ids, out, "127.0.0.1", free_port(), mock=True, tls=True, mutual=mutual, bind="127.0.0.1")


@contextmanager
def running_broker(done: Provisioned, node_ids: list[str]) -> Iterator[Mosquitto]:
    """Mosquitto on the configuration `provision` wrote, stopped by its PID afterwards (and checked gone).
    Without Mosquitto the test is skipped, or fails under CI=true."""
    need_mosquitto()
    broker = done.mosquitto(node_ids).start()
    pid = broker.pid
    try:
        yield broker
    finally:
        broker.close()
        if pid is not None:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
