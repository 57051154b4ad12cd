"""Scenario overlays: what they give is theirs (their problems named by their file), the rest the scenario's."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from lalert_sim.errors import Problem, ScenarioError
from lalert_sim.model.overlay import Overlay
from lalert_sim.montecarlo.variants import variant_plan
from lalert_sim.prepare import load

WORLD = """
metadata: {name: overlaid}
duration_s: 60
topology:
  nodes:
    - {id: centre, kind: origin, system: j_alert}
    - {id: spk, kind: emitter, channel: outdoor_loudspeaker, delay_s: 1}
  links:
    - {id: radio, medium: fibre, source: centre, target: spk, loss: 0}
alerts:
  - {id: drill, system: j_alert, category: ballistic_missile, mode: exercise, issue_s: 0}
failures: none
variants:
  slow: {topology: {measured_delays: {nodes: {spk: 5}}}}
"""


def overlay(tmp_path: Path, text: str) -> Overlay:
    path = tmp_path / "overlay.yaml"
    path.write_text(text, encoding="utf-8")
    return Overlay.read(path)


def test_the_overlay_gives_what_it_names_and_lists_whole(tmp_path: Path) -> None:
    given = overlay(tmp_path, "topology:\n  media: {fibre: {loss: 2}}\nalerts: [{id: x}]\n")
    assert given.gives(("topology", "media", "fibre", "loss"))
    assert given.gives(("alerts", 0, "system"))  # inside a list the overlay replaced
    assert not given.gives(("topology", "nodes", 1)) and not given.gives(("duration_s",)) and not given.gives(())
    claimed = given.claim(
        ScenarioError([Problem("bad", ("topology", "media", "fibre", "loss")), Problem("x", ("seed",))])
    )
    assert [(p.file, p.line) for p in claimed.problems] == [(str(given.path), 2), (None, None)]


def test_measured_delays_replace_a_nodes_own_and_win_over_its_class(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD, encoding="utf-8")
    on_top = overlay(
        tmp_path,
        "topology:\n  measured_delays:\n    nodes: {spk: 2}\n    kinds: {emitter/outdoor_loudspeaker: 3, origin: 4}\n",
    )
    nodes = load(world, overlay=on_top).topology.nodes
    assert (nodes["spk"].delay_s.mean, nodes["centre"].delay_s.mean) == (2.0, 4.0)
    assert load(world).topology.nodes["spk"].delay_s.mean == 1.0  # the file alone is as written


def test_a_variant_with_an_overlay_names_each_problem_where_it_is(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD.replace("delay_s: 1}", "delay_s: 1, servers: 0}"), encoding="utf-8")
    on_top = overlay(tmp_path, "residents: {deadline_s: -5}\n")
    with pytest.raises(ScenarioError) as caught:
        variant_plan(world, "slow").overlaid(on_top).prepare()
    where = {p.field: p.file for p in caught.value.problems}
    assert where["residents.deadline_s"] == str(on_top.path)  # the overlay's own
    assert where["variants.slow.topology.nodes[1].servers"] == str(world)  # the scenario's, under its variant


HOSTILE = [None, -1, 1e308, float("nan"), "", "x" * 300, [], [1, [2]], {}, {"kind": "empirical"}, True, "spk", 0]


def mutated(data: object, rng: random.Random, depth: int = 0) -> object:
    """``data`` with one value somewhere replaced by something hostile (or a key renamed)."""
    if isinstance(data, dict) and data and depth < 6:
        key = rng.choice(list(data))
        if rng.random() < 0.15:
            return {**{k: v for k, v in data.items() if k != key}, rng.choice(["", "ü", "m-*", 7, "nodes"]): data[key]}
        return {**data, key: mutated(data[key], rng, depth + 1)}
    if isinstance(data, list) and data and depth < 6:
        index = rng.randrange(len(data))
        return [*data[:index], mutated(data[index], rng, depth + 1), *data[index + 1 :]]
    return rng.choice(HOSTILE)


def test_hostile_overlays_give_a_scenario_or_named_problems_never_a_crash(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD, encoding="utf-8")
    good = {
        "topology": {
            "measured_delays": {"nodes": {"spk": {"kind": "empirical", "values": [0.1, 0.2]}}, "kinds": {"origin": 0.5}}
        },
        "residents": {"deadline_s": 60},
    }
    rng = random.Random(20261201)
    loaded = refused = 0
    for _ in range(150):
        data = mutated(good, rng)
        path = tmp_path / "overlay.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        try:
            load(world, overlay=Overlay.read(path))
            loaded += 1
        except ScenarioError as exc:
            refused += 1
            assert all(p.file in (str(path), str(world)) for p in exc.problems), exc
    assert loaded and refused  # both kinds were met
