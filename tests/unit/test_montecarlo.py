"""Monte Carlo: determinism across workers and backends, resume, paired comparisons, CI coverage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lalert_sim.montecarlo import SweepSpec, mean_ci, paired, replication_seeds, run_sweep
from lalert_sim.montecarlo.replicate import Row, run_batch
from lalert_sim.montecarlo.results import Comparison, aggregate, column, compare, write_json
from lalert_sim.montecarlo.statistics import describe, t_quantile
from lalert_sim.montecarlo.sweep import TARGET_BATCH_S, measured_batch_size
from tests.conftest import SCENARIOS

KESENNUMA = SCENARIOS / "lalert_evacuation_order_kesennuma.yaml"


def same(rows_a: list[Row], rows_b: list[Row]) -> bool:
    """Row lists equal, NaN equal to NaN."""
    if len(rows_a) != len(rows_b):
        return False
    for a, b in zip(rows_a, rows_b, strict=True):
        if a.keys() != b.keys():
            return False
        for key in a:
            if not (a[key] == b[key] or (isinstance(a[key], float) and math.isnan(a[key]) and math.isnan(b[key]))):
                return False
    return True


def test_seeds_come_from_one_sequence_and_do_not_depend_on_the_count() -> None:
    assert replication_seeds(7, 10)[:5] == replication_seeds(7, 5)
    assert len(set(replication_seeds(7, 1000))) == 1000
    assert all(0 <= s < 2**63 for s in replication_seeds(7, 100))


def test_same_master_seed_same_rows_whatever_the_workers(tmp_path: Path) -> None:
    one = run_sweep(SweepSpec(KESENNUMA, 24, 5, tmp_path / "one", workers=1)).rows
    two = run_sweep(SweepSpec(KESENNUMA, 24, 5, tmp_path / "two", workers=2, batch_size=5)).rows
    assert same(one, two)
    other = run_sweep(SweepSpec(KESENNUMA, 24, 6, tmp_path / "other", workers=1)).rows
    assert not same(one, other)


def test_dask_local_cluster_gives_the_same_rows_as_local_processes(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    local = run_sweep(SweepSpec(KESENNUMA, 12, 3, tmp_path / "local", workers=2)).rows
    dask = run_sweep(SweepSpec(KESENNUMA, 12, 3, tmp_path / "dask", workers=2, dask="local", batch_size=4)).rows
    assert same(local, dask)


def test_a_killed_sweep_resumes_to_the_same_table(tmp_path: Path) -> None:
    whole = run_sweep(SweepSpec(KESENNUMA, 20, 9, tmp_path / "whole", batch_size=4)).rows

    class Killed(Exception):
        pass

    finished = []

    def kill_after_two_batches(done: int) -> None:
        finished.append(done)
        if len(finished) == 2:
            raise Killed

    spec = SweepSpec(KESENNUMA, 20, 9, tmp_path / "resumed", batch_size=4, resume=True)
    with pytest.raises(Killed):
        run_sweep(spec, kill_after_two_batches)
    assert len(list((tmp_path / "resumed" / "batches").glob("batch-*.json"))) == 2
    resumed = run_sweep(spec)
    assert resumed.reused == 8
    assert same(resumed.rows, whole)


def test_two_identical_plans_differ_by_exactly_zero(tmp_path: Path) -> None:
    base = run_sweep(SweepSpec(KESENNUMA, 10, 4, tmp_path / "a")).rows
    twin = run_sweep(SweepSpec(KESENNUMA, 10, 4, tmp_path / "b")).rows
    for kpi, result in compare({"a": base, "b": twin})["b"].items():
        if result.pairs:
            assert result.mean_difference == 0.0, kpi
            if result.pairs > 1:  # a variance needs two pairs (a KPI may be NaN in most replications)
                assert result.paired_variance == 0.0, kpi
            assert not result.significant


def test_paired_differences_need_fewer_replications_than_independent_runs() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(100, 20, 200)
    base, plan = common + rng.normal(0, 1, 200), common - 3 + rng.normal(0, 1, 200)
    result = paired(base, plan)
    assert result.ci95_low < -3 < result.ci95_high and result.significant
    assert result.variance_reduction > 100


def test_t_quantiles_match_scipy() -> None:
    for df in (1, 2, 3, 4, 5, 9, 30, 200):
        assert t_quantile(0.975, df) == pytest.approx(stats.t.ppf(0.975, df), rel=2e-4)


TOY = """\
metadata: {name: toy}
duration_s: 1000
topology:
  nodes:
    - {id: src, kind: origin, system: j_alert}
    - {id: out, kind: emitter, channel: tv, delay_s: {kind: uniform, low: 0, high: 20}}
  links:
    - {id: l, medium: fibre, source: src, target: out, latency_s: 0}
