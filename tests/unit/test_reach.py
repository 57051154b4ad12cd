"""Resident reach: who can be warned by what, rain, curves' shape, and the full pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from lalert_sim import ScenarioError, load, prepare, run
from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.reach import compute_reach
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import unwarned
from lalert_sim.reach.parameters import REACH_CHANNELS
from tests.conftest import SCENARIOS, scenario
from tests.validation.test_reach_against_residents import one_town_inputs

CELL = REACH_CHANNELS.index(Channel.CELL_BROADCAST)


def test_residents_without_a_smartphone_get_nothing_from_cell_broadcast() -> None:
    cohorts = Cohorts.all()
    reception = cohorts.reception(12.0, DayType.WEEKDAY)
    assert np.all(reception[~cohorts.smartphone, CELL] == 0)
    assert np.all(reception[cohorts.smartphone, CELL] > 0)
    # With only cell broadcast emitting, they stay unwarned for ever.
    inputs, _ = one_town_inputs()
    only_cell = np.full_like(inputs.emission_s, np.inf)
    survival = unwarned(inputs.__class__(**{**inputs.__dict__, "emission_s": only_cell}))[0]
    assert np.all(survival[~cohorts.smartphone] == 1.0)
    assert np.all(survival[cohorts.smartphone, -1] < 0.6)  # asleep phone users: half wake up


def _town(rain: list[dict] | None = None, hour: float = 12.0):
    """A town with a loudspeaker and a cell-broadcast emitter; ``rain``: heavy-rain incidents."""
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "04205"},
        {"id": "cbs", "kind": "emitter", "channel": "cell_broadcast", "carrier": "docomo", "area": "04205"},
    ]
    links = [
        {"id": "radio", "medium": "municipal_disaster_radio", "source": "centre", "targets": ["spk"]},
        {"id": "cb", "medium": "cell_broadcast", "source": "centre", "targets": ["cbs"]},
    ]
    prepared = prepare(scenario(nodes, links, residents={"hour": hour}, incidents=rain or []))
    result = run(prepared)
    return compute_reach(prepared, result, result.alerts[0])


def test_rain_lowers_loudspeaker_reach() -> None:
    dry, wet = _town(), _town(rain=[{"type": "heavy_rain", "area": "04", "loudspeaker_factor": 0.3}])
    assert wet.overall[-1] < dry.overall[-1] - 0.02
    assert np.all(wet.overall <= dry.overall + 1e-12)
    # Only the loudspeaker is affected: the smartphone users' gain is mostly kept.
    assert wet.by_smartphone[0, -1] > 0.8 * dry.by_smartphone[0, -1]


def test_curves_rise_monotonically_and_stay_within_zero_and_one() -> None:
    reach = _town()
    for curve in (reach.overall, *reach.by_age, *reach.by_smartphone, *reach.by_municipality):
        assert np.all(np.diff(curve) >= -1e-6)  # float32 survival products
        assert curve[0] >= 0 and curve[-1] <= 1
    assert reach.overall[0] <= 1e-6  # nothing emitted at t = 0


def test_older_residents_are_warned_less_where_only_phones_and_loudspeakers_sound() -> None:
    reach = _town()
    under_60, sixties, seventy_plus = reach.by_age[:, -1]
    assert under_60 > sixties > seventy_plus


def test_asleep_at_night_fewer_are_warned_than_at_noon() -> None:
    assert _town(hour=3.0).overall[-1] < _town(hour=12.0).overall[-1]


def test_flagship_drill_reaches_residents_of_all_40_municipalities() -> None:
    prepared = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    result = run(prepared)
    reach = compute_reach(prepared, result, result.alerts[0])
    assert len(reach.municipalities) == 40
    assert int(reach.population.sum()) == 1_237_984  # Aomori, 2020 census
    sannohe = [m.code for m in reach.municipalities].index("02441")  # its start-up device is miswired
    assert reach.by_municipality[sannohe, -1] < np.median(reach.by_municipality[:, -1])


def test_heavy_rain_scales_loudspeaker_reach_by_its_factor_only_while_it_rains() -> None:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "04205"},
    ]
    links = [{"id": "radio", "medium": "municipal_disaster_radio", "source": "centre", "targets": ["spk"]}]

    def warned(**extra) -> float:  # channels only: word of mouth would carry the warning past the rain
        residents = {"hour": 12, "word_of_mouth": {"enabled": False}}
        prepared = prepare(scenario(nodes, links, residents=residents, **extra))
        result = run(prepared)
        return compute_reach(prepared, result, result.alerts[0]).overall[-1]

    dry = warned()
    rain = {"type": "heavy_rain", "area": "04", "loudspeaker_factor": 0.3}
    assert warned(incidents=[rain]) == pytest.approx(0.3 * dry, rel=1e-3)
    assert warned(incidents=[{**rain, "start_s": 100}]) == pytest.approx(dry)  # rain starts after the alert


def test_residents_rain_of_older_files_is_refused_with_the_incident_to_write_instead() -> None:
    from lalert_sim.model.loader import parse_scenario

    data = scenario([{"id": "centre", "kind": "origin", "system": "j_alert"}], []).model_dump(mode="json")
    data["residents"] = {"rain": [{"area": "04205", "loudspeaker_factor": 0.4}]}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    (problem,) = caught.value.problems
    assert problem.field == "residents"
    assert "type: heavy_rain" in problem.message and "satellite_loss: 0" in problem.message


def test_day_type_comes_from_the_epoch_s_date_in_japan_unless_the_scenario_sets_it() -> None:
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "04205"},
    ]
    links = [{"id": "radio", "medium": "municipal_disaster_radio", "source": "centre", "targets": ["spk"]}]

    def reach(epoch: str, **residents):
        prepared = prepare(scenario(nodes, links, metadata={"name": "t", "epoch": epoch}, residents=residents))
        result = run(prepared)
        return compute_reach(prepared, result, result.alerts[0])

    # 2024-01-01 16:10 in Japan (Noto): New Year's Day; 2023-12-31 22:30 UTC is already 1 January in Japan.
    assert reach("2024-01-01T16:10:00+09:00").day_type is DayType.HOLIDAY
    assert reach("2023-12-31T22:30:00+00:00").day_type is DayType.HOLIDAY
    assert reach("2023-12-31T12:30:00+00:00").day_type is DayType.WEEKEND  # a Sunday, 21:30 in Japan
    friday = reach("2011-03-11T14:49:00+09:00")
    assert (friday.day_type, friday.hour) == (DayType.WEEKDAY, pytest.approx(14 + 49 / 60))
    fixed = reach("2024-01-01T16:10:00+09:00", day_type="weekday", hour=10)
    assert (fixed.day_type, fixed.hour) == (DayType.WEEKDAY, 10)
    # On a holiday at 10:00 fewer are at work, more are out within earshot of the loudspeaker.
    assert reach("2024-01-01T10:00:00+09:00").overall[-1] > fixed.overall[-1]


def test_an_unknown_day_type_is_refused_naming_the_field() -> None:
    from lalert_sim.model.loader import parse_scenario

    data = scenario([{"id": "centre", "kind": "origin", "system": "j_alert"}], []).model_dump(mode="json")
    data["residents"] = {"day_type": "sunday"}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    (problem,) = caught.value.problems
    assert problem.field == "residents.day_type"
    assert "weekday" in problem.message and "holiday" in problem.message


@pytest.mark.parametrize("horizon_s", [61.0, 601.0, 7201.0, 43201.0])
def test_cdf_lookup_gives_what_numpy_interpolation_gives_on_the_same_table(horizon_s: float) -> None:
    from lalert_sim.model.distributions import LogNormal, Uniform
    from lalert_sim.reach.curves import _cdf_table, cdf_on

    rng = np.random.default_rng(3)
    for delay in (LogNormal(median=5, sigma=0.5), LogNormal(median=300, sigma=1.0), Uniform(low=0, high=3600)):
        table_x, table_f = _cdf_table(delay.model_dump_json(), horizon_s)
        # Random offsets, the table's own points and their neighbours (bucket and interval edges), and outside.
        offsets = np.concatenate(
            [
                rng.uniform(-10, horizon_s + 10, 50_000),
                table_x,
                np.nextafter(table_x, -np.inf),
                np.nextafter(table_x, np.inf),
                [-1.0, horizon_s * 2],
            ]
        )
        expected = np.interp(offsets, table_x, table_f, left=0.0, right=table_f[-1])
        assert np.array_equal(cdf_on(delay, offsets, horizon_s), expected)
    grid = rng.uniform(0, horizon_s, (3, 4))  # any shape
    assert np.array_equal(cdf_on(delay, grid, horizon_s), np.interp(grid, table_x, table_f))


def test_reception_factors_multiply_a_channels_figures_capped_at_one() -> None:
    from lalert_sim.model.residents import ReceptionFactors
    from lalert_sim.reach.parameters import AGE_HEARING, RECEPTION

    cohorts = Cohorts.all()
    usual = cohorts.reception(12.0, DayType.WEEKDAY)
    assert np.array_equal(cohorts.reception(12.0, DayType.WEEKDAY, None, ReceptionFactors()), usual)
    doubled = cohorts.reception(12.0, DayType.WEEKDAY, None, ReceptionFactors(outdoor_loudspeaker=2.0))
    speaker = REACH_CHANNELS.index(Channel.OUTDOOR_LOUDSPEAKER)
    expected = np.minimum(1.0, 2 * np.asarray(RECEPTION[Channel.OUTDOOR_LOUDSPEAKER]))[cohorts.where]
    assert np.allclose(doubled[:, speaker], expected * np.asarray(AGE_HEARING)[cohorts.age])
    others = [c for c in range(len(REACH_CHANNELS)) if c != speaker]
    assert np.array_equal(doubled[:, others], usual[:, others])
    assert set(ReceptionFactors.model_fields) == {c.value for c in Channel}  # a factor for every channel


def test_a_loudspeaker_with_reception_factor_zero_warns_only_the_phone_users() -> None:
    # The town's two channels: with the loudspeaker silenced only cell broadcast warns, and it needs a smartphone.
    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "04205"},
        {"id": "cbs", "kind": "emitter", "channel": "cell_broadcast", "carrier": "docomo", "area": "04205"},
    ]
    links = [
        {"id": "radio", "medium": "municipal_disaster_radio", "source": "centre", "targets": ["spk"]},
        {"id": "cb", "medium": "cell_broadcast", "source": "centre", "targets": ["cbs"]},
    ]
    residents = {"hour": 12.0, "word_of_mouth": {"enabled": False}}
    reaches = []
    for factor in (1.0, 0.0):
        prepared = prepare(
            scenario(nodes, links, residents={**residents, "reception_factor": {"outdoor_loudspeaker": factor}})
        )
        result = run(prepared)
        reaches.append(compute_reach(prepared, result, result.alerts[0]))
    usual, silenced = reaches
    assert np.all(silenced.by_smartphone[1] == 0.0) and usual.by_smartphone[1, -1] > 0.1
    assert silenced.overall[-1] < usual.overall[-1]
