"""Through which channel residents learned of an alert, and word of mouth, through the whole pipeline."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from lalert_sim import ScenarioError, load, prepare, run, summarise
from lalert_sim.analysis.kpis import replication_kpis
from lalert_sim.analysis.results import RunSummary
from lalert_sim.model.network import Channel
from lalert_sim.reach import compute_reach
from lalert_sim.reach.model import ATTRIBUTED, COHORT_GROUPS, WORD_OF_MOUTH
from lalert_sim.report.files import CHANNEL_COLUMNS, write_results
from tests.conftest import SCENARIOS, scenario

AOMORI = SCENARIOS / "jalert_missile_drill_aomori.yaml"
WOM = ATTRIBUTED.index(WORD_OF_MOUTH)


def _aomori(word_of_mouth: dict | None = None):
    prepared = load(AOMORI)
    if word_of_mouth is not None:
        residents = prepared.scenario.residents.model_copy(
            update={"word_of_mouth": prepared.scenario.residents.word_of_mouth.model_validate(word_of_mouth)}
        )
        prepared = prepare(prepared.scenario.model_copy(update={"residents": residents}))
    result = run(prepared)
    return prepared, result, compute_reach(prepared, result, result.alerts[0])


def test_first_via_sums_to_the_warned_share_of_every_group_at_every_time() -> None:
    _, _, reach = _aomori()
    warned = np.vstack([reach.overall, reach.by_age, reach.by_smartphone])  # COHORT_GROUPS order
    assert reach.first_via.shape == (len(COHORT_GROUPS), len(ATTRIBUTED), len(reach.times_s))
    assert np.allclose(reach.first_via.sum(axis=1), warned, rtol=0, atol=1e-6)
    assert np.all(reach.reached_by >= reach.first_via - 1e-6)
    assert np.all(np.diff(reach.first_via, axis=2) >= -1e-6)  # nobody is un-warned
    no_phone = COHORT_GROUPS.index("no_smartphone")
    assert np.all(reach.reached_by[no_phone, ATTRIBUTED.index(Channel.CELL_BROADCAST.value)] == 0)


def test_word_of_mouth_keeps_the_curve_rising_and_off_is_channels_only() -> None:
    _, _, spoken = _aomori()
    _, _, quiet = _aomori({"enabled": False})
    at = {m: np.interp(60 * m, spoken.times_s, spoken.overall) for m in (10, 30)}
    quiet_at = {m: np.interp(60 * m, quiet.times_s, quiet.overall) for m in (10, 30)}
    assert quiet_at[30] - quiet_at[10] < 0.002  # channels only: the curve stops a minute after the emissions
    assert at[30] - at[10] > 0.01  # people keep telling each other
    assert np.all(spoken.overall >= quiet.overall - 1e-6)
    assert np.all(quiet.first_via[:, WOM] == 0) and np.all(quiet.reached_by[:, WOM] == 0)
    share = spoken.first_via[0, WOM, np.searchsorted(spoken.times_s, 600)]
    assert 0.03 < share < 0.2  # DOMAIN: Tohoku 2011, 8.1 % learned from family or neighbours
    # Older residents, reached less by phones, learn more often from others.
    older, younger = COHORT_GROUPS.index("70_plus"), COHORT_GROUPS.index("under_60")
    assert spoken.first_via[older, WOM, -1] > spoken.first_via[younger, WOM, -1]


def test_summary_channels_csv_and_kpis_carry_the_shares_at_the_deadline(tmp_path) -> None:
    prepared = load(AOMORI)
    result = run(prepared)
    summary = summarise(prepared, result)
    residents = summary.alerts[0].residents
    assert residents is not None
    assert set(residents.channel_shares) == set(COHORT_GROUPS)
    overall = residents.channel_shares["overall"]
    assert WORD_OF_MOUTH in overall.first_via and Channel.TV.value in overall.first_via  # break-ins reach viewers
    assert Channel.SIGNAGE.value not in overall.first_via  # no signage here
    assert sum(overall.first_via.values()) == pytest.approx(1 - residents.unwarned_at_deadline, abs=5e-4)
    assert RunSummary.from_json(summary.to_json()) == summary
    assert json.loads(summary.to_json())["alerts"][0]["residents"]["channel_shares"]["70_plus"]["first_via"]

    row = replication_kpis(summary)
    alert = summary.alerts[0].id
    for channel in ATTRIBUTED:
        assert row[f"{alert}.first_via.{channel}"] == overall.first_via.get(channel, 0.0)
        assert row[f"{alert}.reached_by.{channel}"] == overall.reached_by.get(channel, 0.0)

    reach = compute_reach(prepared, result, result.alerts[0])
    write_results(tmp_path, summary, result, reaches=[reach])
    with (tmp_path / "channels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CHANNEL_COLUMNS
    assert {r["cohort"] for r in rows} == set(COHORT_GROUPS)
    assert {r["channel"] for r in rows} == set(overall.first_via)  # channels that reach nobody are left out
    last = max(float(r["time_s"]) for r in rows)
    final = [r for r in rows if float(r["time_s"]) == last and r["cohort"] == "overall"]
    assert sum(float(r["first_via"]) for r in final) == pytest.approx(reach.overall[-1], abs=1e-4)


def test_word_of_mouth_settings_are_validated_naming_the_field() -> None:
    nodes = [{"id": "centre", "kind": "origin", "system": "j_alert"}]
    with pytest.raises(ScenarioError) as caught:
        from lalert_sim.model.loader import parse_scenario

        data = scenario(nodes, []).model_dump(mode="json")
        data["residents"] = {"word_of_mouth": {"contacts": -1, "share_who_tel": 0.5}}
        parse_scenario(data)
    fields = {p.field for p in caught.value.problems}
    assert any("word_of_mouth" in f and "contacts" in f for f in fields), fields
    assert any("share_who_tel" in f for f in fields), fields


def test_nobody_is_told_in_a_municipality_nobody_lives_in_and_nothing_emitted_means_no_channel() -> None:
    from lalert_sim.model.residents import WordOfMouth
    from lalert_sim.reach.cohorts import Cohorts
    from lalert_sim.reach.diffusion import cohort_rates, told_exposure

    survival = np.ones((2, 30, 5), dtype=np.float32)
    survival[:, :, 2:] = 0.5  # half warned by channels from the third step
    people = np.ones((2, 30), dtype=np.float32)
    people[1] = 0  # Futaba, 2020 census
    settings = WordOfMouth()
    told = told_exposure(np.arange(5) * 60.0, survival, people, cohort_rates(settings, Cohorts.all().where), settings)
    assert np.all(told.values[:, 1] == 0) and told.values[:, 0].min() < 0

    nodes = [
        {"id": "centre", "kind": "origin", "system": "j_alert"},
        {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "04205"},
    ]
    prepared = prepare(scenario(nodes, [], residents={"hour": 12}))  # no link: nothing is emitted
    result = run(prepared)
    summary = summarise(prepared, result)
    assert summary.alerts[0].residents.channel_shares["overall"].first_via == {}
    assert replication_kpis(summary)[f"{summary.alerts[0].id}.first_via.{WORD_OF_MOUTH}"] == 0.0


def test_word_of_mouth_reachability_has_a_chance_for_every_whereabouts() -> None:
    from lalert_sim.model.residents import Reachability
    from lalert_sim.reach.parameters import WHEREABOUTS

    assert set(Reachability.model_fields) == set(WHEREABOUTS)
