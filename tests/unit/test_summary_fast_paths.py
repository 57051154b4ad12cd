"""The summary's array paths give what the straightforward per-node computations give, bit for bit."""

from __future__ import annotations

import gc
import itertools
import math
from collections import Counter

import numpy as np
import pytest

from lalert_sim import load, run, summarise
from lalert_sim.analysis.equipment import EquipmentIndex, silence, stations_off_air
from lalert_sim.analysis.metrics import (
    SUMMARISED_EVENTS,
    alert_summary,
    objective_results,
    outcomes,
    rows_by_alert,
    sorted_median,
)
from lalert_sim.analysis.reach_metrics import times_to_warned, value_at
from lalert_sim.analysis.receipts import AlertNodes
from lalert_sim.analysis.topology_index import _INDEXES, AUTOMATIC_OUTPUTS, topology_index
from lalert_sim.engine.simulation import RunResult
from lalert_sim.model.network import NodeKind
from lalert_sim.model.scenario import Objective
from lalert_sim.prepare import Prepared
from lalert_sim.reach.interpolation import values_at
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def loans() -> Prepared:
    """Three alerts, silent municipalities, stations off air, responses (tsunami_wide_area_loans)."""
    return load(SCENARIOS / "tsunami_wide_area_loans.yaml")


@pytest.fixture(scope="module")
def results(loans: Prepared) -> list[RunResult]:
    return [run(loans, seed) for seed in (1, 7)]


def test_values_at_is_np_interp_for_every_curve_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    for trial in range(300):
        times = np.unique(rng.uniform(0.0, 3600.0, rng.integers(1, 80)))
        if trial % 3 == 0:
            times = np.arange(0.0, 10.0 * len(times), 10.0)
        curves = np.cumsum(rng.uniform(0.0, 1.0, (4, 3, len(times))), axis=-1)
        curves /= curves[..., -1:] * rng.uniform(1.0, 2.0)
        curves[0, 0, :] = 0.25  # a flat curve
        points = [rng.uniform(-100.0, 4000.0), times[rng.integers(len(times))], times[0], times[-1], 600.0]
        for t in points:
            fast = values_at(times, curves, float(t))
            slow = np.array([[value_at(times, c, float(t)) for c in row] for row in curves])
            assert fast.shape == slow.shape
            assert fast.tobytes() == slow.tobytes()


def test_sorted_median_is_np_median_bit_for_bit() -> None:
    rng = np.random.default_rng(9)
    for n in [*range(1, 12), 101, 1000]:
        values = np.sort(rng.exponential(37.0, n)).tolist()
        assert sorted_median(values) == float(np.median(values))


def _objectives_straight(result: RunResult, objectives: list[Objective]) -> list[tuple[str, str, int, float, bool]]:
    """Node by node, as objectives were counted before they were remembered as masks."""
    topology = result.topology
    nodes = list(topology.nodes.values())
    rows = []
    for objective in objectives:
        for alert in result.alerts:
            if objective.alert is not None and objective.alert != alert.spec.id:
                continue
            never = topology.refused(alert.spec.category)
            chosen = [
                i
                for i, node in enumerate(nodes)
                if objective.select.matches(node) and alert.concerns(i, node.area) and node.id not in never
            ]
            deadline = alert.spec.issue_s + objective.within_s
            on_time = 0
            for i in chosen:
                if nodes[i].kind is NodeKind.EMITTER:
                    done = alert.emitted.get(i, math.inf)
                else:
                    done = alert.first[i][0] if i in alert.first else math.inf
                on_time += done <= deadline
            achieved = on_time / len(chosen) if chosen else 0.0
            rows.append(
                (
                    objective.name,
                    alert.spec.id,
                    len(chosen),
                    round(achieved, 4),
                    bool(chosen) and achieved >= objective.fraction,
                )
            )
    return rows


def test_objectives_from_masks_match_counting_node_by_node(loans: Prepared, results: list[RunResult]) -> None:
    objectives = [
        *loans.scenario.objectives,
        Objective.model_validate(
            {"name": "receivers", "select": {"ids": ["*/receiver", "m-*"]}, "fraction": 0.5, "within_s": 120}
        ),
        Objective.model_validate({"name": "everything", "select": {}, "fraction": 0.9, "within_s": 300}),
    ]
    for result in results:
        fast = [(o.name, o.alert, o.nodes, o.achieved_fraction, o.met) for o in objective_results(result, objectives)]
        assert fast == _objectives_straight(result, objectives)
        assert any(nodes > 0 for _, _, nodes, _, _ in fast)
        own = objective_results(result, list(loans.scenario.objectives))
        assert summarise(loans, result).objectives == own  # counted alert by alert in the summary


def _silent_codes_straight(result: RunResult, nodes: AlertNodes, alert_index: int) -> tuple[int, list[str]] | None:
    """Municipalities with an automatic output expected, and those where none emitted, node by node."""
    alert = result.alerts[alert_index]
    outputs: dict[str, list[int]] = {}
    for i, node in enumerate(result.topology.nodes.values()):
        if nodes.expected[i] and node.channel in AUTOMATIC_OUTPUTS and node.area and len(node.area) == 5:
            outputs.setdefault(node.area, []).append(i)
    if not outputs:
        return None
    return len(outputs), [code for code, found in sorted(outputs.items()) if not any(i in alert.emitted for i in found)]


