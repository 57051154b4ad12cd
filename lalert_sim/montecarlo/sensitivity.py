"""Global sensitivity analysis: which uncertain parameters drive a KPI (Morris screening or Sobol' indices).

SALib draws the sample points over the parameters' ranges (montecarlo/parameters.py). Each point
is the scenario with those values set (overrides merged onto its data), run for R replications on
the same seeds as every other point (common random numbers: the points differ only by their
parameters), and its KPI is the mean over those replications. Morris gives mu* (mean absolute
elementary effect) and sigma (their spread: interactions, non-linearity) with bootstrap 95 % CIs;
Sobol' gives first-order (S1) and total (ST) indices with SALib's 95 % CIs. Points run in one
pool of local processes or on a Dask cluster, one task per point.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from lalert_sim.analysis.results import Record
from lalert_sim.errors import InvalidInput, LalertError
from lalert_sim.model.loader import parse_yaml
from lalert_sim.model.scenario import Scenario
from lalert_sim.montecarlo.parameters import (
    Parameter,
    applicable,
    check_ranges,
    packaged_parameters,
    read_parameters,
    sample_data,
)
from lalert_sim.montecarlo.replicate import Row, replicate
from lalert_sim.montecarlo.results import column, kpi_names
from lalert_sim.montecarlo.seeds import replication_seeds
from lalert_sim.montecarlo.sweep import dask_client, dask_results
from lalert_sim.prepare import load_text
from lalert_sim.streams import stream_key
from lalert_sim.tables import write_csv

Method = Literal["morris", "sobol"]
METHODS: tuple[Method, ...] = ("morris", "sobol")
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 1_000
"""Resamples of the elementary effects behind Morris's confidence intervals."""
MAX_POINTS = 100_000
"""Most sample points one analysis may run (each is a scenario run R times)."""
DEFAULT_KPI = "unwarned_at_deadline"
"""The KPI analysed unless ``--kpi`` names others: the share unwarned at the deadline, of the first alert."""
REGISTRY = "lalert_sim/data/sensitivity.toml"
"""Where the default parameters come from, as messages name it."""
Progress = Callable[[int], None]  # called with the number of sample points just finished
_IGNORE_CTRL_C = (signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True, slots=True)
class MorrisIndex(Record):
    """Morris screening of one parameter for one KPI: elementary effects over the trajectories.

    An elementary effect is the KPI's change when the parameter moves by one grid step, divided
    by that step as a share of the parameter's range (KPI units per whole range).
    """

    parameter: str
    """The parameter's path in the scenario data."""
    mu_star: float
    """Mean absolute elementary effect: the parameter's overall influence (ranks the parameters)."""
    mu_star_ci95_low: float
    """Lower end of mu*'s bootstrap 95 % CI."""
    mu_star_ci95_high: float
    """Upper end of mu*'s bootstrap 95 % CI."""
    sigma: float
    """Standard deviation of the elementary effects: interactions with other parameters, or non-linearity."""
    sigma_ci95_low: float
    """Lower end of sigma's bootstrap 95 % CI."""
    sigma_ci95_high: float
    """Upper end of sigma's bootstrap 95 % CI."""
    mu: float
    """Mean elementary effect, with its sign (mu well below mu*: effects of both signs)."""


@dataclass(frozen=True, slots=True)
class SobolIndex(Record):
    """Sobol' indices of one parameter for one KPI: shares of the KPI's variance over the ranges."""

    parameter: str
    """The parameter's path in the scenario data."""
    s1: float
    """First-order index: share of the variance due to this parameter alone."""
    s1_ci95_low: float
    """Lower end of S1's 95 % CI."""
    s1_ci95_high: float
    """Upper end of S1's 95 % CI."""
    st: float
    """Total index: share due to this parameter with all its interactions (ranks the parameters)."""
    st_ci95_low: float
    """Lower end of ST's 95 % CI."""
    st_ci95_high: float
    """Upper end of ST's 95 % CI."""


