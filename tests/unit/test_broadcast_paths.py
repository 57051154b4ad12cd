"""TV and radio break-ins on the J-Alert/JMA path, category filters, the ministry's networks,
congestion with public-safety mobile, and TV headends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from lalert_sim import ScenarioError, prepare, run
from lalert_sim.analysis.metrics import objective_results, outcomes
from lalert_sim.engine.trace import Cause, Event
from lalert_sim.model.media import MEDIUM_DEFAULTS, Medium
from lalert_sim.model.network import Channel
from lalert_sim.model.scenario import Objective
from lalert_sim.reach import compute_reach
from lalert_sim.reach.headends import headend_factors
from lalert_sim.reach.model import concerned_municipalities
from lalert_sim.reach.parameters import REACH_CHANNELS, TV_WITHOUT_MAINS
from lalert_sim.topology.broadcasters import CABLE_TV_SHARE, COMMUNITY_TV_SHARE, NHK_EMITTERS
from tests.conftest import first_receipt, run_world, scenario

TOWN = "02304"  # 蓬田村, Aomori: a village with a community reception facility and a cable-TV headend
TV = REACH_CHANNELS.index(Channel.TV)
BREAKIN_EMITTERS = (*NHK_EMITTERS, "pref-02/tv", "pref-02/radio")


def _template(**extra: Any) -> dict[str, Any]:
    return {"template": "prefecture", "prefecture": "02", "municipalities": [TOWN], **extra}


def _emitted_s(result: Any, node_id: str, alert: int = 0) -> float | None:
    index = list(result.topology.nodes).index(node_id)
    state = result.alerts[alert]
    emitted = state.emitted.get(index)
    return None if emitted is None else emitted - state.spec.issue_s


def _one_town(category: str, system: str = "j_alert", seed: int = 1, **template: Any) -> Any:
    alert: dict[str, Any] = {"id": "a1", "system": system, "category": category, "areas": [TOWN]}
    prepared, result = run_world([], [], [alert], seed=seed, topology={"templates": [_template(**template)]})
    return prepared, result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_earthquake_early_warning_is_on_tv_and_radio_within_seconds(seed: int) -> None:
    _, result = _one_town("earthquake_early_warning", seed=seed)
    for node_id in BREAKIN_EMITTERS:
        emitted = _emitted_s(result, node_id)
        assert emitted is not None, node_id
        # Bounds from the parts (centre 0.1-0.3, terrestrial 0.02-0.1, feed 0.1-0.3, on the way to the
        # screen 2-4 (DOMAIN), on-air insertion 0.5-1.5): 2.72 to 6.2 s.
        assert 2.72 <= emitted <= 6.2, (node_id, emitted)
        assert first_receipt(result, node_id)[1].startswith("broadcast/eew-")  # type: ignore[index]


def test_missile_alert_is_broken_in_by_the_studio_minutes_not_seconds() -> None:
    _, result = _one_town("ballistic_missile")
    for node_id in BREAKIN_EMITTERS:
        emitted = _emitted_s(result, node_id)
        assert emitted is not None and emitted > 10.0, (node_id, emitted)
        assert first_receipt(result, node_id)[1] in ("nhk/on-air", "pref-02/on-air")  # type: ignore[index]


@pytest.mark.parametrize(("category", "system"), [("test", "j_alert"), ("evacuation_order", "l_alert")])
def test_tests_and_evacuation_orders_never_take_the_breakin_path(category: str, system: str) -> None:
    _, result = _one_town(category, system)
    alert = result.alerts[0]
    gated = {"broadcast/eew-feed", "nhk/newsroom", "pref-02/newsroom", *BREAKIN_EMITTERS}
    for node_id in gated:
        assert _emitted_s(result, node_id) is None
        assert first_receipt(result, node_id) is None
    # Nor are they counted as expected-but-missed.
    assert not gated & {o.node for o in outcomes(result, alert) if o.expected}
    if system == "j_alert":
        assert _emitted_s(result, f"m-{TOWN}/cbs-docomo") is not None  # the rest of J-Alert works


@pytest.mark.parametrize(
    ("category", "system", "tv_stations"),
    [
        ("earthquake_early_warning", "j_alert", 5),  # 3 L-Alert TV stations, NHK and the commercial break-in
        ("test", "j_alert", 3),  # the break-in stations take no test: not counted against the objective
        ("evacuation_order", "l_alert", 3),
    ],
)
def test_objectives_leave_out_stations_only_other_categories_reach(
    category: str, system: str, tv_stations: int
) -> None:
    alert: dict[str, Any] = {"id": "a1", "system": system, "category": category, "areas": [TOWN]}
    objective = {"name": "tv", "select": {"channel": "tv"}, "fraction": 0.5, "within_s": 3600}
    topology = {"templates": [_template()]}
    result = run(prepare(scenario([], [], [alert], topology=topology, objectives=[objective])))
    (outcome,) = objective_results(result, [Objective.model_validate(objective)])
    assert outcome.nodes == tv_stations


def test_switches_turn_the_breakins_off() -> None:
    prepared, _ = _one_town("earthquake_early_warning", broadcast_breakins=False)
    assert not {"broadcast/eew-feed", *BREAKIN_EMITTERS} & set(prepared.topology.nodes)
    prepared, result = _one_town("earthquake_early_warning", national_broadcasters=False)
    assert not set(NHK_EMITTERS) & set(prepared.topology.nodes)
    assert _emitted_s(result, "pref-02/tv") is not None


def test_tsunami_warning_reaches_the_municipality_over_prefecture_radio_when_jalert_links_are_cut() -> None:
    cut = [{"type": "outage", "links": {"ids": ["jalert/sat-02", "jalert/ground-02"]}}]
    alert = {"id": "a1", "system": "j_alert", "category": "tsunami_warning", "areas": [TOWN]}
    prepared = prepare(scenario([], [], [alert], topology={"templates": [_template()]}, incidents=cut))
    result = run(prepared)
    assert first_receipt(result, "pref-02/disaster-office")[1] in ("fdma/to-pref-02", "fdma/sat-pref-02")  # type: ignore[index]
    assert first_receipt(result, f"m-{TOWN}/receiver")[1] == "pref-02/to-municipalities"  # type: ignore[index]
    assert _emitted_s(result, f"m-{TOWN}/loudspeakers") is not None
    # An office lost to the disaster (its receiver down) loses both paths.
    lost = [{"type": "outage", "nodes": {"ids": [f"m-{TOWN}/receiver"]}}]
    result = run(prepare(scenario([], [], [alert], topology={"templates": [_template()]}, incidents=lost)))
    assert first_receipt(result, "pref-02/disaster-office") is not None
    assert _emitted_s(result, f"m-{TOWN}/loudspeakers") is None
    # A missile alert is J-Alert's alone: the office does not take it.
    _, missile = _one_town("ballistic_missile")
    assert first_receipt(missile, "pref-02/disaster-office") is None


def test_jalert_satellite_links_use_the_local_government_satellite_network() -> None:
    prepared, _ = _one_town("test")
    links = {link.id: link for link in prepared.topology.links}
    assert links["jalert/sat-02"].medium is Medium.LG_SATELLITE
    assert links["fdma/to-pref-02"].medium is Medium.FDMA_PREFECTURE_RADIO
    assert links["jalert/to-nhk"].medium is Medium.CENTRAL_DISASTER_RADIO
    geo, lg = MEDIUM_DEFAULTS[Medium.SATELLITE_GEO], MEDIUM_DEFAULTS[Medium.LG_SATELLITE]
    assert (geo.latency_s, geo.loss, geo.bandwidth_bps, geo.broadcast) == (
        lg.latency_s,
        lg.loss,
        lg.bandwidth_bps,
        lg.broadcast,
    )


@pytest.mark.parametrize(
    ("node", "words"),
    [
        ({"categories": []}, "categories\n  List should have at least 1 item"),
        ({"categories": ["test", "test"]}, "listed twice"),
        ({"categories": ["tornado"]}, "categories.0\n"),
        ({"headend_share": 0.2}, "needs the municipality"),
        ({"headend_share": 1.5, "area": TOWN}, "headend_share"),
    ],
)
def test_bad_categories_and_headends_are_clear_errors(node: dict, words: str) -> None:
    nodes = [{"id": "centre", "kind": "origin", "system": "j_alert"}, {"id": "x", "kind": "relay", **node}]
    with pytest.raises(ValidationError, match=words):
        scenario(nodes, [{"id": "l", "medium": "fibre", "source": "centre", "target": "x"}])


def _congested_world(congestion: dict | None) -> tuple[Any, Any]:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "office", "kind": "relay", "area": TOWN},
        {"id": "official", "kind": "relay", "area": TOWN},
    ]
    links = [
        {"id": "net", "medium": "internet", "source": "centre", "target": "office", "loss": 0},
        {"id": "psm", "medium": "public_safety_mobile", "source": "centre", "target": "official", "loss": 0},
    ]
    incidents = [] if congestion is None else [{"type": "congestion", "area": "02", **congestion}]
    return run_world(nodes, links, incidents=incidents)


def test_congestion_slows_ordinary_traffic_but_not_public_safety_mobile() -> None:
    _, calm = _congested_world(None)
    _, busy = _congested_world({"latency_factor": 10, "loss": 0})
    calm_net, busy_net = first_receipt(calm, "office")[0], first_receipt(busy, "office")[0]  # type: ignore[index]
    assert busy_net == pytest.approx(10 * calm_net)  # the same latency draw, ten times as long
    assert first_receipt(busy, "official") == first_receipt(calm, "official")


def test_congestion_loses_ordinary_copies_and_every_retry_while_public_safety_mobile_gets_through() -> None:
    _, result = _congested_world({"loss": 1.0})
    assert first_receipt(result, "office") is None
    rows = [r for r in result.trace.rows if r[5] == Event.LOST]
    assert len(rows) == MEDIUM_DEFAULTS[Medium.INTERNET].retry_attempts
    assert all(r[7] == Cause.CONGESTION for r in rows)
    assert first_receipt(result, "official") is not None


def test_congestion_ends_with_its_window_and_refuses_priority_media() -> None:
    _, result = _congested_world({"loss": 1.0, "start_s": 100})
    assert first_receipt(result, "office") is not None
    with pytest.raises(ValidationError, match="public_safety_mobile has priority"):
        _congested_world({"media": ["internet", "public_safety_mobile"]})
    with pytest.raises(ScenarioError, match="no link of mca"):
        _congested_world({"media": ["mca"]})


def _tv_only(outage: dict | None, issue_s: float = 0.0) -> tuple[Any, Any, Any]:
    """The village with TV as its only channel (radio off air); ``outage``: a power outage there."""
    template = _template(carriers=[], disaster_radio_share=0.0, community_fm_share=0.0, lalert=False)
    alert = {"id": "a1", "system": "j_alert", "category": "earthquake_early_warning", "issue_s": issue_s}
    incidents: list[dict] = [
        {"type": "outage", "nodes": {"channel": channel}} for channel in ("radio", "indoor_receiver")
    ]  # its IP terminals (the automatic output every municipality has) off too
    if outage is not None:
        incidents.append({"type": "power_outage", "area": TOWN, **outage})
    prepared = prepare(
        scenario(
            [],
            [],
            [alert],
            topology={"templates": [template]},
            incidents=incidents,
            duration_s=issue_s + 600,
            residents={"hour": 20.0, "word_of_mouth": {"enabled": False}},  # reach linear in TV
        )
    )
    result = run(prepared)
    return prepared, result, result.alerts[0]


def test_village_depends_on_its_community_reception_and_cable_headends() -> None:
    prepared, _, _ = _tv_only(None)
    shares = {n.id: n.headend_share for n in prepared.topology.nodes.values() if n.headend_share is not None}
    assert shares == {
        f"m-{TOWN}/community-tv": COMMUNITY_TV_SHARE["village"],
        f"m-{TOWN}/cable-tv": CABLE_TV_SHARE["village"],
    }


@pytest.mark.parametrize(
    ("outage", "issue_s", "lost"),
    [
        (None, 0.0, 0.0),
        ({"start_s": 0}, 0.0, COMMUNITY_TV_SHARE["village"]),  # no backup: down at once; cable on battery
        ({"start_s": 0}, 4 * 3600.0, COMMUNITY_TV_SHARE["village"] + CABLE_TV_SHARE["village"]),  # battery empty
        ({"start_s": 60}, 0.0, 0.0),  # the EEW was on TV before the outage
        ({"start_s": 0, "end_s": 3600}, 4 * 3600.0, 0.0),  # power back before the alert
    ],
)
def test_power_outage_lowers_tv_reach_by_the_share_depending_on_headends_that_are_down(
    outage: dict | None, issue_s: float, lost: float
) -> None:
    prepared, result, alert = _tv_only(outage, issue_s)
    municipalities = concerned_municipalities(prepared, alert)
    factors = headend_factors(prepared, result, alert, municipalities)
    expected = np.ones_like(factors)
    expected[:, TV] = 1.0 - lost
    np.testing.assert_allclose(factors, expected)
    # TV is the only channel here, so the warned share scales by the same factor, unless the outage is
    # under way at the alert: then homes are dark too, and only sets on batteries (receiving directly) see it.
    healthy_prepared, healthy, healthy_alert = _tv_only(None, issue_s)
    with_outage = compute_reach(prepared, result, alert)
    without = compute_reach(healthy_prepared, healthy, healthy_alert)
    assert with_outage is not None and without is not None
    assert without.overall[-1] > 0.1
    dark = outage is not None and outage["start_s"] <= issue_s < outage.get("end_s", float("inf"))
    factor = TV_WITHOUT_MAINS if dark else 1.0 - lost
    np.testing.assert_allclose(with_outage.overall, factor * without.overall, rtol=1e-5, atol=1e-7)
