"""`lalert-sim console --broker` on a real Mosquitto with four node processes: the page in Chromium
shows each field node's measured latency (read from the page, as a person reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lalert_sim.hil.protocol import Signer, generate_key
from tests.browser.console_page import serve
from tests.browser.test_console import _close, _open, browser  # noqa: F401  (the fixture)
from tests.conftest import SCENARIOS
from tests.hil.conftest import NodeProcess

FIELD = ["pi-hachinohe-siren", "pi-hachinohe-indoor", "pi-misawa-siren", "pi-hachinohe-shelter"]


def test_the_console_page_shows_the_measured_latency_of_four_node_processes(
    browser: Any,  # noqa: F811
    tmp_path: Path,
    broker_factory: Any,
    node_processes: list[NodeProcess],
) -> None:
    broker = broker_factory(FIELD)
    key, _ = generate_key(tmp_path / "keys", "drill")
    signer = Signer.from_file(key)
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in FIELD]
    bridge = broker.address()
    url = f"mqtt://bridge:{bridge.password}@127.0.0.1:{broker.port}"
    scenario = SCENARIOS / "field_nodes_missile_drill.yaml"
    with serve("console", scenario, "--broker", url, "--key", key, "--speed", "10", "--out", tmp_path / "out") as s:
        page, problems = _open(browser, s.url)
        assert page.locator("#field-nodes tr[data-field]").count() == len(FIELD)
        page.click("#btn-start")
        # The shelter's alert is issued at 45 s: 4.5 s of wall time at 10×.
        page.wait_for_function(
            "n => [...document.querySelectorAll('#field-nodes tr[data-field]')]"
            ".filter(r => r.dataset.latencyMs && Number(r.dataset.latencyMs) > 0).length === n",
            arg=len(FIELD),
            timeout=60_000,
        )
        shown = {
            row.get_attribute("data-field"): row.locator(".latency").inner_text()
            for row in page.locator("#field-nodes tr[data-field]").all()
        }
        outcomes = {row.get_attribute("data-outcome") for row in page.locator("#field-nodes tr[data-field]").all()}
        errors = _close(page, problems)
    assert set(shown) == set(FIELD)
    for text in shown.values():
        value, unit = text.split()
        assert unit == "ms" and 0 < float(value) < 10_000
    assert outcomes == {"actuated"}
    assert errors == []
