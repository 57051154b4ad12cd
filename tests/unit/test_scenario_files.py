"""Scenario files: every bundled one loads and runs; broken ones get errors with file, field, line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from lalert_sim import Scenario, ScenarioError, load, run, summarise
from tests.conftest import SCENARIOS

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))

MINIMAL = """\
metadata: {name: minimal}
duration_s: 100
topology:
  nodes:
    - {id: centre, kind: origin, system: j_alert}
    - {id: rx, kind: relay, area: "02201"}
  links:
    - {id: sat, medium: satellite_geo, source: centre, target: rx}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_runs_and_meets_its_shape(path: Path) -> None:
    prepared = load(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "each scenario opens with a comment saying what it models"
    assert "DOMAIN" in text, "each scenario says where its figures come from"
    summary = summarise(prepared, run(prepared))
    for alert in summary.alerts:
        assert alert.emitters_reached > 0
    assert summary.objectives, "each bundled scenario states objectives"


def schema_errors(text: str) -> list[str]:
    """What an editor checking the file against `lalert-sim schema` would flag."""
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))  # as an editor sees it: timestamps are text
    validator = jsonschema.Draft202012Validator(Scenario.model_json_schema())
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_is_valid_against_the_json_schema(path: Path) -> None:
    assert schema_errors(path.read_text(encoding="utf-8")) == []


def test_the_json_schema_takes_the_file_format_shorthands() -> None:
    # MINIMAL's link already says `target:` and leaves its medium's fields out
    cap_entry = MINIMAL.replace("  - {id: a,", "  - {cap: alert.xml, issue_s: 60}\n  - {id: a,")
    unquoted_code = MINIMAL.replace('area: "02201"', "area: 13101")  # YAML reads it as a number
    assert cap_entry != MINIMAL and unquoted_code != MINIMAL
    assert schema_errors(cap_entry) == [] and schema_errors(unquoted_code) == []
    both = MINIMAL.replace("target: rx", "target: rx, targets: [rx]")
    assert any("valid under each of" in e for e in schema_errors(both))


def test_minimal_scenario_loads(tmp_path: Path) -> None:
    prepared = load(write(tmp_path, MINIMAL))
    assert list(prepared.topology.nodes) == ["centre", "rx"]
    assert prepared.injections[0].origin == "centre"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("kind: relay", "kind: rellay"), "line 6: topology.nodes[1].kind: 'rellay' is not allowed"),
        (
            ("target: rx", "target: rxx"),
            "line 8: topology.links[0].targets[0]: unknown node 'rxx' (did you mean 'rx'?)",
        ),
        (("duration_s: 100", "duration_s: -1"), "line 2: duration_s: Input should be greater than 0"),
        (
            ("medium: satellite_geo", "medium: satellite_geo, colour: red"),
            "line 8: topology.links[0].colour: unknown field",
        ),
        (
            ("category: ballistic_missile", "category: ballistic_missile, areas: ['02999']"),
            "line 10: alerts[0].areas[0]: no node of the network lies in area 02999",
        ),
        (('area: "02201"', 'area: "022013"'), "line 6: topology.nodes[1].area: '022013': check digit should be 2"),
        (("{id: a, system: j_alert", "{id: a, system: l_alert"), "line 10: alerts[0].origin: cannot tell where"),
        (
            ("medium: satellite_geo,", "medium: satellite_geo, latency_s: {kind: uniform, low: 2, high: 1},"),
            "line 8: topology.links[0].latency_s: high (1.0) must not be below low (2.0)",
        ),
    ],
)
def test_invalid_files_name_file_line_field_and_problem(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = write(tmp_path, MINIMAL.replace(*change))
    found = problems(path)
    assert any(p.startswith(f"{path}: ") and expected in p for p in found), found


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: relay", "kind: rellay").replace("duration_s: 100", "duration_s: 0")
    assert len(problems(write(tmp_path, text))) == 2


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, MINIMAL.replace("{id: rx, kind: relay", "{id: rx kind: relay: x")))
    assert len(found) == 1 and "line 6: not valid YAML" in found[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "must be a mapping"), ("- a\n- b\n", "must be a mapping"), ("just words", "must be a mapping")],
)
def test_empty_or_odd_files_are_rejected(tmp_path: Path, text: str, words: str) -> None:
    assert words in problems(write(tmp_path, text))[0]


def test_a_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("metadata: {name: caf\xe9}".encode("latin-1"))
    assert "cannot read file" in problems(path)[0]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_template_expands_a_real_prefecture_and_accepts_overrides(tmp_path: Path) -> None:
    text = """\
metadata: {name: template}
duration_s: 600
topology:
  templates:
    - {template: prefecture, prefecture: "02", municipalities: ["02201", "02202"], carriers: [docomo]}
  nodes:
    - {id: m-02201/receiver, kind: relay, area: "02201", delay_s: 30}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile, areas: ["02"]}
"""
    prepared = load(write(tmp_path, text))
    nodes = prepared.topology.nodes
    assert nodes["m-02201/receiver"].delay_s.value == 30  # explicit node replaced the generated one
    assert nodes["m-02202/receiver"].name == "弘前市 J-Alert receiver"
    assert {"jalert/centre", "lalert/hub", "carrier/docomo/cbc", "m-02202/cbs-docomo"} <= set(nodes)


def test_template_with_a_code_outside_its_prefecture_is_an_error(tmp_path: Path) -> None:
    text = """\
metadata: {name: template}
duration_s: 600
topology:
  templates:
    - {template: prefecture, prefecture: "02", municipalities: ["03201"]}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile}
"""
    found = problems(write(tmp_path, text))
    assert any(
        "line 5: topology.templates[0].municipalities[0]: 03201 is not a municipality of prefecture 02" in p
        for p in found
    ), found


def test_incident_selecting_nothing_is_an_error(tmp_path: Path) -> None:
    text = MINIMAL + "incidents:\n  - {type: outage, links: {ids: [satt]}}\n"
    assert any("line 12: incidents[0].links: selects no link" in p for p in problems(write(tmp_path, text)))
