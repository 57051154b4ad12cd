"""Resume reuses only batches made for this sweep: same scenario, master seed and replications, rows whole."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from lalert_sim.montecarlo import SweepSpec, run_sweep
from lalert_sim.montecarlo.batches import BatchIdentity, batch_name, scenario_digest, write_batch
from lalert_sim.report.folder import MANIFEST, partial_folder
from tests.conftest import SCENARIOS, cli, has_module, start_cli
from tests.unit.test_montecarlo import KESENNUMA, same

FIRST = "batch-0000000-0000001.json"


def sweep(out: Path, seed: int = 3, resume: bool = False, scenario: Path = KESENNUMA) -> tuple[list, list[str]]:
    outcome = run_sweep(SweepSpec(scenario, 6, seed, out, batch_size=2, resume=resume))
    return outcome.rows, outcome.notes


def test_resume_recomputes_batches_of_another_master_seed_and_says_so(tmp_path: Path) -> None:
    sweep(tmp_path, seed=7)
    rows, notes = sweep(tmp_path, seed=8, resume=True)
    assert same(rows, sweep(tmp_path / "fresh", seed=8)[0])
    assert len(notes) == 3
    assert notes[0].startswith("batch 1 (") and notes[0].endswith(
        "written for seed 7, this sweep's seed is 8: recomputed"
    )


def test_resume_recomputes_batches_of_an_edited_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "kesennuma.yaml"
    scenario.write_text(KESENNUMA.read_text(encoding="utf-8"), encoding="utf-8")
    sweep(tmp_path / "out", scenario=scenario)
    scenario.write_text(
        KESENNUMA.read_text(encoding="utf-8").replace("duration_s: ", "duration_s: 1"), encoding="utf-8"
    )
    _rows, notes = sweep(tmp_path / "out", scenario=scenario, resume=True)
    assert len(notes) == 3 and all("another version of the scenario" in note for note in notes)


def test_the_digest_covers_the_files_a_scenario_names(tmp_path: Path) -> None:
    table = tmp_path / "municipalities.csv"
    table.write_text("code,name\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    text = "topology:\n  municipality_table: municipalities.csv\n"
    scenario.write_text(text, encoding="utf-8")
    before = scenario_digest(scenario, text)
    table.write_text("code,name\n02201,Aomori\n", encoding="utf-8")
    assert scenario_digest(scenario, text) != before


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("truncated", "unreadable (truncated or corrupt"),
        ("missing row", "rows missing, duplicated or of other replications"),
        ("duplicated row", "rows missing, duplicated or of other replications"),
        ("edited row", "its rows do not match their checksum"),
        ("old format", "not a batch file of this version"),
    ],
)
def test_a_damaged_batch_is_recomputed_with_a_note(tmp_path: Path, damage: str, reason: str) -> None:
    whole, _notes = sweep(tmp_path)
    path = tmp_path / "batches" / FIRST
    record = json.loads(path.read_text(encoding="utf-8"))
    identity = BatchIdentity(record["scenario_sha256"], record["master_seed"])
    pairs = [(index, seed) for index, seed in record["replications"]]
    rows = record["rows"]
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:80])
    elif damage == "missing row":
        write_batch(path, identity, pairs, rows[:1])
    elif damage == "duplicated row":
        write_batch(path, identity, pairs, [rows[0], rows[0]])
    elif damage == "edited row":
        record["rows"][0]["seed"] += 1
        path.write_text(json.dumps(record), encoding="utf-8")
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    resumed, notes = sweep(tmp_path, resume=True)
    assert len(notes) == 1 and notes[0].startswith(f"batch 1 ({path}): {reason}") and notes[0].endswith(": recomputed")
    assert same(resumed, whole)
    assert sweep(tmp_path, resume=True)[1] == []  # recomputed for good


def test_batches_of_another_batch_size_do_not_stay_in_the_folder(tmp_path: Path) -> None:
    sweep(tmp_path)
    run_sweep(SweepSpec(KESENNUMA, 6, 3, tmp_path, batch_size=3, resume=True))
    assert sorted(p.name for p in (tmp_path / "batches").iterdir()) == [
        batch_name([(0, 0), (2, 0)]),
        batch_name([(3, 0), (5, 0)]),
        "cut.json",  # how they were cut
    ]


def _table(folder: Path) -> pd.DataFrame:
    name = "replications.parquet" if has_module("pyarrow") else "replications.csv"
    return pd.read_parquet(folder / name) if name.endswith("parquet") else pd.read_csv(folder / name)


def test_a_killed_sweep_resumes_to_the_rows_of_an_uninterrupted_one(tmp_path: Path) -> None:
    common = ["-n", "30", "-w", "2", "--batch-size", "2", "--seed", "11", "--no-plots"]
    assert cli("sweep", KESENNUMA, *common, "--out", tmp_path / "whole").returncode == 0
    out = tmp_path / "killed"
    process = start_cli("sweep", KESENNUMA, *common, "--out", out)
    deadline = time.monotonic() + 60
    while len(list((partial_folder(out) / "batches").glob("batch-*.json"))) < 3:
        assert time.monotonic() < deadline and process.poll() is None, "the sweep finished no batches"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, with no time to tidy up
    process.communicate(timeout=30)
    assert not out.exists()
    done = cli("sweep", KESENNUMA, *common, "--out", out, "--resume")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "reused" in done.stdout
    pd.testing.assert_frame_equal(_table(out), _table(tmp_path / "whole"))
    assert not partial_folder(out).exists()


def test_resume_after_a_finished_sweep_reuses_its_batches(tmp_path: Path) -> None:
    common = ["-n", "4", "-w", "1", "--batch-size", "2", "--no-plots", "--out", tmp_path / "out"]
    assert cli("sweep", KESENNUMA, *common).returncode == 0
    done = cli("sweep", KESENNUMA, *common, "--resume")
    assert done.returncode == 0 and "reused 4 finished replications" in done.stdout, done.stderr
    again = cli("sweep", KESENNUMA, *common[:-2], "--out", tmp_path / "out", "--resume", "--seed", "99")
    assert again.returncode == 0 and "this sweep's seed is 99: recomputed" in again.stdout, again.stderr


def test_compare_resumes_each_plan(tmp_path: Path) -> None:
    plans = [
        SCENARIOS / "lalert_carrier_outage_evacuation.yaml",
        SCENARIOS / "lalert_carrier_outage_evacuation_roaming.yaml",
    ]
    common = ["-n", "4", "-w", "1", "--batch-size", "2", "--no-plots", "--out", tmp_path / "out"]
    assert cli("compare", *plans, *common).returncode == 0
    done = cli("compare", *plans, *common, "--resume")
    assert done.returncode == 0 and done.stdout.count("reused 4 finished replications") == 2, done.stderr


def test_resume_over_unfinished_work_of_other_plans_starts_afresh(tmp_path: Path) -> None:
    out = tmp_path / "out"
    common = ["-n", "2", "-w", "1", "--no-plots", "--out", out]
    stale = partial_folder(out) / "other-plan"
    stale.mkdir(parents=True)
    (partial_folder(out) / MANIFEST).write_text('{"command": "compare", "inputs": ["other-plan.yaml"]}', "utf-8")
    done = cli("sweep", KESENNUMA, *common, "--resume")
    assert done.returncode == 0 and "another command or other scenarios: started afresh" in done.stdout, done.stderr
    assert not (out / "other-plan").exists() and (out / "sweep_summary.json").exists()


def test_a_second_sweep_into_the_same_folder_at_once_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "a", encoding="utf-8") as held:  # as a running sweep holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        done = cli("sweep", KESENNUMA, "-n", "2", "-w", "1", "--no-plots", "--out", out)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"--out {out}: another lalert-sim is writing there now" in done.stderr
    assert not out.exists() and not partial_folder(out).exists()
