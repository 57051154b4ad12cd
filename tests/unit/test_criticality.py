"""Criticality: knock-outs on common seeds, ranked by what they cost; checked where the answer is known."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest

from lalert_sim.model.responses import Equipment
from lalert_sim.montecarlo.criticality import (
    Criticality,
    CriticalityRanking,
    CriticalitySpec,
    Grouping,
    criticality_plans,
    knock_outs,
    run_criticality,
)
from lalert_sim.montecarlo.variants import Plan
from lalert_sim.prepare import load
from tests.conftest import SCENARIOS, cli

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"

# Two redundant paths from the centre to the hub, then one bridge to the town and its three emitters.
BRIDGE = """\
metadata: {name: a single bridge}
seed: 5
duration_s: 900
topology:
  nodes:
    - {id: centre, kind: origin, system: j_alert}
    - {id: east, kind: relay}
    - {id: west, kind: relay}
    - {id: hub, kind: relay, area: "02201"}
    - {id: town, kind: relay, area: "02201"}
    - {id: speaker-1, kind: emitter, channel: outdoor_loudspeaker, area: "02201"}
    - {id: speaker-2, kind: emitter, channel: outdoor_loudspeaker, area: "02201"}
    - {id: indoor, kind: emitter, channel: indoor_receiver, area: "02201"}
  links:
    - {id: centre-east, medium: terrestrial_gov, source: centre, target: east}
    - {id: centre-west, medium: lg_satellite, source: centre, target: west}
    - {id: east-hub, medium: fibre, source: east, target: hub}
    - {id: west-hub, medium: fibre, source: west, target: hub}
    - {id: bridge, medium: fibre, source: hub, target: town}
    - {id: town-1, medium: municipal_disaster_radio, source: town, target: speaker-1}
    - {id: town-2, medium: municipal_disaster_radio, source: town, target: speaker-2}
    - {id: town-indoor, medium: municipal_disaster_radio, source: town, target: indoor}
alerts:
  - {id: missile, system: j_alert, category: ballistic_missile, areas: ["02201"], origin: centre}
