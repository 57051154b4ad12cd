"""`lalert-sim console --broker`: the live console driving node processes through a real Mosquitto,
their measured latencies on the console's stream beside the simulated arrivals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lalert_sim.hil.protocol import Signer, generate_key
from tests.conftest import SCENARIOS
from tests.hil.conftest import NodeProcess

pytest.importorskip("starlette")
from tests.console.conftest import Served  # noqa: E402  (needs starlette)

IDS = ["pi-hachinohe-siren", "pi-hachinohe-indoor", "pi-misawa-siren", "pi-hachinohe-shelter"]


def test_console_with_a_broker_shows_each_field_nodes_measured_latency(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    broker = broker_factory(IDS)
    key, _ = generate_key(tmp_path / "keys", "drill")
    signer = Signer.from_file(key)
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in IDS]
    url = f"mqtt://bridge:{broker.address().password}@127.0.0.1:{broker.port}"
    out = tmp_path / "out"
    scenario = SCENARIOS / "field_nodes_missile_drill.yaml"
    console = Served("console", scenario, "--broker", url, "--key", key, "--speed", "10", "--port", "0", "--out", out)
    try:
        stream = console.stream()
        status, body = console.post({"action": "start"})  # answered once the nodes are online
        assert status == 200, body
        seen: dict[str, Any] = {}

        def all_actuated(message: dict[str, Any]) -> bool:
            seen.update(message["field"])
            return len(seen) == len(IDS) and all(s["outcome"] == "actuated" for s in seen.values())

        stream.wait_for(all_actuated, timeout_s=90)
        assert set(seen) == set(IDS)
        assert all(0 < s["latency_ms"] < 5_000 for s in seen.values()), seen
        layout = json.loads(console.get("/api/scenario")[1])
        bound = {n["field_node"] for n in layout["nodes"] if n.get("field_node")}
        assert bound in (set(), set(IDS))  # the bare layout has no bindings; the page's names them all
        stream.wait_for(lambda m: m["clock"]["state"] == "ended", timeout_s=60)
    finally:
        code, stdout, stderr = console.stop()
    assert code == 0, stderr
    report = json.loads((out / "hil_report.json").read_text())
    measured = {
        d["field_node"]: d["actuation_latency_ms"] for d in report["deliveries"] if d["alert"] == "missile-exercise"
    }
    assert set(measured) >= {"pi-hachinohe-siren", "pi-misawa-siren"}
    assert json.loads((out / "summary.json").read_text())["scenario"]["duration_s"] == 90
