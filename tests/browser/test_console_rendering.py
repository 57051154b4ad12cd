"""The console page alone, fed a scripted stream that follows console/protocol.py: each part of a batch
shows where a person looks (town colours and statuses, nodes, counters, objectives, field nodes,
correction times, the log), so the page is checked apart from the engine behind it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from lalert_sim.console.layout import scenario_layout
from lalert_sim.i18n import Messages
from lalert_sim.prepare import load
from tests.browser.console_page import PageProblems, free_port, wait_ready
from tests.browser.test_console import DRILL, browser  # noqa: F401  (the fixture)

STATIC = Path(__file__).resolve().parents[2] / "lalert_sim" / "console" / "static"
CLOCK = {"sim_s": 412.0, "wall_s": 41.2, "speed": 10.0, "state": "running"}
EMPTY: dict[str, Any] = {
    "events": [],
    "nodes": {},
    "municipalities": {},
    "warned": [],
    "channels": {},
    "objectives": [],
    "field": {},
    "corrections": [],
}
BATCH = {
    **EMPTY,
    "type": "batch",
    "clock": CLOCK,
    "events": [
        [300.0, "issued", "national/launch-decision", "missile-drill-1", ""],
        [301.5, "received", "jalert/centre", "missile-drill-1", ""],
        [305.0, "emitted", "m-02203/loudspeakers", "missile-drill-1", ""],
        [306.0, "lost", "m-02441/startup", "missile-drill-1", "node_down"],
    ],
    "nodes": {"jalert/centre": "reached", "m-02203/loudspeakers": "sounding", "m-02441/startup": "failed"},
    "municipalities": {
        "02203": {"warned": 0.62, "status": "sounding"},
        "02441": {"warned": 0.0, "status": "failed"},
    },
    "warned": [
        {"t": 300.0, "by_cohort": {"overall": 0.0, "under_60": 0.0, "60s": 0.0, "70_plus": 0.0}},
        {"t": 400.0, "by_cohort": {"overall": 0.55, "under_60": 0.6, "60s": 0.5, "70_plus": 0.4}},
    ],
    "channels": {"outdoor_loudspeaker": 31, "cell_broadcast": 160},
    "objectives": [
        {"name": "loudspeakers sounding before a possible impact", "met": True},
        {"name": "phones alerted before a possible impact", "met": False},
    ],
    "corrections": [{"alert": "missile-drill-1", "kind": "cancel", "t50_s": 42.5, "t95_s": 180.0}],
}


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    """The page's own files, the flagship's layout and a stream of one snapshot then one batch (uvicorn)."""
    uvicorn = pytest.importorskip("uvicorn")
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    layout = scenario_layout(load(DRILL), Messages("en"), speed=10.0)

    async def page(_request: Any) -> Response:
        return FileResponse(STATIC / "index.html")

    async def scenario(_request: Any) -> Response:
        return JSONResponse(layout)

    async def stream(_request: Any) -> Response:
        async def events() -> AsyncIterator[str]:
            yield f"data: {json.dumps({**EMPTY, 'type': 'snapshot', 'clock': {**CLOCK, 'sim_s': 0.0}})}\n\n"
            await asyncio.sleep(0.3)
            yield f"data: {json.dumps(BATCH)}\n\n"
            await asyncio.sleep(30)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def control(_request: Any) -> Response:
        return JSONResponse({"ok": True, "sim_s": CLOCK["sim_s"]})

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/scenario", scenario),
            Route("/api/stream", stream),
            Route("/api/control", control, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC)),
        ]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the page server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/?token=t"
    server.should_exit = True
    thread.join(10)


def test_every_part_of_a_batch_shows_on_the_page(browser: Any, page_server: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    problems = PageProblems(page)
    page.goto(page_server)
    wait_ready(page)
    page.wait_for_function("() => window.consoleState.batches >= 2")
    # Each drawing takes its turn within a second at most (console.js PACE_MS): wait for all of them.
    page.wait_for_selector("#municipalities [data-code='02203'][data-status='sounding']")
    page.wait_for_selector("#warned-canvas[data-points='2']")
    page.wait_for_function("() => document.querySelectorAll('#log-rows .row').length === 4")
    page.wait_for_function("() => window.consoleState.timings.nodes !== undefined")
    shown = {
        "failed_town": page.get_attribute("#municipalities [data-code='02441']", "data-status"),
        "centre": page.get_attribute("#national-nodes li[data-node='jalert/centre']", "data-status"),
        "loudspeakers": page.inner_text("#channels td[data-channel='outdoor_loudspeaker']"),
        "phones": page.inner_text("#channels td[data-channel='cell_broadcast']"),
        "objectives": [li.get_attribute("data-met") for li in page.locator("#objectives li").all()],
        "t50": page.inner_text("#corrections tr[data-kind='cancel'] td.t50"),
        "t95": page.inner_text("#corrections tr[data-kind='cancel'] td.t95"),
        "log": page.locator("#log-rows .row").count(),
        "first_row": page.inner_text("#log-rows .row >> nth=0"),
        "curve": page.get_attribute("#warned-canvas", "data-points"),
        "clock": page.get_attribute("#sim-clock", "data-sim-s"),
        "correct": page.locator("#correct-alert option").all_inner_texts(),
    }
    # The town that sounds is painted green on the map's canvas, at its own point.
    town = next(t for t in scenario_layout(load(DRILL), Messages("en"))["municipalities"] if t["code"] == "02203")
    pixel = page.evaluate(
        """([x, y]) => {
          const c = document.getElementById('map-canvas');
          const svg = document.getElementById('map-svg').viewBox.baseVal;
          const s = Math.min(c.width / svg.width, c.height / svg.height);
          const px = Math.round((c.width - svg.width * s) / 2 + x * s);
          const py = Math.round((c.height - svg.height * s) / 2 + y * s);
          return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data);
        }""",
        [town["x"], town["y"]],
    )
    problems.closing = True
    page.close()
    assert problems.errors == []
    assert shown["failed_town"] == "failed" and shown["centre"] == "reached"
    assert shown["loudspeakers"] == "31" and shown["phones"] == "160"
    assert shown["objectives"][:2] == ["true", "false"] and shown["objectives"][2] == "null"
    assert shown["t50"] == "42.5 s" and shown["t95"] == "3.0 min"
    assert shown["log"] == 4 and "lost" in shown["first_row"] and "node_down" in shown["first_row"]
    assert shown["curve"] == "2" and shown["clock"] == "412"
    assert shown["correct"] == ["missile-drill-1"]
    red, green, blue, _ = pixel
    assert green > red and green > blue, pixel  # a shade of green, not the grey of a town not reached
