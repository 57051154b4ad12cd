"""Sensitivity analysis: parameters set through overrides, known answers for Morris and Sobol', common seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from lalert_sim.errors import InvalidInput
from lalert_sim.model.loader import read_yaml
from lalert_sim.model.overrides import merged
from lalert_sim.montecarlo import SweepSpec, run_sweep
from lalert_sim.montecarlo.parameters import (
    NotApplicable,
    Parameter,
    applicable,
    baseline,
    check_ranges,
    overrides,
    packaged_parameters,
    read_parameters,
    sample_data,
)
from lalert_sim.montecarlo.results import column
from lalert_sim.montecarlo.sensitivity import (
    MorrisIndex,
    SensitivitySpec,
    SobolIndex,
    check_spec,
    choose_parameters,
    elementary_effects,
    morris_indices,
    run_sensitivity,
)
from lalert_sim.prepare import load, load_text
from tests.conftest import SCENARIOS, cli, has_module

pytest.importorskip("SALib")

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"

# The KPI (time until the only emitter emits) is the used link's latency plus the emitter's own
# Uniform(0, 20) delay; the unused link leaves an origin no alert starts from.
TOY = """\
metadata: {name: toy}
duration_s: 1000
topology:
  nodes:
    - {id: src, kind: origin, system: j_alert}
    - {id: spare, kind: origin, system: l_alert}
    - {id: out, kind: emitter, channel: tv, delay_s: {kind: uniform, low: 0, high: 20}}
  links:
    - {id: used, medium: fibre, source: src, target: out, latency_s: 5}
    - {id: unused, medium: fibre, source: spare, target: out, latency_s: 5}
alerts:
  - {id: a, system: j_alert, category: test, origin: src}
