"""The relay engine's behaviour on small worlds: dedupe, fallback, fan-out, loss, queues."""

from __future__ import annotations

import math
import statistics

import pytest

from lalert_sim import prepare, run
from tests.conftest import first_receipt, run_world, scenario


def events_at(result, node_id: str, event: str) -> list[tuple[float, str]]:
    return [(r.time_s, r.link) for r in result.trace.records() if r.node == node_id and r.event == event]


def records(result, event: str) -> list:
    return [r for r in result.trace.records() if r.event == event]


def test_satellite_and_terrestrial_copies_are_deduplicated(jalert_world) -> None:
    _, result = run_world(*jalert_world)
    for receiver in ("rx-1", "rx-2"):
        received = events_at(result, receiver, "received")
        duplicates = events_at(result, receiver, "duplicate")
        assert len(received) == 1 and len(duplicates) == 1
        assert {received[0][1], duplicates[0][1]} == {"sat", "ground"}
        assert received[0][0] <= duplicates[0][0]
    # Each loudspeaker hears the alert once: the duplicate was not forwarded.
    assert len(events_at(result, "spk-1", "received")) == 1
    assert len(events_at(result, "spk-1", "emitted")) == 1


@pytest.mark.parametrize(("down", "survivor"), [("sat", "ground"), ("ground", "sat")])
def test_one_path_down_the_other_still_delivers(jalert_world, down: str, survivor: str) -> None:
    nodes, links = jalert_world
    links = [{**link, "outages": [{"start_s": 0}]} if link["id"] == down else link for link in links]
    _, result = run_world(nodes, links)
    for receiver in ("rx-1", "rx-2"):
        assert first_receipt(result, receiver)[1] == survivor
        causes = [r.cause for r in records(result, "lost") if r.node == receiver]
        # One loss per attempt: broadcasts are sent once, acknowledged media try three times.
        assert causes == ["link_down"] * (1 if down == "sat" else 3)
    assert len(events_at(result, "spk-2", "emitted")) == 1


def test_both_paths_down_nothing_arrives_and_the_reason_is_recorded(jalert_world) -> None:
    from lalert_sim import summarise

    nodes, links = jalert_world
    links = [{**link, "outages": [{"start_s": 0}]} if link["id"] in ("sat", "ground") else link for link in links]
    prepared, result = run_world(nodes, links)
    summary = summarise(prepared, result).alerts[0]
    assert summary.emitters_reached == 0 and summary.emitters_expected == 2
    reasons = {row.node: row.reason for row in summary.unreached}
    assert "link_down" in reasons["rx-1"] and "no upstream" in reasons["spk-1"]
    assert summary.time_to_emitters_s["50%"] is None


def test_lalert_fanout_reaches_every_subscribed_broadcaster() -> None:
    outlets = [f"tv-{k}" for k in range(30)]
    nodes = [
        {
            "id": "entry",
            "kind": "human_step",
            "system": "l_alert",
            "area": "04205",
            "delay_s": {"kind": "lognormal", "median": 300, "sigma": 0.5},
        },
        {"id": "hub", "kind": "relay"},
        *(
            {
                "id": o,
                "kind": "emitter",
                "channel": "tv",
                "area": "04",
                "delay_s": {"kind": "lognormal", "median": 120, "sigma": 1.0},
            }
            for o in outlets
        ),
        {"id": "other-prefecture", "kind": "emitter", "channel": "tv", "area": "13"},
    ]
    links = [
        {"id": "up", "medium": "internet", "source": "entry", "target": "hub", "loss": 0},
        {
            "id": "push",
            "medium": "internet",
            "source": "hub",
            "targets": [*outlets, "other-prefecture"],
            "capacity": 4,
            "loss": 0.2,
            "retry": {"max_attempts": 20, "backoff_s": 10},
        },
    ]
    alerts = [{"id": "evac", "system": "l_alert", "category": "evacuation_order", "areas": ["04205"]}]
    _, result = run_world(nodes, links, alerts)
    for outlet in outlets:
        assert len(events_at(result, outlet, "emitted")) == 1, outlet
    # Outlets pick up with their own delays: the emission times are spread out.
    times = sorted(events_at(result, o, "emitted")[0][0] for o in outlets)
    assert times[-1] - times[0] > 60
    # A broadcaster of another prefecture is not concerned by this municipality's order.
    assert events_at(result, "other-prefecture", "sent") == []
    # One point-to-point transmission per outlet (plus retries of the lost ones).
    sent = sum(1 for r in records(result, "sent") if r.link == "push")
    lost = len(records(result, "lost"))
    assert sent == len(outlets) + lost and lost > 0


def test_broadcast_is_one_transmission_for_all_targets() -> None:
    nodes = [
        {"id": "src", "kind": "origin", "system": "j_alert"},
        *({"id": f"rx-{k}", "kind": "relay"} for k in range(5)),
    ]
    links = [
        {
            "id": "sat",
            "medium": "satellite_geo",
            "source": "src",
            "targets": [f"rx-{k}" for k in range(5)],
            "capacity": 1,
            "hold_s": 10,
            "bandwidth_bps": None,
            "loss": 0,
        }
    ]
    _, result = run_world(nodes, links)
    arrivals = [first_receipt(result, f"rx-{k}")[0] for k in range(5)]
    # One 10 s transmission, not five queued ones.
    assert all(10.24 <= t <= 10.285 for t in arrivals)


