"""Hostile files through the command line: exit code 2, one line per problem, no traceback, bounded time and memory.

Each command runs as a real process under a 1 GiB address-space limit and a timeout.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS
from tests.unit.test_scenario_files import MINIMAL

GIB = 1 << 30
TIMEOUT_S = 60  # generous for a loaded machine; each case takes a few seconds
CAP = Path(__file__).resolve().parents[1] / "data" / "cap"
SECRET = "lalert-secret-7f3a9c"  # in the environment of every process: must never be printed

# 9**9 values from about 300 bytes: once took seconds and more than a gigabyte; one level more ran out of memory.
NESTED_ALIASES = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def hostile_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``lalert-sim ARGS`` in a fresh process limited to 1 GiB of address space."""
    return subprocess.run(
        [sys.executable, "-m", "lalert_sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={"COLUMNS": "120", "PATH": "", "OPENBLAS_NUM_THREADS": "1", "LALERT_TEST_SECRET": SECRET},
        preexec_fn=_limited,
    )


def assert_invalid_input(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2, a count line, then one indented line per problem; ``words`` in one of them."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and SECRET not in done.stderr + done.stdout
    head, *problems = done.stderr.splitlines()
    assert head.startswith("invalid input ("), done.stderr
    assert problems and all(line.startswith("  ") for line in problems), done.stderr
    assert any(all(w in line for w in words) for line in problems), done.stderr


def scenario_file(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (NESTED_ALIASES, ("line 5", "values once aliases are expanded")),
        (NESTED_ALIASES + "j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]\n", ("values once aliases are expanded",)),
        ("x: &r [*r]\n", ("line 1", "an alias refers to a value that contains it")),
        ("[" * 500 + "]" * 500 + "\n", ("line 1", "levels of nesting")),
        (MINIMAL + "duration_s: 200\n", ("line 11", "key 'duration_s' given twice (first on line 2)")),
        (MINIMAL.replace("duration_s: 100", "duration_s: .inf"), ("line 2: duration_s", "finite number")),
        (
            MINIMAL.replace("{name: minimal}", "{name: m, epoch: 9999-12-31T23:59:59-23:59}"),
            ("line 1: metadata.epoch", "1900 to 2200"),
        ),
        (
            MINIMAL.replace("category: ballistic_missile", "category: ballistic_missile, issue_s: 1e308"),
            ("line 10: alerts[0].issue_s", "less than or equal"),
        ),
        (
            MINIMAL + "residents: {horizon_s: 1e12}\n",
            ("line 11: residents.horizon_s", "less than or equal to 43200"),
        ),
        (
            MINIMAL.replace(
                "  nodes:\n", '  templates: [{template: prefecture, prefecture: "02", portals: 10000000}]\n  nodes:\n'
            ),
            ("topology.templates[0].portals", "less than or equal to 100"),
        ),
    ],
    ids=[
        "nested-aliases",
        "nested-aliases-one-level-more",
        "recursive-alias",
        "500-brackets",
        "duplicate-key",
        "infinite-duration",
        "epoch-at-the-end-of-time",
        "issue-at-1e308",
        "huge-horizon",
        "ten-million-portals",
    ],
)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_hostile_scenarios_are_invalid_input(tmp_path: Path, command: str, text: str, words: tuple[str, ...]) -> None:
    path = scenario_file(tmp_path, text)
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    assert_invalid_input(hostile_cli(command, path, *extra), str(path), *words)


@pytest.mark.parametrize("verb", ["sweep", "compare", "criticality"])
def test_monte_carlo_refuses_hostile_scenarios_before_any_worker(tmp_path: Path, verb: str) -> None:
    path = scenario_file(tmp_path, "x: &r [*r]\n")
    plans = [path] if verb != "compare" else [path, SCENARIOS / "jalert_missile_drill_aomori.yaml"]
    done = hostile_cli(verb, *plans, "-n", "2", "--workers", "1", "--out", tmp_path / "out", "--no-plots")
    assert_invalid_input(done, str(path), "contains it")


def _with_table(name: str) -> str:
    return MINIMAL.replace("topology:\n", f"topology:\n  municipality_table: '{name}'\n")


def test_the_process_environment_is_never_printed(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, _with_table("/proc/self/environ"))
    assert_invalid_input(hostile_cli("validate", path), "municipality_table", "outside the scenario's folder")
    done = hostile_cli("validate", path, "--allow-outside-paths")
    assert_invalid_input(done, "/proc/self/environ", "unknown column number 1")


@pytest.mark.parametrize("what", ["scenario", "table", "cap"])
def test_a_fifo_does_not_hang_validate(tmp_path: Path, what: str) -> None:
    fifo = tmp_path / {"scenario": "scenario.yaml", "table": "towns.csv", "cap": "alert.xml"}[what]
    os.mkfifo(fifo)
    if what == "table":
        scenario_file(tmp_path, _with_table("towns.csv"))
    target = tmp_path / "scenario.yaml" if what != "cap" else fifo
    assert_invalid_input(hostile_cli("validate", target), str(fifo), "not a regular file")


def test_dev_zero_as_a_table_is_refused_even_when_outside_paths_are_allowed(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, _with_table("/dev/zero"))
    done = hostile_cli("validate", path, "--allow-outside-paths")
    assert_invalid_input(done, "/dev/zero", "not a regular file")


def test_a_table_outside_the_folder_is_read_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "towns.csv").write_text("code,population\n02201,10\n", encoding="utf-8")
    folder = tmp_path / "plans"
    folder.mkdir()
    path = scenario_file(folder, _with_table("../towns.csv"))
    assert_invalid_input(hostile_cli("validate", path), "--allow-outside-paths")
    done = hostile_cli("validate", path, "--allow-outside-paths")
    assert done.returncode == 0, done.stderr


