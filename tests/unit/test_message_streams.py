"""``streams:``: arrival processes drawn on their own named stream, messages made only when issued."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from lalert_sim.engine.trace import Event
from lalert_sim.errors import ScenarioError
from lalert_sim.model.streams import PiecewiseArrivals, PoissonArrivals, arrival_times
from lalert_sim.prepare import load, load_text
from lalert_sim.runner import build
from lalert_sim.streams import generator

NETWORK = """
metadata: {name: streams}
duration_s: 1000
failures: none
topology:
  nodes:
    - {id: src, kind: origin, system: j_alert}
    - {id: relay, kind: relay, delay_s: {kind: exponential, mean: 0.5}}
    - {id: sink, kind: emitter, channel: tv}
  links:
    - {id: a, medium: fibre, source: src, target: relay, latency_s: {kind: exponential, mean: 0.2}, loss: 0.1}
    - {id: b, medium: fibre, source: relay, target: sink, latency_s: 0.1, capacity: 1,
       hold_s: {kind: exponential, mean: 0.5}}
"""


def _write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_poisson_counts_match_the_rate() -> None:
    # A Poisson process of rate λ over T brings λT messages on average, with variance λT too.
    arrivals = PoissonArrivals(kind="poisson", rate_per_s=0.5, start_s=100, end_s=900)
    counts = [len(arrival_times(arrivals, 1000, generator(seed, "test"))) for seed in range(400)]
    expected = 0.5 * 800
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / len(counts))
    assert 0.8 < np.var(counts, ddof=1) / expected < 1.2
    times = arrival_times(arrivals, 1000, generator(1, "test"))
    assert np.all(np.diff(times) > 0) and times[0] >= 100 and times[-1] < 900


def test_piecewise_rates_hold_in_their_pieces() -> None:
    arrivals = PiecewiseArrivals.model_validate(
        {
            "kind": "piecewise",
            "rates": [
                {"start_s": 100, "rate_per_s": 1.0},
                {"start_s": 300, "rate_per_s": 0.0},
                {"start_s": 600, "rate_per_s": 0.25},
            ],
        }
    )
    runs = [arrival_times(arrivals, 1000, generator(seed, "test")) for seed in range(200)]
    assert all(np.all(np.diff(t) >= 0) for t in runs)
    first = np.mean([np.count_nonzero((t >= 100) & (t < 300)) for t in runs])
    last = np.mean([np.count_nonzero(t >= 600) for t in runs])
    assert abs(first - 200) < 4 * np.sqrt(200 / 200) and abs(last - 100) < 4 * np.sqrt(100 / 200)
    assert not any(np.count_nonzero(t < 100) or np.count_nonzero((t >= 300) & (t < 600)) for t in runs)


def test_pieces_must_increase() -> None:
    with pytest.raises(ValueError, match="start_s must increase"):
        PiecewiseArrivals.model_validate(
            {"kind": "piecewise", "rates": [{"start_s": 5, "rate_per_s": 1}, {"start_s": 5, "rate_per_s": 2}]}
        )


def test_arrivals_are_their_own_named_stream(tmp_path: Path) -> None:
    text = (
        NETWORK
        + """
streams:
  - {id: S, arrivals: {kind: poisson, rate_per_s: 0.1}, message: {system: j_alert, category: test}}
  - {id: T, arrivals: {kind: poisson, rate_per_s: 0.1}, message: {system: j_alert, category: test}}
"""
    )
    prepared = load_text(text, str(tmp_path / "s.yaml"))
    s, t = prepared.streams
    assert np.array_equal(s.times(3), s.times(3))
    assert not np.array_equal(s.times(3), s.times(4))
    assert not np.array_equal(s.times(3), t.times(3))


def test_a_stream_runs_as_the_same_alerts_written_out(tmp_path: Path) -> None:
    # Independent of the stream machinery: the same messages as ordinary alerts give the same trace, row for row.
    times = np.sort(np.random.default_rng(7).uniform(0, 900, 60)).round(3)
    (tmp_path / "times.csv").write_text("time_s\n" + "\n".join(f"{t}" for t in times[::-1]) + "\n")
    streamed = load(
        _write(
            tmp_path,
            NETWORK
            + """
streams:
  - {id: S, arrivals: {kind: csv, file: times.csv}, message: {system: j_alert, category: test, size_bytes: 10}}
