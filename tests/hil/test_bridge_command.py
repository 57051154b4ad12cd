"""`lalert-sim bridge` and `lalert-sim node` as separate processes through a real Mosquitto."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from lalert_sim.hil.protocol import Signer, generate_key
from tests.conftest import SCENARIOS, cli
from tests.hil.conftest import NodeProcess


def test_the_bridge_command_drives_node_processes(tmp_path: Path, broker_factory, node_processes) -> None:
    ids = ["pi-hachinohe-siren", "pi-hachinohe-indoor", "pi-misawa-siren", "pi-hachinohe-shelter"]
    broker = broker_factory(ids)
    key, _ = generate_key(tmp_path / "keys", "drill")
    signer = Signer.from_file(key)
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    bridge = broker.address()
    url = f"mqtt://bridge:{bridge.password}@127.0.0.1:{broker.port}"
    done = cli(
        "bridge",
        SCENARIOS / "field_nodes_missile_drill.yaml",
        "--broker",
        url,
        "--key",
        key,
        "--speed",
        "10",
        "--until",
        "50",
        "--presence-wait",
        "60",
        "--out",
        tmp_path / "out",
    )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "hil_nodes.csv").open() as handle:
        nodes = {row["field_node"]: row for row in csv.DictReader(handle)}
    assert set(nodes) == set(ids)
    assert all(n["presence"] == "online" and n["actuated"] == "1" for n in nodes.values()), nodes
    report = json.loads((tmp_path / "out" / "hil_report.json").read_text())
    shelter = next(d for d in report["deliveries"] if d["alert"] == "shelter-open")
    assert shelter["field_node"] == "pi-hachinohe-shelter" and shelter["sim_node"] == "m-02203/shelter-signage"
    assert 45 < shelter["sim_arrival_s"] < 50  # issued at 45 s, one internet hop
