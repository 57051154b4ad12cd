"""The model against history: every real event of validation/events.yaml, a small sweep each, within its bands."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lalert_sim.montecarlo.history import HistoryEvents, LoadedEvents, load_events, run_history
from tests.conftest import ROOT

EVENTS = load_events(ROOT / "validation" / "events.yaml")
REPLICATIONS = 4  # small: the whole file stays under a minute on two cores


def _only(event_id: str) -> LoadedEvents:
    chosen = [e for e in EVENTS.events.events if e.id == event_id]
    return replace(EVENTS, events=HistoryEvents(note=EVENTS.events.note, events=chosen))


@pytest.mark.slow
@pytest.mark.parametrize("event_id", [e.id for e in EVENTS.events.events])
def test_event_is_within_its_published_bands(event_id: str, tmp_path: Path) -> None:
    rows = run_history(_only(event_id), tmp_path, replications=REPLICATIONS)
    outside = [
        f"{r.what}: {r.status} (mean {r.mean:.4g}, band {r.band_low:g}-{r.band_high:g})"
        for r in rows
        if not r.within and r.required
    ]
    assert not outside, "\n".join(outside)
