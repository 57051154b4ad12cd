"""Criticality: each component (or group of them) knocked out in turn, on the base's seeds, ranked by what it costs.

A knock-out is the scenario with one more incident, for the whole run: an
outage of the node, link, medium's links or prefecture's nodes, a carrier's
outage, or a depot's units gone. Every knock-out runs as a sweep on the base's
master seed, so replication i of each shares seed i with the base (common random
numbers) and the cost is a paired difference: residents unwarned at the
deadline, and emitters never reached, added by the knock-out.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

import numpy as np

from lalert_sim.analysis.results import Record, RunSummary
from lalert_sim.errors import LalertError
from lalert_sim.model.responses import Equipment
from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.results import column
from lalert_sim.montecarlo.seeds import replication_seeds
from lalert_sim.montecarlo.statistics import PairedDifference, paired
from lalert_sim.montecarlo.sweep import SweepSpec, local_cluster, run_sweep
from lalert_sim.montecarlo.variants import Plan, overridden_text
from lalert_sim.prepare import Prepared
from lalert_sim.runner import run, summarise
from lalert_sim.tables import write_csv
from lalert_sim.topology.graph import Topology, build_topology
from lalert_sim.topology.responses import PoolPlan


class Grouping(StrEnum):
    """What is knocked out at a time (``--by``)."""

    NODE = "node"  # one node
    LINK = "link"  # one link
    MEDIUM = "medium"  # every link of one medium
    PREFECTURE = "prefecture"  # every node in one prefecture
    CARRIER = "carrier"  # one carrier's network (its cell broadcast with it), nationwide
    DEPOT = "depot"  # one depot's loan units, in every pool that holds units there


@dataclass(frozen=True)
class KnockOut:
    """One component or group taken out for the whole run: its label and the overrides that do it."""

    label: str
    overrides: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Criticality(Record):
    """One knock-out's cost: what it adds, paired against the base over the same seeds."""

    rank: int
    """Place in the ranking: 1 costs the most warned residents (then the most emitters)."""
    component: str
    """What was knocked out: a node or link id, a medium, a prefecture code, a carrier or a depot."""
    unwarned_residents: PairedDifference
    """Residents unwarned at the deadline (summed over the alerts), knock-out − base."""
    unreached_emitters: PairedDifference
    """Emitters never reached (summed over the alerts), knock-out − base."""


@dataclass(frozen=True, slots=True)
class CriticalityRanking(Record):
    """``criticality.json``: every knock-out of one grouping, most costly first."""

    scenario: str
    """The scenario file."""
    by: str
    """What was knocked out at a time (node, link, medium, prefecture, carrier, depot)."""
    replications: int
    """Replications of the base and of each knock-out."""
    master_seed: int
    """Master seed all of them ran on (common random numbers)."""
    residents: int
    """Residents the alerts concern (summed over the alerts)."""
    emitters: int
    """Emitters the alerts concern (summed over the alerts)."""
    base_unwarned_residents: float
    """Mean residents unwarned at the deadline in the base."""
    base_unreached_emitters: float
    """Mean emitters never reached in the base."""
    ranking: tuple[Criticality, ...]
    """The knock-outs, most costly first."""


def knock_outs(prepared: Prepared, base_incidents: Sequence[Any], by: Grouping) -> list[KnockOut]:
    """Every component (or group) of the scenario's network for ``by``, with the overrides that knock it out.

    Links and nodes are those the scenario builds; substitute links that responses add are
    not knocked out one by one (an outage cannot select them).
    """
    built = build_topology(prepared.scenario.topology, prepared.municipalities)
    incidents = list(base_incidents)

    def knock(label: str, **incident: object) -> KnockOut:
        return KnockOut(label, {"incidents": [*incidents, {**incident, "name": f"knock-out: {label}"}]})

    match by:
        case Grouping.NODE:
            return [knock(node, type="outage", nodes={"ids": [node]}) for node in built.nodes]
        case Grouping.LINK:
            return [knock(link.id, type="outage", links={"ids": [link.id]}) for link in built.links]
        case Grouping.MEDIUM:
            media = dict.fromkeys(link.medium.value for link in built.links)
            return [knock(medium, type="outage", links={"medium": medium}) for medium in media]
        case Grouping.PREFECTURE:
            return [knock(code, type="outage", nodes={"area": code}) for code in _prefectures(built)]
        case Grouping.CARRIER:
            carriers = sorted({n.carrier for n in built.nodes.values() if n.carrier is not None})
            return [knock(carrier, type="carrier_outage", carrier=carrier) for carrier in carriers]
        case Grouping.DEPOT:
            return _depot_knock_outs(prepared)
        case _:
            assert_never(by)


