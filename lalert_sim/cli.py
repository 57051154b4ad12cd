"""The ``lalert-sim`` command."""

from __future__ import annotations

import errno
import functools
import importlib.metadata
import importlib.util
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.exceptions import TyperException

from lalert_sim.atomic import write_text
from lalert_sim.console.commands import register as register_console_commands
from lalert_sim.engine.simulation import RunResult
from lalert_sim.errors import InvalidInput, LalertError, ScenarioError
from lalert_sim.hil.commands import register as register_hil_commands
from lalert_sim.i18n import Language, Messages, messages
from lalert_sim.i18n.lines import pack_phrases
from lalert_sim.model.alert_files import describe_alert_file, unplaced_warnings
from lalert_sim.model.overlay import Overlay
from lalert_sim.model.scenario import Scenario
from lalert_sim.montecarlo.criticality import (
    CriticalitySpec,
    Grouping,
    criticality_plans,
    run_criticality,
    write_ranking_csv,
)
from lalert_sim.montecarlo.criticality_plot import plot_ranking
from lalert_sim.montecarlo.history import (
    HistoryEvent,
    HistoryRow,
    LoadedEvents,
    default_events_path,
    history_json,
    load_events,
    run_history,
)
from lalert_sim.montecarlo.plots import plot_differences, plot_distributions
from lalert_sim.montecarlo.replicate import Row
from lalert_sim.montecarlo.results import Comparison, SweepSummary, aggregate, kpi_names, write_json, write_table
from lalert_sim.montecarlo.results import compare as compare_plans
from lalert_sim.montecarlo.sensitivity import (
    REGISTRY,
    Method,
    SensitivitySpec,
    check_spec,
    choose_parameters,
    plot_sensitivity,
    run_sensitivity,
    write_tables,
)
from lalert_sim.montecarlo.sweep import SweepSpec, cpu_count, run_sweep
from lalert_sim.montecarlo.variants import Plan, prepare_variants, variant_plan, variant_plans
from lalert_sim.prepare import Prepared, load
from lalert_sim.report.files import write_cap_alerts, write_results
from lalert_sim.report.folder import results_folder
from lalert_sim.report.history import history_markdown, print_history, summary_line
from lalert_sim.report.html import build_report, has_matplotlib, progress_on_stderr
from lalert_sim.report.pdf import build_pdf
from lalert_sim.report.research import print_criticality
from lalert_sim.report.sensitivity_view import print_sensitivity
from lalert_sim.report.terminal import print_comparison, print_summary, print_sweep
from lalert_sim.runner import reaches, summarise
from lalert_sim.runner import run as run_scenario
from lalert_sim.tables import has_parquet

Command = TypeVar("Command", bound=Callable[..., Any])
_debug = False  # --debug: let errors through with their traceback


class _GuardedTyper(typer.Typer):
    """A Typer app whose every command ends in the error contract: a message and an exit code, no traceback."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Command], Command]:
        register = super().command(*args, **kwargs)

        def decorator(function: Command) -> Command:
            register(_guarded(function))
            return function

        return decorator


def _guarded(function: Command) -> Command:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):  # typer's own way out: already said
            raise
        except BaseException as exc:
            if _debug or isinstance(exc, SystemExit):
                raise
            raise typer.Exit(_explain(exc)) from None

    return guarded  # type: ignore[return-value]


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
"""``-h`` as well as ``--help``, on the app and (inherited) on every command."""
app = _GuardedTyper(
    help="Simulate how J-Alert and L-Alert messages reach residents.",
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
    pretty_exceptions_enable=False,
    add_completion=False,
)
EXIT_INVALID_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

TraceFormat = Literal["auto", "csv", "parquet"]
PARQUET_TRACE: dict[TraceFormat, bool | None] = {"auto": None, "csv": False, "parquet": True}  # None: if installed
ScenarioPath = Annotated[Path, typer.Argument(help="Scenario file (YAML).", show_default=False)]
OverlayPath = Annotated[
    Path | None,
    typer.Option(
        "--overlay",
        help="YAML merged onto the scenario before validation (e.g. measured delays from lalert-sim calibrate).",
    ),
]
Lang = Annotated[
    Language | None,
    typer.Option("--lang", help="Language of the summary and report: en or ja (default: metadata.language)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the last line(s): what was written.")]
AllowOutsidePaths = Annotated[
    bool,
    typer.Option(
        "--allow-outside-paths", help="Let the scenario name files (tables, CAP alerts) outside its own folder."
    ),
]


def version() -> str:
    """``lalert-sim X.Y.Z``: the installed package's version (its metadata)."""
    try:
        return f"lalert-sim {importlib.metadata.version('lalert-sim')}"
    except importlib.metadata.PackageNotFoundError:
        return "lalert-sim (version unknown: not installed as a package)"