@dataclass(frozen=True, slots=True)
class KpiSensitivity(Record):
    """The parameters' indices for one KPI, most influential first."""

    kpi: str
    """The KPI (a column of the sweep table, e.g. ``missile-drill-1.unwarned_at_deadline``)."""
    spread: float
    """Standard deviation of the KPI over the sample points (0: no parameter moves it)."""
    indices: Sequence[MorrisIndex | SobolIndex]
    """One per parameter, ranked by mu* (Morris) or ST (Sobol'), largest first."""


@dataclass(frozen=True, slots=True)
class Sensitivity(Record):
    """``sensitivity.json``: what was varied, how it was sampled, and the ranked indices per KPI."""

    scenario: str
    """The scenario file analysed."""
    method: str
    """``morris`` or ``sobol``."""
    samples: int
    """``-n``: Morris trajectories, or Sobol' base samples."""
    points: int
    """Sample points run: trajectories × (parameters + 1), or base samples × (parameters + 2)."""
    replications: int
    """Replications per point, on the same seeds at every point."""
    master_seed: int
    """Master seed of the replications' seeds."""
    sample_seed: int
    """Seed of SALib's sample (from the named stream ``MASTER/sensitivity/METHOD``)."""
    parameters: Sequence[Parameter]
    """What was varied, over which range, and why."""
    kpis: Sequence[KpiSensitivity]
    """The ranked indices, one entry per KPI analysed."""
    left_out: Sequence[str] = ()
    """Default parameters this scenario does not have, each with why."""


@dataclass(frozen=True)
class SensitivitySpec:
    """What to analyse and where to run it."""

    scenario_path: Path
    method: Method
    samples: int  # Morris trajectories or Sobol' base samples (a power of 2)
    replications: int
    master_seed: int
    parameters: list[Parameter]
    kpis: list[str] = field(default_factory=list)  # empty: DEFAULT_KPI of the first alert
    workers: int = 1
    dask: str | None = None  # scheduler address, or "local" for a LocalCluster
    levels: int = 4  # Morris grid levels (even)
    allow_outside_paths: bool = False
    left_out: tuple[str, ...] = ()  # default parameters the scenario lacks, with why (reported)
    parameters_from: str = REGISTRY  # where the parameters were read: named in messages
    scenario_text: str | None = None  # the scenario as run (e.g. with --overlay merged); None: the file's text

    def text(self) -> str:
        """The scenario's text every point starts from."""
        return self.scenario_path.read_text(encoding="utf-8") if self.scenario_text is None else self.scenario_text

    def problem(self) -> dict[str, Any]:
        """The SALib problem: one variable per parameter, over its range."""
        return {
            "num_vars": len(self.parameters),
            "names": [p.path for p in self.parameters],
            "bounds": [[p.low, p.high] for p in self.parameters],
        }

    def points(self) -> int:
        """Sample points the method needs: trajectories × (parameters + 1), or base samples × (parameters + 2)."""
        return self.samples * (len(self.parameters) + (1 if self.method == "morris" else 2))

    def sample_seed(self) -> int:
        """The seed of SALib's sampler, from a named stream of the master seed."""
        return stream_key(f"{self.master_seed}/sensitivity/{self.method}") % 2**32


@dataclass
class SensitivityOutcome:
    """The analysis, the sample points (parameter values) and each point's KPI means over its replications."""

    result: Sensitivity
    design: np.ndarray
    means: dict[str, np.ndarray]


