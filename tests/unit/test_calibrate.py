"""Measurements feed the model: calibrate fits a bridge run's measured delays into an overlay that recovers
the distribution they were drawn from, a sweep with that overlay moves as the fitted delay says, and a bad
overlay is refused naming its file and field."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("cryptography")
from scipy import stats  # noqa: E402

from lalert_sim.errors import InvalidInput, ScenarioError  # noqa: E402
from lalert_sim.hil.calibrate import (  # noqa: E402
    MAX_VALUES_PER_FIT,
    CalibrateBy,
    calibrate,
    fitted_values,
    print_calibration,
    write_overlay,
)
from lalert_sim.hil.protocol import Ack, Offset, Outcome, Reason, Status  # noqa: E402
from lalert_sim.hil.records import BridgeOptions, BridgeRun, Delivery, NodeState  # noqa: E402
from lalert_sim.hil.report import build_report, write_report  # noqa: E402
from lalert_sim.model.distributions import ZERO, Empirical  # noqa: E402
from lalert_sim.model.overlay import Overlay  # noqa: E402
from lalert_sim.prepare import load  # noqa: E402
from lalert_sim.runner import run, summarise  # noqa: E402
from lalert_sim.streams import Stream  # noqa: E402
from tests.conftest import cli  # noqa: E402

KNOWN = stats.lognorm(s=0.4, scale=0.8)  # median 0.8 s: what the synthetic hardware takes, publish → actuation
LINK_S = 1.0  # the simulated link's constant latency before the bound loudspeaker

WORLD = f"""
metadata: {{name: calibrated loudspeaker}}
duration_s: 60
topology:
  nodes:
    - {{id: centre, kind: origin, system: j_alert}}
    - {{id: spk, kind: emitter, channel: outdoor_loudspeaker, area: "02203"}}
    - {{id: spk-2, kind: emitter, channel: outdoor_loudspeaker, area: "02203", delay_s: 9}}
  links:
    - {{id: radio, medium: terrestrial_gov, source: centre, targets: [spk], latency_s: {LINK_S}, loss: 0}}
alerts:
  - {{id: drill, system: j_alert, category: ballistic_missile, mode: exercise, issue_s: 0, areas: ["02203"]}}
failures: none
field_nodes:
  bindings:
    - {{node: spk, field_node: pi-01}}
    - {{node: spk, field_node: pi-02}}
"""


def measured_run(delays_s: dict[str, list[float]], sim_node: str = "spk") -> BridgeRun:
    """A bridge run whose field nodes actuated after the given publish → actuation delays (receipt at a tenth),
    plus one rejected delivery, which measures nothing."""
    offset = Offset(0.002, 0.0001, 0.0002, 8)  # each node's clock 2 ms ahead: the report corrects it
    nodes = {n: NodeState(n, Status(node_id=n, state="online", since=1.0), offset) for n in delays_s}
    deliveries = []
    for field_node, delays in delays_s.items():
        for k, delay in enumerate(delays):
            published = 1000.0 + k
            node_clock = published + offset.offset_s
            ack = Ack(
                node_id=field_node,
                msg_id=f"{field_node}-{k}",
                outcome=Outcome.ACTUATED,
                received_at=node_clock + delay / 10,
                actuated_at=node_clock + delay,
                sent_at=node_clock + delay,
            )
            deliveries.append(
                Delivery(
                    field_node,
                    sim_node,
                    "drill",
                    ack.msg_id or "",
                    0.0,
                    1.0,
                    published,
                    published,
                    published + 0.001,
                    ack,
                    published + delay,
                    2.3,
                )
            )
    rejected = Ack(
        node_id="pi-01", msg_id="bad", outcome=Outcome.REJECTED, reason=Reason.EXPIRED, received_at=5.0, sent_at=5.0
    )
    deliveries.append(Delivery("pi-01", sim_node, "drill", "bad", 0.0, 1.0, 9.0, 9.0, 9.001, rejected, 9.01))
    bindings = {sim_node: list(delays_s)}
    return BridgeRun("world.yaml", "mqtt://127.0.0.1:1883", 999.0, BridgeOptions(), nodes, bindings, deliveries)


def results_folder(tmp_path: Path, delays_s: dict[str, list[float]], sim_node: str = "spk") -> Path:
    folder = tmp_path / "hil"
    write_report(build_report(measured_run(delays_s, sim_node)), folder)
    return folder


def draws(distribution: Empirical, count: int) -> np.ndarray:
    """Draws as the engine makes them: by inverse CDF from a named stream's uniforms."""
    stream = Stream(7, "test/calibrated")
    return np.array([distribution.sample(stream) for _ in range(count)])