def _print_version(wanted: bool) -> None:
    if wanted:
        sys.stdout.write(version() + "\n")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    _version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """Simulate how J-Alert and L-Alert messages reach residents."""
    global _debug
    _debug = debug


def _explain(exc: BaseException) -> int:
    """Say what went wrong (and what was kept) on stderr; the exit code for it."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    code = EXIT_FAILED
    if isinstance(exc, ScenarioError):
        count = len(exc.problems)
        err.print(f"[red]invalid input[/] ({count} problem{'s' if count != 1 else ''}):", markup=True)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        code = EXIT_INVALID_INPUT
    elif isinstance(exc, InvalidInput):
        err.print(f"invalid input: {exc}", markup=False)
        code = EXIT_INVALID_INPUT
    elif isinstance(exc, LalertError):
        err.print(f"error: {exc}", markup=False)
    elif isinstance(exc, OSError):
        err.print(f"error: {_os_message(exc)}", markup=False)
    elif isinstance(exc, KeyboardInterrupt):
        err.print("interrupted", markup=False)
        code = EXIT_INTERRUPTED
    else:
        err.print(
            f"error: unexpected {type(exc).__name__}: {exc} (run again as `lalert-sim --debug ...` for the traceback)",
            markup=False,
        )
    for note in getattr(exc, "__notes__", ()):
        err.print(f"  {note}", markup=False)
    return code


def _os_message(exc: OSError) -> str:
    where = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    what = "disk full: free space or choose another --out" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    return f"{where}: {what}" if where else what


def _fail(exc: LalertError) -> NoReturn:
    """One clear message on stderr and the exit code for the kind of error (with --debug: the traceback)."""
    if _debug:
        raise exc
    raise typer.Exit(_explain(exc))


def _run_files(out: Path, prepared: Prepared, result: RunResult) -> list[Path]:
    """A run's usual result files (summary.json, trace, reach files), for a bridge's results folder."""
    from lalert_sim.report.files import write_results
    from lalert_sim.runner import reaches, summarise

    alert_reaches = reaches(prepared, result)
    return write_results(out, summarise(prepared, result, alert_reaches), result, None, alert_reaches)


register_hil_commands(app, _fail, _run_files)
register_console_commands(app, _fail)


@app.command()
def run(
    scenario: ScenarioPath,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for result files.")] = Path("results/run"),
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.", min=0)] = None,
    quiet: Quiet = False,
    trace_format: Annotated[
        TraceFormat,
        typer.Option("--trace-format", help="Trace file format; auto is Parquet when pyarrow is installed."),
    ] = "auto",
    alert: Annotated[
        list[Path] | None,
        typer.Option(
            "--alert",
            help="A CAP 1.2 alert, JMA XML message or EDXL-DE 1.0 envelope (XML) to simulate instead of the "
            "scenario's alerts (repeatable).",
        ),
    ] = None,
    report_html: Annotated[
        bool | None,
        typer.Option(
            "--report/--no-report",
            help="Write report.html (default: when matplotlib is installed).",
            show_default=False,
        ),
    ] = None,
    lang: Lang = None,
    allow_outside_paths: AllowOutsidePaths = False,
    overlay: OverlayPath = None,
) -> None:
    """Run one replication: terminal summary, summary.json, trace, nodes.csv, each alert as CAP 1.2."""
    try:
        prepared = load(scenario, alert, allow_outside_paths, None if overlay is None else Overlay.read(overlay))
        parquet = PARQUET_TRACE[trace_format]
        if parquet and not has_parquet():
            raise LalertError("--trace-format parquet needs pyarrow: pip install 'lalert-sim[parquet]'")
        with results_folder(out, "run", [scenario, *(alert or []), *([overlay] if overlay else [])]) as folder:
            started = time.perf_counter()
            result = run_scenario(prepared, seed)
            elapsed = time.perf_counter() - started
            alert_reaches = reaches(prepared, result)
            summary = summarise(prepared, result, alert_reaches)
            written = write_results(folder, summary, result, parquet, alert_reaches)
            written += write_cap_alerts(folder / "alerts", result.steered or prepared)  # with the actions' alerts
            report_path = None
            if report_html or (report_html is None and has_matplotlib()):
                with progress_on_stderr(quiet) as progress:
                    report_path = build_report(folder, scenario.read_text(encoding="utf-8"), lang, progress)
        written = [out / path.relative_to(folder) for path in written]
    except LalertError as exc:
        _fail(exc)
    console = Console()
    m = messages(lang or summary.scenario.language)
    if not quiet:
        print_summary(summary, console, lang)
        console.print()
    console.print(m("terminal.simulated_in", seconds=f"{elapsed:.2f}"))
    _print_wrote(console, written, m)
    if report_path is not None:
        console.print(m("terminal.report", path=out / report_path.relative_to(folder)), soft_wrap=True)


def _print_wrote(console: Console, paths: list[Path], m: Messages) -> None:
    """``wrote`` and the paths written, a line broken between two paths (a path never broken)."""
    names = [str(p) for p in paths] or [""]
    for line in pack_phrases([m("terminal.wrote", paths=names[0]), *names[1:]], console.width, ", "):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _sweep(
    plan: Plan,
    replications: int,
    out: Path,
    workers: int,
    seed: int | None,
    dask: str | None,
    resume: bool,
    batch_size: int,
    console: Console,
    label: str = "",
    allow_outside_paths: bool = False,
    reuse_from: Path | None = None,
    quiet: bool = False,
) -> list[Row]:
    # fail early, with file/line/field, before any worker starts
    prepared = plan.prepare(allow_outside_paths)
    spec = SweepSpec(
        plan.path,
        replications,
        prepared.scenario.seed if seed is None else seed,
        out,
        workers,
        batch_size,
        dask,
        resume,
        reuse_from,
        allow_outside_paths,
        plan.text,
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=quiet) as progress:
        task = progress.add_task(label or plan.path.name, total=replications)
        outcome = run_sweep(spec, lambda done: progress.advance(task, done))
    if quiet:
        return outcome.rows
    for note in outcome.notes[:SHOWN_NOTES]:
        _plain(console)(note)
    if len(outcome.notes) > SHOWN_NOTES:
        console.print(f"... and {len(outcome.notes) - SHOWN_NOTES} more batches recomputed")
    if outcome.reused:
        console.print(f"reused {outcome.reused} finished replications")
    return outcome.rows


SHOWN_NOTES = 10  # batches recomputed on resume, named one by one
Workers = Annotated[int, typer.Option("--workers", "-w", help="Local worker processes (default: all cores).", min=0)]
Replications = Annotated[int, typer.Option("-n", "--replications", help="How many replications.", min=1)]
Dask = Annotated[str | None, typer.Option("--dask", help="Dask scheduler address, or 'local' for a LocalCluster.")]
Resume = Annotated[bool, typer.Option("--resume", help="Reuse replications an interrupted run finished.")]
MasterSeed = Annotated[int | None, typer.Option("--seed", help="Master seed (default: the scenario's).", min=0)]
BatchSize = Annotated[int, typer.Option("--batch-size", help="Replications per task (0: automatic).", min=0)]
Plots = Annotated[bool, typer.Option("--plots/--no-plots", help="Save PNG plots (needs matplotlib).")]


@dataclass(frozen=True)
class _MonteCarlo:
    """The options sweep and compare share, and the console they report on."""

    replications: int
    workers: int
    seed: int | None
    dask: str | None
    resume: bool
    batch_size: int
    plots: bool
    console: Console
    allow_outside_paths: bool = False
    quiet: bool = False
    lang: Language = Language.EN

    def rows(
        self, plan: Plan, out: Path, seed: int | None, label: str = "", reuse_from: Path | None = None
    ) -> tuple[list[Row], Path]:
        """One plan's replications (reusing finished ones with ``resume``) and the table they were written to."""
        rows = _sweep(
            plan,
            self.replications,
            out,
            self.workers,
            seed,
            self.dask,
            self.resume,
            self.batch_size,
            self.console,
            label,
            allow_outside_paths=self.allow_outside_paths,
            reuse_from=reuse_from,
            quiet=self.quiet,
        )
        return rows, write_table(out, rows)