def test_silence_from_grouped_outputs_matches_grouping_node_by_node(results: list[RunResult]) -> None:
    silent_seen = 0
    for result in results:
        equipment = EquipmentIndex.of(result)
        for k, alert in enumerate(result.alerts):
            nodes = AlertNodes.of(result, alert)
            found = silence(result, nodes, equipment)
            straight = _silent_codes_straight(result, nodes, k)
            if straight is None:
                assert found is None
                continue
            assert found is not None
            assert (found.municipalities, [s.code for s in found.silent]) == straight
            silent_seen += len(found.silent)
    assert silent_seen > 0


def test_stations_off_air_by_channel_match_summing_each_channels_members(results: list[RunResult]) -> None:
    for result in results:
        summary = stations_off_air(result)
        emitters = [node for node in result.topology.nodes.values() if node.kind is NodeKind.EMITTER]
        assert list(summary) == sorted({str(node.channel) for node in emitters})
        for channel, stations in summary.items():
            assert stations.stations == sum(n.stations for n in emitters if str(n.channel) == channel)
    assert any(s.down_peak > 0 for result in results for s in stations_off_air(result).values())


def test_outcomes_from_arrays_match_the_receipts(results: list[RunResult]) -> None:
    for result in results:
        node_ids = list(result.topology.nodes)
        position = {node_id: i for i, node_id in enumerate(node_ids)}
        for alert in result.alerts:
            rows = outcomes(result, alert)
            expected = set(result.topology.reachable(alert.origin, alert.areas, alert.spec.category))
            assert [row.node for row in rows] == [
                n for i, n in enumerate(node_ids) if i in alert.first or n in expected
            ]
            issue = alert.spec.issue_s
            for row in rows:
                i = position[row.node]
                receipt = alert.first.get(i)
                assert row.first_receipt_s == (None if receipt is None else receipt[0] - issue)
                assert row.emitted_s == (alert.emitted[i] - issue if i in alert.emitted else None)
                assert row.from_node == (None if receipt is None or receipt[1] < 0 else node_ids[receipt[1]])
                if receipt is not None:  # from where it entered (no sender) to the node, each step its first sender
                    assert alert.first[position[row.path[0]]][1] < 0 and row.path[-1] == row.node
                    for sender, node in itertools.pairwise(row.path):
                        assert node_ids[alert.first[position[node]][1]] == sender
            assert Counter(row.expected for row in rows)[True] == len(expected)


def test_a_topology_index_is_remembered_while_its_topology_lives_and_dropped_with_it() -> None:
    prepared = load(SCENARIOS / "lalert_carrier_outage_evacuation.yaml")
    topology = prepared.topology
    index = topology_index(topology)
    assert topology_index(topology) is index
    assert index.node_ids == list(topology.nodes)
    key = id(topology)
    del prepared, topology, index
    gc.collect()
    assert key not in _INDEXES


def test_channel_reach_grouped_at_once_matches_each_channel_on_its_own(results: list[RunResult]) -> None:
    for result in results:
        for alert in result.alerts:
            nodes = AlertNodes.of(result, alert)
            emitters = nodes.expected & result.topology.emitter_mask
            straight = {}
            for channel, members in sorted(result.topology.channel_members.items()):
                mine = members[emitters[members]]
                if mine.size:
                    delays = np.sort(nodes.emitted_s[mine][~np.isnan(nodes.emitted_s[mine])])
                    median = round(float(np.median(delays)), 3) if delays.size else None
                    latest = round(float(delays[-1]), 3) if delays.size else None
                    straight[channel] = (int(mine.size), int(delays.size), median, latest)
            found = alert_summary(result, alert, None, nodes=nodes).channels
            assert {c: (r.expected, r.reached, r.median_s, r.max_s) for c, r in found.items()} == straight
            assert len(straight) > 1


def test_an_alerts_own_trace_rows_summarise_as_the_whole_trace_does(results: list[RunResult]) -> None:
    for result in results:
        whole = result.trace.arrays_of(*SUMMARISED_EVENTS)
        own = rows_by_alert(whole)
        assert sum(len(own(alert.index)["alert"]) for alert in result.alerts) == len(whole["alert"])
        for alert in result.alerts:
            assert alert_summary(result, alert, None, own(alert.index)) == alert_summary(result, alert, None, whole)


def _time_to_warned_straight(times: np.ndarray, curve: np.ndarray, fraction: float) -> float | None:
    above = np.flatnonzero(curve >= fraction - 1e-12)
    if above.size == 0:
        return None
    i = int(above[0])
    if i == 0:
        return float(times[0])
    t0, t1, w0, w1 = times[i - 1], times[i], curve[i - 1], curve[i]
    return float(t0 + (fraction - w0) * (t1 - t0) / (w1 - w0))


def test_times_to_warned_at_once_match_each_curve_and_fraction_on_its_own() -> None:
    rng = np.random.default_rng(3)
    fractions = (0.5, 0.9, 0.95, 0.99)
    for _ in range(100):
        times = np.unique(rng.uniform(0.0, 3600.0, rng.integers(1, 60)))
        curves = np.cumsum(rng.uniform(0.0, 1.0, (6, len(times))), axis=1)
        curves /= curves[:, -1:] * rng.uniform(0.95, 1.3, (6, 1))  # some never reach 99 %, some do at once
        curves[0] = 1.0
        fast = times_to_warned(times, curves, fractions)
        assert fast == [[_time_to_warned_straight(times, c, f) for f in fractions] for c in curves]