def test_calibrate_recovers_the_distribution_the_measurements_came_from(tmp_path: Path) -> None:
    rng = np.random.default_rng(20261201)
    measured = {"pi-01": list(KNOWN.rvs(1200, random_state=rng)), "pi-02": list(KNOWN.rvs(800, random_state=rng))}
    calibration = calibrate(results_folder(tmp_path, measured), CalibrateBy.NODE)
    (fit,) = calibration.fits
    assert (fit.target, fit.field_nodes, fit.deliveries, calibration.left_out) == ("spk", ("pi-01", "pi-02"), 2000, 1)
    assert len(fit.values_s) == MAX_VALUES_PER_FIT  # 2,000 measurements kept as 500 quantiles
    assert fit.delay_p50_ms == pytest.approx(800, rel=0.05)
    assert fit.receipt_p50_ms == pytest.approx(80, rel=0.05) and fit.processing_p50_ms == pytest.approx(720, rel=0.05)
    sampled = draws(fit.distribution(), 1000)
    assert stats.kstest(sampled, KNOWN.cdf).pvalue > 0.05
    # ... and the test can tell a wrong distribution: 15 % slower hardware is rejected
    assert stats.kstest(sampled, stats.lognorm(s=0.4, scale=0.92).cdf).pvalue < 0.05


def test_fewer_measurements_than_the_limit_are_kept_as_measured() -> None:
    assert fitted_values([0.3, 0.1, 0.2000004], 500) == (0.1, 0.2, 0.3)
    quantiles = fitted_values(list(np.linspace(0, 1, 1001)), 4)  # the midpoints of four equal shares
    assert quantiles == pytest.approx((0.125, 0.375, 0.625, 0.875))


def test_by_kind_fits_one_delay_per_node_class(tmp_path: Path) -> None:
    folder = results_folder(tmp_path, {"pi-01": [0.5, 0.7], "pi-02": [0.6]})
    world = tmp_path / "world.yaml"
    world.write_text(WORLD, encoding="utf-8")
    calibration = calibrate(folder, CalibrateBy.KIND, load(world).topology.nodes)
    assert [fit.target for fit in calibration.fits] == ["emitter/outdoor_loudspeaker"]
    overlay = calibration.overlay()
    assert overlay["topology"]["measured_delays"]["kinds"]["emitter/outdoor_loudspeaker"]["values"] == [0.5, 0.6, 0.7]
    # every loudspeaker takes it, the unbound one (its own delay_s 9) too; the origin keeps its own
    nodes = load(world, overlay=Overlay.read(write_overlay(calibration, tmp_path / "overlay.yaml"))).topology.nodes
    assert nodes["spk"].delay_s == nodes["spk-2"].delay_s == Empirical(values=[0.5, 0.6, 0.7])
    assert nodes["centre"].delay_s == ZERO