def _prefectures(topology: Topology) -> list[str]:
    return sorted({node.area[:2] for node in topology.nodes.values() if node.area is not None})


def _depot_knock_outs(prepared: Prepared) -> list[KnockOut]:
    """Each depot's units set to none in every loan pool (power vehicles keep theirs)."""
    pools = [p for p in prepared.responses.pools.values() if p.equipment is not Equipment.POWER_VEHICLE]
    names = dict.fromkeys(depot.name for pool in pools for depot in pool.depots if depot.units > 0)
    return [KnockOut(name, {"responses": {"pools": [_pool_without(p, name) for p in pools]}}) for name in names]


def _pool_without(pool: PoolPlan, depot: str) -> dict[str, Any]:
    """A pool as the scenario data would give it, every depot explicit, ``depot``'s units gone."""
    depots = [
        {"name": d.name, "lat": d.lat, "lon": d.lon, "units": 0 if d.name == depot else d.units} for d in pool.depots
    ]
    given: dict[str, Any] = {"equipment": pool.equipment.value, "depots": depots}
    if math.isfinite(pool.loan_s):
        given["loan_s"] = pool.loan_s
    return given


@dataclass(frozen=True)
class CriticalitySpec:
    """What to knock out and how to run it: replications, seed, where, on which workers."""

    scenario_path: Path
    by: Grouping
    replications: int
    master_seed: int
    out_dir: Path
    workers: int = 1
    batch_size: int = 0
    dask: str | None = None
    resume: bool = False
    reuse_from: Path | None = None
    allow_outside_paths: bool = False


Progress = Callable[[int], None]


def criticality_plans(base: Plan, prepared: Prepared, by: Grouping) -> list[Plan]:
    """``base`` (a file as written, or a variant of it; ``prepared`` is it built), then each knock-out of ``by``
    (named by what it knocks out) as overrides of it."""
    data = base.data()
    incidents = data.get("incidents") or []
    candidates = knock_outs(prepared, incidents if isinstance(incidents, list) else [], by)
    if not candidates:
        raise LalertError(f"{base.path}: nothing to knock out --by {by.value} in this scenario")
    return [base, *(Plan(k.label, base.path, overridden_text(data, k.overrides), base.where) for k in candidates)]


def run_criticality(
    spec: CriticalitySpec, prepared: Prepared, plans: list[Plan], progress: Progress | None = None
) -> CriticalityRanking:
    """Sweep the base and every knock-out (``criticality_plans``) on the same seeds; knock-outs ranked by cost."""
    with _scheduler(spec.dask, spec.workers) as dask:
        sweeps = [
            SweepSpec(
                spec.scenario_path,
                spec.replications,
                spec.master_seed,
                spec.out_dir / "plans" / _folder(number),
                spec.workers,
                spec.batch_size,
                dask,
                spec.resume,
                None if spec.reuse_from is None else spec.reuse_from / "plans" / _folder(number),
                spec.allow_outside_paths,
                plan.text,
            )
            for number, plan in enumerate(plans)
        ]
        rows = _run_sweeps(sweeps, progress)
    return rank(spec, prepared, [plan.name for plan in plans[1:]], rows[0], rows[1:])


def _folder(number: int) -> str:
    return f"{number:05d}" if number else "base"


PLANS_PER_WORKER = 2  # with fewer plans than this per worker, each plan's batches are spread instead


