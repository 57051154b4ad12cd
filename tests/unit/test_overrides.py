"""Overrides merge mappings key by key and replace everything else."""

from __future__ import annotations

from lalert_sim.model.overrides import merged


def test_mappings_merge_and_lists_are_replaced() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    assert merged(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": "x", "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}  # the base is left as it was


def test_a_scalar_replaces_a_mapping_and_back() -> None:
    assert merged({"a": {"b": 1}}, {"a": 5}) == {"a": 5}
    assert merged({"a": 5}, {"a": {"b": 1}}) == {"a": {"b": 1}}
