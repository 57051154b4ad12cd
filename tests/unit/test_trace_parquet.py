"""The Parquet trace's string columns, built on their buffers, against the arrays Arrow makes from Python strings."""

from __future__ import annotations

import numpy as np
import pytest

from lalert_sim.report import files


@pytest.mark.parametrize("step", [1, 3, 1 << 14])
def test_spelled_codes_are_the_arrow_strings_of_their_labels(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    pa = pytest.importorskip("pyarrow")
    monkeypatch.setattr(files._Spelling, "STEP", step)  # gathers that cross rows of every length
    labels = ["青森県/むつ市", "n", "", "jalert/centre", "x" * 300, ""]  # multi-byte, empty, long; "" last (-1)
    codes = np.array([0, -1, 4, 2, 3, 3, 1, 0, -1, 4, 5], dtype=np.int16)
    built = files._Spelling(labels).strings(codes)
    expected = pa.array([labels[c] for c in codes], pa.string())
    assert built.equals(expected)
    assert built.to_pylist() == [labels[c] for c in codes]
    assert built.null_count == 0


def test_no_codes_are_an_empty_string_array() -> None:
    pa = pytest.importorskip("pyarrow")
    built = files._Spelling(["a", ""]).strings(np.empty(0, dtype=np.int16))
    assert built.equals(pa.array([], pa.string()))