def choose_parameters(
    scenario_path: Path, parameters_file: Path | None, allow_outside_paths: bool = False, text: str | None = None
) -> tuple[list[Parameter], tuple[str, ...]]:
    """The parameters to vary and why any default was left out.

    Without a file: the packaged registry, less those the scenario does not have (each named, with why).
    With one: its parameters, every one of which the scenario must have (InvalidInput naming it otherwise).
    ``text``: the scenario as run (an overlay merged), when not the file's own.
    """
    text = scenario_path.read_text(encoding="utf-8") if text is None else text
    data, _lines = parse_yaml(text, str(scenario_path))
    prepared = load_text(text, str(scenario_path), allow_outside_paths)
    wanted = packaged_parameters() if parameters_file is None else read_parameters(parameters_file)
    channels = {str(node.channel) for node in prepared.topology.nodes.values() if node.channel is not None}
    media = {str(link.medium) for link in prepared.topology.links}
    kept, skipped = applicable(wanted, data, prepared.scenario, channels, media)
    if parameters_file is not None and skipped:
        raise InvalidInput(f"{parameters_file}: {skipped[0]} (in {scenario_path})")
    return kept, tuple(skipped)


def check_spec(spec: SensitivitySpec) -> None:
    """InvalidInput for what SALib cannot analyse: too few parameters or samples, a Sobol' n not a power of 2."""
    if not spec.parameters:
        raise InvalidInput(f"{spec.scenario_path}: no parameter to vary (give --parameters FILE)")
    if spec.method == "morris" and spec.samples < 2:
        raise InvalidInput("--method morris needs -n 2 or more trajectories")
    if spec.method == "morris" and (spec.levels < 2 or spec.levels % 2):
        raise InvalidInput(f"--levels must be an even number, 2 or more; got {spec.levels}")
    if spec.method == "sobol" and (spec.samples < 2 or spec.samples & (spec.samples - 1)):
        raise InvalidInput(f"--method sobol needs -n a power of 2 (2, 4, 8, 16, ...); got {spec.samples}")
    points = spec.points()
    if points > MAX_POINTS:
        raise InvalidInput(f"{points:,} sample points; at most {MAX_POINTS:,} (lower -n or vary fewer parameters)")


def design(spec: SensitivitySpec) -> np.ndarray:
    """SALib's sample: one row per point, one column per parameter."""
    problem = spec.problem()
    if spec.method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.sample_seed()))
    from SALib.sample import sobol

    return np.asarray(sobol.sample(problem, spec.samples, calc_second_order=False, seed=spec.sample_seed()))


def point_texts(spec: SensitivitySpec, data: Mapping[str, Any], scenario: Scenario, values: np.ndarray) -> list[str]:
    """The scenario as YAML text at each sample point (relative paths still resolve from its file).

    Each parameter's range is checked first: at its low and its high end the scenario must stay valid.
    """
    check_ranges(data, scenario, spec.parameters, spec.parameters_from)
    return [
        yaml.safe_dump(sample_data(data, scenario, spec.parameters, row), allow_unicode=True, sort_keys=False)
        for row in values
    ]


def run_sensitivity(spec: SensitivitySpec, progress: Progress | None = None) -> SensitivityOutcome:
    """Sample, run every point R times on common seeds, and rank the parameters for each KPI."""
    _need_salib()
    check_spec(spec)
    source = str(spec.scenario_path)
    text = spec.text()
    data, _lines = parse_yaml(text, source)
    scenario = load_text(text, source, spec.allow_outside_paths).scenario
    values = design(spec)
    texts = point_texts(spec, data, scenario, values)
    seeds = list(enumerate(replication_seeds(spec.master_seed, spec.replications)))
    # One replication first, so a --kpi that does not exist is named before the points run.
    (first,) = run_point(texts[0], source, seeds[:1], spec.allow_outside_paths)
    wanted = _kpis(spec, kpi_names([first]), first, scenario.alerts[0].id if scenario.alerts else None)
    rows = _run_points(spec, texts, seeds, progress)
    names = kpi_names(rows[0])
    means = {name: np.array([_mean(point_rows, name) for point_rows in rows]) for name in names}
    analysed = [_analyse(spec, values, name, means[name]) for name in wanted]
    result = Sensitivity(
        scenario=str(spec.scenario_path),
        method=spec.method,
        samples=spec.samples,
        points=len(texts),
        replications=spec.replications,
        master_seed=spec.master_seed,
        sample_seed=spec.sample_seed(),
        parameters=spec.parameters,
        kpis=analysed,
        left_out=spec.left_out,
    )
    return SensitivityOutcome(result, values, means)


