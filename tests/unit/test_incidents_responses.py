"""Incidents and responses on small worlds: batteries, pools, priorities, roaming, substitutes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from lalert_sim import ScenarioError, Simulation, prepare, run
from lalert_sim.engine.incidents import apply_incidents
from lalert_sim.model.responses import Equipment
from lalert_sim.topology.incidents import IncidentPlan, resolve_incidents
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.responses import loan_link_id
from tests.conftest import first_receipt, scenario

TABLE = MunicipalityTable.reference()


def availability(result, name: str) -> list[tuple[float, bool]]:
    return [(round(t, 6), down) for t, _, n, down, _ in result.availability.rows if n == name]


def test_node_on_battery_goes_down_when_empty_and_back_with_the_grid() -> None:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "bs", "kind": "relay", "area": "17201", "battery_h": 2},
        {"id": "office", "kind": "relay", "area": "17201", "generator": True},
    ]
    prepared = prepare(
        scenario(
            nodes,
            [],
            duration_s=30_000,
            incidents=[{"type": "power_outage", "area": "17", "start_s": 100, "end_s": 20_000}],
        )
    )
    result = run(prepared)
    assert availability(result, "bs") == [(100 + 2 * 3600, True), (20_000, False)]
    assert availability(result, "office") == []


def _power_world(bs: dict, grid_back_s: float = 20_000, detect_s: float = 60, duration_s: float = 30_000):
    """One base station ``bs`` (fields added to its id and kind) in 17201, a vehicle depot at the town hall."""
    m = TABLE["17201"]
    nodes = [{"id": "centre", "kind": "origin", "system": "j_alert"}, {"id": "bs", "kind": "relay", **bs}]
    responses = {
        "power_vehicles": {
            "units": 1,
            "watch": {"ids": ["bs"]},
            "detect_s": detect_s,
            "setup_s": 300,
            "depot": {"name": "here", "lat": m.lat, "lon": m.lon, "units": 1},
        }
    }
    outage = {"type": "power_outage", "area": "17", "start_s": 0, "end_s": grid_back_s}
    return prepare(scenario(nodes, [], duration_s=duration_s, responses=responses, incidents=[outage]))


def test_power_vehicle_brings_the_node_back_before_the_grid() -> None:
    m = TABLE["17201"]
    result = run(_power_world({"area": "17201", "battery_h": 1, "lat": m.lat, "lon": m.lon}))
    assert availability(result, "bs")[:2] == [(3600, True), (3600 + 60 + 300, False)]


def test_power_vehicle_drives_to_the_municipality_of_a_node_without_coordinates() -> None:
    (request,) = run(_power_world({"area": "17201", "battery_h": 1})).responses.requests
    assert request.transport_s == pytest.approx(0.0)  # the depot is at the municipality's coordinates
    assert request.substitute is None


def test_power_vehicle_for_a_node_it_cannot_place_is_a_load_error() -> None:
    with pytest.raises(ScenarioError, match="'bs' has neither lat/lon nor a municipal area"):
        _power_world({"battery_h": 1})


def test_node_without_battery_down_from_the_start_gets_a_power_vehicle() -> None:
    (request,) = run(_power_world({"area": "17201"})).responses.requests
    assert request.cut_off_s == 0 and request.active_s == pytest.approx(60 + 300)


def test_grid_back_before_the_vehicle_arrives_ends_the_cut_off_at_the_grid() -> None:
    prepared = _power_world({"area": "17201", "battery_h": 1}, grid_back_s=3700, detect_s=600)
    (request,) = run(prepared).responses.requests
    assert request.restored_s == pytest.approx(3700)
    assert request.active_s == pytest.approx(3600 + 600 + 300)


def _cut_off_towns(
    codes: list[str],
    loan: dict,
    incidents: list[dict] | None = None,
    alerts: list[dict] | None = None,
    duration_s: float = 20_000,
):
    """Towns whose only path (a satellite broadcast) is down from t = 0; a depot at the first town."""
    nodes = [{"id": "centre", "kind": "origin", "system": "j_alert"}]
    for code in codes:
        m = TABLE[code]
        nodes += [
            {"id": f"m-{code}/receiver", "kind": "relay", "area": code, "lat": m.lat, "lon": m.lon},
            {"id": f"m-{code}/startup", "kind": "relay", "area": code},
        ]
    links = [
        {
            "id": "sat",
            "medium": "satellite_geo",
            "source": "centre",
            "targets": [f"m-{c}/receiver" for c in codes],
            "loss": 0,
        },
        *(
            {"id": f"lan-{c}", "medium": "fibre", "source": f"m-{c}/receiver", "target": f"m-{c}/startup"}
            for c in codes
        ),
    ]
    first = TABLE[codes[0]]
    responses = {
        "pools": [
            {
                "equipment": loan["equipment"],
                "loan_s": loan.pop("loan_s", float("inf")),
                "depots": [{"name": "depot", "lat": first.lat, "lon": first.lon, "units": loan.pop("units", 1)}],
            }
        ],
        "loans": [{"source": "centre", **loan}],
    }
    outage = [{"type": "outage", "links": {"ids": ["sat"]}}]
    return prepare(
        scenario(nodes, links, alerts, duration_s=duration_s, incidents=outage + (incidents or []), responses=responses)
    )


def test_request_waits_while_the_pool_is_empty_and_is_served_when_a_unit_returns() -> None:
    # Two towns at the same place as the depot: no transport time.
    prepared = _cut_off_towns(
        ["17201", "17201"][:1] + ["17365"],
        {"equipment": "satellite_phone", "detect_s": 60, "setup_s": 100, "loan_s": 1000, "units": 1},
    )
    result = run(prepared)
    first, second = sorted(result.responses.requests, key=lambda r: r.granted_s)
    assert first.granted_s == pytest.approx(60)
    assert first.active_s == pytest.approx(60 + first.transport_s + 100)
    returned = first.active_s + 1000 + first.transport_s
    assert second.requested_s == pytest.approx(60)  # it asked at once ...
    assert second.granted_s == pytest.approx(returned)  # ... and got the unit when it came back
    pools = run(prepared).responses.pool_log
    assert max(waiting for _, _, _, waiting in pools) == 1


@pytest.mark.parametrize("policy", ["population", "fifo"])
def test_waiting_requests_are_served_in_policy_order(policy: str) -> None:
    # The first town notices first and takes the only unit; three others (a Tokyo ward, a city and a
    # town, of clearly different populations) wait for it.
    codes = ["17201", "17361", "13101", "17202"]
    detect = {"kind": "uniform", "low": 10, "high": 200}
    prepared = _cut_off_towns(
        codes,
        {
            "equipment": "satellite_phone",
            "setup_s": 10,
            "loan_s": 500,
            "units": 1,
            "policy": policy,
            "detect_s": detect,
        },
        duration_s=400_000,
    )
    result = run(prepared, seed=3)
    served = sorted(result.responses.requests, key=lambda r: r.granted_s)
    waiting = [r for r in served if r.granted_s > served[0].granted_s]
    assert len(waiting) == 3
    by_request = [r.code for r in sorted(waiting, key=lambda r: r.requested_s)]
    by_population = [r.code for r in sorted(waiting, key=lambda r: -TABLE[r.code].population)]
    assert by_request != by_population, "fixture: arrival order must differ from population order"
    assert [r.code for r in waiting] == (by_population if policy == "population" else by_request)


def test_an_alert_sent_during_the_cut_off_arrives_only_through_the_substitute_when_set_up() -> None:
    prepared = _cut_off_towns(
        ["17204"],
        {"equipment": "satellite_phone", "detect_s": 600, "setup_s": 900},
        alerts=[{"id": "a", "system": "j_alert", "category": "major_tsunami_warning", "issue_s": 30}],
    )
    result = run(prepared)
    request = result.responses.requests[0]
    time, link = first_receipt(result, "m-17204/startup")
    assert link == request.substitute == loan_link_id(Equipment.SATELLITE_PHONE, "17204")
    assert request.active_s == pytest.approx(600 + request.transport_s + 900)
    assert time > request.active_s  # relayed by a person once the phone works
    assert first_receipt(result, "m-17204/receiver") is None  # its own path never delivered


def _carriers(roaming: dict | None):
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "carrier/docomo/cbc", "kind": "relay", "carrier": "docomo"},
        {"id": "carrier/kddi/cbc", "kind": "relay", "carrier": "kddi"},
        {"id": "cbs-docomo", "kind": "emitter", "channel": "cell_broadcast", "carrier": "docomo", "area": "13101"},
        {"id": "cbs-kddi", "kind": "emitter", "channel": "cell_broadcast", "carrier": "kddi", "area": "13101"},
    ]
    links = [
        {"id": "to-docomo", "medium": "terrestrial_gov", "source": "centre", "target": "carrier/docomo/cbc"},
        {"id": "to-kddi", "medium": "terrestrial_gov", "source": "centre", "target": "carrier/kddi/cbc"},
        {"id": "docomo-cb", "medium": "cell_broadcast", "source": "carrier/docomo/cbc", "target": "cbs-docomo"},
        {"id": "kddi-cb", "medium": "cell_broadcast", "source": "carrier/kddi/cbc", "target": "cbs-kddi"},
    ]
    responses = {"roaming": roaming} if roaming else {}
    return run(
        prepare(
            scenario(
                nodes,
                links,
                [{"id": "a", "system": "j_alert", "category": "test", "issue_s": 100}],
                incidents=[{"type": "carrier_outage", "carrier": "docomo"}],
                responses=responses,
            )
        )
    )


def test_roaming_restores_cell_broadcast_after_its_switchover_delay() -> None:
    without = _carriers(None)
    assert first_receipt(without, "cbs-docomo") is None
    assert first_receipt(without, "cbs-kddi") is not None
    with_roaming = _carriers({"switchover_s": 900})
    time, link = first_receipt(with_roaming, "cbs-docomo")
    assert link.startswith("roaming/docomo-via-kddi/")
    assert 900 < time < 900 + 60  # waited for the switchover, then a cell broadcast hop
    assert with_roaming.responses.roaming == [("docomo", "kddi", 900.0)]


def test_damage_fails_each_component_with_its_zone_probability_and_keeps_other_draws() -> None:
    codes = [m.code for m in TABLE.in_prefecture("17")]
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        *({"id": f"rx-{c}", "kind": "relay", "area": c} for c in codes),
    ]
    incident = {
        "type": "damage",
        "nodes": {"kind": "relay"},
        "zones": [{"area": "17", "probability": 0.2}, {"area": "17204", "probability": 1.0}],
    }
    failed = []
    for seed in range(20):
        result = run(prepare(scenario(nodes, [], incidents=[incident])), seed)
        failed.append({n for _, _, n, down, _ in result.availability.rows if down})
    assert all("rx-17204" in f for f in failed)  # the most specific zone wins
    share = sum(len(f) - 1 for f in failed) / (20 * (len(codes) - 1))
    assert 0.12 < share < 0.28


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"incidents": [{"type": "outage", "nodes": {"ids": ["nope"]}}]}, "incidents[0].nodes: selects no node"),
        (
            {"incidents": [{"type": "outage", "nodes": {"ids": ["centre"]}, "start_s": 50, "end_s": 10}]},
            "end_s (10.0) must be after start_s (50.0)",
        ),
        ({"incidents": [{"type": "power_outage", "area": "17", "start_s": -5}]}, "greater than or equal to 0"),
        ({"responses": {"pools": [{"equipment": "helicopter"}]}}, "'helicopter' is not allowed"),
        ({"incidents": [{"type": "earthquake"}]}, "does not match any of the expected tags"),
        ({"incidents": [{"type": "carrier_outage", "carrier": "acme"}]}, "no carrier 'acme'"),
    ],
)
def test_bad_incident_and_response_definitions_are_clear_errors(extra: dict, words: str) -> None:
    from lalert_sim.model.loader import parse_scenario

    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "rx", "kind": "relay", "area": "17201", "carrier": "docomo"},
    ]
    data = {
        "metadata": {"name": "t"},
        "duration_s": 100,
        "topology": {"nodes": nodes, "links": []},
        "alerts": [{"id": "a", "system": "j_alert", "category": "test"}],
        **extra,
    }
    with pytest.raises(ScenarioError) as caught:
        prepare(parse_scenario(data))
    assert any(words in str(p) for p in caught.value.problems), caught.value.problems


def test_wide_area_tsunami_shows_pool_contention_and_a_doubled_pool_shortens_the_worst_cut_off() -> None:
    from lalert_sim import load
    from lalert_sim.analysis.responses_report import responses_summary
    from tests.conftest import SCENARIOS

    base = load(SCENARIOS / "tsunami_wide_area_loans.yaml")
    scenario_ = base.scenario
    doubled_pools = [scenario_.responses.pools[0].model_copy(update={"units": 50})]
    doubled = prepare(
        scenario_.model_copy(update={"responses": scenario_.responses.model_copy(update={"pools": doubled_pools})})
    )
    worst = {"base": [], "doubled": []}
    for seed in (1, 2, 3):
        for name, prepared in (("base", base), ("doubled", doubled)):
            summary = responses_summary(run(prepared, seed))
            assert summary is not None
            worst[name].append(max(r.cut_off_for_s for r in summary.requests))
            if name == "base":
                assert summary.requests_waited > 0 and summary.pools["ict_unit"].max_waiting > 0
    assert all(d < b for d, b in zip(worst["doubled"], worst["base"], strict=True)), worst


class Flood(BaseModel):
    """An incident type the engine does not know (as if added to the model and forgotten elsewhere)."""

    type: str = "flood"
    name: str = ""
    start_s: float = 0.0
    end_s: float = float("inf")


def test_an_incident_type_the_topology_does_not_know_is_refused_by_name() -> None:
    prepared = prepare(scenario([{"id": "centre", "kind": "origin", "system": "j_alert"}], []))
    with pytest.raises(AssertionError, match="Flood"):
        resolve_incidents(prepared.topology, [Flood()], [])  # type: ignore[list-item]


def test_an_incident_type_the_engine_does_not_know_is_refused_by_name() -> None:
    prepared = prepare(scenario([{"id": "centre", "kind": "origin", "system": "j_alert"}], []))
    simulation = Simulation(prepared.topology, seed=1)
    with pytest.raises(AssertionError, match="Flood"):
        apply_incidents(simulation, [IncidentPlan(0, Flood())])  # type: ignore[arg-type]
