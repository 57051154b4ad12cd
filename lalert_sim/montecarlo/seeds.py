"""Replication seeds: one master seed, one numpy SeedSequence, any replication rerunnable alone."""

from __future__ import annotations

import numpy as np


def replication_seeds(master_seed: int, count: int) -> list[int]:
    """The seed of each of ``count`` replications, spawned from ``master_seed``.

    Replication i always gets the same seed whatever ``count`` is, so a sweep can
    be extended and any replication rerun alone with ``lalert-sim run --seed``.
    """
    children = np.random.SeedSequence(master_seed).spawn(count)
    # 63 bits: fits a signed 64-bit column in Parquet and pandas.
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]