def _need_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise LalertError("sensitivity needs SALib: pip install 'lalert-sim[research]'") from None


def _mean(rows: list[Row], name: str) -> float:
    values = column(rows, name)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


def _kpis(spec: SensitivitySpec, names: list[str], first: Row, alert: str | None) -> list[str]:
    if not spec.kpis:
        if alert is None:
            raise InvalidInput(
                f"{spec.scenario_path}: only streams, no alert: name a KPI with --kpi ({', '.join(names)})"
            )
        if f"{alert}.{DEFAULT_KPI}" not in first:
            raise InvalidInput(
                f"{spec.scenario_path}: alert {alert} has no {DEFAULT_KPI} KPI (it concerns no residents); "
                f"name one with --kpi ({', '.join(names)})"
            )
        return [f"{alert}.{DEFAULT_KPI}"]
    unknown = [name for name in spec.kpis if name not in first]
    if unknown:
        raise InvalidInput(f"--kpi {', '.join(unknown)}: no such KPI; this scenario's KPIs: {', '.join(names)}")
    return list(dict.fromkeys(spec.kpis))


def _analyse(spec: SensitivitySpec, values: np.ndarray, kpi: str, y: np.ndarray) -> KpiSensitivity:
    if not np.isfinite(y).all():
        missing = int((~np.isfinite(y)).sum())
        raise LalertError(
            f"KPI {kpi} was never reached in any replication at {missing} of {y.size} sample points: "
            "choose another --kpi (a share, e.g. one ending in unwarned_at_deadline) or more replications"
        )
    indices: list[MorrisIndex] | list[SobolIndex]
    if spec.method == "morris":
        indices = morris_indices(spec, values, y)
        indices.sort(key=lambda i: -i.mu_star)
    else:
        indices = sobol_indices(spec, y)
        indices.sort(key=lambda i: -i.st if math.isfinite(i.st) else math.inf)
    return KpiSensitivity(kpi=kpi, spread=float(y.std()) if np.ptp(y) > 0 else 0.0, indices=indices)


def elementary_effects(values: np.ndarray, y: np.ndarray, bounds: Sequence[Sequence[float]]) -> np.ndarray:
    """Elementary effects per parameter (rows) and trajectory (columns), from consecutive points of each trajectory.

    Between two consecutive points of a trajectory exactly one parameter moves; its effect is the
    KPI's change over that move as a share of the parameter's range.
    """
    count = values.shape[1]
    low = np.array([b[0] for b in bounds])
    span = np.array([b[1] - b[0] for b in bounds])
    unit = (values - low) / span
    trajectories = values.shape[0] // (count + 1)
    effects = np.empty((count, trajectories))
    for t in range(trajectories):
        start = t * (count + 1)
        steps = np.diff(unit[start : start + count + 1], axis=0)
        changes = np.diff(y[start : start + count + 1])
        moved = np.argmax(np.abs(steps), axis=1)
        effects[moved, t] = changes / steps[np.arange(count), moved]
    return effects


