"""Small worlds in a few lines: nodes and links as dicts, built and run like a scenario."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lalert_sim import Prepared, RunResult, prepare, run
from lalert_sim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


CLI_ENV = {"COLUMNS": "120", "PATH": ""}


def cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``lalert-sim ARGS`` in a fresh process, as a user runs it (120-column terminal, no PATH)."""
    return subprocess.run(
        [sys.executable, "-m", "lalert_sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=CLI_ENV,
    )


def start_cli(*args: str | Path) -> subprocess.Popen[str]:
    """``lalert-sim ARGS`` started in the background, as ``cli`` runs it, to interrupt or kill.

    It leads its own process group, as a job in a terminal does: ``os.killpg`` signals it and its workers.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "lalert_sim", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLI_ENV,
        start_new_session=True,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: a real full disk (needs root and a mount the container allows, else skipped)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("cannot mount a small tmpfs here (no mount command)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def has_module(name: str) -> bool:
    """True when an optional dependency (an extra) is installed."""
    return importlib.util.find_spec(name) is not None


def scenario(nodes: list[dict], links: list[dict], alerts: list[dict] | None = None, **extra: Any) -> Scenario:
    """A scenario around explicit nodes and links; one nationwide J-Alert at t=0 by default."""
    data = {
        "metadata": {"name": "test world"},
        "duration_s": extra.pop("duration_s", 3600),
        "topology": {"nodes": nodes, "links": links, **extra.pop("topology", {})},
        "alerts": alerts or [{"id": "a1", "system": "j_alert", "category": "ballistic_missile"}],
        **extra,
    }
    return Scenario.model_validate(data)


def run_world(
    nodes: list[dict], links: list[dict], alerts: list[dict] | None = None, seed: int = 1, **extra: Any
) -> tuple[Prepared, RunResult]:
    """Build and run a small world; returns the prepared scenario and the result."""
    prepared = prepare(scenario(nodes, links, alerts, **extra))
    return prepared, run(prepared, seed)


def first_receipt(result: RunResult, node_id: str, alert: int = 0) -> tuple[float, str | None] | None:
    """(time, link id) of the node's first receipt of an alert, or None."""
    index = list(result.topology.nodes).index(node_id)
    receipt = result.alerts[alert].first.get(index)
    if receipt is None:
        return None
    link = result.topology.links[receipt[2]].id if receipt[2] >= 0 else None
    return receipt[0], link


@pytest.fixture
def jalert_world() -> tuple[list[dict], list[dict]]:
    """J-Alert centre → satellite (broadcast) and terrestrial → two receivers → loudspeakers."""
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "rx-1", "kind": "relay", "area": "02201"},
        {"id": "rx-2", "kind": "relay", "area": "02202"},
        {"id": "spk-1", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "02201"},
        {"id": "spk-2", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "02202"},
    ]
    links = [
        {"id": "sat", "medium": "satellite_geo", "source": "centre", "targets": ["rx-1", "rx-2"], "loss": 0},
        {"id": "ground", "medium": "terrestrial_gov", "source": "centre", "targets": ["rx-1", "rx-2"], "loss": 0},
        {"id": "radio-1", "medium": "municipal_disaster_radio", "source": "rx-1", "target": "spk-1"},
        {"id": "radio-2", "medium": "municipal_disaster_radio", "source": "rx-2", "target": "spk-2"},
    ]
    return nodes, links