MONTE_CARLO_VERBS = {
    "sweep": "Monte Carlo: N replications of one scenario, a table per replication and means with 95 % CIs.",
    "compare": "Paired comparison of plans (two or more scenario files, the first the base; or one file and "
    "--variants) on common random numbers: differences with 95 % CIs.",
}


def monte_carlo(
    ctx: typer.Context,
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="Scenario file (sweep); plans as scenario files, the first the base, or one with --variants "
            "(compare).",
            show_default=False,
        ),
    ],
    replications: Replications = 100,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for results [default: results/VERB].")] = None,
    workers: Workers = 0,
    seed: MasterSeed = None,
    dask: Dask = None,
    resume: Resume = False,
    batch_size: BatchSize = 0,
    plots: Plots = True,
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Quiet = False,
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="Language of the tables: en or ja (default: the (first) scenario's)."),
    ] = None,
    variant: Annotated[
        str | None, typer.Option("--variant", help="sweep: run this variant of the scenario (its variants: section).")
    ] = None,
    variants: Annotated[
        str | None,
        typer.Option("--variants", help="compare: the scenario against these of its variants (comma-separated names)."),
    ] = None,
    overlay: OverlayPath = None,
) -> None:
    """Monte Carlo over one plan (``sweep``) or paired over several (``compare``); see MONTE_CARLO_VERBS."""
    verb = ctx.info_name or "sweep"
    wanted = "one scenario file" if verb == "sweep" or variants else "at least two scenario files (or --variants)"
    misplaced = "--variants" if verb == "sweep" and variants else "--variant" if verb != "sweep" and variant else None
    if misplaced or (len(scenarios) == 1) != (verb == "sweep" or variants is not None):
        Console(stderr=True).print(f"{verb} takes no {misplaced}" if misplaced else f"{verb} needs {wanted}")
        raise typer.Exit(EXIT_INVALID_INPUT)
    console = Console()
    folder = out or Path("results") / verb
    try:
        plans = _plans(verb, scenarios, variant, variants)
        if overlay is not None:
            on_top = Overlay.read(overlay)
            plans = [plan.overlaid(on_top) for plan in plans]
        runs = _MonteCarlo(
            replications,
            workers or cpu_count(),
            seed,
            dask,
            resume,
            batch_size,
            plots and _has_matplotlib(),
            console,
            allow_outside_paths,
            quiet,
            lang or _language_of(scenarios[0], allow_outside_paths),
        )
        inputs = [*scenarios, *([overlay] if overlay else [])]
        with results_folder(folder, verb, inputs, True, resume, _plain(console)) as staging:
            written = (
                _sweep_one(runs, plans[0], staging, folder)
                if verb == "sweep"
                else _compare(runs, plans, staging, folder)
            )
    except LalertError as exc:
        _fail(exc)
    _print_wrote(console, [folder / p.relative_to(staging) for p in written], messages(runs.lang))


