"""Named random streams: one per (replication seed, component id, purpose).

Every random draw in a run comes from a stream named here, so two plans that
differ in one component keep identical draws everywhere else (common random
numbers), and a seed gives byte-identical results on any platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np


def stream_key(name: str) -> int:
    """Stable 64-bit key of a name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


_MASK64 = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_TO_UNIT = 2.0**-53


class Stream:
    """Uniform draws in [0, 1) from one named stream (SplitMix64).

    SplitMix64 (Steele, Lea & Flood 2014; Java's SplittableRandom) needs no
    set-up beyond its 64-bit starting state, hashed from (seed, name): a
    nationwide topology has tens of thousands of streams that each draw only a
    few numbers per run, where a Mersenne Twister's 2.5 kB state would cost
    more to seed than to use.
    """

    __slots__ = ("seed", "name", "_state", "uniform")

    def __init__(self, seed: int, name: str) -> None:
        self.seed = seed
        self.name = name
        self._state = 0
        # The starting state is hashed on the first draw: most streams never draw.
        self.uniform: Callable[[], float] = self._first

    def _first(self) -> float:
        # A caller may have kept ``uniform`` while it was this method (a loop over a link's targets):
        # called again, the stream goes on rather than start over.
        if self.uniform == self._first:
            self._state = stream_key(f"{self.seed}/{self.name}")
            self.uniform = self._next
        return self._next()

    def _next(self) -> float:
        """Next uniform in [0, 1), 53 bits of precision."""
        self._state = state = (self._state + _GOLDEN_GAMMA) & _MASK64
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return ((z ^ (z >> 31)) >> 11) * _TO_UNIT


def first_uniform(seed: int, name: str) -> float:
    """The first draw of ``Stream(seed, name)``, without building the stream.

    For the many streams that draw once per run (a latent failure per component):
    the same SplitMix64 step as ``Stream._next``, inlined there for speed.
    """
    state = (stream_key(f"{seed}/{name}") + _GOLDEN_GAMMA) & _MASK64
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return ((z ^ (z >> 31)) >> 11) * _TO_UNIT


def stable_fraction(name: str) -> float:
    """A fixed number in [0, 1) for a name: for choices that must not vary with the seed."""
    return stream_key(name) / 2.0**64


def generator(seed: int, name: str) -> np.random.Generator:
    """A numpy generator (PCG64) on the named stream, for many draws at once (a stream's arrival times).

    Seeded from the same (seed, name) hash as ``Stream``: another name, other draws; same seed, same draws.
    """
    return np.random.Generator(np.random.PCG64(stream_key(f"{seed}/{name}")))