def _run_sweeps(sweeps: list[SweepSpec], progress: Progress | None) -> list[list[Row]]:
    """Every sweep's rows, in order. Many plans on local workers: a plan per task, so each worker prepares
    a plan once (not every worker every plan); else one sweep after another, its batches spread."""
    workers = sweeps[0].workers
    if sweeps[0].dask is not None or workers <= 1 or len(sweeps) < PLANS_PER_WORKER * workers:
        base = run_sweep(sweeps[0], progress)  # its pilot's cost sizes every knock-out's batches
        cost = base.per_replication_s
        return [base.rows, *(run_sweep(replace(s, per_replication_s=cost), progress).rows for s in sweeps[1:])]
    found: dict[int, list[Row]] = {}
    # Workers leave Ctrl-C to the parent, which stops the pool and says what was kept.
    pool = ProcessPoolExecutor(max_workers=workers, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
    try:
        futures = {pool.submit(_sweep_rows, replace(sweep, workers=1)): i for i, sweep in enumerate(sweeps)}
        for future in as_completed(futures):
            found[futures[future]] = future.result()
            if progress:
                progress(len(found[futures[future]]))
    finally:
        pool.shutdown(cancel_futures=True)
    return [found[i] for i in range(len(sweeps))]


def _sweep_rows(sweep: SweepSpec) -> list[Row]:
    """One sweep's rows, in a worker process."""
    return run_sweep(sweep).rows


def rank(
    spec: CriticalitySpec, prepared: Prepared, labels: list[str], base: list[Row], knocked: list[list[Row]]
) -> CriticalityRanking:
    """The knock-outs' paired costs against ``base``, most costly first."""
    residents, emitters = _concerned(prepared, spec.master_seed)
    base_residents, base_emitters = _totals(base, residents), _totals(base, emitters)
    found = [
        (label, paired(base_residents, _totals(rows, residents)), paired(base_emitters, _totals(rows, emitters)))
        for label, rows in zip(labels, knocked, strict=True)
    ]
    found.sort(key=lambda f: (-_or_zero(f[1].mean_difference), -_or_zero(f[2].mean_difference), f[0]))
    return CriticalityRanking(
        scenario=str(spec.scenario_path),
        by=spec.by.value,
        replications=spec.replications,
        master_seed=spec.master_seed,
        residents=int(sum(residents.values())),
        emitters=int(sum(emitters.values())),
        base_unwarned_residents=float(np.mean(base_residents)),
        base_unreached_emitters=float(np.mean(base_emitters)),
        ranking=tuple(Criticality(i, label, r, e) for i, (label, r, e) in enumerate(found, 1)),
    )


def _or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _concerned(prepared: Prepared, master_seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """Per KPI column of a share: how many it is a share of (residents, emitters), from one run of the base.

    Knock-outs take nothing away from the network, so these counts are every plan's.
    """
    summary: RunSummary = summarise(prepared, run(prepared, replication_seeds(master_seed, 1)[0]))
    residents = {
        f"{a.id}.unwarned_at_deadline": float(a.residents.residents) for a in summary.alerts if a.residents is not None
    }
    emitters = {
        f"{a.id}.emitters_never_reached": float(a.emitters_expected) for a in summary.alerts if a.emitters_expected
    }
    return residents, emitters


def _totals(rows: list[Row], counts: Mapping[str, float]) -> np.ndarray:
    """Per replication: the shares in ``counts``' columns times their counts, summed (0 with no such column)."""
    total = np.zeros(len(rows))
    for name, count in counts.items():
        total += count * np.nan_to_num(column(rows, name), nan=0.0)
    return total


@contextmanager
def _scheduler(dask: str | None, workers: int) -> Iterator[str | None]:
    """The Dask address every sweep uses: one LocalCluster for them all with ``local``, else as given."""
    if dask != "local":
        yield dask
        return
    with local_cluster(workers) as cluster:
        yield str(cluster.scheduler_address)


CSV_HEADER = (
    "rank",
    "component",
    "unwarned_residents_added",
    "unwarned_residents_ci95_low",
    "unwarned_residents_ci95_high",
    "unreached_emitters_added",
    "unreached_emitters_ci95_low",
    "unreached_emitters_ci95_high",
    "pairs",
)


def write_ranking_csv(path: Path, ranking: CriticalityRanking) -> Path:
    """``criticality.csv``: one row per knock-out, most costly first."""
    write_csv(
        path,
        CSV_HEADER,
        (
            [
                c.rank,
                c.component,
                c.unwarned_residents.mean_difference,
                c.unwarned_residents.ci95_low,
                c.unwarned_residents.ci95_high,
                c.unreached_emitters.mean_difference,
                c.unreached_emitters.ci95_low,
                c.unreached_emitters.ci95_high,
                c.unwarned_residents.pairs,
            ]
            for c in ranking.ranking
        ),
    )
    return path
