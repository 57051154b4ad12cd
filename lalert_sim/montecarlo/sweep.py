"""A sweep: N replications of one scenario, in batches, on local processes or a Dask cluster.

Each finished batch is written atomically to ``OUT/batches/``; a sweep that was
killed half-way resumes from what is there (``resume=True``) and gives the same
table as an uninterrupted one. Results do not depend on the number of workers or
the backend: replication i always runs with seed i of the master seed sequence.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from lalert_sim.atomic import write_text
from lalert_sim.errors import LalertError
from lalert_sim.montecarlo.replicate import Row, run_batch
from lalert_sim.montecarlo.seeds import replication_seeds

Progress = Callable[[int], None]  # called with the number of replications just finished


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

    def batches(self) -> list[list[tuple[int, int]]]:
        """(index, seed) pairs cut into batches."""
        seeds = replication_seeds(self.master_seed, self.replications)
        size = self.batch_size or max(1, math.ceil(self.replications / (4 * max(self.workers, 1))))
        pairs = list(enumerate(seeds))
        return [pairs[i : i + size] for i in range(0, len(pairs), size)]


@dataclass
class SweepOutcome:
    """The rows of every replication, by index, and how many were reused from an earlier run."""

    rows: list[Row]
    reused: int = 0
    seeds: list[int] = field(default_factory=list)


def _manifest(spec: SweepSpec, text: str) -> dict[str, object]:
    return {
        "scenario": str(spec.scenario_path),
        "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "master_seed": spec.master_seed,
    }


def _batch_file(out_dir: Path, batch: list[tuple[int, int]]) -> Path:
    return out_dir / "batches" / f"batch-{batch[0][0]:07d}-{batch[-1][0]:07d}.json"


def _done_batches(spec: SweepSpec, manifest: dict[str, object]) -> dict[Path, list[Row]]:
    path = spec.out_dir / "sweep.json"
    if not spec.resume or not path.exists():
        return {}
    earlier = json.loads(path.read_text(encoding="utf-8"))
    if earlier != manifest:
        raise LalertError(
            f"{spec.out_dir} holds a sweep of another scenario or master seed; "
            "use another --out folder or drop --resume"
        )
    done = {}
    for file in (spec.out_dir / "batches").glob("batch-*.json"):
        done[file] = json.loads(file.read_text(encoding="utf-8"))
    return done


def run_sweep(spec: SweepSpec, progress: Progress | None = None) -> SweepOutcome:
    """Run (or finish) the sweep; rows come back sorted by replication index."""
    text = spec.scenario_path.read_text(encoding="utf-8")
    manifest = _manifest(spec, text)
    done = _done_batches(spec, manifest)
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    write_text(spec.out_dir / "sweep.json", json.dumps(manifest, indent=2) + "\n")
    batches = spec.batches()
    pending = [b for b in batches if _batch_file(spec.out_dir, b) not in done]
    rows: list[Row] = [
        row for b in batches if _batch_file(spec.out_dir, b) in done for row in done[_batch_file(spec.out_dir, b)]
    ]
    reused = len(rows)
    if progress and reused:
        progress(reused)
    for batch, batch_rows in _execute(spec, text, pending):
        _write_batch(_batch_file(spec.out_dir, batch), batch_rows)
        rows.extend(batch_rows)
        if progress:
            progress(len(batch_rows))
    rows.sort(key=lambda r: r["replication"])
    return SweepOutcome(rows, reused, [seed for b in batches for _, seed in b])


def _write_batch(path: Path, rows: list[Row]) -> None:
    write_text(path, json.dumps(rows, allow_nan=True) + "\n")


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
            yield batch, run_batch(text, source, batch)
    else:
        with ProcessPoolExecutor(max_workers=spec.workers) as pool:
            futures = {pool.submit(run_batch, text, source, batch): batch for batch in batches}
            for future in as_completed(futures):
                yield futures[future], future.result()


def _on_dask(
    spec: SweepSpec, text: str, source: str, batches: list[list[tuple[int, int]]]
) -> Iterator[tuple[list[tuple[int, int]], list[Row]]]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise LalertError("--dask needs dask.distributed: pip install 'lalert-sim[cluster]'") from None
    # dask.distributed has no type hints: its calls are untyped for mypy.
    cluster = None
    if spec.dask == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=max(spec.workers, 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        client = Client(spec.dask)  # type: ignore[no-untyped-call]
    try:
        futures = {client.submit(run_batch, text, source, batch, pure=False): i for i, batch in enumerate(batches)}
        for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
            yield batches[futures[future]], future.result()
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


def cpu_count() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