""",
        )
    )
    alerts = "\n".join(
        f"  - {{id: S-{k:06d}, system: j_alert, category: test, size_bytes: 10, issue_s: {t}}}"
        for k, t in enumerate(times)
    )
    written = load(_write(tmp_path, NETWORK + "alerts:\n" + alerts + "\n", "alerts.yaml"))
    results = []
    for prepared in (streamed, written):
        simulation, _ = build(prepared, 11)
        results.append(simulation.run(1000))
    a, b = results
    assert a.trace.alert_ids == b.trace.alert_ids == [f"S-{k:06d}" for k in range(60)]
    assert a.trace.rows == b.trace.rows
    issued = a.trace.arrays()
    assert np.array_equal(issued["time_s"][issued["event"] == Event.ISSUED], times)
    assert [s.spec for s in a.alerts] == [s.spec for s in b.alerts]


def test_a_csv_outside_the_scenario_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "times.csv").write_text("time_s\n1\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    path = _write(
        inner,
        NETWORK
        + """
streams:
  - {id: S, arrivals: {kind: csv, file: ../times.csv}, message: {system: j_alert, category: test}}
""",
    )
    with pytest.raises(ScenarioError, match=r"streams\[0\]\.arrivals\.file"):
        load(path)
    assert len(load(path, allow_outside_paths=True).streams[0].times(0)) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("when\n1\n", "required column 'time_s' is missing"),
        ("time_s\n1\n-3\n", "line 3: time_s must be a number of seconds"),
        ("time_s\n1\nsoon\n", "line 3: time_s must be a number of seconds"),
    ],
)
def test_a_bad_csv_is_named_with_its_line(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "times.csv").write_text(content)
    path = _write(
        tmp_path,
        NETWORK
        + """
streams:
  - {id: S, arrivals: {kind: csv, file: times.csv}, message: {system: j_alert, category: test}}
""",
    )
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert expected in str(caught.value) and "times.csv" in str(caught.value)


def test_a_scenario_needs_an_alert_or_a_stream(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="at least one alert"):
        load(_write(tmp_path, NETWORK))


def test_a_stream_whose_origin_is_unknown_is_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        NETWORK
        + """
streams:
  - {id: S, arrivals: {kind: poisson, rate_per_s: 1}, message: {system: j_alert, category: test, origin: nowhere}}
""",
    )
    with pytest.raises(ScenarioError, match=r"streams\[0\]\.message\.origin"):
        load(path)


def test_too_many_messages_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        NETWORK
        + """
streams:
  - {id: S, arrivals: {kind: poisson, rate_per_s: 5000}, message: {system: j_alert, category: test}}
""",
    )
    with pytest.raises(ScenarioError, match="5,000,000 messages on average"):
        load(path)


def test_an_alert_id_that_repeats_a_message_id_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        NETWORK
        + """
alerts:
  - {id: S-000004, system: j_alert, category: test}
streams:
  - {id: S, arrivals: {kind: poisson, rate_per_s: 1}, message: {system: j_alert, category: test}}
""",
    )
    with pytest.raises(ScenarioError, match="would repeat a message id"):
        load(path)


FLOOD = """
metadata: {name: L-Alert flood}
duration_s: 21600
topology:
  templates: [{template: prefecture, prefecture: "34"}]
streams:
  - id: FLOOD
    arrivals: {kind: poisson, rate_per_s: 0.6944}
    message: {system: l_alert, category: evacuation_order, areas: ["34100"], origin: lalert/hub}
"""


def test_a_15000_message_l_alert_flood_runs() -> None:
    prepared = load_text(FLOOD, "flood.yaml")
    simulation, _ = build(prepared)
    result = simulation.run(prepared.scenario.duration_s)
    count = len(prepared.streams[0].times(prepared.scenario.seed))
    assert 14_500 < count < 15_500
    assert len(result.alerts) == count
    assert result.alerts[-1].spec.id == f"FLOOD-{count - 1:06d}"
    issued = result.trace.arrays()["event"] == Event.ISSUED
    assert np.count_nonzero(issued) == count
    # Entered at the L-Alert hub (past the city's one-operator entry step, which takes about 10 min a message),
    # all but those lost on the way reach some emitter of Hiroshima city.
    emitted = sum(1 for alert in result.alerts if alert.emitted)
    assert emitted > 0.95 * count