BASE_CAP = (CAP / "oasis-cap12-A1_homeland-security_43b080713727__tannerryan-cap.xml").read_bytes()
PARAMETER = b"<parameter>\n      <valueName>HSAS</valueName>"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ((CAP / "negative" / "xxe-attack_do-not-resolve-entities__google-cap-library.cap.xml").read_bytes(), "refused"),
        (
            BASE_CAP.replace(
                PARAMETER,
                b"<parameter><valueName>lalert-sim:issue_s</valueName><value>abc</value></parameter>" + PARAMETER,
            ),
            "parameter lalert-sim:issue_s: Input should be a valid number",
        ),
        (
            BASE_CAP.replace(b"2003-04-02T14:39:01-05:00", b"2003-04-02T24:00:00-05:00"),
            "line 7: <sent>: not a date and time",
        ),
        (BASE_CAP.replace(PARAMETER, b"<x>" * 300 + b"</x>" * 300 + PARAMETER), "cannot be read within the limits"),
        (BASE_CAP.replace(b"<headline>", b"<headline>" + b"x" * (11 * GIB // 1024)), "larger than the limit"),
    ],
    ids=["xxe", "issue-abc", "sent-24h", "300-nested", "11-MB-text"],
)
def test_hostile_cap_files_are_invalid_input(tmp_path: Path, document: bytes, words: str) -> None:
    path = tmp_path / "alert.xml"
    path.write_bytes(document)
    assert_invalid_input(hostile_cli("validate", path), str(path), words)
    done = hostile_cli("run", SCENARIOS / "jalert_missile_drill_aomori.yaml", "--alert", path, "--out", tmp_path / "o")
    assert_invalid_input(done, str(path), words)


@pytest.mark.parametrize(
    "command", ["run", "validate", "sweep", "compare", "criticality", "bridge", "provision", "demo-hil", "calibrate"]
)
def test_commands_that_load_scenarios_offer_the_flag(command: str) -> None:
    done = hostile_cli(command, "--help")
    assert done.returncode == 0 and "--allow-outside-paths" in done.stdout, done.stdout