def _language_of(scenario: Path, allow_outside_paths: bool) -> Language:
    """The language a scenario asks for (metadata.language), read with the same checks as a run."""
    return load(scenario, allow_outside_paths=allow_outside_paths).scenario.metadata.language


for _verb, _help in MONTE_CARLO_VERBS.items():
    app.command(_verb, help=_help)(monte_carlo)


@app.command()
def sensitivity(
    scenario: ScenarioPath,
    method: Annotated[
        Method, typer.Option("--method", help="morris (screening: mu*, sigma) or sobol (S1, ST).")
    ] = "morris",
    samples: Annotated[
        int, typer.Option("-n", "--samples", help="Morris trajectories, or Sobol' base samples (a power of 2).", min=2)
    ] = 10,
    replications: Annotated[
        int, typer.Option("-r", "--replications", help="Replications per sample point, on the same seeds.", min=1)
    ] = 10,
    parameters: Annotated[
        Path | None,
        typer.Option(
            "--parameters",
            help="YAML mapping scenario paths to ranges (low, high) instead of the default (assumption) parameters.",
        ),
    ] = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option("--kpi", help="KPI to analyse (repeatable); default: the first alert's unwarned_at_deadline."),
    ] = None,
    levels: Annotated[int, typer.Option("--levels", help="Morris grid levels (even).", min=2)] = 4,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for results.")] = Path("results/sensitivity"),
    workers: Workers = 0,
    seed: MasterSeed = None,
    dask: Dask = None,
    plots: Plots = True,
    allow_outside_paths: AllowOutsidePaths = False,
    overlay: OverlayPath = None,
) -> None:
    """Global sensitivity analysis (SALib): which assumed parameters drive a KPI, ranked with 95 % CIs."""
    console = Console()
    try:
        plan = Plan(scenario.stem, scenario)
        if overlay is not None:
            plan = plan.overlaid(Overlay.read(overlay))
        prepared = plan.prepare(allow_outside_paths)  # fail early, with file/line/field
        chosen, left_out = choose_parameters(scenario, parameters, allow_outside_paths, plan.text)
        spec = SensitivitySpec(
            scenario,
            method,
            samples,
            replications,
            prepared.scenario.seed if seed is None else seed,
            chosen,
            list(kpi or []),
            workers or cpu_count(),
            dask,
            levels,
            allow_outside_paths,
            left_out,
            str(parameters or REGISTRY),
            plan.text,
        )
        check_spec(spec)
        inputs = [scenario, *([parameters] if parameters else []), *([overlay] if overlay else [])]
        with results_folder(out, "sensitivity", inputs, say=_plain(console)) as staging:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task(f"{scenario.name}: sample points", total=spec.points())
                outcome = run_sensitivity(spec, lambda done: progress.advance(task, done))
            write_json(staging / "sensitivity.json", outcome.result)
            written = [staging / "sensitivity.json", *write_tables(staging, outcome)]
            if plots and _has_matplotlib():
                written += filter(None, [plot_sensitivity(staging, outcome.result)])
        written = [out / path.relative_to(staging) for path in written]
    except LalertError as exc:
        _fail(exc)
    print_sensitivity(outcome.result, console)
    console.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True)