def morris_indices(spec: SensitivitySpec, values: np.ndarray, y: np.ndarray) -> list[MorrisIndex]:
    """mu*, sigma and mu per parameter (SALib's Morris analysis), with bootstrap 95 % CIs of mu* and sigma."""
    from SALib.analyze import morris

    problem = spec.problem()
    analysis = morris.analyze(problem, values, y, num_levels=spec.levels, seed=spec.sample_seed())
    effects = elementary_effects(values, y, problem["bounds"])
    rng = np.random.default_rng(stream_key(f"{spec.master_seed}/sensitivity/bootstrap"))
    picks = rng.integers(0, effects.shape[1], size=(BOOTSTRAP_RESAMPLES, effects.shape[1]))
    tails = [100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2]
    found = []
    for index, parameter in enumerate(spec.parameters):
        resampled = effects[index][picks]
        mu_star_low, mu_star_high = np.percentile(np.abs(resampled).mean(axis=1), tails)
        sigma_low, sigma_high = np.percentile(resampled.std(axis=1, ddof=1), tails)
        found.append(
            MorrisIndex(
                parameter=parameter.path,
                mu_star=float(analysis["mu_star"][index]),
                mu_star_ci95_low=float(mu_star_low),
                mu_star_ci95_high=float(mu_star_high),
                sigma=float(analysis["sigma"][index]),
                sigma_ci95_low=float(sigma_low),
                sigma_ci95_high=float(sigma_high),
                mu=float(analysis["mu"][index]),
            )
        )
    return found


def sobol_indices(spec: SensitivitySpec, y: np.ndarray) -> list[SobolIndex]:
    """S1 and ST per parameter (SALib's Sobol' analysis, Saltelli 2010 / Jansen estimators), 95 % CIs.

    A KPI no parameter moves has no variance to share out: its indices are NaN.
    """
    if float(np.ptp(y)) == 0.0:
        nan = math.nan
        return [SobolIndex(p.path, nan, nan, nan, nan, nan, nan) for p in spec.parameters]
    from SALib.analyze import sobol

    analysis = sobol.analyze(spec.problem(), y, calc_second_order=False, conf_level=CONFIDENCE, seed=spec.sample_seed())
    found = []
    for index, parameter in enumerate(spec.parameters):
        s1, s1_half = float(analysis["S1"][index]), float(analysis["S1_conf"][index])
        st, st_half = float(analysis["ST"][index]), float(analysis["ST_conf"][index])
        found.append(SobolIndex(parameter.path, s1, s1 - s1_half, s1 + s1_half, st, st - st_half, st + st_half))
    return found


def run_point(text: str, source: str, seeds: list[tuple[int, int]], allow_outside_paths: bool = False) -> list[Row]:
    """KPI rows of one sample point's replications: what a worker runs for a point.

    The point's scenario is prepared for this call only and not kept (unlike a sweep's batches, every
    point is another scenario: keeping them would hold several nationwide networks per worker).
    """
    return replicate(load_text(text, source, allow_outside_paths), seeds)


def _run_points(
    spec: SensitivitySpec, texts: list[str], seeds: list[tuple[int, int]], progress: Progress | None
) -> list[list[Row]]:
    """Every point's replication rows, in point order."""
    rows: list[list[Row] | None] = [None] * len(texts)
    for index, point_rows in _execute(spec, texts, seeds):
        rows[index] = point_rows
        if progress:
            progress(1)
    return [r for r in rows if r is not None]


