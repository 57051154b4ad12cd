"""What people and offices do in a real event: a felt quake, homes without mains power, staff broadcasting by
hand when the automatic start-up failed, patrols calling out tsunami warnings door to door."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lalert_sim.model.calendar import DayType
from lalert_sim.model.incidents import PowerOutage
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import FeltQuake, Residents
from lalert_sim.reach import compute_reach
from lalert_sim.reach.cohorts import Cohorts, after_quake
from lalert_sim.reach.model import ATTRIBUTED, local_factors
from lalert_sim.reach.parameters import REACH_CHANNELS, TV_WITHOUT_MAINS, WHEREABOUTS
from lalert_sim.reach.whereabouts import whereabouts_shares
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.templates import MANUAL_BROADCAST_DELAY, PATROL_DELAY
from tests.conftest import run_world

TOWN = "02201"  # 青森市: has municipal disaster radio in the generated topology
TV, RADIO = REACH_CHANNELS.index(Channel.TV), REACH_CHANNELS.index(Channel.RADIO)


def _one_town(category: str, alerts_extra: dict[str, Any] | None = None, **extra: Any) -> Any:
    template = {"template": "prefecture", "prefecture": "02", "municipalities": [TOWN], "lalert": False}
    template.update(extra.pop("template", {}))
    alert = {"id": "a1", "system": "j_alert", "category": category, "areas": [TOWN], **(alerts_extra or {})}
    return run_world([], [], [alert], topology={"templates": [template]}, **extra)


def _emitted_s(result: Any, node_id: str) -> float | None:
    index = list(result.topology.nodes).index(node_id)
    emitted = result.alerts[0].emitted.get(index)
    return None if emitted is None else emitted - result.alerts[0].spec.issue_s


@pytest.mark.parametrize("hour", [3.0, 14.8, 22.0])
def test_a_felt_quake_moves_people_and_keeps_every_age_band_whole(hour: float) -> None:
    felt = FeltQuake()
    before = whereabouts_shares(hour, DayType.WEEKDAY)
    after = after_quake(before, felt)
    assert np.allclose(after.sum(axis=1), 1.0)
    asleep, outdoors = WHEREABOUTS.index("home_asleep"), WHEREABOUTS.index("outdoors")
    assert np.allclose(after[:, asleep], before[:, asleep] * (1 - felt.woken))
    assert (after[:, outdoors] > before[:, outdoors]).all()
    assert after_quake(before, None) is before


def test_after_a_felt_quake_more_are_tuned_in_to_radio_and_tv_and_nobody_less() -> None:
    cohorts = Cohorts.all()
    usual = cohorts.reception(14.8, DayType.WEEKDAY)
    felt = cohorts.reception(14.8, DayType.WEEKDAY, FeltQuake())
    for column in (TV, RADIO):
        assert (felt[:, column] >= usual[:, column] - 1e-12).all()
        assert felt[:, column].sum() > usual[:, column].sum() * 1.5
    others = [c for c in range(len(REACH_CHANNELS)) if c not in (TV, RADIO)]
    assert np.array_equal(felt[:, others], usual[:, others])


def test_homes_without_mains_power_lose_all_tv_but_sets_on_batteries() -> None:
    towns = [MunicipalityTable.reference()[c] for c in ("02201", "03202")]
    blackout = [PowerOutage(area="02")]
    factors = local_factors(towns, Residents(), [], blackout)
    assert factors[0, TV] == pytest.approx(TV_WITHOUT_MAINS) and factors[1, TV] == 1.0
    assert factors[0, RADIO] == 1.0  # radios run on batteries


def test_tv_reach_falls_in_a_blackout_and_radio_does_not() -> None:
    def reached(incidents: list[dict[str, Any]]) -> tuple[float, float]:
        prepared, result = _one_town("major_tsunami_warning", incidents=incidents)
        reach = compute_reach(prepared, result, result.alerts[0])
        assert reach is not None
        channels = list(ATTRIBUTED)
        return reach.reached_by[0, channels.index("tv"), -1], reach.reached_by[0, channels.index("radio"), -1]

    tv_lit, radio_lit = reached([])
    tv_dark, radio_dark = reached([{"type": "power_outage", "area": TOWN}])
    assert tv_dark == pytest.approx(tv_lit * TV_WITHOUT_MAINS, rel=0.02)
    assert radio_dark == pytest.approx(radio_lit, rel=0.02)


def test_staff_broadcast_by_hand_when_the_automatic_start_up_failed() -> None:
    broken = [{"type": "outage", "nodes": {"ids": [f"m-{TOWN}/startup"]}}]
    _, automatic = _one_town("ballistic_missile", incidents=broken, failures="none")
    assert _emitted_s(automatic, f"m-{TOWN}/loudspeakers") is None
    _, by_hand = _one_town("ballistic_missile", incidents=broken, failures="none", template={"manual_fallback": True})
    emitted = _emitted_s(by_hand, f"m-{TOWN}/loudspeakers")
    assert emitted is not None
    low, high = (MANUAL_BROADCAST_DELAY.median * np.exp(z * MANUAL_BROADCAST_DELAY.sigma) for z in (-3.3, 3.3))
    assert low < emitted < high + 10  # the receiver's second and the radio link's on top
    _, working = _one_town("ballistic_missile", failures="none", template={"manual_fallback": True})
    automatic_s = _emitted_s(working, f"m-{TOWN}/loudspeakers")
    assert automatic_s is not None and automatic_s < 15  # the fallback never delays a working relay


def test_patrols_call_out_tsunami_warnings_but_not_a_jalert_test() -> None:
    _, tsunami = _one_town("major_tsunami_warning", failures="none", template={"patrols": True})
    emitted = _emitted_s(tsunami, f"m-{TOWN}/patrols")
    assert emitted is not None and PATROL_DELAY.median * np.exp(-3.3 * PATROL_DELAY.sigma) < emitted
    _, test = _one_town("test", failures="none", template={"patrols": True})
    assert _emitted_s(test, f"m-{TOWN}/patrols") is None
    prepared, _ = _one_town("major_tsunami_warning", failures="none")
    assert f"m-{TOWN}/patrols" not in prepared.topology.nodes  # off by default


def test_word_of_mouth_defaults_stay_below_an_epidemic() -> None:
    # Each warned resident tells share_who_tell x contacts others on average: below one, word of mouth adds
    # to what the channels did instead of reaching everyone on its own (Tohoku 2011: 8.1 %, DOMAIN).
    spread = Residents().word_of_mouth
    assert spread.share_who_tell * spread.contacts < 1.0


def test_a_municipality_nobody_lives_in_has_no_residents_to_warn() -> None:
    futaba = "07546"  # 2020 census: 0 (the town was under evacuation)
    assert MunicipalityTable.reference()[futaba].population == 0
    template = {"template": "prefecture", "prefecture": "07", "municipalities": [futaba, "07547"], "lalert": False}
    alert = {"id": "a1", "system": "j_alert", "category": "major_tsunami_warning", "areas": [futaba]}
    prepared, result = run_world([], [], [alert], topology={"templates": [template]})
    assert compute_reach(prepared, result, result.alerts[0]) is None  # nobody there: no warned share at all
    both = {**alert, "areas": ["07"]}
    prepared, result = run_world([], [], [both], topology={"templates": [template]})
    reach = compute_reach(prepared, result, result.alerts[0])
    assert reach is not None and [m.code for m in reach.municipalities] == ["07547"]
