"""`make drill`, the first command a new user runs, ends by printing the path of a drill report that exists:
the flagship `run` exactly as the Makefile's `drill` recipe gives it."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI_ENV, ROOT


def _drill_arguments() -> list[str]:
    """The arguments the Makefile's `drill:` recipe passes to lalert-sim, variables expanded."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    variables = dict(re.findall(r"^(\w+)\s*[:?]?=\s*(.*?)\s*$", makefile, re.MULTILINE))
    recipe = re.search(r"^drill:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None, "the Makefile has no drill target"
    lines = [line.strip() for line in recipe.group(1).splitlines()]
    runs = [line for line in lines if line.startswith("$(BIN)/lalert-sim ")]
    assert len(runs) == 1, f"drill should run lalert-sim once: {lines}"
    expanded = re.sub(r"\$\((\w+)\)", lambda v: variables[v.group(1)], runs[0].removeprefix("$(BIN)/lalert-sim "))
    return shlex.split(expanded)


def test_the_drill_recipe_runs_the_flagship_scenario() -> None:
    arguments = _drill_arguments()
    assert arguments[:2] == ["run", "scenarios/jalert_missile_drill_aomori.yaml"]
    assert "--no-report" not in arguments and "-q" not in arguments and "--quiet" not in arguments


def test_make_drill_ends_by_printing_the_path_of_a_report_that_exists(tmp_path: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:  # `make drill` installs the plots extra
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs matplotlib (pip install 'lalert-sim[plots]')")
        pytest.skip("matplotlib not installed")
    arguments = _drill_arguments()
    arguments[arguments.index("--out") + 1] = str(tmp_path / "drill")  # the recipe's own folder, elsewhere
    done = subprocess.run(
        [sys.executable, "-m", "lalert_sim", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**CLI_ENV, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("report: "), last
    report = Path(last.removeprefix("report: "))
    if not report.is_absolute():
        report = ROOT / report
    assert report == tmp_path / "drill" / "report.html"
    assert report.is_file() and report.read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
