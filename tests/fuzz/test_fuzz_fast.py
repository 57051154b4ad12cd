"""A few hundred fuzzed inputs in the normal suite (seeded: the same inputs every run), and checks of the
harness itself: inputs are reproducible and unmutated seeds pass their targets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.fuzz.campaign import campaign
from tests.fuzz.inputs import NOW_S, Input, Kind, alert_fields, make_input, node_toml_seed, signed_wire, toml_text
from tests.fuzz.targets import run_target

FAST_COUNTS = {Kind.SCENARIO: 120, Kind.CAP: 60, Kind.NODE_TOML: 30, Kind.MQTT: 60}
FAST_SEED = 1


def test_a_few_hundred_fuzzed_inputs_end_in_documented_errors_within_limits(tmp_path: Path) -> None:
    findings = campaign(FAST_COUNTS, FAST_SEED, tmp_path / "findings", workers=2, report=lambda line: None)
    assert sum(findings.inputs.values()) == sum(FAST_COUNTS.values())
    assert findings.failures == 0, f"{findings.table()}\n{findings.summary()}\nsaved in {tmp_path / 'findings'}"


@pytest.mark.parametrize("kind", list(Kind))
def test_the_same_seed_and_index_give_the_same_input(kind: Kind) -> None:
    first = [make_input(kind, 3, index) for index in range(20)]
    assert first == [make_input(kind, 3, index) for index in range(20)]
    assert len({item.data for item in first}) > 10


def test_unmutated_seeds_pass_their_targets(tmp_path: Path) -> None:
    scenario = Input(Path("scenarios/field_nodes_missile_drill.yaml").read_bytes(), "field_nodes_missile_drill.yaml")
    cap = Input(
        Path("tests/data/cap/oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml").read_bytes(), ""
    )
    node_toml = Input(toml_text(node_toml_seed()).encode(), "node.example.toml")
    fields = alert_fields(random.Random(0), 1) | {"category": "test", "mode": "exercise"}
    mqtt = Input(json.dumps(signed_wire(json.dumps(fields))).encode(), "signed alert", {"topic": "alert"})
    ping = Input(json.dumps({"v": 1, "seq": 1, "t1": NOW_S}).encode(), "time/ping", {"topic": "time/ping"})
    verdicts = [
        run_target(kind, item, tmp_path)
        for kind, item in [
            (Kind.SCENARIO, scenario),
            (Kind.CAP, cap),
            (Kind.NODE_TOML, node_toml),
            (Kind.MQTT, mqtt),
            (Kind.MQTT, ping),
        ]
    ]
    assert verdicts == ["valid", "valid", "valid", "actuated", "pong"]