def test_sweep_with_the_overlay_moves_as_the_fitted_delay_says(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    measured = {"pi-01": list(stats.uniform(2.0, 2.0).rvs(300, random_state=rng))}  # 2 to 4 s
    folder = results_folder(tmp_path, measured)
    world = tmp_path / "world.yaml"
    world.write_text(WORLD, encoding="utf-8")
    overlay = tmp_path / "overlay.yaml"
    done = cli("calibrate", folder, "--out", overlay, "--scenario", world)
    assert done.returncode == 0, done.stderr
    assert "spk" in done.stdout and "pi-01" in done.stdout
    fitted = Empirical.model_validate(
        yaml.safe_load(overlay.read_text())["topology"]["measured_delays"]["nodes"]["spk"]
    )
    prepared = load(world)  # the model as written: every draw is a constant, one run says it all
    base_s = summarise(prepared, run(prepared)).alerts[0].time_to_emitters_s["50%"]
    assert base_s == pytest.approx(LINK_S, abs=0.05)  # the model's loudspeaker takes no time
    done = cli(
        "sweep", world, "-n", "30", "-w", "1", "--no-plots", "-q", "--out", tmp_path / "swept", "--overlay", overlay
    )
    assert done.returncode == 0, done.stderr
    calibrated = json.loads((tmp_path / "swept" / "sweep_summary.json").read_text())["kpis"]["drill.emitters_50pct_s"]
    expected = base_s + fitted.mean  # the same path, then the hardware's delay
    assert calibrated["ci95_low"] <= expected <= calibrated["ci95_high"]
    assert calibrated["sd"] == pytest.approx(np.sqrt(fitted.variance), rel=0.3)
    assert calibrated["p5"] >= base_s + 2.0 and calibrated["p95"] <= base_s + 4.0  # within what was measured


def test_calibrate_refuses_what_is_not_a_bridge_results_folder(tmp_path: Path) -> None:
    done = cli("calibrate", tmp_path / "none", "--out", tmp_path / "o.yaml")
    assert done.returncode == 2 and f"{tmp_path / 'none'}: not a folder" in done.stderr
    report = tmp_path / "hil_report.json"
    report.write_text('{"deliveries": [{"outcome": "actuated", "actuation_latency_ms": "x"}]}')
    with pytest.raises(InvalidInput, match=r"hil_report.json: deliveries\[0\].actuation_latency_ms: not a number"):
        calibrate(tmp_path, CalibrateBy.NODE)
    report.write_text('{"deliveries": []}')
    with pytest.raises(InvalidInput, match="no actuated delivery"):
        calibrate(tmp_path, CalibrateBy.NODE)
    report.write_text("[1, 2")
    with pytest.raises(InvalidInput, match="cannot read it as JSON"):
        calibrate(tmp_path, CalibrateBy.NODE)


OVERLAYS = {
    "negative delay": (
        "topology:\n  measured_delays:\n    nodes:\n      spk: {kind: empirical, values: [0.5, -1]}\n",
        "line 4: topology.measured_delays.nodes.spk.values[1]",
    ),
    "unknown node": (
        "topology:\n  measured_delays:\n    nodes:\n      spkr: 0.5\n",
        "line 4: topology.measured_delays.nodes.spkr: unknown node 'spkr' (did you mean 'spk'",
    ),
    "unknown class": (
        "topology:\n  measured_delays:\n    kinds:\n      emitter/foghorn: 0.5\n",
        "line 4: topology.measured_delays.kinds.emitter/foghorn",
    ),
    "unknown section": ("topologyy: {}\n", "line 1: topologyy: unknown field"),
    "not a mapping": ("- 1\n- 2\n", "an overlay is a mapping"),
    "not YAML": ("topology: {measured_delays: [\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", OVERLAYS)
def test_a_bad_overlay_exits_2_naming_its_file_and_field(tmp_path: Path, case: str) -> None:
    text, said = OVERLAYS[case]
    world, overlay = tmp_path / "world.yaml", tmp_path / "bad-overlay.yaml"
    world.write_text(WORLD, encoding="utf-8")
    overlay.write_text(text, encoding="utf-8")
    done = cli("run", world, "--out", tmp_path / "out", "--no-report", "--overlay", overlay)
    assert done.returncode == 2, done.stderr
    assert f"{overlay}: " in done.stderr and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


VERB_ARGS = {
    "sweep": ("-n", "2", "-w", "1"),
    "compare": ("-n", "2", "-w", "1"),
    "criticality": ("-n", "2", "-w", "1"),
    "sensitivity": ("-n", "2", "-r", "1", "-w", "1"),
    "validate": (),
}


@pytest.mark.parametrize("verb", VERB_ARGS)
def test_every_verb_that_takes_an_overlay_names_a_bad_one(tmp_path: Path, verb: str) -> None:
    world, overlay = tmp_path / "world.yaml", tmp_path / "bad-overlay.yaml"
    world.write_text(WORLD, encoding="utf-8")
    overlay.write_text(OVERLAYS["negative delay"][0], encoding="utf-8")
    plans = [world, world] if verb == "compare" else [world]
    out = () if verb == "validate" else ("--out", tmp_path / "out")
    done = cli(verb, *plans, *VERB_ARGS[verb], *out, "--overlay", overlay)
    assert done.returncode == 2, done.stderr
    assert f"{overlay}: {OVERLAYS['negative delay'][1]}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_criticality_and_validate_read_the_scenario_with_the_overlay(tmp_path: Path) -> None:
    world, overlay = tmp_path / "world.yaml", tmp_path / "overlay.yaml"
    world.write_text(WORLD, encoding="utf-8")
    overlay.write_text("topology:\n  measured_delays:\n    nodes:\n      spk: 40\n", encoding="utf-8")
    done = cli("validate", world, "--overlay", overlay)
    assert done.returncode == 0 and "valid" in done.stdout, done.stderr
    base, slow = (tmp_path / "base", tmp_path / "slow")
    for out, extra in ((base, ()), (slow, ("--overlay", overlay))):
        done = cli("criticality", world, "-n", "2", "-w", "1", "--no-plots", "--out", out, *extra)
        assert done.returncode == 0, done.stderr
    ranked = [json.loads((out / "criticality.json").read_text()) for out in (base, slow)]
    # the loudspeaker's measured 40 s leaves more residents unwarned at the deadline in the base plan
    assert ranked[1]["base_unwarned_residents"] > ranked[0]["base_unwarned_residents"]


def test_a_missing_overlay_file_is_named(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD, encoding="utf-8")
    done = cli("run", world, "--out", tmp_path / "out", "--overlay", tmp_path / "gone.yaml")
    assert done.returncode == 2 and f"{tmp_path / 'gone.yaml'}: file not found" in done.stderr


def test_a_thousand_bound_nodes_make_an_overlay_a_sweep_can_take(tmp_path: Path) -> None:
    # 1,000 loudspeakers with 12 measurements each: the overlay stays within a scenario's size limits
    # once merged onto the 1,000-node scenario, as a sweep's plan carries it.
    from lalert_sim.hil.demo import fan_out_scenario
    from lalert_sim.model.files import SCENARIO_MAX_BYTES
    from lalert_sim.montecarlo.variants import Plan

    field = [f"pi-{k:04d}" for k in range(1000)]
    delays = KNOWN.rvs(12, random_state=np.random.default_rng(3)) * 1000
    rows = [
        {"sim_node": f"spk-{n}", "field_node": n, "outcome": "actuated", "actuation_latency_ms": float(ms)}
        for n in field
        for ms in delays
    ]
    folder = tmp_path / "hil"
    folder.mkdir()
    (folder / "hil_report.json").write_text(json.dumps({"scenario": "fan.yaml", "deliveries": rows}))
    world = tmp_path / "fan.yaml"
    world.write_text(fan_out_scenario(field), encoding="utf-8")
    calibration = calibrate(folder, CalibrateBy.NODE)
    assert len(calibration.fits) == 1000 and all(len(f.values_s) == 8 for f in calibration.fits)
    overlay = Overlay.read(write_overlay(calibration, tmp_path / "overlay.yaml"))
    plan = Plan("fan", world).overlaid(overlay)
    assert plan.text is not None and len(plan.text.encode()) < SCENARIO_MAX_BYTES
    prepared = plan.prepare()
    assert prepared.topology.nodes[f"spk-{field[-1]}"].delay_s == calibration.fits[-1].distribution()


def test_calibrate_says_what_it_needs_and_exits_2(tmp_path: Path) -> None:
    folder = results_folder(tmp_path, {"pi-01": [0.5]})
    done = cli("calibrate", folder, "--out", tmp_path / "o.yaml", "--by", "kind")  # the report names world.yaml
    assert done.returncode == 2 and "--by kind needs the scenario the bridge ran: give --scenario FILE" in done.stderr
    done = cli("calibrate", folder, "--out", tmp_path / "o.yaml", "--by", "municipality")
    assert done.returncode == 2 and "--by must be node or kind" in done.stderr
    other = tmp_path / "other.yaml"
    other.write_text(WORLD.replace("spk", "horn"), encoding="utf-8")
    done = cli("calibrate", folder, "--out", tmp_path / "o.yaml", "--scenario", other)
    assert done.returncode == 2 and "simulated node 'spk' is not in the scenario" in done.stderr
    done = cli("calibrate", folder, "--out", other / "o.yaml")  # under a file: it cannot be written
    assert done.returncode == 1 and "error:" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_report_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hil_report.json").mkdir()
    with pytest.raises(ScenarioError, match="cannot read latency report: a directory"):
        calibrate(tmp_path, CalibrateBy.NODE)


def test_measurements_of_hostile_shape_are_named(tmp_path: Path) -> None:
    report = tmp_path / "hil_report.json"
    for row, said in (
        ('{"outcome": "actuated", "actuation_latency_ms": NaN, "sim_node": "a", "field_node": "b"}', "not a number"),
        ('{"outcome": "actuated", "actuation_latency_ms": true}', "not a number"),
        ('{"outcome": "actuated", "actuation_latency_ms": 3, "field_node": "b"}', "sim_node: missing or not a name"),
        ("[]", "deliveries[0]: not a mapping"),
    ):
        report.write_text(f'{{"deliveries": [{row}]}}')
        with pytest.raises(InvalidInput, match=re.escape(said)):
            calibrate(tmp_path, CalibrateBy.NODE)


def test_hostile_reports_are_refused_by_name_never_with_a_crash(tmp_path: Path) -> None:
    import random

    from tests.unit.test_overlay import mutated

    folder = results_folder(tmp_path, {"pi-01": [0.5, 0.6], "pi-02": [0.7]})
    good = json.loads((folder / "hil_report.json").read_text())
    rng = random.Random(7)
    fitted = refused = 0
    for _ in range(200):
        (folder / "hil_report.json").write_text(json.dumps(mutated(good, rng)))
        try:
            calibration = calibrate(folder, CalibrateBy.NODE)
            fitted += 1
            assert all(all(v >= 0 for v in fit.values_s) for fit in calibration.fits)
        except InvalidInput as exc:
            refused += 1
            assert "hil_report.json" in str(exc)
    assert fitted and refused


@pytest.mark.parametrize(
    ("lang", "words"), [("en", ["simulated node", "receipt", "processing"]), ("ja", ["模擬ノード", "受信", "処理"])]
)
def test_the_calibration_table_reads_in_the_runs_language(tmp_path: Path, lang: str, words: list[str]) -> None:
    from rich.console import Console

    folder = results_folder(tmp_path, {"pi-01": [0.5, 0.7]})
    console = Console(file=io.StringIO(), width=100, color_system=None)
    print_calibration(calibrate(folder, CalibrateBy.NODE), console, lang)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(word in text for word in words) and "spk" in text and "600.00" in text  # the median of 0.5 and 0.7 s
    assert ("1 deliveries not actuated" in text) == (lang == "en")  # the rejected one, left out
