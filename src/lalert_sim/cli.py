"""The ``lalert-sim`` command."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from lalert_sim.errors import LalertError, ScenarioError
from lalert_sim.model.scenario import Scenario
from lalert_sim.prepare import load
from lalert_sim.report.files import has_parquet, write_results
from lalert_sim.report.terminal import print_summary
from lalert_sim.runner import reaches, summarise
from lalert_sim.runner import run as run_scenario

app = typer.Typer(
    help="Simulate how J-Alert and L-Alert messages reach residents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
EXIT_INVALID_INPUT = 2
EXIT_FAILED = 1

TraceFormat = Literal["auto", "csv", "parquet"]
ScenarioPath = Annotated[Path, typer.Argument(help="Scenario file (YAML).", show_default=False)]


def _fail(exc: LalertError) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if isinstance(exc, ScenarioError):
        count = len(exc.problems)
        err.print(f"[red]invalid input[/] ({count} problem{'s' if count != 1 else ''}):", markup=True)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(EXIT_INVALID_INPUT)
    err.print(f"error: {exc}", markup=False)
    raise typer.Exit(EXIT_FAILED)


@app.command()
def run(
    scenario: ScenarioPath,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for result files.")] = Path("results"),
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No terminal summary.")] = False,
    trace_format: Annotated[TraceFormat, typer.Option(
        "--trace-format", help="Trace file format; auto is Parquet when pyarrow is installed.")] = "auto",
) -> None:
    """Run one replication: terminal summary, summary.json, trace and nodes.csv."""
    try:
        prepared = load(scenario)
        started = time.perf_counter()
        result = run_scenario(prepared, seed)
        elapsed = time.perf_counter() - started
        alert_reaches = reaches(prepared, result)
        summary = summarise(prepared, result, alert_reaches)
        parquet = {"auto": None, "csv": False, "parquet": True}[trace_format]
        if parquet and not has_parquet():
            raise LalertError("--trace-format parquet needs pyarrow: pip install 'lalert-sim[parquet]'")
        written = write_results(out, summary, result, parquet, alert_reaches)
    except LalertError as exc:
        _fail(exc)
        return
    console = Console()
    if not quiet:
        print_summary(summary, console)
    console.print(f"\nsimulated in {elapsed:.2f} s · wrote {', '.join(str(p) for p in written)}")


@app.command()
def validate(scenario: ScenarioPath) -> None:
    """Check a scenario file and the network it builds; print what it contains."""
    try:
        prepared = load(scenario)
    except LalertError as exc:
        _fail(exc)
        return
    topology = prepared.topology
    Console().print(
        f"{scenario}: valid · {len(topology.nodes)} nodes, {len(topology.links)} links, "
        f"{len(prepared.injections)} alert(s), {len(prepared.scenario.objectives)} objective(s)"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False) + "\n")


def main() -> None:  # pragma: no cover - entry point
    app()
