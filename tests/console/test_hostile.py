"""Hostile input to the console: results folders that are broken or belong to another scenario, viewers
that never read, requests that try to steer without the token."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from lalert_sim.console.protocol import MessageType
from lalert_sim.console.server import VIEWER_BACKLOG, Hub
from tests.conftest import SCENARIOS, cli

DRILL = SCENARIOS / "jalert_missile_drill_aomori.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drill") / "drill"
    done = cli("run", DRILL, "--out", folder, "--no-report", "--trace-format", "csv")
    assert done.returncode == 0, done.stderr
    return folder


def _broken_copy(results: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    return copy


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda f: (f / "summary.json").write_text("{not json"), "summary.json: cannot read it"),
        (lambda f: (f / "summary.json").write_text("[]"), "alerts: missing"),
        (lambda f: (f / "trace.csv").unlink(), "no trace"),
        (lambda f: (f / "trace.csv").write_text("time_s,alert\n1,a\n"), "columns missing"),
        (
            lambda f: (f / "trace.csv").write_text(
                (f / "trace.csv").read_text().replace("jalert/centre", "nowhere/centre", 1)
            ),
            "'nowhere/centre' is not in the scenario",
        ),
        (
            lambda f: (f / "trace.csv").write_text(
                (f / "trace.csv").read_text().replace(",received,", ",exploded,", 1)
            ),
            "'exploded' is not in the scenario",
        ),
    ],
)
def test_a_broken_results_folder_is_invalid_input_naming_the_file(
    results: Path, tmp_path: Path, damage, said: str
) -> None:
    folder = _broken_copy(results, tmp_path)
    damage(folder)
    done = cli("replay", folder, "--scenario", DRILL, "--port", "0", timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr


def test_a_trace_replayed_on_another_scenario_is_refused(results: Path) -> None:
    done = cli("replay", results, "--scenario", SCENARIOS / "lalert_evacuation_order_kesennuma.yaml", "--port", "0")
    assert done.returncode == 2 and "is not in the scenario" in done.stderr


def test_a_results_folder_naming_a_missing_scenario_says_to_give_it(results: Path, tmp_path: Path) -> None:
    folder = _broken_copy(results, tmp_path)
    summary = (folder / "summary.json").read_text()
    (folder / "summary.json").write_text(summary.replace('"source": "', '"source": "gone/', 1))
    done = cli("replay", folder, "--port", "0")
    assert done.returncode == 2 and "--scenario" in done.stderr


def test_a_viewer_that_never_reads_is_dropped_and_the_others_go_on() -> None:
    async def main() -> tuple[int, list[str | None], int, int]:
        hub = Hub(lambda: {"type": MessageType.SNAPSHOT.value})
        _, stuck = hub.join()
        _, reading = hub.join()
        got = []
        for k in range(VIEWER_BACKLOG + 20):
            hub.publish({"type": "batch", "n": k})
            await asyncio.sleep(0)
            got.append(reading.get_nowait())
        items = []
        while not stuck.empty():
            items.append(stuck.get_nowait())
        return len(items), items[-1:], len(got), hub.viewers

    count, last, read, viewers = asyncio.run(main())
    assert viewers == 1
    assert last == [None]  # its stream ends (the page reconnects and starts from a snapshot)
    assert count <= VIEWER_BACKLOG and read == VIEWER_BACKLOG + 20