def _plans(verb: str, scenarios: list[Path], variant: str | None, variants: str | None) -> list[Plan]:
    """What a sweep or a comparison runs: scenario files as written, or variants of one."""
    if variants is not None:
        return variant_plans(scenarios[0], [name.strip() for name in variants.split(",")])
    if variant is not None:
        return [variant_plan(scenarios[0], variant)]
    plans: list[Plan] = []
    for path in scenarios:
        taken = {plan.name for plan in plans}
        plans.append(Plan(path.stem if path.stem not in taken else f"{path.stem}-{len(plans)}", path))
    return plans


def _sweep_one(runs: _MonteCarlo, plan: Plan, out: Path, earlier: Path) -> list[Path]:
    rows, table = runs.rows(plan, out, runs.seed, plan.name if plan.text else "", earlier)
    scenario = str(plan.path) if not plan.where else f"{plan.path} (variant {plan.name})"
    if plan.overlay is not None:
        scenario += f" + overlay {plan.overlay.path}"
    summary = SweepSummary(scenario=scenario, replications=len(rows), kpis=aggregate(rows))
    write_json(out / "sweep_summary.json", summary)
    if not runs.quiet:
        print_sweep(summary.kpis, runs.console, runs.lang)
    plots = [plot_distributions(out / "kpis.png", {plan.name: rows}, kpi_names(rows))] if runs.plots else []
    return [table, out / "sweep_summary.json", *filter(None, plots)]


