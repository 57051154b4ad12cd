"""Result files: the trace round-trips through CSV and Parquet; writes are atomic."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from lalert_sim import Prepared, RunResult, RunSummary, load, run, summarise
from lalert_sim.atomic import atomic_write
from lalert_sim.report.files import REQUEST_COLUMNS, write_results
from tests.conftest import SCENARIOS

Drill = tuple[Prepared, RunResult, RunSummary]


@pytest.fixture(scope="module")
def drill() -> Drill:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    result = run(prepared)
    return prepared, result, summarise(prepared, result)


def test_csv_trace_holds_every_row_with_names(tmp_path: Path, drill: Drill) -> None:
    _, result, summary = drill
    write_results(tmp_path, summary, result, parquet=False)
    with open(tmp_path / "trace.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.trace)
    assert rows[0]["event"] == "issued" and rows[0]["alert"] == "evacuation-order"
    assert {r["event"] for r in rows} >= {"issued", "sent", "received", "emitted"}
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert text == summary.to_json()
    assert RunSummary.from_json(text) == summary


def test_parquet_trace_equals_the_csv_trace(tmp_path: Path, drill: Drill) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    _, result, summary = drill
    write_results(tmp_path / "p", summary, result, parquet=True)
    table = pq.read_table(tmp_path / "p" / "trace.parquet").to_pydict()
    assert table == result.trace.named_columns()
    assert not list((tmp_path / "p").glob(".*")), "no temporary files left behind"


def test_nodes_file_gives_paths_from_the_origin(tmp_path: Path, drill: Drill) -> None:
    _, result, summary = drill
    write_results(tmp_path, summary, result, parquet=False)
    with open(tmp_path / "nodes.csv", encoding="utf-8") as handle:
        rows = {(r["alert"], r["node"]): r for r in csv.DictReader(handle)}
    tv = rows[("evacuation-order", "outlet/nhk-tv")]
    assert tv["path"] == "kesennuma/decision > kesennuma/lalert-entry > lalert/hub > outlet/nhk-tv"
    assert tv["hops"] == "3" and tv["via_link"] == "lalert/push"
    assert float(tv["emitted_s"]) > float(tv["first_receipt_s"]) > 0


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text("old\n", encoding="utf-8")

    def half_then_fail(out: object) -> None:
        out.write("new, but only ha")  # type: ignore[attr-defined]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half_then_fail)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["summary.json"]


def test_requests_file_has_a_column_per_request_field(tmp_path: Path) -> None:
    prepared = load(SCENARIOS / "tsunami_wide_area_loans.yaml")
    result = run(prepared)
    summary = summarise(prepared, result)
    assert summary.responses is not None and summary.responses.requests
    write_results(tmp_path, summary, result, parquet=False)
    with open(tmp_path / "requests.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == REQUEST_COLUMNS
    assert len(rows) == len(summary.responses.requests)
    assert rows[0]["municipality"] == summary.responses.requests[0].municipality


def test_alert_ids_that_share_a_file_name_each_keep_their_cap_file(tmp_path: Path) -> None:
    from lalert_sim import prepare
    from lalert_sim.model.cap import read_cap
    from lalert_sim.report.files import write_cap_alerts
    from tests.conftest import scenario

    nodes = [{"id": "src", "kind": "origin", "system": "j_alert"}]
    alerts = [{"id": i, "system": "j_alert", "category": "ballistic_missile"} for i in ("x_y", "x/y", "x:y")]
    written = write_cap_alerts(tmp_path, prepare(scenario(nodes, [], alerts)))
    assert [p.name for p in written] == ["x_y.cap.xml", "x_y-2.cap.xml", "x_y-3.cap.xml"]
    assert [read_cap(p).id for p in written] == ["x_y", "x/y", "x:y"]
