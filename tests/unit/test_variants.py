"""Variants: named plans in one scenario file, run and compared like separate files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lalert_sim.analysis.responses_report import responses_summary
from lalert_sim.errors import InvalidInput, ScenarioError
from lalert_sim.model.loader import parse_scenario, parse_yaml
from lalert_sim.model.responses import Equipment
from lalert_sim.montecarlo import SweepSpec, run_sweep
from lalert_sim.montecarlo.variants import Plan, variant_plan, variant_plans
from lalert_sim.prepare import load
from lalert_sim.runner import run
from tests.conftest import SCENARIOS, cli

NETWORK = """\
metadata: {name: two paths}
seed: 11
duration_s: 600
topology:
  nodes:
    - {id: centre, kind: origin, system: j_alert}
    - {id: receiver, kind: relay}
    - {id: speaker, kind: emitter, channel: outdoor_loudspeaker, delay_s: {kind: exponential, mean: 3}}
  links:
    - {id: sat, medium: satellite_geo, source: centre, target: receiver, loss: 0.3}
    - {id: wire, medium: terrestrial_gov, source: centre, target: receiver,
       latency_s: {kind: exponential, mean: LATENCY}}
    - {id: out, medium: fibre, source: receiver, target: speaker}
alerts:
  - {id: warning, system: j_alert, category: ballistic_missile, areas: [], origin: centre}
"""
BASE = NETWORK.replace("LATENCY", "5")
VARIANTS = """\
variants:
  slow_wire:
    topology:
      links:
        - {id: sat, medium: satellite_geo, source: centre, target: receiver, loss: 0.3}
        - {id: wire, medium: terrestrial_gov, source: centre, target: receiver,
           latency_s: {kind: exponential, mean: 20}}
        - {id: out, medium: fibre, source: receiver, target: speaker}
  no_satellite:
    incidents: [{type: outage, links: {ids: [sat]}}]
