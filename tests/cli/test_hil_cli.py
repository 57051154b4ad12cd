"""The field-node commands as a user runs them: real processes, real files, clear errors."""

from __future__ import annotations

import csv
import socket
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS, cli

pytest.importorskip("aiomqtt")
pytest.importorskip("amqtt")

FIELD_DRILL = SCENARIOS / "field_nodes_missile_drill.yaml"


def rows(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_demo_runs_bridge_and_virtual_nodes_on_the_embedded_broker(tmp_path: Path) -> None:
    done = cli("demo-hil", FIELD_DRILL, "--speed", "10", "--until", "50", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    nodes = rows(tmp_path / "hil_nodes.csv")
    assert [n["field_node"] for n in nodes] == [
        "pi-hachinohe-siren",
        "pi-hachinohe-indoor",
        "pi-misawa-siren",
        "pi-hachinohe-shelter",
    ]
    assert all(n["actuated"] == "1" and n["missed"] == "0" for n in nodes), nodes
    deliveries = rows(tmp_path / "hil_deliveries.csv")
    assert {d["alert"] for d in deliveries} == {"missile-exercise", "shelter-open"}
    assert all(float(d["actuation_latency_ms"]) < 1000 for d in deliveries)
    assert "4 deliveries to 4 field nodes: 4 actuated" in done.stdout


def test_demo_binds_virtual_nodes_to_a_scenario_without_bindings(tmp_path: Path) -> None:
    done = cli(
        "demo-hil",
        SCENARIOS / "lalert_evacuation_order_kesennuma.yaml",
        "--nodes",
        "3",
        "--speed",
        "100",
        "--until",
        "1",
        "--out",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert [n["field_node"] for n in rows(tmp_path / "hil_nodes.csv")] == ["virtual-1", "virtual-2", "virtual-3"]


def test_provision_writes_keys_broker_config_and_node_files(tmp_path: Path) -> None:
    done = cli("provision", FIELD_DRILL, "--out", tmp_path, "--broker-host", "127.0.0.1")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "keys" / "drill.key").stat().st_mode & 0o077 == 0
    acl = (tmp_path / "broker" / "acl").read_text()
    assert "user pi-misawa-siren\ntopic read lalert/v1/node/pi-misawa-siren/alert" in acl
    config = (tmp_path / "broker" / "mosquitto.conf").read_text()
    for line in ("use_username_as_clientid true", "message_size_limit 16384", "persistence true"):
        assert line in config.splitlines()
    assert (tmp_path / "nodes" / "pi-hachinohe-shelter" / "node.toml").exists()


def test_bad_node_config_is_one_clear_error(tmp_path: Path) -> None:
    assert cli("provision", FIELD_DRILL, "--out", tmp_path).returncode == 0
    config = tmp_path / "nodes" / "pi-misawa-siren" / "node.toml"
    config.write_text(config.read_text().replace("max_actuation_s = 120", "max_actuation_s = -5"))
    done = cli("node", "--config", config)
    assert done.returncode == 2
    assert f"{config}: safety.max_actuation_s: Input should be greater than 0" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("url", "problem"), [("http://a b", "only mqtt:// is supported"), ("mqtt://a b:1883", "bad host")]
)
def test_a_node_config_with_a_broker_url_it_cannot_use_is_invalid_input(tmp_path: Path, url: str, problem: str) -> None:
    assert cli("provision", FIELD_DRILL, "--out", tmp_path).returncode == 0
    config = tmp_path / "nodes" / "pi-misawa-siren" / "node.toml"
    text = config.read_text()
    start = text.index("url = ")
    config.write_text(text[:start] + f'url = "{url}"' + text[text.index("\n", start) :])
    done = cli("node", "--config", config)
    assert done.returncode == 2, done.stderr
    assert f"{config}: broker.url:" in done.stderr and problem in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "unexpected" not in done.stderr


def test_bridge_errors_name_the_problem(tmp_path: Path) -> None:
    assert cli("provision", FIELD_DRILL, "--out", tmp_path).returncode == 0
    key = tmp_path / "keys" / "drill.key"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    checks = [
        (("bridge", FIELD_DRILL, "--broker", f"mqtt://bridge:x@127.0.0.1:{port}", "--key", key), "error: broker", 1),
        (("bridge", FIELD_DRILL, "--broker", "http://127.0.0.1", "--key", key), "only mqtt:// is supported", 2),
        (("bridge", FIELD_DRILL, "--key", tmp_path / "missing.key"), "--key", 2),  # a missing input: invalid
        (("bridge", SCENARIOS / "jalert_missile_drill_aomori.yaml", "--key", key), "field_nodes: missing", 1),
    ]
    for args, message, code in checks:
        done = cli(*args, "--out", tmp_path / "out")
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("command", "option", "value", "named"),
    [
        ("demo-hil", "--speed", "0", "--speed must be above 0"),
        ("demo-hil", "--speed", "2e6", "--speed must be above 0"),
        ("demo-hil", "--until", "-5", "--until must be a simulated second above 0"),
        ("demo-hil", "--nodes", "0", "--nodes must be from 1 to 10,000"),
        ("demo-hil", "--nodes", "1000000000", "--nodes must be from 1 to 10,000"),
        ("bridge", "--speed", "-1", "--speed must be above 0"),
        ("bridge", "--ack-deadline", "0", "--ack-deadline must be a number of seconds above 0"),
    ],
)
def test_run_options_out_of_range_are_invalid_input_naming_the_option(
    command: str, option: str, value: str, named: str, tmp_path: Path
) -> None:
    done = cli(command, FIELD_DRILL, option, value, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr and "unexpected" not in done.stderr
    assert not (tmp_path / "out").exists()  # refused before anything started


def test_provision_into_a_file_is_invalid_input(tmp_path: Path) -> None:
    (tmp_path / "field").write_text("not a folder", encoding="utf-8")
    done = cli("provision", FIELD_DRILL, "--out", tmp_path / "field")
    assert done.returncode == 2 and "is a file; give a folder" in done.stderr, done.stderr
    assert (tmp_path / "field").read_text(encoding="utf-8") == "not a folder"