def _compare(runs: _MonteCarlo, scenarios: list[Plan], out: Path, earlier: Path) -> list[Path]:
    base_seed = scenarios[0].prepare(runs.allow_outside_paths).scenario.seed if runs.seed is None else runs.seed
    plans: dict[str, list[Row]] = {}
    for plan in scenarios:
        plans[plan.name], _table = runs.rows(plan, out / plan.name, base_seed, plan.name, earlier / plan.name)
    comparison = Comparison(
        base=next(iter(plans)), replications=runs.replications, master_seed=base_seed, differences=compare_plans(plans)
    )
    write_json(out / "comparison.json", comparison)
    if not runs.quiet:
        print_comparison(comparison.differences, comparison.base, runs.console, runs.lang)
    names = kpi_names(next(iter(plans.values())))
    plots = (
        [plot_distributions(out / "kpis.png", plans, names), plot_differences(out / "differences.png", plans, names)]
        if runs.plots
        else []
    )
    return [out / "comparison.json", *filter(None, plots)]


@app.command()
def criticality(
    scenario: ScenarioPath,
    replications: Annotated[int, typer.Option("-n", "--replications", help="Replications of each plan.", min=2)] = 30,
    by: Annotated[Grouping, typer.Option("--by", help="What to knock out at a time.")] = Grouping.LINK,
    top: Annotated[int, typer.Option("--top", help="Knock-outs shown and plotted (the CSV has all).", min=1)] = 10,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for results.")] = Path("results/criticality"),
    workers: Workers = 0,
    seed: MasterSeed = None,
    dask: Dask = None,
    resume: Resume = False,
    batch_size: BatchSize = 0,
    plots: Plots = True,
    allow_outside_paths: AllowOutsidePaths = False,
    variant: Annotated[
        str | None, typer.Option("--variant", help="Knock out components of this variant of the scenario instead.")
    ] = None,
    overlay: OverlayPath = None,
) -> None:
    """Knock out each component (or group) in turn on the base's seeds; rank them by added unwarned residents."""
    console = Console()
    try:
        base = Plan(scenario.stem, scenario) if variant is None else variant_plan(scenario, variant)
        if overlay is not None:
            base = base.overlaid(Overlay.read(overlay))
        prepared = base.prepare(allow_outside_paths)
        plans = criticality_plans(base, prepared, by)
        inputs = [scenario, *([overlay] if overlay else [])]
        with results_folder(out, "criticality", inputs, True, resume, _plain(console)) as staging:
            spec = CriticalitySpec(
                scenario,
                by,
                replications,
                prepared.scenario.seed if seed is None else seed,
                staging,
                workers or cpu_count(),
                batch_size,
                dask,
                resume,
                out,
                allow_outside_paths,
            )
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(f"{len(plans) - 1} knock-outs", total=len(plans) * replications)
                ranking = run_criticality(spec, prepared, plans, lambda done: progress.advance(task, done))
            write_json(staging / "criticality.json", ranking)
            written = [staging / "criticality.json", write_ranking_csv(staging / "criticality.csv", ranking)]
            if plots and _has_matplotlib():
                written += filter(None, [plot_ranking(staging / "criticality.png", ranking, top)])
            print_criticality(ranking, top, console)
    except LalertError as exc:
        _fail(exc)
    console.print(f"wrote {', '.join(str(out / p.relative_to(staging)) for p in written)}", soft_wrap=True)


def _plain(console: Console) -> Callable[[str], None]:
    """Print a message as it is: no markup, and a long path in it not broken across lines."""
    return functools.partial(console.print, markup=False, highlight=False, soft_wrap=True)


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


@app.command()
def history(
    replications: Annotated[
        int | None, typer.Option("-n", "--replications", help="Replications per event [default: each event's].", min=1)
    ] = None,
    seed: MasterSeed = None,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events", help="Events file [default: validation/events.yaml of this checkout].", show_default=False
        ),
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the table as Markdown (for the README).")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also keep the sweeps and history.json here.")] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Exit 1 when a row is outside its band or not produced (known gaps excepted)."),
    ] = False,
    workers: Workers = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress and no table: only how many rows lie within band.")
    ] = False,
    lang: Annotated[Language | None, typer.Option("--lang", help="Language of the table: en or ja.")] = None,
) -> None:
    """Run every real event of the events file as a sweep; published figure beside simulated mean (95 % CI)."""
    try:
        path = events or default_events_path(Path.cwd())
        if path is None:
            raise InvalidInput(
                "no validation/events.yaml in this folder or above it: "
                "run from a checkout of lalert-sim or give --events"
            )
        loaded = load_events(path)
        console = Console(stderr=markdown)  # progress on stderr when stdout is the Markdown table
        rows = _history_rows(loaded, out, replications, seed, workers or cpu_count(), console, quiet)
    except LalertError as exc:
        _fail(exc)
    if markdown:
        sys.stdout.write(history_markdown(rows))
    elif quiet:
        Console().print(summary_line(rows, messages(lang)))
    else:
        print_history(rows, Console(), lang)
    if check and not all(r.within for r in rows if r.required):
        raise typer.Exit(EXIT_FAILED)


