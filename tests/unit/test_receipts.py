"""Per-node receipts and emission times in arrays read exactly as the dicts they replace."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from lalert_sim.engine.receipts import NodeTimes, Receipts

NODES = 50


def _filled() -> tuple[Receipts, dict[int, tuple[float, int, int]], NodeTimes, dict[int, float]]:
    rng = random.Random(7)
    receipts, first = Receipts(NODES), {}
    emissions, emitted = NodeTimes(NODES), {}
    for node in rng.sample(range(NODES), 20):  # written in arrival order, as the engine does
        time_s, sender, link = rng.random() * 100, rng.choice([-1, rng.randrange(NODES)]), rng.randrange(-1, 9)
        receipts.at_s[node], receipts.sender[node], receipts.link[node] = time_s, sender, link
        first[node] = (time_s, sender, link)
        if rng.random() < 0.5:
            emissions.at_s[node] = emitted[node] = time_s + 0.1
    emissions.at_s[0] = emitted[0] = 0.0  # time zero is a time, not none
    return receipts, first, emissions, emitted


@pytest.mark.parametrize("which", ["receipts", "emissions"])
def test_node_arrays_read_as_their_dicts(which: str) -> None:
    receipts, first, emissions, emitted = _filled()
    arrays, plain = (receipts, first) if which == "receipts" else (emissions, emitted)
    assert len(arrays) == len(plain) and bool(arrays)
    assert arrays == plain and dict(arrays) == plain
    assert list(arrays) == sorted(plain)  # node order, whatever order they were written in
    assert dict(arrays.items()) == plain and sorted(arrays.values()) == sorted(plain.values())  # type: ignore[type-var]
    for node in [*range(-2, NODES + 2), np.int64(3), "n1", None]:
        assert (node in arrays) == (node in plain)
        assert arrays.get(node) == plain.get(node)  # type: ignore[call-overload]
        if node in plain:
            assert arrays[node] == plain[node]  # type: ignore[index]
        else:
            with pytest.raises(KeyError):
                arrays[node]  # type: ignore[index]


def test_empty_node_arrays_are_empty_mappings() -> None:
    for empty in (Receipts(NODES), NodeTimes(NODES), Receipts(), NodeTimes()):
        assert not empty and len(empty) == 0 and dict(empty) == {} and empty.get(0) is None


def test_a_copy_of_emission_times_does_not_follow_the_original() -> None:
    _, _, emissions, emitted = _filled()
    copied = emissions.copy()
    emissions.at_s[NODES - 1] = 5.0
    assert copied == emitted and NODES - 1 in emissions and NODES - 1 not in copied


def test_node_arrays_survive_pickling() -> None:
    receipts, first, emissions, emitted = _filled()
    assert pickle.loads(pickle.dumps(receipts)) == first
    assert pickle.loads(pickle.dumps(emissions)) == emitted
