"""Result files: the trace round-trips through CSV and Parquet; writes are atomic."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lalert_sim import load, run, summarise
from lalert_sim.report.files import write_results
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def drill():
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    result = run(prepared)
    return prepared, result, summarise(prepared, result)


def test_csv_trace_holds_every_row_with_names(tmp_path: Path, drill) -> None:
    _, result, summary = drill
    write_results(tmp_path, summary, result, parquet=False)
    with open(tmp_path / "trace.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.trace)
    assert rows[0]["event"] == "issued" and rows[0]["alert"] == "evacuation-order"
    assert {r["event"] for r in rows} >= {"issued", "sent", "received", "emitted"}
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary


def test_parquet_trace_equals_the_csv_trace(tmp_path: Path, drill) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    _, result, summary = drill
    write_results(tmp_path / "p", summary, result, parquet=True)
    table = pq.read_table(tmp_path / "p" / "trace.parquet").to_pydict()
    assert table == result.trace.named_columns()
    assert not list((tmp_path / "p").glob(".*")), "no temporary files left behind"


def test_nodes_file_gives_paths_from_the_origin(tmp_path: Path, drill) -> None:
    _, result, summary = drill
    write_results(tmp_path, summary, result, parquet=False)
    with open(tmp_path / "nodes.csv", encoding="utf-8") as handle:
        rows = {(r["alert"], r["node"]): r for r in csv.DictReader(handle)}
    tv = rows[("evacuation-order", "outlet/nhk-tv")]
    assert tv["path"] == "kesennuma/decision > kesennuma/lalert-entry > lalert/hub > outlet/nhk-tv"
    assert tv["hops"] == "3" and tv["via_link"] == "lalert/push"
    assert float(tv["emitted_s"]) > float(tv["first_receipt_s"]) > 0