alerts:
  - {id: a, system: j_alert, category: test}
"""


def test_confidence_interval_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    # Time until the only emitter emits is Uniform(0, 20): the true mean is 10 s.
    seeds = replication_seeds(2026, 300 * 15)
    rows = run_batch(TOY, "toy.yaml", list(enumerate(seeds)))
    values = column(rows, "a.emitters_50pct_s")
    covered = 0
    for sweep in range(300):
        _, low, high = mean_ci(values[sweep * 15 : (sweep + 1) * 15])
        covered += low <= 10.0 <= high
    # 300 sweeps: binomial s.d. of the coverage about 1.3 points.
    assert 0.91 <= covered / 300 <= 0.99


def test_describe_counts_what_was_reached_and_its_percentiles() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, math.nan])
    described = describe(values)
    assert (described.n, described.finite) == (5, 4)
    assert described.mean == pytest.approx(2.5) and described.ci95_low < 2.5 < described.ci95_high
    assert described.p50 == pytest.approx(2.5) and described.p5 < described.p95
    nothing = describe(np.array([math.nan, math.nan]))
    assert nothing.finite == 0 and math.isnan(nothing.mean) and math.isnan(nothing.p50)


def test_aggregate_describes_every_kpi_of_the_rows() -> None:
    rows: list[Row] = [{"replication": i, "seed": i, "a.x": float(i), "b.y": 1.0} for i in range(4)]
    summary = aggregate(rows)
    assert list(summary) == ["a.x", "b.y"]
    assert summary["a.x"].mean == pytest.approx(1.5) and summary["b.y"].sd == 0.0


def test_comparison_json_writes_nan_as_null_and_infinity_as_text(tmp_path: Path) -> None:
    import json

    same_values = np.array([1.0, 2.0, 3.0])
    comparison = Comparison(
        base="a", replications=3, master_seed=1, differences={"b": {"k": paired(same_values, same_values + 1)}}
    )
    write_json(tmp_path / "comparison.json", comparison)
    written = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    difference = written["differences"]["b"]["k"]
    assert difference["mean_difference"] == 1.0 and difference["variance_reduction"] == "inf"
    assert difference["ci95_low"] == 1.0 and difference["pairs"] == 3


def test_the_batch_size_follows_the_measured_cost_but_leaves_every_worker_several() -> None:
    assert measured_batch_size(1000, 16, 0.06) == 8  # about half a second of work a batch
    assert measured_batch_size(100, 16, 0.06) == 2  # few replications: 4 batches a worker first
    assert measured_batch_size(100, 16, 2.5) == 1  # a replication longer than the target: one a batch
    assert measured_batch_size(10**9, 1, 0.0) == int(TARGET_BATCH_S / 1e-6)  # never divided by zero


def test_a_spread_sweep_measures_a_pilot_and_resumes_with_the_same_cut(tmp_path: Path) -> None:
    whole = run_sweep(SweepSpec(KESENNUMA, 16, 4, tmp_path / "one", workers=1)).rows

    class Killed(Exception):
        pass

    finished: list[int] = []

    def kill_after_two(done: int) -> None:
        finished.append(done)
        if len(finished) == 3:  # the pilot, then two batches
            raise Killed

    spec = SweepSpec(KESENNUMA, 16, 4, tmp_path / "spread", workers=2, resume=True)
    with pytest.raises(Killed):
        run_sweep(spec, kill_after_two)
    cut = json.loads((tmp_path / "spread" / "batches" / "cut.json").read_text())
    assert cut["pilot"] is True and cut["per_replication_s"] > 0
    assert cut["batch_size"] == measured_batch_size(15, 2, cut["per_replication_s"])
    assert (tmp_path / "spread" / "batches" / "batch-0000000-0000000.json").is_file()  # the pilot is replication 0
    cut["per_replication_s"] = cut["per_replication_s"] * 1000  # a measure now would cut otherwise: not used
    (tmp_path / "spread" / "batches" / "cut.json").write_text(json.dumps(cut))
    resumed = run_sweep(spec)
    assert resumed.batch_size == cut["batch_size"]
    assert resumed.reused == 1 + sum(finished[1:])  # the pilot and the finished batches, none cut again
    assert same(resumed.rows, whole)


def test_a_known_cost_sizes_the_batches_without_a_pilot(tmp_path: Path) -> None:
    outcome = run_sweep(SweepSpec(KESENNUMA, 12, 4, tmp_path / "known", workers=2, per_replication_s=0.2))
    assert outcome.batch_size == measured_batch_size(12, 2, 0.2) == 2
    assert json.loads((tmp_path / "known" / "batches" / "cut.json").read_text())["pilot"] is False
    assert sorted(p.name for p in (tmp_path / "known" / "batches").glob("batch-*"))[0] == "batch-0000000-0000001.json"
