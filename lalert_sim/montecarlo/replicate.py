"""Running replications in batches: what a worker process (local or Dask) executes."""

from __future__ import annotations

from functools import lru_cache

from lalert_sim.analysis.kpis import replication_kpis
from lalert_sim.engine.simulation import collector_paused
from lalert_sim.prepare import Prepared, load_text
from lalert_sim.runner import run, summarise

Row = dict[str, float | int]


@lru_cache(maxsize=8)
def prepared_scenario(text: str, source: str, allow_outside_paths: bool) -> Prepared:
    """The scenario text prepared, once per process (what every batch of it in this process runs)."""
    return load_text(text, source, allow_outside_paths=allow_outside_paths)


def run_batch(
    scenario_text: str, source: str, batch: list[tuple[int, int]], allow_outside_paths: bool = False
) -> list[Row]:
    """KPI rows of the given (index, seed) replications of a scenario.

    The scenario travels as text (a Dask worker may not see the file) and is
    prepared once per worker process, so a batch costs only its replications.
    """
    return replicate(prepared_scenario(scenario_text, source, allow_outside_paths), batch)


def replicate(prepared: Prepared, batch: list[tuple[int, int]]) -> list[Row]:
    """KPI rows of the given (index, seed) replications of a prepared scenario.

    The garbage collector is paused over each replication: otherwise it scans the finished run's objects,
    still held while summarising, though they are freed without cycles the moment the row is made.
    """
    rows: list[Row] = []
    for index, seed in batch:
        with collector_paused():
            kpis = replication_kpis(summarise(prepared, run(prepared, seed)))
        rows.append({"replication": index, "seed": seed, **kpis})
    return rows
