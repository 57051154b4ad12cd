"""Equipment: latent failures (drawn, named, calibrated), silent municipalities, stations on batteries."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from lalert_sim import ScenarioError, prepare, run
from lalert_sim.analysis.kpis import replication_kpis
from lalert_sim.analysis.results import RunSummary
from lalert_sim.model.failures import DEFAULT_RATES, FailureClass, Failures
from lalert_sim.model.network import Channel, NodeKind
from lalert_sim.model.scenario import Scenario
from lalert_sim.model.stations import BatteryLife, last_empty_h, stations_empty
from lalert_sim.reach.equipment import station_factors
from lalert_sim.reach.model import concerned_municipalities
from lalert_sim.reach.parameters import REACH_CHANNELS
from lalert_sim.runner import summarise
from lalert_sim.streams import Stream, first_uniform
from lalert_sim.topology.equipment import BASE_STATION_BATTERY, LOUDSPEAKER_BATTERY
from lalert_sim.topology.failures import FAILURE_TARGETS, failure_class_of

NORMAL = NormalDist()


def _scenario(templates: list[dict], **extra: Any) -> Scenario:
    data = {
        "metadata": {"name": "equipment test"},
        "duration_s": extra.pop("duration_s", 900),
        "topology": {"templates": templates},
        "alerts": extra.pop("alerts", [{"id": "t", "system": "j_alert", "category": "test", "mode": "test"}]),
        **extra,
    }
    return Scenario.model_validate(data)


NATION = [{"template": "region", "carriers": [], "lalert": False}]
AOMORI = [{"template": "prefecture", "prefecture": "02", "lalert": False}]


@pytest.fixture(scope="module")
def nation():
    return prepare(_scenario(NATION))


# --- latent failures -------------------------------------------------------------------------


def test_every_generated_municipality_has_an_automatic_output(nation) -> None:
    outputs = {
        n.area
        for n in nation.topology.nodes.values()
        if n.channel in {Channel.OUTDOOR_LOUDSPEAKER, Channel.COMMUNITY_FM, Channel.REGISTERED_MAIL}
        or n.id.endswith("/ip-terminals")
    }
    assert outputs == set(nation.topology.municipal_areas)
    assert len(outputs) == 1741


def test_every_failure_class_matches_generated_components(nation) -> None:
    classes = {c.failure_class for c in nation.failures.components}
    assert classes == set(FailureClass)
    for component in nation.failures.components:
        kind, part = FAILURE_TARGETS[component.failure_class]
        assert component.kind == kind and component.component == f"m-{component.municipality}/{part}"
    assert failure_class_of("node", "jalert/centre") is None


def _expected_silence(prepared) -> tuple[float, float]:
    """(share silent, share of those downstream of the receiver) from the rates and which outputs
    each municipality has, computed exactly (independent of the engine and its draws)."""
    chance = {(c.kind, c.component): c.chance for c in prepared.failures.components}
    silent = downstream = 0.0
    for code in prepared.topology.municipal_areas:
        prefix = f"m-{code}/"
        rx = chance.get(("node", prefix + "receiver"), 0.0)
        su = chance.get(("node", prefix + "startup"), 0.0)
        groups = []
        if prefix + "loudspeakers" in prepared.topology.nodes:
            groups.append(chance.get(("link", prefix + "radio"), 0.0))
        if prefix + "community-fm" in prepared.topology.nodes:
            groups.append(chance.get(("link", prefix + "fm-line"), 0.0))
        for part in ("registered-mail", "ip-terminals"):
            if prefix + part in prepared.topology.nodes:
                groups.append(chance.get(("node", prefix + part), 0.0))
        all_outputs = math.prod(groups)
        below = 1 - (1 - su) * (1 - all_outputs)
        silent += 1 - (1 - rx) * (1 - below)
        downstream += (1 - rx) * below
    return silent / len(prepared.topology.municipal_areas), downstream / silent


def test_default_rates_give_the_2018_national_test_share_of_silent_municipalities(nation) -> None:
    share, downstream = _expected_silence(nation)
    assert share == pytest.approx(15 / 1664, rel=0.1)  # DOMAIN: 15 of 1,664 (0.9 %)
    assert downstream == pytest.approx(0.8, abs=0.05)  # DOMAIN: about four in five downstream
    for rate, source in DEFAULT_RATES.values():
        assert 0 <= rate < 0.05 and ("2018-03-14" in source or "assumption" in source)


def test_silent_share_of_replications_matches_the_exact_expectation(nation) -> None:
    shares, downstream = [], []
    for seed in range(8):
        summary = summarise(nation, run(nation, seed))
        silence = summary.alerts[0].silence
        assert silence is not None and silence.municipalities == 1741
        shares.append(silence.share)
        downstream += [s.downstream for s in silence.silent]
    expected, expected_down = _expected_silence(nation)
    # 8 x 1,741 municipalities: binomial standard error of the mean about 0.08 points
    assert np.mean(shares) == pytest.approx(expected, abs=4 * math.sqrt(expected / (8 * 1741)))
    assert np.mean(downstream) == pytest.approx(expected_down, abs=0.2)


def test_failures_none_breaks_nothing() -> None:
    prepared = prepare(_scenario(AOMORI, failures="none", residents={"hour": 12}))
    assert prepared.failures.components == ()
    summary = summarise(prepared, run(prepared, 3))
    assert summary.alerts[0].silence is not None and summary.alerts[0].silence.share == 0.0
    assert summary.responses is None  # nothing went down


def test_a_broken_start_up_device_silences_its_municipality_downstream_of_the_receiver() -> None:
    failures = {"rates": {c.value: 0.0 for c in FailureClass}, "municipalities": {"02201": {"startup_device": 1}}}
    prepared = prepare(_scenario(AOMORI, failures=failures))
    summary = summarise(prepared, run(prepared))
    (silent,) = summary.alerts[0].silence.silent
    assert (silent.code, silent.cause, silent.components) == ("02201", "startup_device", ("m-02201/startup",))
    assert silent.downstream and silent.reasons == ("latent_failure (startup_device)",)
    kpis = replication_kpis(summary)
    assert kpis["t.silent_municipalities"] == pytest.approx(1 / 40)
    assert kpis["t.silent_downstream"] == 1.0
    reasons = {u.node: u.reason for u in summary.alerts[0].unreached}
    assert "latent_failure (startup_device)" in reasons["m-02201/startup"]
    outages = {(o.component, o.cause): o.count for o in summary.responses.outages}
    assert outages == {("node", "latent_failure (startup_device)"): 1}
    assert RunSummary.from_json(summary.to_json()) == summary


def test_a_broken_receiver_is_upstream_and_the_most_upstream_cause_is_named() -> None:
    both = {"jalert_receiver": 1, "startup_device": 1, "disaster_radio": 1}
    failures = {"rates": {c.value: 0.0 for c in FailureClass}, "municipalities": {"02": both}}
    prepared = prepare(_scenario(AOMORI, failures=failures))
    silence = summarise(prepared, run(prepared)).alerts[0].silence
    assert silence.share == 1.0 and silence.downstream_share == 0.0
    assert {s.cause for s in silence.silent} == {"jalert_receiver"}


def test_draws_are_per_component_so_plans_that_differ_elsewhere_keep_them() -> None:
    base = prepare(_scenario(AOMORI))
    other = prepare(
        _scenario(AOMORI, incidents=[{"type": "outage", "links": {"ids": ["jalert/sat-02"]}, "start_s": 0}])
    )
    for seed in range(5):
        broken = [{(k, n) for _, k, n, _, c in run(p, seed).availability.rows if "latent" in c} for p in (base, other)]
        assert broken[0] == broken[1]
    changed = prepare(_scenario(AOMORI, failures={"rates": {"community_fm": 0.5}}))
    for seed in range(5):
        rows = [{(k, n) for _, k, n, _, c in run(p, seed).availability.rows if "latent" in c} for p in (base, changed)]
        assert {r for r in rows[0] if "fm-line" not in r[1]} == {r for r in rows[1] if "fm-line" not in r[1]}


def test_latent_failures_draw_the_first_number_of_their_named_stream() -> None:
    for seed in (0, 1, 2**62):
        for name in ("latent-failure:m-02201/startup", "latent-failure:m-47315/radio"):
            assert first_uniform(seed, name) == Stream(seed, name).uniform()
    failures = {"rates": {c.value: 0.0 for c in FailureClass} | {"startup_device": 0.5}}
    prepared = prepare(_scenario(AOMORI, failures=failures))
    broken = {n for _, _, n, _, c in run(prepared, 9).availability.rows if "latent" in c}
    drawn = {f"m-{m}/startup" for m in prepared.topology.municipal_areas}
    assert broken == {n for n in drawn if Stream(9, f"latent-failure:{n}").uniform() < 0.5}


def test_the_most_specific_code_wins() -> None:
    failures = Failures.model_validate(
        {
            "rates": {"disaster_radio": 0.2},
            "municipalities": {"02": {"disaster_radio": 0.3}, "02201": {"disaster_radio": 0.4}},
        }
    )
    assert failures.chance(FailureClass.DISASTER_RADIO, "02201") == 0.4
    assert failures.chance(FailureClass.DISASTER_RADIO, "02202") == 0.3
    assert failures.chance(FailureClass.DISASTER_RADIO, "03201") == 0.2
    assert failures.chance(FailureClass.STARTUP_DEVICE, "03201") == DEFAULT_RATES[FailureClass.STARTUP_DEVICE][0]


@pytest.mark.parametrize(
    ("failures", "where"),
    [
        ({"rates": {"flux_capacitor": 0.1}}, "failures"),
        ({"rates": {"startup_device": 1.5}}, "startup_device"),
        ({"municipalities": {"02201": {"startup_device": -1}}}, "02201"),
        ("sometimes", "failures"),
        ({"rate": {}}, "rate"),
    ],
)
def test_bad_failures_name_the_field(failures: Any, where: str) -> None:
    with pytest.raises(Exception) as caught:
        _scenario(AOMORI, failures=failures)
    assert "failures" in str(caught.value) and where in str(caught.value)


def test_failures_in_a_municipality_outside_the_network_are_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        prepare(_scenario(AOMORI, failures={"municipalities": {"13101": {"startup_device": 1}}}))
    assert ("failures", "municipalities", "13101") in [p.loc for p in caught.value.problems]


# --- stations and batteries ------------------------------------------------------------------


@pytest.mark.parametrize("battery", [LOUDSPEAKER_BATTERY, BASE_STATION_BATTERY])
def test_battery_quantile_inverts_its_cdf(battery: BatteryLife) -> None:
    for u in np.linspace(0.001, 0.999, 37):
        hours = battery.quantile(float(u))
        assert battery.cdf(hours) >= u - 1e-9
        assert battery.cdf(hours - 1e-6) <= u + 1e-9


def test_stratified_stations_follow_the_distribution_within_one_station() -> None:
    battery = BatteryLife(median_h=72, sigma=0.3)
    for offset in (0.0, 0.37, 0.99):
        for hours in (40.0, 60.0, 72.0, 90.0):
            share = 0.5 * (1 + math.erf(math.log(hours / 72) / 0.3 / math.sqrt(2)))  # log-normal CDF
            empty = int(stations_empty(200, offset, np.array([share]))[0])
            assert abs(empty - 200 * share) <= 1
        last = last_empty_h(battery, 200, offset)
        assert int(stations_empty(200, offset, np.array([battery.cdf(last)]))[0]) == 200
        assert int(stations_empty(200, offset, np.array([battery.cdf(last * 0.999)]))[0]) < 200


def _blackout(templates: list[dict], days: float, alerts: list[dict], area: str) -> tuple[Any, Any, Any]:
    outage = {"type": "power_outage", "area": area, "start_s": 0, "end_s": days * 86_400}
    prepared = prepare(
        _scenario(
            templates,
            duration_s=days * 86_400,
            incidents=[outage],
            alerts=alerts,
            failures="none",
            residents={"horizon_s": 600, "deadline_s": 300},
        )
    )
    result = run(prepared)
    return prepared, result, summarise(prepared, result)


def test_loudspeakers_in_a_week_long_blackout_decline_over_days_not_in_one_step() -> None:
    noon = [
        {
            "id": f"day-{d}",
            "system": "j_alert",
            "category": "test",
            "mode": "test",
            "issue_s": (d - 1) * 86_400 + 43_200,
        }
        for d in (2, 3, 4, 5)
    ]
    prepared, result, summary = _blackout(
        [{"template": "prefecture", "prefecture": "17", "lalert": False}], 7, noon, "17"
    )
    column = REACH_CHANNELS.index(Channel.OUTDOOR_LOUDSPEAKER)
    shares = []
    for alert in result.alerts:
        municipalities = concerned_municipalities(prepared, alert)
        factors = station_factors(prepared, result, alert, municipalities)
        stations = {m.code: prepared.topology.nodes.get(f"m-{m.code}/loudspeakers") for m in municipalities}
        weights = np.array([s.stations if s else 0 for s in stations.values()])
        shares.append(float((factors[:, column] * weights).sum() / weights.sum()))
    assert all(a > b for a, b in zip(shares, shares[1:], strict=False)), shares
    loudspeakers = summary.stations["outdoor_loudspeaker"]
    working = 1 - np.array(loudspeakers.hourly) / loudspeakers.stations
    for day, share in zip((2, 3, 4, 5), shares, strict=True):
        expected = 1 - LOUDSPEAKER_BATTERY.cdf((day - 1) * 24 + 12)  # where the battery distribution says
        assert share == pytest.approx(expected, abs=0.02)
        assert working[(day - 1) * 24 + 12] == pytest.approx(expected, abs=0.02)
    assert np.max(np.abs(np.diff(working[:-1]))) < 0.15  # hour to hour: gradual, no cliff (power back at the end)
    assert loudspeakers.down_peak > 0.99 * loudspeakers.stations  # by the end of the week nearly all are out
    kpis = replication_kpis(summary)
    assert kpis["stations.outdoor_loudspeaker.down_peak"] == loudspeakers.down_peak


def test_a_day_without_power_leaves_the_hardened_base_stations_and_the_long_tail() -> None:
    alert = [{"id": "a", "system": "j_alert", "category": "test", "mode": "test"}]
    _, _, summary = _blackout([{"template": "prefecture", "prefecture": "13", "lalert": False}], 1.0, alert, "13")
    cells = summary.stations["cell_broadcast"]
    working = 1 - np.array(cells.hourly) / cells.stations
    z = math.log(23 / 3) / 0.7
    tail = (1 - 0.022) * (1 - NORMAL.cdf(z))
    assert working[23] == pytest.approx(0.022 + tail, abs=0.003)  # hardened 2.2 % plus the log-normal tail
    assert working[1] > 0.9 and working[4] < 0.5  # typically about 3 h
    assert cells.down_peak_s == pytest.approx(86_400, abs=1)  # most are out just before power returns
    assert cells.down_peak / cells.stations == pytest.approx(1 - 0.022 - tail, abs=0.003)  # hardened ones outlast it


def test_a_single_battery_hours_value_still_takes_every_station_down_at_once() -> None:
    nodes = [
        {"id": "c", "kind": "origin", "system": "j_alert"},
        {
            "id": "spk",
            "kind": "emitter",
            "channel": "outdoor_loudspeaker",
            "area": "17201",
            "battery_h": 2,
            "stations": 30,
        },
    ]
    data = {
        "metadata": {"name": "one node"},
        "duration_s": 4 * 3600,
        "topology": {
            "nodes": nodes,
            "links": [{"id": "r", "medium": "municipal_disaster_radio", "source": "c", "target": "spk"}],
        },
        "alerts": [{"id": "a", "system": "j_alert", "category": "test"}],
        "incidents": [{"type": "power_outage", "area": "17", "start_s": 0, "end_s": 3 * 3600}],
    }
    prepared = prepare(Scenario.model_validate(data))
    summary = summarise(prepared, run(prepared))
    assert summary.stations["outdoor_loudspeaker"].hourly == (0, 0, 30, 0, 0)
    assert summary.stations["outdoor_loudspeaker"].down_peak_s == 7200.0
    assert [n for n in prepared.topology.nodes.values() if n.kind is NodeKind.EMITTER][0].stations == 30


def test_station_counts_come_from_the_municipality_table_when_given(tmp_path) -> None:
    (tmp_path / "towns.csv").write_text("code,population,loudspeaker_stations,base_stations\n02201,1000,77,12\n")
    templates = [{"template": "prefecture", "prefecture": "02", "municipalities": ["02201", "02202"]}]
    data = _scenario(templates).model_dump(mode="json", exclude_none=True)
    data["topology"]["municipality_table"] = "towns.csv"
    prepared = prepare(Scenario.model_validate(data), str(tmp_path / "s.yaml"))
    nodes = prepared.topology.nodes
    if "m-02201/loudspeakers" in nodes:
        assert nodes["m-02201/loudspeakers"].stations == 77
    assert nodes["m-02201/cbs-docomo"].stations == 12
    assert nodes["m-02202/cbs-docomo"].stations == 8 + round(prepared.municipalities["02202"].population / 1500)
    (tmp_path / "towns.csv").write_text("code,population,base_stations\n02201,1000,2.5\n")
    with pytest.raises(ScenarioError, match="whole number"):
        prepare(Scenario.model_validate(data), str(tmp_path / "s.yaml"))
