"""The bridge run's HTML page: measured against simulated per bound node, from a hand-made run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from lalert_sim.hil.protocol import Ack, Offset, Outcome, Reason, Status  # noqa: E402
from lalert_sim.hil.records import BridgeOptions, BridgeRun, Delivery, NodeState  # noqa: E402
from lalert_sim.hil.report import build_report  # noqa: E402
from lalert_sim.hil.report_page import PAGE_FILE, comparisons, render_page, write_page  # noqa: E402


def acted(node: str, msg: str, delay_s: float) -> Ack:
    return Ack(
        node_id=node,
        msg_id=msg,
        outcome=Outcome.ACTUATED,
        received_at=100.0 + delay_s / 2,
        actuated_at=100.0 + delay_s,
        sent_at=100.0 + delay_s,
    )


@pytest.fixture
def run() -> BridgeRun:
    """Two loudspeakers: spk-a's field nodes took 20 and 40 ms where the model drew 1,000 and 1,200 ms;
    spk-b's node refused its alert."""
    offset = Offset(0.0, 0.0001, 0.0002, 8)
    nodes = {n: NodeState(n, Status(node_id=n, state="online", since=1.0), offset) for n in ("pi-01", "pi-02", "pi-03")}
    refused = Ack(
        node_id="pi-03",
        msg_id="m3",
        outcome=Outcome.REFUSED,
        reason=Reason.MODE_REFUSED,
        received_at=100.01,
        sent_at=100.01,
    )
    deliveries = [
        Delivery(
            "pi-01", "spk-a", "drill", "m1", 1.0, 2.0, 100.0, 100.0, 100.001, acted("pi-01", "m1", 0.020), 100.03, 3.0
        ),
        Delivery(
            "pi-02", "spk-a", "drill", "m2", 1.0, 2.0, 100.0, 100.0, 100.001, acted("pi-02", "m2", 0.040), 100.05, 3.2
        ),
        Delivery("pi-03", "spk-b", "drill", "m3", 1.0, 2.5, 100.0, 100.0, 100.001, refused, 100.02, 2.5),
    ]
    bindings = {"spk-a": ["pi-01", "pi-02"], "spk-b": ["pi-03"]}
    return BridgeRun("drill.yaml", "mqtt://127.0.0.1:1883", 99.0, BridgeOptions(), nodes, bindings, deliveries)


class _Rows(HTMLParser):
    """The text of each table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_each_bound_node_shows_its_measured_beside_its_simulated_delay(run: BridgeRun) -> None:
    report = build_report(run)
    a, b = comparisons(report.deliveries)
    assert (a.sim_node, a.field_nodes, a.measured_ms, a.simulated_ms) == (
        "spk-a",
        ("pi-01", "pi-02"),
        (20.0, 40.0),
        (1000.0, 1200.0),
    )
    assert a.difference_ms == pytest.approx(30.0 - 1100.0)
    assert (b.measured_ms, b.simulated_ms, b.difference_ms) == ((), (0.0,), None)  # refused: nothing measured
    parser = _Rows()
    parser.feed(render_page(report))
    assert ["spk-a", "pi-01 pi-02", "2/2", "1100.00", "30.00", "40.00", "-1070.00"] in parser.rows
    assert ["spk-b", "pi-03", "0/1", "0.00", "–", "–", "–"] in parser.rows
    assert ["pi-03", "spk-b", "drill", "refused (mode_refused)", "10.00", "–", "0.00"] in parser.rows


def test_the_strip_plot_has_a_mark_per_delay_and_is_well_formed_svg(run: BridgeRun) -> None:
    page = render_page(build_report(run))
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == 2  # the two measured actuations
    assert len(root.findall(f"{ns}rect")) == 3  # the three simulated delays
    xs = sorted(float(c.get("cx", "0")) for c in root.findall(f"{ns}circle"))
    squares = sorted(float(r.get("x", "0")) + 3 for r in root.findall(f"{ns}rect"))
    assert xs[0] < xs[1] < squares[1] < squares[2]  # 20 and 40 ms left of 1,000 and 1,200 ms on one axis


def test_the_page_is_written_beside_the_report_in_the_run_language(run: BridgeRun, tmp_path: Path) -> None:
    path = write_page(build_report(run), tmp_path, "ja")
    assert path == tmp_path / PAGE_FILE
    text = path.read_text(encoding="utf-8")
    assert (
        '<html lang="ja">' in text
        and "実測と模擬" in text
        and "http" not in text.replace("http://www.w3.org/2000/svg", "")
    )
