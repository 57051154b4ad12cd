"""A sweep: N replications of one scenario, in batches, on local processes or a Dask cluster.

Each finished batch is written atomically to ``OUT/batches/``; a sweep that was
killed half-way resumes from what is there (``resume=True``, reusing only batches
made for this scenario and master seed) and gives the same table as an
uninterrupted one. Results do not depend on the number of workers or
the backend: replication i always runs with seed i of the master seed sequence.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lalert_sim.atomic import write_text
from lalert_sim.errors import LalertError
from lalert_sim.montecarlo.batches import (
    BatchIdentity,
    StaleBatch,
    batch_name,
    read_batch,
    scenario_digest,
    write_batch,
)
from lalert_sim.montecarlo.replicate import Row, prepared_scenario, run_batch
from lalert_sim.montecarlo.seeds import replication_seeds

Progress = Callable[[int], None]  # called with the number of replications just finished
CONNECT_TIMEOUT_S = 5  # a Dask scheduler that does not answer by then is reported unreachable
_IGNORE_CTRL_C = (signal.SIGINT, signal.SIG_IGN)
TARGET_BATCH_S = 0.5
"""About how long a batch should run when its size is chosen from the measured cost: sending a batch and
its rows back costs milliseconds (well under 1 % of this), and the last worker to finish ends at most
about one such batch after the others."""
MIN_BATCHES_PER_WORKER = 4
"""Never fewer batches than this per worker, however cheap a replication: the load stays balanced."""
CUT_FILE = "cut.json"
"""In ``batches/``: how the replications were cut (batch size, pilot), so a resumed sweep cuts them alike."""


def measured_batch_size(replications: int, workers: int, per_replication_s: float) -> int:
    """Replications per batch for a replication costing ``per_replication_s``: about TARGET_BATCH_S of work,
    but small enough that every worker gets MIN_BATCHES_PER_WORKER batches."""
    by_cost = max(1, int(TARGET_BATCH_S / max(per_replication_s, 1e-6)))
    balanced = max(1, math.ceil(replications / (MIN_BATCHES_PER_WORKER * max(workers, 1))))
    return min(by_cost, balanced)


@dataclass(frozen=True)
class SweepSpec:
    """What to run and where."""

    scenario_path: Path
    replications: int
    master_seed: int
    out_dir: Path
    workers: int = 1
    batch_size: int = 0  # 0: chosen so each worker gets several batches
    dask: str | None = None  # scheduler address, or "local" for a LocalCluster
    resume: bool = False
    reuse_from: Path | None = None  # an earlier results folder whose finished batches ``resume`` may reuse
    allow_outside_paths: bool = False  # files the scenario names may lie outside its folder
    scenario_text: str | None = None  # the scenario as YAML text (a variant); None: read scenario_path
    per_replication_s: float | None = None  # a known cost of one replication: sizes the batches with no pilot

    def text(self) -> str:
        """The scenario this sweep runs, as YAML text (relative paths in it resolve from scenario_path)."""
        if self.scenario_text is not None:
            return self.scenario_text
        return self.scenario_path.read_text(encoding="utf-8")

    def batches(self, size: int, pilot: bool = False) -> list[list[tuple[int, int]]]:
        """(index, seed) pairs cut into batches of ``size`` (the sweep's ``Cut``); with ``pilot``,
        replication 0 alone first (the one that measured the cost)."""
        seeds = replication_seeds(self.master_seed, self.replications)
        pairs = list(enumerate(seeds))
        first = [pairs[:1]] if pilot and pairs else []
        rest = pairs[len(first) :]
        return first + [rest[i : i + size] for i in range(0, len(rest), size)]

    def several_per_worker(self) -> int:
        """The batch size that gives each worker MIN_BATCHES_PER_WORKER batches (without a measured cost)."""
        return max(1, math.ceil(self.replications / (MIN_BATCHES_PER_WORKER * max(self.workers, 1))))

    def spread(self) -> bool:
        """Whether batches go to more than one worker (there, their size matters)."""
        return self.dask is not None or self.workers > 1


@dataclass
class SweepOutcome:
    """The rows of every replication, by index, how many were reused, and why any batch was recomputed."""

    rows: list[Row]
    reused: int = 0
    seeds: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_size: int = 0  # replications per batch (the pilot's aside)
    per_replication_s: float | None = None  # what the pilot measured (or was given); None: not measured


def run_sweep(spec: SweepSpec, progress: Progress | None = None) -> SweepOutcome:
    """Run (or finish) the sweep; rows come back sorted by replication index."""
    text = spec.text()
    identity = BatchIdentity(scenario_digest(spec.scenario_path, text), spec.master_seed)
    folder = spec.out_dir / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    cut, piloted = _cut(spec, identity, text)
    batches = spec.batches(cut.size, cut.pilot)
    write_text(folder / CUT_FILE, json.dumps(cut.to_json(identity), indent=2) + "\n")
    outcome = SweepOutcome([], seeds=[seed for b in batches for _, seed in b])
    outcome.batch_size, outcome.per_replication_s = cut.size, cut.per_replication_s
    done = 0  # batches already run: the pilot's, replication 0
    if piloted is not None:
        write_batch(folder / batch_name(batches[0]), identity, batches[0], piloted)
        done = 1
    pending = []
    for number, batch in enumerate(batches[done:], done + 1):
        found = _reusable(spec, identity, number, batch, outcome.notes) if spec.resume else None
        if found is None:
            pending.append(batch)
        else:
            outcome.rows.extend(found)
    outcome.reused = len(outcome.rows)
    outcome.rows.extend(piloted or [])
    if progress and outcome.rows:
        progress(len(outcome.rows))
    for batch, batch_rows in _execute(spec, text, pending):
        write_batch(folder / batch_name(batch), identity, batch, batch_rows)
        outcome.rows.extend(batch_rows)
        if progress:
            progress(len(batch_rows))
    wanted = {batch_name(b) for b in batches}
    for stale in folder.glob("batch-*"):  # batches of another cut (another --batch-size) are not this sweep's
        if stale.name not in wanted:
            stale.unlink()
    outcome.rows.sort(key=lambda r: r["replication"])
    write_text(spec.out_dir / "sweep.json", json.dumps(_manifest(spec, identity, cut), indent=2) + "\n")
    return outcome


def _manifest(spec: SweepSpec, identity: BatchIdentity, cut: Cut) -> dict[str, object]:
    return {
        "scenario": str(spec.scenario_path),
        "scenario_sha256": identity.scenario_sha256,
        "master_seed": spec.master_seed,
        "replications": spec.replications,
        "batch_size": cut.size,
        "per_replication_s": cut.per_replication_s,
    }


@dataclass(frozen=True)
class Cut:
    """How a sweep's replications are cut into batches: ``size`` each, after replication 0 alone (``pilot``)."""

    size: int
    pilot: bool = False
    per_replication_s: float | None = None

    def to_json(self, identity: BatchIdentity) -> dict[str, object]:
        """What ``batches/cut.json`` holds: the cut, for the scenario and seed it was made for."""
        return {
            "scenario_sha256": identity.scenario_sha256,
            "master_seed": identity.master_seed,
            "batch_size": self.size,
            "pilot": self.pilot,
            "per_replication_s": self.per_replication_s,
        }


def _cut(spec: SweepSpec, identity: BatchIdentity, text: str) -> tuple[Cut, list[Row] | None]:
    """The cut of this sweep and, when a pilot measured it now, the pilot's rows.

    ``--batch-size`` as given; else a resumed sweep's recorded cut; else, where batches are spread over
    workers, the size measured from one replication (replication 0, run here) or from the cost given;
    else several batches per worker.
    """
    if spec.batch_size:
        return Cut(spec.batch_size), None
    if spec.resume:
        for place in (spec.out_dir, spec.reuse_from):
            recorded = _recorded_cut(place / "batches" / CUT_FILE, identity) if place is not None else None
            if recorded is not None:
                return recorded, None
    if not spec.spread() or spec.replications < 2:
        return Cut(spec.several_per_worker()), None
    if spec.per_replication_s is not None:
        return Cut(measured_batch_size(spec.replications, spec.workers, spec.per_replication_s)), None
    pilot = [(0, replication_seeds(spec.master_seed, 1)[0])]
    prepared_scenario(text, str(spec.scenario_path), spec.allow_outside_paths)  # built once, not timed
    started = time.perf_counter()
    rows = run_batch(text, str(spec.scenario_path), pilot, spec.allow_outside_paths)
    cost = time.perf_counter() - started
    return Cut(measured_batch_size(spec.replications - 1, spec.workers, cost), True, round(cost, 6)), rows


def _recorded_cut(path: Path, identity: BatchIdentity) -> Cut | None:
    """The cut an earlier run of this sweep recorded, if it was made for the same scenario and seed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["scenario_sha256"] != identity.scenario_sha256 or data["master_seed"] != identity.master_seed:
            return None
        size, pilot, cost = data["batch_size"], data["pilot"], data["per_replication_s"]
        if not isinstance(size, int) or size < 1 or not isinstance(pilot, bool):
            return None
        return Cut(size, pilot, float(cost) if isinstance(cost, int | float) else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or not readable: measured again (the batches then say what they can reuse)


def _reusable(
    spec: SweepSpec, identity: BatchIdentity, number: int, batch: list[tuple[int, int]], notes: list[str]
) -> list[Row] | None:
    """A finished batch's rows from this sweep's folder or the earlier results, if they are this sweep's."""
    name = batch_name(batch)
    places = [spec.out_dir / "batches" / name]
    if spec.reuse_from is not None:
        places.append(spec.reuse_from / "batches" / name)
    for place in places:
        if not place.exists():
            continue
        try:
            rows = read_batch(place, identity, batch)
        except StaleBatch as exc:
            notes.append(f"batch {number} ({place}): {exc}: recomputed")
            continue
        if place != places[0]:
            write_batch(places[0], identity, batch, rows)
        return rows
    return None


def _execute(
    spec: SweepSpec, text: str, batches: list[list[tuple[int, int]]]
) -> Iterator[tuple[list[tuple[int, int]], list[Row]]]:
    source = str(spec.scenario_path)
    if not batches:
        return
    if spec.dask is not None:
        yield from _on_dask(spec, text, source, batches)
    elif spec.workers <= 1:
        for batch in batches:
            yield batch, run_batch(text, source, batch, spec.allow_outside_paths)
    else:
        # Workers leave Ctrl-C to the parent, which stops the pool and says what was kept.
        pool = ProcessPoolExecutor(max_workers=spec.workers, initializer=signal.signal, initargs=_IGNORE_CTRL_C)
        try:
            futures = {
                pool.submit(run_batch, text, source, batch, spec.allow_outside_paths): batch for batch in batches
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            pool.shutdown(cancel_futures=True)


def _on_dask(
    spec: SweepSpec, text: str, source: str, batches: list[list[tuple[int, int]]]
) -> Iterator[tuple[list[tuple[int, int]], list[Row]]]:
    with dask_client(spec.dask or "local", spec.workers) as client:
        futures = {
            client.submit(run_batch, text, source, batch, spec.allow_outside_paths, pure=False): i
            for i, batch in enumerate(batches)
        }
        for future, result in dask_results(futures):
            yield batches[futures[future]], result


def _distributed() -> Any:
    """The dask.distributed module, or LalertError saying which extra to install."""
    try:
        import dask.distributed
    except ImportError:
        raise LalertError("--dask needs dask.distributed: pip install 'lalert-sim[cluster]'") from None
    return dask.distributed


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A Dask LocalCluster of ``workers`` single-threaded processes on loopback, closed on the way out."""
    # dask.distributed has no type hints: its calls are untyped for mypy.
    cluster = _distributed().LocalCluster(
        n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    try:
        yield cluster
    finally:
        cluster.close()


@contextmanager
def dask_client(address: str, workers: int) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address`` (``local``: a LocalCluster of ``workers`` started for it);
    LalertError naming the address when the scheduler does not answer."""
    distributed = _distributed()
    with ExitStack() as stack:
        if address == "local":
            client = distributed.Client(stack.enter_context(local_cluster(workers)))
        else:
            try:
                client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, ValueError) as exc:
                raise LalertError(
                    f"--dask {address}: cannot reach the Dask scheduler ({exc}); "
                    "check the address (tcp://HOST:PORT) and that the scheduler runs, or use --dask local"
                ) from None
        try:
            yield client
        finally:
            client.close()


def dask_results(futures: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """(future, result) of Dask futures as they finish."""
    for future in _distributed().as_completed(list(futures)):
        yield future, future.result()


def cpu_count() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
