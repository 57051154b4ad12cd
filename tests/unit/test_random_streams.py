"""Named random streams: same seed, same draws; one component's change leaves others alone."""

from __future__ import annotations

import subprocess
import sys

from lalert_sim.streams import Stream, stable_fraction, stream_key
from tests.conftest import first_receipt, run_world


def test_stream_key_does_not_depend_on_the_python_hash_seed() -> None:
    code = "from lalert_sim.streams import stream_key; print(stream_key('link:sat/latency'))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{stream_key('link:sat/latency')}\n"}


def test_stream_is_splitmix64_as_published() -> None:
    # Reference outputs of splitmix64.c (Vigna) from state 1234567, top 53 bits.
    stream = Stream(0, "any")
    stream.uniform()  # the first draw sets the hashed starting state
    stream._state = 1234567
    published = [6457827717110365317, 3203168211198807973, 9817491932198370423]
    assert [stream.uniform() for _ in published] == [(x >> 11) * 2.0**-53 for x in published]


def test_same_name_same_seed_same_draws_and_different_otherwise() -> None:
    def draws(seed: int, name: str) -> list[float]:
        stream = Stream(seed, name)
        return [stream.uniform() for _ in range(100)]

    assert draws(1, "a") == draws(1, "a")
    assert draws(1, "a") != draws(2, "a")
    assert draws(1, "a") != draws(1, "b")


def test_uniforms_lie_in_the_unit_interval() -> None:
    stream = Stream(7, "x")
    values = [stream.uniform() for _ in range(10_000)]
    assert 0 <= min(values) and max(values) < 1
    assert abs(sum(values) / len(values) - 0.5) < 0.01


def test_stable_fraction_is_fixed_and_spread() -> None:
    # Pinned: a change of the hashing would silently redraw which municipalities have a radio or an FM station.
    assert stable_fraction("disaster-radio/02201") == 0.536415593009299
    assert stable_fraction("community-fm/04205") == 0.7436420720342375
    values = [stable_fraction(f"disaster-radio/{code}") for code in range(1000)]
    assert 0.45 < sum(v < 0.5 for v in values) / 1000 < 0.55


def test_a_seed_and_name_give_the_same_draws_in_every_version() -> None:
    stream = Stream(2018, "link:sat/latency")
    assert [stream.uniform(), stream.uniform()] == [0.06843705006397727, 0.31542959498496503]


def _world(ground_latency: dict) -> tuple[list[dict], list[dict]]:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        *({"id": f"rx-{k}", "kind": "relay", "delay_s": {"kind": "uniform", "low": 1, "high": 2}} for k in range(20)),
        *(
            {
                "id": f"spk-{k}",
                "kind": "emitter",
                "channel": "outdoor_loudspeaker",
                "delay_s": {"kind": "exponential", "mean": 3},
            }
            for k in range(20)
        ),
    ]
    receivers = [f"rx-{k}" for k in range(20)]
    links = [
        {"id": "sat", "medium": "satellite_geo", "source": "centre", "targets": receivers},
        {
            "id": "ground",
            "medium": "terrestrial_gov",
            "source": "centre",
            "targets": receivers,
            "latency_s": ground_latency,
        },
        *(
            {"id": f"radio-{k}", "medium": "municipal_disaster_radio", "source": f"rx-{k}", "target": f"spk-{k}"}
            for k in range(20)
        ),
    ]
    return nodes, links


def _draws(result, link_id: str) -> list[float]:
    """Latencies the link drew: arrival (received or duplicate) minus transmission start."""
    records = [r for r in result.trace.records() if r.link == link_id]
    sent = {r.node: r.time_s for r in records if r.event == "sent"}
    return [round(r.time_s - sent[r.node], 9) for r in records if r.event in ("received", "duplicate")]


def test_changing_one_link_leaves_every_other_links_draws_unchanged() -> None:
    _, base = run_world(*_world({"kind": "uniform", "low": 0.02, "high": 0.1}), seed=11)
    _, plan = run_world(*_world({"kind": "uniform", "low": 0.5, "high": 3.0}), seed=11)
    assert _draws(base, "ground") != _draws(plan, "ground")
    assert sorted(_draws(base, "sat")) == sorted(_draws(plan, "sat"))
    for k in range(20):
        assert _draws(base, f"radio-{k}") == _draws(plan, f"radio-{k}")
    # Node processing delays too: emission minus receipt at each loudspeaker.
    assert _node_delays(base) == _node_delays(plan)
    assert all(first_receipt(plan, f"spk-{k}") is not None for k in range(20))


def _node_delays(result) -> dict[str, float]:
    """Processing delay of each emitter: emission minus first receipt."""
    receipt = {r.node: r.time_s for r in result.trace.records() if r.event == "received"}
    return {r.node: round(r.time_s - receipt[r.node], 9) for r in result.trace.records() if r.event == "emitted"}


def test_same_seed_gives_an_identical_trace() -> None:
    _, one = run_world(*_world({"kind": "uniform", "low": 0.02, "high": 0.1}), seed=5)
    _, two = run_world(*_world({"kind": "uniform", "low": 0.02, "high": 0.1}), seed=5)
    _, other = run_world(*_world({"kind": "uniform", "low": 0.02, "high": 0.1}), seed=6)
    assert one.trace.named_columns() == two.trace.named_columns()
    assert one.trace.named_columns()["time_s"] != other.trace.named_columns()["time_s"]


def test_a_draw_kept_before_the_first_goes_on_with_the_stream() -> None:
    kept = Stream(7, "link:sat/loss").uniform  # kept while the stream has not drawn yet
    fresh = Stream(7, "link:sat/loss")
    assert [kept() for _ in range(5)] == [fresh.uniform() for _ in range(5)]
    assert len({Stream(7, "x").uniform() for _ in range(3)}) == 1  # a new stream starts over


def test_each_copy_of_a_lossy_broadcast_is_lost_on_its_own() -> None:
    receivers = [{"id": f"rx-{k}", "kind": "relay", "area": "02201"} for k in range(400)]
    nodes = [{"id": "centre", "kind": "origin", "system": "j_alert"}, *receivers]
    link = {"id": "sat", "medium": "satellite_geo", "source": "centre", "targets": [r["id"] for r in receivers]}
    _, result = run_world(nodes, [{**link, "loss": 0.5}], seed=3)
    reached = sum(first_receipt(result, r["id"]) is not None for r in receivers)
    # Binomial(400, 0.5): 200 ± 10; copies lost all together or not at all would give 0 or 400.
    assert 140 < reached < 260