def _execute(spec: SensitivitySpec, texts: list[str], seeds: list[tuple[int, int]]) -> Iterator[tuple[int, list[Row]]]:
    source = str(spec.scenario_path)
    if spec.dask is not None:
        yield from _on_dask(spec, texts, seeds)
    elif spec.workers <= 1:
        for index, text in enumerate(texts):
            yield index, run_point(text, source, seeds, spec.allow_outside_paths)
    else:
        pool = ProcessPoolExecutor(max_workers=spec.workers, initializer=signal.signal, initargs=_IGNORE_CTRL_C)
        try:
            futures = {
                pool.submit(run_point, text, source, seeds, spec.allow_outside_paths): index
                for index, text in enumerate(texts)
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            pool.shutdown(cancel_futures=True)


def _on_dask(spec: SensitivitySpec, texts: list[str], seeds: list[tuple[int, int]]) -> Iterator[tuple[int, list[Row]]]:
    with dask_client(spec.dask or "local", spec.workers) as client:
        source = str(spec.scenario_path)
        futures = {
            client.submit(run_point, text, source, seeds, spec.allow_outside_paths, pure=False): index
            for index, text in enumerate(texts)
        }
        for future, result in dask_results(futures):
            yield futures[future], result


def write_tables(out: Path, outcome: SensitivityOutcome) -> list[Path]:
    """``sensitivity.csv`` (the ranked indices, one row per KPI and parameter) and ``points.csv``
    (each sample point's parameter values and KPI means over its replications)."""
    result = outcome.result
    ranked = out / "sensitivity.csv"
    if result.method == "morris":
        header = [
            "kpi",
            "rank",
            "parameter",
            "mu_star",
            "mu_star_ci95_low",
            "mu_star_ci95_high",
            "sigma",
            "sigma_ci95_low",
            "sigma_ci95_high",
            "mu",
        ]
    else:
        header = ["kpi", "rank", "parameter", "s1", "s1_ci95_low", "s1_ci95_high", "st", "st_ci95_low", "st_ci95_high"]
    write_csv(
        ranked,
        header,
        (
            [kpi.kpi, rank, *index.as_dict().values()]
            for kpi in result.kpis
            for rank, index in enumerate(kpi.indices, 1)
        ),
    )
    points = out / "points.csv"
    names = list(outcome.means)
    write_csv(
        points,
        ["point", *(p.path for p in result.parameters), *names],
        ([i, *row.tolist(), *(outcome.means[n][i] for n in names)] for i, row in enumerate(outcome.design)),
    )
    return [ranked, points]


def plot_sensitivity(out: Path, result: Sensitivity) -> Path | None:
    """Bar chart per KPI: each parameter's index (mu*, or S1 beside ST) with its 95 % CI, largest on top."""
    if not result.kpis:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = len(result.parameters)
    fig, axes = plt.subplots(
        len(result.kpis), 1, figsize=(9, 1.2 + 0.35 * count * len(result.kpis) + 0.6), squeeze=False
    )
    for ax, kpi in zip(axes[:, 0], result.kpis, strict=True):
        names = [i.parameter for i in kpi.indices][::-1]
        where = np.arange(len(names))
        if result.method == "morris":
            morris = [i for i in kpi.indices if isinstance(i, MorrisIndex)][::-1]
            _bars(
                ax,
                where,
                [i.mu_star for i in morris],
                [(i.mu_star_ci95_low, i.mu_star_ci95_high) for i in morris],
                0.8,
                "mu*",
            )
            ax.set_xlabel("mu* (KPI change over the whole range), 95 % CI")
        else:
            sobol = [i for i in kpi.indices if isinstance(i, SobolIndex)][::-1]
            _bars(ax, where + 0.2, [i.st for i in sobol], [(i.st_ci95_low, i.st_ci95_high) for i in sobol], 0.4, "ST")
            _bars(ax, where - 0.2, [i.s1 for i in sobol], [(i.s1_ci95_low, i.s1_ci95_high) for i in sobol], 0.4, "S1")
            ax.set_xlabel("share of the KPI's variance, 95 % CI")
        ax.set_yticks(where, names, fontsize=7)
        ax.set_title(kpi.kpi, fontsize=9)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "sensitivity.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _bars(
    ax: Any, where: np.ndarray, values: list[float], intervals: list[tuple[float, float]], height: float, label: str
) -> None:
    shown = np.nan_to_num(np.array(values))
    errors = np.array(
        [
            [max(v - low, 0.0), max(high - v, 0.0)] if math.isfinite(low) else [0.0, 0.0]
            for v, (low, high) in zip(shown, intervals, strict=True)
        ]
    ).T.reshape(2, -1)
    ax.barh(where, shown, height=height, xerr=errors, capsize=2, label=label)