failures: none
"""


def ranked(
    path: Path, by: Grouping, n: int, tmp_path: Path, only: set[str] | None = None
) -> tuple[CriticalityRanking, dict[str, Criticality]]:
    """The ranking of ``by`` knock-outs (or of those named in ``only``) over ``n`` replications, and by component."""
    prepared = load(path)
    plans = criticality_plans(Plan(path.stem, path), prepared, by)
    if only is not None:
        plans = [plans[0], *(p for p in plans[1:] if p.name in only)]
    spec = CriticalitySpec(path, by, n, prepared.scenario.seed, tmp_path / "out")
    ranking = run_criticality(spec, prepared, plans)
    return ranking, {c.component: c for c in ranking.ranking}


def test_a_single_bridge_link_ranks_first_and_redundant_paths_cost_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(BRIDGE, encoding="utf-8")
    ranking, found = ranked(path, Grouping.LINK, 12, tmp_path)
    order = [c.component for c in ranking.ranking]
    assert order[0] == "bridge"
    bridge = found["bridge"]
    # the known answer: without the bridge no emitter sounds and no resident is warned
    assert bridge.unreached_emitters.mean_difference == pytest.approx(3 - ranking.base_unreached_emitters)
    assert bridge.unwarned_residents.mean_difference == pytest.approx(
        ranking.residents - ranking.base_unwarned_residents
    )
    assert ranking.residents > 100_000 and bridge.unwarned_residents.mean_difference > 0
    # each of the town's links loses its own emitter, no more
    assert set(order[1:4]) == {"town-1", "town-2", "town-indoor"}
    for link in ("town-1", "town-2", "town-indoor"):
        assert found[link].unreached_emitters.mean_difference == pytest.approx(1.0)
    # either path to the hub can be lost: on common seeds, not one emitter or resident more is missed
    for link in ("centre-east", "centre-west", "east-hub", "west-hub"):
        assert found[link].unreached_emitters.mean_difference == 0
        assert found[link].unwarned_residents.mean_difference == pytest.approx(0, abs=1e-6)


def test_knock_outs_of_each_grouping_name_what_the_network_holds() -> None:
    prepared = load(FLAGSHIP)
    incidents = [{"type": "outage", "links": {"ids": ["jalert/sat-02"]}, "end_s": 400}]
    carriers = knock_outs(prepared, incidents, Grouping.CARRIER)
    assert [k.label for k in carriers] == ["docomo", "kddi", "rakuten", "softbank"]
    assert carriers[0].overrides["incidents"] == [*incidents, {"type": "carrier_outage", "carrier": "docomo",
                                                              "name": "knock-out: docomo"}]  # fmt: skip
    assert [k.label for k in knock_outs(prepared, [], Grouping.PREFECTURE)] == ["02"]
    media = {k.label for k in knock_outs(prepared, [], Grouping.MEDIUM)}
    assert {"lg_satellite", "terrestrial_gov", "cell_broadcast", "municipal_disaster_radio"} <= media
    links = knock_outs(prepared, [], Grouping.LINK)
    assert len(links) == len(prepared.topology.links)  # the flagship lends nothing: no substitute links
    assert len(knock_outs(prepared, [], Grouping.NODE)) == len(prepared.topology.nodes)
    assert knock_outs(prepared, [], Grouping.DEPOT) == []  # no loans, no depots


def test_a_depot_knock_out_empties_that_depot_only(tmp_path: Path) -> None:
    path = SCENARIOS / "tsunami_wide_area_loans.yaml"
    prepared = load(path)
    plans = criticality_plans(Plan(path.stem, path), prepared, Grouping.DEPOT)
    stocked = {d.name: d.units for p in prepared.responses.pools.values() for d in p.depots if d.units}
    assert [p.name for p in plans[1:]] == list(dict.fromkeys(stocked))
    knocked = plans[1].prepare()
    for equipment, pool in knocked.responses.pools.items():
        if equipment is Equipment.POWER_VEHICLE:
            continue
        before = {d.name: d.units for d in prepared.responses.pools[equipment].depots}
        after = {d.name: d.units for d in pool.depots}
        assert after == {**before, plans[1].name: 0}


def test_flagship_ranks_the_centres_paths_and_the_cell_broadcast_links_with_cis(tmp_path: Path) -> None:
    cell_broadcast = {f"carrier/{c}/cb-02" for c in ("docomo", "kddi", "softbank", "rakuten")}
    ranking, found = ranked(
        FLAGSHIP, Grouping.LINK, 4, tmp_path, {"jalert/sat-02", "jalert/ground-02", *cell_broadcast}
    )
    ground, satellite = found["jalert/ground-02"], found["jalert/sat-02"]
    # the satellite is down in the drill until 400 s and the terrestrial path carries the alert: losing the
    # satellite for good costs nothing on common seeds; losing the terrestrial path costs dearly
    assert ground.unwarned_residents.ci95_low > 0 and ground.unreached_emitters.ci95_low > 0
    assert satellite.unwarned_residents.mean_difference == 0
    for link in cell_broadcast:
        assert found[link].unreached_emitters.mean_difference == 40  # each municipality's cell broadcast, all 40
        assert found[link].unwarned_residents.ci95_low > 0
    assert ranking.ranking[0].component == "jalert/ground-02"


def test_criticality_command_writes_a_ranking_table_and_plot(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(BRIDGE, encoding="utf-8")
    done = cli("criticality", path, "-n", "6", "--by", "node", "--top", "3", "-w", "1", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "Knock-outs by node" in done.stdout and "... and 5 more in criticality.csv" in done.stdout
    with open(tmp_path / "out" / "criticality.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and rows[0]["rank"] == "1"
    # the centre, the hub and the town each stand alone between the alert and every emitter
    assert {r["component"] for r in rows[:3]} == {"centre", "hub", "town"}
    ranking = json.loads((tmp_path / "out" / "criticality.json").read_text(encoding="utf-8"))
    assert ranking["by"] == "node" and ranking["replications"] == 6 and len(ranking["ranking"]) == 8
    assert (tmp_path / "out" / "criticality.png").exists() == ("criticality.png" in done.stdout)


def test_criticality_refuses_what_it_cannot_knock_out(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(BRIDGE, encoding="utf-8")
    done = cli("criticality", path, "-n", "3", "--by", "depot", "--out", tmp_path / "out")
    assert done.returncode == 1 and "nothing to knock out --by depot" in done.stderr
    done = cli("criticality", path, "-n", "3", "--by", "municipality", "--out", tmp_path / "out")
    assert done.returncode == 2 and "--by" in done.stderr


def test_the_ranking_does_not_depend_on_the_workers(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(BRIDGE.replace("target: east}", "target: east, loss: 0.3}"), encoding="utf-8")
    prepared = load(path)
    plans = criticality_plans(Plan(path.stem, path), prepared, Grouping.NODE)  # 9 plans: on 2 workers, a plan per task
    one, two = (
        run_criticality(CriticalitySpec(path, Grouping.NODE, 8, 3, tmp_path / f"w{w}", workers=w), prepared, plans)
        for w in (1, 2)
    )
    assert json.dumps(one.as_dict()) == json.dumps(two.as_dict())
    assert all(c.unreached_emitters.pairs == 8 for c in one.ranking)  # every replication paired with the base's


def test_a_resumed_criticality_reuses_every_finished_plan(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(BRIDGE.replace("target: east}", "target: east, loss: 0.3}"), encoding="utf-8")
    prepared = load(path)
    plans = criticality_plans(Plan(path.stem, path), prepared, Grouping.LINK)
    spec = CriticalitySpec(path, Grouping.LINK, 6, 3, tmp_path / "out", resume=True)
    first = run_criticality(spec, prepared, plans)
    batches = sorted((tmp_path / "out" / "plans").rglob("batch-*.json"))
    assert len({b.parent.parent.name for b in batches}) == len(plans)  # a folder of batches per plan
    written = {b: b.stat().st_mtime_ns for b in batches}
    again = run_criticality(spec, prepared, plans)
    assert json.dumps(again.as_dict()) == json.dumps(first.as_dict())
    assert {b: b.stat().st_mtime_ns for b in batches} == written  # reused, not run again


def test_a_second_bridge_in_a_variant_makes_the_first_cost_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    links = BRIDGE[BRIDGE.index("  links:\n") : BRIDGE.index("alerts:")]
    second = "    - {id: second-bridge, medium: lg_satellite, source: hub, target: town}\n"
    variant = "variants:\n  second_bridge:\n    topology:\n" + textwrap.indent(links + second, "    ")
    path.write_text(BRIDGE + variant, encoding="utf-8")
    done = cli("criticality", path, "--variant", "second_bridge", "-n", "4", "-w", "1", "--no-plots",
               "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "criticality.csv", encoding="utf-8") as handle:
        rows = {r["component"]: r for r in csv.DictReader(handle)}
    assert set(rows) >= {"bridge", "second-bridge"}  # the variant's links are the ones knocked out
    for link in ("bridge", "second-bridge"):
        assert float(rows[link]["unreached_emitters_added"]) == 0
    assert float(rows["town-1"]["unreached_emitters_added"]) == 1
