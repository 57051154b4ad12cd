"""A generated topology built trusted (one validated prototype per municipal part) equals one validated
node by node and link by link."""

from __future__ import annotations

from typing import Any

import pytest

from lalert_sim.model.network import Link, Node
from lalert_sim.prepare import load
from lalert_sim.topology import templates


def _validated_node(self: templates.Prototypes, part: str, fields: dict[str, Any], trusted: bool) -> Node:
    return Node.model_validate(fields)


def _validated_link(self: templates.Prototypes, part: str, fields: dict[str, Any], trusted: bool) -> Link:
    return Link.model_validate(fields)


@pytest.mark.parametrize("scenario", ["jalert_eew_nationwide.yaml", "lalert_carrier_outage_evacuation.yaml"])
def test_trusted_build_equals_the_validated_one(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    trusted = load(f"scenarios/{scenario}").topology
    monkeypatch.setattr(templates.Prototypes, "node", _validated_node)
    monkeypatch.setattr(templates.Prototypes, "link", _validated_link)
    validated = load(f"scenarios/{scenario}").topology
    assert list(trusted.nodes) == list(validated.nodes)
    for node_id, node in validated.nodes.items():
        assert trusted.nodes[node_id].model_dump() == node.model_dump(), node_id
        assert trusted.nodes[node_id].model_fields_set == node.model_fields_set, node_id
    assert [link.model_dump() for link in trusted.links] == [link.model_dump() for link in validated.links]


def test_a_part_whose_template_fields_differ_is_validated_again() -> None:
    prototypes = templates.Prototypes()
    first = prototypes.node(
        "x", {"id": "m-01100/x", "kind": "relay", "name": "a", "area": "01100", "lat": 1.0, "lon": 2.0}, True
    )
    copied = prototypes.node(
        "x", {"id": "m-01101/x", "kind": "relay", "name": "b", "area": "01101", "lat": 3.0, "lon": 4.0}, True
    )
    assert copied.id == "m-01101/x" and copied.area == "01101" and copied.lat == 3.0 and first.id == "m-01100/x"
    with pytest.raises(ValueError, match="channel"):  # different template fields: validated, and its error kept
        prototypes.node(
            "x", {"id": "m-01102/x", "kind": "emitter", "name": "c", "area": "01102", "lat": 0.0, "lon": 0.0}, True
        )
    with pytest.raises(ValueError, match="less than or equal to 90"):  # not trusted: validated
        prototypes.node(
            "x", {"id": "m-01103/x", "kind": "relay", "name": "d", "area": "01103", "lat": 91.0, "lon": 0.0}, False
        )