"""
SLOW_WIRE = NETWORK.replace("LATENCY", "20")  # the same plans, written out by hand as separate files
NO_SATELLITE = BASE + "incidents: [{type: outage, links: {ids: [sat]}}]\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def differences(folder: Path) -> dict[str, object]:
    comparison = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    return comparison["differences"]  # type: ignore[no-any-return]


def test_compare_of_variants_gives_the_paired_differences_of_separate_files(tmp_path: Path) -> None:
    plans = write(tmp_path, "plans.yaml", BASE + VARIANTS)
    together = cli("compare", plans, "--variants", "slow_wire,no_satellite", "-n", "40", "-w", "1", "--no-plots",
                   "--out", tmp_path / "together")  # fmt: skip
    assert together.returncode == 0, together.stderr
    files = [write(tmp_path, "plans.yaml".replace("plans", n), t) for n, t in
             [("base", BASE), ("slow_wire", SLOW_WIRE), ("no_satellite", NO_SATELLITE)]]  # fmt: skip
    apart = cli("compare", *files, "-n", "40", "-w", "1", "--no-plots", "--seed", "11", "--out", tmp_path / "apart")
    assert apart.returncode == 0, apart.stderr
    together_found, apart_found = differences(tmp_path / "together"), differences(tmp_path / "apart")
    assert set(together_found) == {"slow_wire", "no_satellite"}
    assert together_found == apart_found
    # and the differences are real ones: a slower wire delays the speaker, in every pair where it mattered
    slower = together_found["slow_wire"]["warning.emitters_50pct_s"]  # type: ignore[index]
    assert slower["mean_difference"] > 0 and slower["ci95_low"] > 0


def test_a_variant_swept_alone_gives_the_rows_of_its_separate_file(tmp_path: Path) -> None:
    plans = write(tmp_path, "plans.yaml", BASE + VARIANTS)
    alone = write(tmp_path, "alone.yaml", NO_SATELLITE)
    variant = variant_plan(plans, "no_satellite")
    rows = run_sweep(SweepSpec(plans, 12, 3, tmp_path / "v", scenario_text=variant.text)).rows
    separate = run_sweep(SweepSpec(alone, 12, 3, tmp_path / "s")).rows
    base = run_sweep(SweepSpec(plans, 12, 3, tmp_path / "b")).rows  # the variant is not the base
    assert json.dumps(rows, sort_keys=True) == json.dumps(separate, sort_keys=True)  # NaN written alike
    assert any(r["warning.emitters_50pct_s"] != s["warning.emitters_50pct_s"] for r, s in zip(rows, base, strict=True))


def test_a_broken_variant_is_named_by_its_field_and_line(tmp_path: Path) -> None:
    text = BASE + "variants:\n  bad:\n    duration_s: -1\n  odd:\n    topology: {nodez: []}\n"
    data, _lines = parse_yaml(text, "x.yaml")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["variants.bad.duration_s", "variants.odd.topology.nodez"]
    path = write(tmp_path, "x.yaml", text)
    done = cli("validate", path)
    assert done.returncode == 2
    first = BASE.count("\n") + 1  # the line of `variants:`
    assert f"line {first + 2}: variants.bad.duration_s" in done.stderr
    assert f"line {first + 4}: variants.odd.topology.nodez: unknown field" in done.stderr


def test_a_variant_that_breaks_the_network_is_named_when_it_is_prepared(tmp_path: Path) -> None:
    path = write(
        tmp_path, "x.yaml", BASE + "variants:\n  typo:\n    incidents: [{type: outage, links: {ids: [sta]}}]\n"
    )
    with pytest.raises(ScenarioError) as caught:
        variant_plan(path, "typo").prepare()
    (problem,) = caught.value.problems
    assert (problem.field, problem.file, problem.line) == (
        "variants.typo.incidents[0].links",
        str(path),
        BASE.count("\n") + 3,
    )
    done = cli("sweep", path, "--variant", "typo", "-n", "2", "--out", tmp_path / "out")
    assert done.returncode == 2 and "variants.typo.incidents[0].links: selects no link" in done.stderr
    done = cli("validate", path)  # validate builds every variant's network too
    assert done.returncode == 2 and "variants.typo.incidents[0].links: selects no link" in done.stderr


def test_a_variant_cannot_hold_variants() -> None:
    data, _lines = parse_yaml(BASE + "variants:\n  inner:\n    variants: {x: {}}\n", "x.yaml")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert [p.field for p in caught.value.problems] == ["variants.inner.variants"]


def test_unknown_or_repeated_variant_names_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "plans.yaml", BASE + VARIANTS)
    with pytest.raises(InvalidInput, match=r"no variant 'fast'.*variants: slow_wire, no_satellite"):
        variant_plan(path, "fast")
    with pytest.raises(InvalidInput, match="named twice"):
        variant_plans(path, ["slow_wire", "slow_wire"])
    done = cli("compare", path, "--variant", "slow_wire", "-n", "2", "--out", tmp_path / "out")
    assert done.returncode == 2 and "compare takes no --variant" in done.stderr
    done = cli("sweep", path, "--variants", "slow_wire", "-n", "2", "--out", tmp_path / "out")
    assert done.returncode == 2 and "sweep takes no --variants" in done.stderr


def test_variants_are_plans_after_the_file_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "plans.yaml", BASE + VARIANTS)
    plans = variant_plans(path, ["no_satellite", "slow_wire"])
    assert [p.name for p in plans] == ["plans", "no_satellite", "slow_wire"]
    assert plans[0] == Plan("plans", path)
    assert all("variants" not in parse_yaml(p.text or "", "x")[0] for p in plans[1:])


def test_the_bundled_doubled_pool_variant_shortens_the_worst_cut_off() -> None:
    path = SCENARIOS / "tsunami_wide_area_loans.yaml"
    base = load(path)
    doubled = variant_plan(path, "double_ict_units").prepare()
    assert sum(d.units for d in doubled.responses.pools[Equipment.ICT_UNIT].depots) == 50
    assert sum(d.units for d in base.responses.pools[Equipment.ICT_UNIT].depots) == 25
    worst = {}
    for name, prepared in (("base", base), ("doubled", doubled)):
        summary = responses_summary(run(prepared, 1))
        assert summary is not None
        worst[name] = max(r.cut_off_for_s for r in summary.requests)
    assert worst["doubled"] < worst["base"], worst