def test_point_to_point_transmissions_queue_for_the_link_capacity() -> None:
    nodes = [
        {"id": "src", "kind": "origin", "system": "j_alert"},
        *({"id": f"rx-{k}", "kind": "relay"} for k in range(3)),
    ]
    links = [
        {
            "id": "radio",
            "medium": "mca",
            "source": "src",
            "targets": ["rx-0", "rx-1", "rx-2"],
            "capacity": 1,
            "hold_s": 30,
            "latency_s": 0,
            "loss": 0,
        }
    ]
    _, result = run_world(nodes, links)
    assert [first_receipt(result, f"rx-{k}")[0] for k in range(3)] == [30.0, 60.0, 90.0]


def test_bandwidth_sets_transmission_time() -> None:
    nodes = [{"id": "src", "kind": "origin", "system": "j_alert"}, {"id": "rx", "kind": "relay"}]
    links = [
        {
            "id": "slow",
            "medium": "prefecture_disaster_radio",
            "source": "src",
            "target": "rx",
            "bandwidth_bps": 9600,
            "latency_s": 0,
            "loss": 0,
        }
    ]
    alerts = [{"id": "a", "system": "j_alert", "category": "test", "size_bytes": 12_000}]
    _, result = run_world(nodes, links, alerts)
    assert first_receipt(result, "rx")[0] == pytest.approx(12_000 * 8 / 9600)


def test_lost_transmissions_are_retried_after_the_backoff_as_often_as_geometric_theory_says() -> None:
    loss, replications = 0.7, 400
    nodes = [{"id": "src", "kind": "origin", "system": "j_alert"}, {"id": "rx", "kind": "relay"}]
    links = [
        {
            "id": "lossy",
            "medium": "internet",
            "source": "src",
            "target": "rx",
            "latency_s": 0,
            "loss": loss,
            "retry": {"max_attempts": 50, "backoff_s": 7},  # 0.7 ** 50: never exhausted in practice
        }
    ]
    prepared = prepare(scenario(nodes, links))
    losses_seen = []
    for seed in range(replications):
        result = run(prepared, seed)
        time, _ = first_receipt(result, "rx")
        lost = records(result, "lost")
        assert time == pytest.approx(7 * len(lost))
        assert [r.attempt for r in lost] == list(range(1, len(lost) + 1))
        losses_seen.append(len(lost))
    # Losses before the first success are geometric: mean p / (1 - p), variance p / (1 - p)^2.
    mean, variance = loss / (1 - loss), loss / (1 - loss) ** 2
    assert statistics.fmean(losses_seen) == pytest.approx(mean, abs=4 * math.sqrt(variance / replications))
    first_time = losses_seen.count(0) / replications  # P(no loss) = 1 - p
    assert first_time == pytest.approx(1 - loss, abs=4 * math.sqrt(loss * (1 - loss) / replications))


def test_retries_stop_at_max_attempts() -> None:
    nodes = [{"id": "src", "kind": "origin", "system": "j_alert"}, {"id": "rx", "kind": "relay"}]
    links = [
        {
            "id": "dead",
            "medium": "internet",
            "source": "src",
            "target": "rx",
            "loss": 1.0,
            "retry": {"max_attempts": 3, "backoff_s": 5},
        }
    ]
    _, result = run_world(nodes, links)
    assert first_receipt(result, "rx") is None
    assert len(records(result, "lost")) == 3


def test_node_down_loses_the_copy_and_point_to_point_sender_retries() -> None:
    nodes = [
        {"id": "src", "kind": "origin", "system": "j_alert"},
        {"id": "rx", "kind": "relay", "outages": [{"start_s": 0, "end_s": 20}]},
    ]
    links = [
        {
            "id": "l",
            "medium": "fibre",
            "source": "src",
            "target": "rx",
            "latency_s": 1,
            "retry": {"max_attempts": 5, "backoff_s": 15},
        }
    ]
    _, result = run_world(nodes, links)
    # Arrives at 1 s (down), retried at 16 s + 1 s (still down), then 32 s + 1 s.
    assert first_receipt(result, "rx")[0] == pytest.approx(33.0)
    assert [r.cause for r in records(result, "lost")] == ["node_down", "node_down"]


def test_human_step_with_one_person_handles_messages_one_after_another() -> None:
    nodes = [
        {"id": "desk", "kind": "human_step", "system": "l_alert", "area": "04205", "servers": 1, "delay_s": 100},
        {"id": "hub", "kind": "relay"},
    ]
    links = [{"id": "up", "medium": "fibre", "source": "desk", "target": "hub", "latency_s": 0}]
    alerts = [
        {"id": f"m{k}", "system": "l_alert", "category": "shelter_opening", "areas": ["04205"], "issue_s": k}
        for k in range(3)
    ]
    _, result = run_world(nodes, links, alerts)
    assert [first_receipt(result, "hub", alert=k)[0] for k in range(3)] == [100.0, 200.0, 300.0]


def test_alerts_reach_only_their_target_areas() -> None:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "aomori", "kind": "relay", "area": "02201"},
        {"id": "iwate", "kind": "relay", "area": "03201"},
    ]
    links = [{"id": "sat", "medium": "satellite_geo", "source": "centre", "targets": ["aomori", "iwate"]}]
    alerts = [{"id": "a", "system": "j_alert", "category": "ballistic_missile", "areas": ["02"]}]
    _, result = run_world(nodes, links, alerts)
    assert first_receipt(result, "aomori") is not None
    assert first_receipt(result, "iwate") is None
