"""calibrate on what a real bridge measured: node agents on a real Mosquitto, the report written, the overlay
made from it and merged onto the scenario the bridge ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalert_sim.hil.calibrate import CalibrateBy, calibrate, write_overlay
from lalert_sim.hil.protocol import Signer
from lalert_sim.hil.report import build_report, write_report
from lalert_sim.model.overlay import Overlay
from lalert_sim.prepare import load
from tests.hil.conftest import fan_out_scenario, field_bridge, field_ids, run_with_virtual_nodes


def test_calibrate_turns_a_real_bridge_run_into_the_scenarios_delays(tmp_path: Path, broker_factory) -> None:
    ids = field_ids(3)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    prepared = fan_out_scenario(tmp_path, ids, issue_s=0.5, duration_s=1.0)
    bridge = field_bridge(prepared, signer, broker)

    report = build_report(run_with_virtual_nodes(bridge, broker, signer, ids))
    write_report(report, tmp_path / "hil")
    calibration = calibrate(tmp_path / "hil", CalibrateBy.NODE, prepared.topology.nodes)
    measured = {row.sim_node: row.actuation_latency_ms for row in report.deliveries}
    assert {fit.target for fit in calibration.fits} == {f"spk-{n}" for n in ids}
    for fit in calibration.fits:
        assert fit.deliveries == 1 and fit.delay_p50_ms == pytest.approx(max(0.0, measured[fit.target]), abs=1e-3)
    overlay = Overlay.read(write_overlay(calibration, tmp_path / "overlay.yaml"))
    nodes = load(tmp_path / "fan_out.yaml", overlay=overlay).topology.nodes
    for fit in calibration.fits:  # the simulated loudspeaker now takes what its field node took
        assert nodes[fit.target].delay_s.mean == pytest.approx(max(0.0, measured[fit.target]) / 1000, abs=1e-4)
