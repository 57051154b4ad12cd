"""calibrate on what a real bridge measured: node agents on a real Mosquitto, the report written, the overlay
made from it and merged onto the scenario the bridge ran."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.calibrate import CalibrateBy, calibrate, write_overlay
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import Signer
from lalert_sim.hil.records import BridgeRun
from lalert_sim.hil.report import build_report, write_report
from lalert_sim.model.overlay import Overlay
from lalert_sim.prepare import load
from tests.hil.conftest import WAIT_S, bridge_run, fan_out_scenario, field_bridge, field_ids


def test_calibrate_turns_a_real_bridge_run_into_the_scenarios_delays(tmp_path: Path, broker_factory) -> None:
    ids = field_ids(3)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    prepared = fan_out_scenario(tmp_path, ids, issue_s=0.5, duration_s=1.0)
    bridge = field_bridge(prepared, signer, broker)

    async def scenario() -> BridgeRun:
        agents = [NodeAgent(virtual_config(n, broker.address(n), signer)) for n in ids]
        try:
            async with asyncio.TaskGroup() as tasks:
                running = [tasks.create_task(agent.run()) for agent in agents]
                for agent in agents:
                    await asyncio.wait_for(agent.connected.wait(), WAIT_S)
                record = await bridge_run(bridge)
                for task in running:
                    task.cancel()
        finally:
            for agent in agents:
                agent.close()
        return record

    report = build_report(asyncio.run(scenario()))
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