def _history_rows(
    loaded: LoadedEvents,
    out: Path | None,
    replications: int | None,
    seed: int | None,
    workers: int,
    console: Console,
    quiet: bool = False,
) -> list[HistoryRow]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        tasks = {e.id: progress.add_task(e.id, total=replications or e.replications) for e in loaded.events.events}

        def advance(event: HistoryEvent, done: int) -> None:
            progress.advance(tasks[event.id], done)

        if out is None:
            with tempfile.TemporaryDirectory(prefix="lalert-history-") as scratch:
                return run_history(loaded, Path(scratch), replications, seed, workers, advance)
        with results_folder(out, "history", [loaded.path, *loaded.scenarios.values()]) as folder:
            rows = run_history(loaded, folder, replications, seed, workers, advance)
            write_text(folder / "history.json", history_json(rows))
            write_text(folder / "history.md", history_markdown(rows))
        return rows


@app.command()
def validate(
    scenario: ScenarioPath,
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing when the file is valid: the exit status says it.")
    ] = False,
    overlay: OverlayPath = None,
) -> None:
    """Check a scenario file (or a CAP 1.2, JMA XML or EDXL-DE 1.0 message, .xml) and print what it contains;
    with ``--overlay``, the scenario as run, sweep and the others read it with that overlay merged on."""
    try:
        if scenario.suffix.lower() == ".xml":
            lines = describe_alert_file(scenario)
            if quiet:
                return
            for phrases in lines:
                _print_line(*phrases)
            return
        on_top = None if overlay is None else Overlay.read(overlay)
        prepared = load(scenario, allow_outside_paths=allow_outside_paths, overlay=on_top)
        variants = prepare_variants(scenario, allow_outside_paths) if prepared.scenario.variants else []
    except LalertError as exc:
        _fail(exc)
    if quiet:
        return
    topology = prepared.topology
    _print_line(
        f"{scenario}: valid",
        f"{len(topology.nodes)} nodes, {len(topology.links)} links",
        f"{len(prepared.injections)} alert(s), {len(prepared.scenario.objectives)} objective(s)",
        *([f"{len(variants)} variant(s): {', '.join(prepared.scenario.variants)}"] if variants else []),
        *(
            [f"{len(prepared.streams)} stream(s): {', '.join(s.spec.id for s in prepared.streams)}"]
            if prepared.streams
            else []
        ),
        *([f"{len(prepared.scenario.actions)} operator action(s)"] if prepared.scenario.actions else []),
    )
    for warning in unplaced_warnings([injection.alert for injection in prepared.injections]):
        _print_line(warning)


def _print_line(*phrases: str) -> None:
    """Plain phrases (no markup) on a line joined by `` · ``, broken between them when the terminal is narrow."""
    console = Console(highlight=False)
    for line in pack_phrases([escape(p) for p in phrases], console.width):
        console.print(line, soft_wrap=True)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A folder written by `lalert-sim run`.")],
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (A4, to print or hand round).")] = False,
    lang: Lang = None,
    quiet: Quiet = False,
) -> None:
    """Write report.html (self-contained: plots embedded) from a results folder, and report.pdf with --pdf."""
    try:
        with progress_on_stderr(quiet) as progress:
            paths = [build_report(results, lang=lang, progress=progress)]
        if pdf:
            paths.append(build_pdf(results, lang=lang))
    except LalertError as exc:
        _fail(exc)
    for path in paths:
        Console().print(f"wrote {path}", soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False) + "\n")
