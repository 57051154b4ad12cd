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
from lalert_sim.montecarlo.replicate import Row, run_batch
from lalert_sim.montecarlo.seeds import replication_seeds

Progress = Callable[[int], None]  # called with the number of replications just finished
CONNECT_TIMEOUT_S = 5  # a Dask scheduler that does not answer by then is reported unreachable
_IGNORE_CTRL_C = (signal.SIGINT, signal.SIG_IGN)


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

    def text(self) -> str:
        """The scenario this sweep runs, as YAML text (relative paths in it resolve from scenario_path)."""
        if self.scenario_text is not None:
            return self.scenario_text
        return self.scenario_path.read_text(encoding="utf-8")

    def batches(self) -> list[list[tuple[int, int]]]:
        """(index, seed) pairs cut into batches."""
        seeds = replication_seeds(self.master_seed, self.replications)
        size = self.batch_size or max(1, math.ceil(self.replications / (4 * max(self.workers, 1))))
        pairs = list(enumerate(seeds))
        return [pairs[i : i + size] for i in range(0, len(pairs), size)]


@dataclass
class SweepOutcome:
    """The rows of every replication, by index, how many were reused, and why any batch was recomputed."""

    rows: list[Row]
    reused: int = 0
    seeds: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_sweep(spec: SweepSpec, progress: Progress | None = None) -> SweepOutcome:
    """Run (or finish) the sweep; rows come back sorted by replication index."""
    text = spec.text()
    identity = BatchIdentity(scenario_digest(spec.scenario_path, text), spec.master_seed)
    batches = spec.batches()
    folder = spec.out_dir / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    outcome = SweepOutcome([], seeds=[seed for b in batches for _, seed in b])
    pending = []
    for number, batch in enumerate(batches, 1):
        found = _reusable(spec, identity, number, batch, outcome.notes) if spec.resume else None
        if found is None:
            pending.append(batch)
        else:
            outcome.rows.extend(found)
    outcome.reused = len(outcome.rows)
    if progress and outcome.reused:
        progress(outcome.reused)
    for batch, batch_rows in _execute(spec, text, pending):
        write_batch(folder / batch_name(batch), identity, batch, batch_rows)
        outcome.rows.extend(batch_rows)
        if progress:
            progress(len(batch_rows))
    wanted = {batch_name(b) for b in batches}
    for stale in folder.glob("*"):  # batches of another cut (another --batch-size) are not this sweep's
        if stale.name not in wanted:
            stale.unlink()
    outcome.rows.sort(key=lambda r: r["replication"])
    write_text(spec.out_dir / "sweep.json", json.dumps(_manifest(spec, identity), indent=2) + "\n")
    return outcome


def _manifest(spec: SweepSpec, identity: BatchIdentity) -> dict[str, object]:
    return {
        "scenario": str(spec.scenario_path),
        "scenario_sha256": identity.scenario_sha256,
        "master_seed": spec.master_seed,
        "replications": spec.replications,
    }


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