"""
USED = Parameter("topology.links.0.latency_s", 0.0, 100.0, "test")
UNUSED = Parameter("topology.links.1.latency_s", 0.0, 100.0, "test")
KPI = "a.emitters_50pct_s"


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(TOY, encoding="utf-8")
    return path


def test_morris_ranks_the_link_that_sets_the_kpi_first_and_the_unused_one_at_zero(toy: Path) -> None:
    spec = SensitivitySpec(toy, "morris", 6, 3, 11, [UNUSED, USED], [KPI])
    outcome = run_sensitivity(spec)
    (kpi,) = outcome.result.kpis
    first, second = kpi.indices
    assert isinstance(first, MorrisIndex) and isinstance(second, MorrisIndex)
    assert [first.parameter, second.parameter] == [USED.path, UNUSED.path]
    # KPI = latency + the same emitter delay at every point (common seeds): each elementary effect is
    # the whole range, 100 s, and the unused link's are exactly 0.
    assert first.mu_star == pytest.approx(100.0) and first.mu == pytest.approx(100.0)
    assert first.sigma == pytest.approx(0.0, abs=1e-9)
    assert first.mu_star_ci95_low > 0
    assert (second.mu_star, second.sigma, second.mu_star_ci95_high) == (0.0, 0.0, 0.0)
    assert outcome.result.points == 6 * 3 and outcome.design.shape == (18, 2)


def test_sobol_gives_the_driving_link_the_variance_and_the_unused_one_none(toy: Path) -> None:
    spec = SensitivitySpec(toy, "sobol", 32, 2, 11, [UNUSED, USED], [KPI])
    (kpi,) = run_sensitivity(spec).result.kpis
    first, second = kpi.indices
    assert isinstance(first, SobolIndex) and isinstance(second, SobolIndex)
    assert [first.parameter, second.parameter] == [USED.path, UNUSED.path]
    # Theory for y = x1 + c: S1 = ST = 1 for x1, 0 for x2 (the estimators of x2 are exactly 0).
    assert first.st_ci95_low <= 1.0 <= first.st_ci95_high and first.st_ci95_low > 0.5
    assert first.s1_ci95_low <= 1.0 <= first.s1_ci95_high and first.s1_ci95_low > 0.3
    assert (second.s1, second.st) == (0.0, 0.0)


def test_a_points_kpi_is_the_mean_of_a_sweep_of_the_same_variant_on_the_same_seeds(toy: Path, tmp_path: Path) -> None:
    spec = SensitivitySpec(toy, "morris", 2, 4, 5, [USED, UNUSED], [KPI])
    outcome = run_sensitivity(spec)
    data, _ = read_yaml(toy)
    scenario = load(toy).scenario
    for point in (0, 3):
        variant = yaml.safe_dump(sample_data(data, scenario, spec.parameters, outcome.design[point]))
        sweep = run_sweep(SweepSpec(toy, 4, 5, tmp_path / f"sweep{point}", scenario_text=variant)).rows
        assert outcome.means[KPI][point] == pytest.approx(float(np.mean(column(sweep, KPI))), abs=1e-12)


def test_morris_indices_match_an_analytic_function() -> None:
    # y = 3 x1 + x2^2 + 0 x3 on [0, 1]^2 x [0, 10]: each effect of x1 is 3 per unit, i.e. 3 over its whole range;
    # x3 does nothing; x2's effects vary with where the step is taken (sigma > 0).
    from SALib.sample import morris

    parameters = [Parameter("a", 0, 1, "t"), Parameter("b", 0, 1, "t"), Parameter("c", 0, 10, "t")]
    spec = SensitivitySpec(Path("unused.yaml"), "morris", 20, 1, 3, parameters)
    values = morris.sample(spec.problem(), 20, num_levels=4, seed=1)
    y = 3 * values[:, 0] + values[:, 1] ** 2
    found = {i.parameter: i for i in morris_indices(spec, values, y)}
    assert found["a"].mu_star == pytest.approx(3.0) and found["a"].sigma == pytest.approx(0.0, abs=1e-12)
    assert found["c"].mu_star == 0.0
    effects = elementary_effects(values, y, spec.problem()["bounds"])
    assert found["b"].mu_star == pytest.approx(float(np.abs(effects[1]).mean()))
    assert found["b"].sigma == pytest.approx(float(effects[1].std(ddof=1))) and found["b"].sigma > 0
    # x2 steps of 2/3 from 0 or 1/3: (x + 2/3)^2 - x^2 over 2/3 = 2x + 2/3, i.e. 2/3 or 4/3.
    assert set(np.round(np.abs(effects[1]), 9)) <= {round(2 / 3, 9), round(4 / 3, 9)}
    assert found["b"].mu_star_ci95_low <= found["b"].mu_star <= found["b"].mu_star_ci95_high


def test_a_parameter_path_sets_the_value_through_overrides_keeping_the_rest() -> None:
    data, _ = read_yaml(FLAGSHIP)
    scenario = load(FLAGSHIP).scenario
    change = overrides(data, scenario, "residents.word_of_mouth.delay.median", 400.0)
    # The flagship says nothing of residents: the delay's other fields come from the default.
    assert change["residents"]["word_of_mouth"]["delay"] == {"kind": "lognormal", "median": 400.0, "sigma": 0.8}
    varied = load_text(yaml.safe_dump(merged(data, change)), str(FLAGSHIP)).scenario
    assert varied.residents.word_of_mouth.delay.median == 400.0  # type: ignore[union-attr]
    assert varied.residents.word_of_mouth.reachability == scenario.residents.word_of_mouth.reachability
    assert varied.incidents == scenario.incidents and varied.topology == scenario.topology


def test_a_star_sets_every_element_of_a_list_that_has_the_field(tmp_path: Path) -> None:
    text = FLAGSHIP.read_text(encoding="utf-8")
    data, _ = read_yaml(FLAGSHIP)
    two = merged(data, {"topology": {"templates": data["topology"]["templates"] * 2}})
    two["topology"]["templates"][1] = {**two["topology"]["templates"][1], "prefecture": "03"}
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two), encoding="utf-8")
    scenario = load(path).scenario
    varied = sample_data(two, scenario, [Parameter("topology.templates.*.community_fm_share", 0, 1, "t")], [0.45])
    assert [t["community_fm_share"] for t in varied["topology"]["templates"]] == [0.45, 0.45]
    assert varied["topology"]["templates"][1]["prefecture"] == "03"
    # An incident field only outage-type incidents lack: no element has it.
    with pytest.raises(NotApplicable, match="no element"):
        baseline(data, load_text(text, str(FLAGSHIP)).scenario, "incidents.*.loss")


def test_the_baseline_is_the_scenarios_value_and_missing_sections_are_named() -> None:
    data, _ = read_yaml(FLAGSHIP)
    scenario = load(FLAGSHIP).scenario
    assert baseline(data, scenario, "topology.templates.0.community_fm_share") == 0.3
    assert baseline(data, scenario, "residents.word_of_mouth.reachability.home_asleep") == 0.6
    assert baseline(data, scenario, "failures.rates.indoor_receivers") is None  # a new key: the default applies
    with pytest.raises(NotApplicable, match="felt_quake"):
        baseline(data, scenario, "residents.felt_quake.woken")
    with pytest.raises(NotApplicable, match="no field 'nonsense'"):
        baseline(data, scenario, "residents.nonsense")
    with pytest.raises(NotApplicable, match="not a number"):
        baseline(data, scenario, "metadata.name")


def test_default_parameters_are_the_registrys_less_those_the_scenario_lacks() -> None:
    chosen, left_out = choose_parameters(FLAGSHIP, None)
    registry = packaged_parameters()
    assert {p.path for p in chosen} | {r.split(": ")[0] for r in left_out} == {p.path for p in registry}
    assert "residents.indoor_receiver_share" in {p.path for p in chosen}
    assert any(r.startswith("responses.roaming.switchover_s.median: ") for r in left_out)


def test_every_registry_entry_is_an_assumption_with_a_range_around_its_default() -> None:
    registry = packaged_parameters()
    assert len({p.path for p in registry}) == len(registry)
    covered = set()
    for path in [*sorted(SCENARIOS.glob("*.yaml")), SCENARIOS.parent / "validation" / "tohoku_2011.yaml"]:
        data, _ = read_yaml(path)
        scenario = load(path).scenario
        kept, _ = applicable(registry, data, scenario)
        check_ranges(data, scenario, kept, "registry")  # each end leaves every shipped scenario valid
        for parameter in kept:
            assert "assumption" in parameter.source, parameter.path
            assert parameter.low < parameter.high
            if parameter.baseline is not None:
                assert parameter.low <= parameter.baseline <= parameter.high, (path.name, parameter)
            covered.add(parameter.path)
    # Every entry applies to at least one shipped scenario, except what none of them sets up.
    assert {p.path for p in registry} - covered <= {
        "incidents.*.latency_factor",
        "incidents.*.loss",
        "responses.power_vehicles.detect_s.median",
        "responses.power_vehicles.setup_s.median",
        "responses.power_vehicles.speed_kmh",
    }


def test_a_parameters_file_replaces_the_registry_and_its_mistakes_are_named(tmp_path: Path, toy: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text("topology.links.0.latency_s: [0, 100]\n", encoding="utf-8")
    assert read_parameters(good) == [Parameter("topology.links.0.latency_s", 0.0, 100.0, "p.yaml")]
    chosen, left_out = choose_parameters(toy, good)
    assert [p.path for p in chosen] == ["topology.links.0.latency_s"] and chosen[0].baseline == 5 and not left_out
    for text, message in [
        ("- a\n", "mapping"),
        ("a: 3\n", "a: the range must be"),
        ("a: [1, 2, 3]\n", "a: the range must be"),
        ("a: [2, 1]\n", r"a: low \(2\) must be below high \(1\)"),
        ("a: [0, .nan]\n", "finite"),
    ]:
        good.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidInput, match=message):
            read_parameters(good)
    good.write_text("topology.links.5.latency_s: [0, 1]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"p\.yaml: topology\.links\.5\.latency_s: no element 5"):
        choose_parameters(toy, good)


def test_a_range_that_leaves_the_scenario_invalid_is_refused_before_anything_runs(toy: Path) -> None:
    data, _ = read_yaml(FLAGSHIP)
    scenario = load(FLAGSHIP).scenario
    wrong = Parameter("residents.word_of_mouth.reachability.home_asleep", 0.5, 1.5, "t")
    with pytest.raises(InvalidInput, match=r"p\.yaml: .*home_asleep: high end 1\.5 makes the scenario invalid"):
        check_ranges(data, scenario, [wrong], "p.yaml")
    with pytest.raises(InvalidInput, match="power of 2"):
        check_spec(SensitivitySpec(toy, "sobol", 12, 1, 0, [USED]))
    with pytest.raises(InvalidInput, match="no parameter"):
        check_spec(SensitivitySpec(toy, "morris", 4, 1, 0, []))


def test_an_unknown_kpi_is_named_with_the_ones_there_are(toy: Path) -> None:
    with pytest.raises(InvalidInput, match=r"--kpi a\.nonsense: no such KPI; .*a\.emitters_50pct_s"):
        run_sensitivity(SensitivitySpec(toy, "morris", 2, 1, 0, [USED], ["a.nonsense"]))


def test_a_kpi_no_parameter_moves_has_zero_morris_and_nan_sobol_indices(toy: Path) -> None:
    (kpi,) = run_sensitivity(SensitivitySpec(toy, "sobol", 4, 1, 0, [UNUSED], [KPI])).result.kpis
    assert kpi.spread == 0.0 and all(math.isnan(i.st) for i in kpi.indices)  # type: ignore[union-attr]


def test_the_command_ranks_the_flagships_assumptions_in_a_table_a_plot_and_files(tmp_path: Path) -> None:
    out = tmp_path / "sens"
    done = cli("sensitivity", FLAGSHIP, "--method", "morris", "-n", "2", "-r", "2", "-w", "1", "--out", out)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    count = len(result["parameters"])
    assert result["points"] == 2 * (count + 1)
    assert f"missile-drill-1.unwarned_at_deadline: morris, {2 * (count + 1)} points × 2 replications" in done.stdout
    assert "residents.indoor_receiver_share" in done.stdout and "mu* (95 % CI)" in done.stdout
    (kpi,) = result["kpis"]
    ranked = [index["mu_star"] for index in kpi["indices"]]
    assert ranked == sorted(ranked, reverse=True) and ranked[0] > 0
    assert len(kpi["indices"]) == count
    # The flagship's loudspeakers, phones and indoor receivers are among the parameters; its network has no
    # portal (L-Alert is off), so that reception factor is left out.
    paths = {p["path"] for p in result["parameters"]}
    assert {"residents.reception_factor.outdoor_loudspeaker", "residents.reception_factor.cell_broadcast"} <= paths
    assert any(r.startswith("residents.reception_factor.portal: no portal emitter") for r in result["left_out"])
    rows = (out / "sensitivity.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("kpi,rank,parameter,mu_star,") and len(rows) == count + 1
    points = (out / "points.csv").read_text(encoding="utf-8").splitlines()
    assert len(points) == result["points"] + 1 and "missile-drill-1.unwarned_at_deadline" in points[0]
    if has_module("matplotlib"):
        assert (out / "sensitivity.png").read_bytes().startswith(b"\x89PNG")


def test_the_command_names_a_bad_parameters_file_and_exits_2(tmp_path: Path) -> None:
    wrong = tmp_path / "p.yaml"
    wrong.write_text("residents.indoor_receiver_share: [0.5, 1.5]\n", encoding="utf-8")
    done = cli("sensitivity", FLAGSHIP, "--parameters", wrong, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "residents.indoor_receiver_share: high end 1.5 makes the scenario invalid" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_the_same_points_give_the_same_indices_on_one_process_on_a_pool_and_on_dask(toy: Path) -> None:
    spec = SensitivitySpec(toy, "morris", 3, 2, 7, [USED, UNUSED], [KPI])
    alone = run_sensitivity(spec)
    pooled = run_sensitivity(SensitivitySpec(toy, "morris", 3, 2, 7, [USED, UNUSED], [KPI], workers=2))
    assert np.array_equal(alone.means[KPI], pooled.means[KPI]) and alone.result == pooled.result
    pytest.importorskip("dask.distributed")
    dask = run_sensitivity(SensitivitySpec(toy, "morris", 3, 2, 7, [USED, UNUSED], [KPI], workers=2, dask="local"))
    assert np.array_equal(alone.means[KPI], dask.means[KPI]) and alone.result == dask.result


def test_a_hostile_scenario_or_parameters_file_is_refused_before_any_worker(tmp_path: Path) -> None:
    from tests.cli.test_hostile_cli import assert_invalid_input, hostile_cli

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("x: &r [*r]\n", encoding="utf-8")
    done = hostile_cli("sensitivity", bomb, "-n", "2", "--workers", "1", "--out", tmp_path / "out", "--no-plots")
    assert_invalid_input(done, str(bomb), "contains it")
    done = hostile_cli("sensitivity", FLAGSHIP, "--parameters", bomb, "--out", tmp_path / "out", "--no-plots")
    assert_invalid_input(done, str(bomb), "contains it")
    assert not (tmp_path / "out").exists()
    assert "--allow-outside-paths" in hostile_cli("sensitivity", "--help").stdout


def test_an_unreachable_dask_scheduler_is_named(tmp_path: Path, toy: Path) -> None:
    import socket

    pytest.importorskip("dask.distributed")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    options = ["-n", "2", "-r", "1", "--kpi", KPI, "--parameters", tmp_path / "p.yaml"]
    (tmp_path / "p.yaml").write_text(f"{USED.path}: [0, 100]\n", encoding="utf-8")
    done = cli("sensitivity", toy, *options, "--dask", address, "--out", tmp_path / "out", timeout=60)
    assert done.returncode == 1 and f"--dask {address}: cannot reach the Dask scheduler" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_path_into_a_mapping_the_scenario_does_not_have_adds_the_key() -> None:
    data, _ = read_yaml(FLAGSHIP)
    scenario = load(FLAGSHIP).scenario
    change = overrides(data, scenario, "topology.media.municipal_disaster_radio.loss", 0.04)
    assert change["topology"]["media"] == {"municipal_disaster_radio": {"loss": 0.04}}
    assert change["topology"]["templates"] == data["topology"]["templates"]  # the rest of the section as it was
    assert baseline(data, scenario, "topology.media.municipal_disaster_radio.loss") is None  # the packaged default
    varied = load_text(yaml.safe_dump(merged(data, change)), str(FLAGSHIP))
    radio = [link for link in varied.topology.links if link.medium.value == "municipal_disaster_radio"]
    assert radio and all(link.loss == 0.04 for link in radio)
    wrong = Parameter("topology.media.smoke_signals.loss", 0.0, 0.1, "t")
    with pytest.raises(InvalidInput, match=r"smoke_signals.loss: low end 0 makes the scenario invalid"):
        check_ranges(data, scenario, [wrong], "p.yaml")


def test_without_residents_the_default_kpi_is_missing_and_named(toy: Path) -> None:
    with pytest.raises(InvalidInput, match=r"alert a has no unwarned_at_deadline KPI .*a\.emitters_50pct_s"):
        run_sensitivity(SensitivitySpec(toy, "morris", 2, 1, 0, [USED]))
