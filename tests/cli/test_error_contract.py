"""The error contract of every command: exit 0 done, 1 could not complete, 2 invalid input; never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lalert_sim.cli import EXIT_FAILED, _explain
from lalert_sim.report.folder import MANIFEST, partial_folder
from tests.conftest import CLI_ENV, SCENARIOS, cli, has_module, start_cli

KESENNUMA = SCENARIOS / "lalert_evacuation_order_kesennuma.yaml"
NOTO = SCENARIOS / "noto_peninsula_isolated.yaml"
NATIONWIDE_TEST = SCENARIOS / "jalert_national_test_broadcast.yaml"


def failed(done: object, code: int, *words: str) -> bool:
    """The process exited ``code`` with every word in stderr and no traceback."""
    stderr = getattr(done, "stderr", "")
    return getattr(done, "returncode", None) == code and "Traceback" not in stderr and all(w in stderr for w in words)


@pytest.mark.parametrize("count", ["0", "-5"])
def test_fewer_than_one_replication_is_invalid_input(tmp_path: Path, count: str) -> None:
    done = cli("sweep", KESENNUMA, "-n", count, "--out", tmp_path / "out")
    assert failed(done, 2, "--replications", "greater than or equal to 1"), done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("command", "option"),
    [("sweep", "--workers"), ("sweep", "--batch-size"), ("sweep", "--seed"), ("run", "--seed")],
)
def test_a_negative_count_or_seed_is_invalid_input(tmp_path: Path, command: str, option: str) -> None:
    extra = ["-n", "2"] if command == "sweep" else []
    done = cli(command, KESENNUMA, *extra, option, "-1", "--out", tmp_path / "out")
    assert failed(done, 2, option, "greater than or equal to 0"), done.stderr


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "criticality"])
def test_out_that_is_a_file_is_invalid_input_and_the_file_is_kept(tmp_path: Path, command: str) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("mine\n", encoding="utf-8")
    plans = [KESENNUMA, KESENNUMA] if command == "compare" else [KESENNUMA]
    extra = ["-n", "2"] if command != "run" else []
    done = cli(command, *plans, *extra, "--out", out)
    assert failed(done, 2, f"--out {out}", "is a file, not a folder"), done.stderr
    assert out.read_text(encoding="utf-8") == "mine\n"


def test_a_folder_lalert_sim_did_not_write_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("\\begin{document}\n", encoding="utf-8")
    done = cli("run", KESENNUMA, "--out", tmp_path, "-q")
    assert failed(done, 2, str(tmp_path), MANIFEST, "give a new or empty folder"), done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_a_results_folder_of_an_earlier_version_is_replaced_whole(tmp_path: Path) -> None:
    # Written before folders carried the manifest: its summary.json says lalert-sim wrote it.
    earlier = tmp_path / "drill"
    earlier.mkdir()
    (earlier / "summary.json").write_text("{}\n", encoding="utf-8")
    (earlier / "report.html").write_text("<html></html>\n", encoding="utf-8")
    done = cli("run", KESENNUMA, "--out", earlier, "-q", "--no-report")
    assert done.returncode == 0, done.stderr
    assert (earlier / MANIFEST).is_file() and not (earlier / "report.html").exists()


def test_a_folder_with_a_summary_and_other_files_is_not_taken_for_an_earlier_run(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "summary.json").write_text("{}\n", encoding="utf-8")
    (folder / "thesis.docx").write_text("precious\n", encoding="utf-8")
    done = cli("run", KESENNUMA, "--out", folder, "-q")
    assert failed(done, 2, MANIFEST, "give a new or empty folder"), done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["summary.json", "thesis.docx"]


def test_a_folder_that_holds_the_scenario_or_another_results_folder_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    scenario = own / "scenario.yaml"
    scenario.write_bytes(KESENNUMA.read_bytes())
    assert failed(cli("run", scenario, "--out", own, "-q"), 2, "an input of this run")
    assert scenario.is_file()
    outer = tmp_path / "outer"  # a results folder that another run's folder was later put in
    assert cli("run", KESENNUMA, "--out", outer, "-q").returncode == 0
    assert cli("run", KESENNUMA, "--out", outer / "inner", "-q").returncode == 0
    assert failed(cli("run", KESENNUMA, "--out", outer, "-q"), 2, "another run's results folder")
    assert (outer / "inner" / MANIFEST).is_file()


@pytest.mark.parametrize("out", [".", ".."])
def test_the_current_folder_is_never_replaced(tmp_path: Path, out: str) -> None:
    inside = tmp_path / "work"
    inside.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "lalert_sim", "run", str(KESENNUMA), "--out", out, "-q"],
        capture_output=True,
        text=True,
        cwd=inside,
        env=CLI_ENV,
        timeout=120,
    )
    assert failed(done, 2, f"--out {out}: this is the current folder"), done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["work"] and not any(inside.iterdir())


def test_out_in_a_folder_that_cannot_be_written_fails_naming_it(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes through permissions; /sys refuses new folders
        locked = Path("/sys")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    done = cli("run", KESENNUMA, "--out", locked / "results", "-q")
    assert failed(done, 1, f"{locked}: cannot write results here", "choose another --out"), done.stderr


def test_an_unreachable_dask_scheduler_fails_naming_it(tmp_path: Path) -> None:
    if not has_module("dask.distributed"):
        pytest.skip("needs the cluster extra (dask.distributed)")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    done = cli("sweep", KESENNUMA, "-n", "2", "--dask", address, "--out", tmp_path / "out", timeout=60)
    assert failed(done, 1, f"--dask {address}: cannot reach the Dask scheduler"), done.stderr
    assert not (tmp_path / "out").exists()


def test_a_full_disk_fails_naming_the_file_and_keeps_the_earlier_results(small_disk: Path) -> None:
    out = small_disk / "results"
    assert cli("run", KESENNUMA, "--out", out, "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    done = cli("run", NATIONWIDE_TEST, "--out", out, "-q", "--trace-format", "csv")
    assert failed(done, 1, str(small_disk), "disk full", f"nothing was written: {out} is as it was"), done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert [p.name for p in small_disk.iterdir()] == ["results"]  # no half-written folder left behind


def test_a_second_scenario_replaces_the_first_ones_folder_whole(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert cli("run", NOTO, "--out", tmp_path / "out", "-q", "--report").returncode == 0
    noto_alerts = {p.name for p in (tmp_path / "out" / "alerts").iterdir()}
    done = cli("run", KESENNUMA, "--out", tmp_path / "out", "-q", "--no-report")
    assert done.returncode == 0, done.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert "report.html" not in names and "outages.csv" not in names and MANIFEST in names
    assert not noto_alerts & {p.name for p in (tmp_path / "out" / "alerts").iterdir()}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_sweep_replaces_a_run_folder_whole(tmp_path: Path) -> None:
    assert cli("run", KESENNUMA, "--out", tmp_path, "-q").returncode == 0
    done = cli("sweep", KESENNUMA, "-n", "2", "-w", "1", "--no-plots", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "summary.json").exists() and (tmp_path / "sweep_summary.json").exists()


def test_report_of_a_folder_that_is_not_there_is_invalid_input(tmp_path: Path) -> None:
    done = cli("report", tmp_path / "nowhere")
    assert failed(done, 2, "no summary.json here", "lalert-sim run SCENARIO"), done.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    done = cli("--debug", "run", KESENNUMA, "--out", tmp_path / "file")
    assert done.returncode != 0 and "Traceback" in done.stderr and "InvalidInput" in done.stderr


def test_an_unexpected_error_is_one_line_asking_for_debug(capsys: pytest.CaptureFixture[str]) -> None:
    assert _explain(ZeroDivisionError("division by zero")) == EXIT_FAILED
    assert capsys.readouterr().err.strip() == (
        "error: unexpected ZeroDivisionError: division by zero "
        "(run again as `lalert-sim --debug ...` for the traceback)"
    )


def _wait_for_batches(folder: Path, count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(list((folder / "batches").glob("batch-*.json"))) < count:
        assert time.monotonic() < deadline, f"no {count} batches in {folder} after {timeout_s} s"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_exits_130_and_says_what_was_kept(tmp_path: Path, workers: str) -> None:
    out = tmp_path / "out"
    process = start_cli("sweep", KESENNUMA, "-n", "400", "-w", workers, "--batch-size", "2", "--out", out)
    _wait_for_batches(partial_folder(out), 1)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole job
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert "interrupted" in stderr and f"finished work is kept in {partial_folder(out)}" in stderr
    assert "--resume" in stderr and not out.exists()
