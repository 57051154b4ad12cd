"""Seeded mutators: hostile and plausible values, edits of parsed documents, edits of raw bytes.

Every mutator takes a ``random.Random`` and nothing else that varies, so one seed gives one input.
"""

from __future__ import annotations

import copy
import datetime
import math
import random
from collections.abc import Callable
from typing import Any, TypeVar

Tree = Any  # parsed document data: dicts, lists and scalars
T = TypeVar("T")

HOSTILE_NUMBERS: tuple[object, ...] = (
    0,
    -1,
    -0.0,
    1,
    0.5,
    -1e-9,
    5e-324,
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
    2**31,
    2**63,
    -(2**63) - 1,
    2**64 + 1,
    10**400,
    True,
    False,
)
HOSTILE_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "a" * 100_000,
    "\x00",
    "\x7f\x1b[31m",
    "\u202e\u200b\ufeff",
    "日本語のテキスト",
    "🚨" * 50,
    "../../../../etc/passwd",
    "/dev/zero",
    "/dev/urandom",
    "/dev/stdin",
    "/proc/self/status",
    "/",
    ".",
    "NaN",
    "inf",
    "-1",
    "1e999",
    "0x10",
    "null",
    "%s%n{0}",
    "<x/>",
    "a\nb\r\nc",
    "01",
    "00000",
    "99999",
    "13",
    "012025",
    "9" * 40,
    "2024-13-45T25:61:61+99:00",
    "9999-12-31T23:59:59+14:00",
)
# Bytes text readers trip on: a UTF-16 BOM, a cut UTF-8 sequence, NUL, an encoded surrogate, CR LF, tab, a UTF-8 BOM.
ODD_BYTES = (b"\xff\xfe", b"\xc3", b"\x00", b"\xed\xa0\x80", b"\r\n", b"\t", b"\xef\xbb\xbf")


def weighted(rng: random.Random, *branches: tuple[float, Callable[[], T]]) -> T:
    """One of ``branches`` by a single draw: ``(up_to, make)`` is taken when the draw is below ``up_to``;
    the last is taken otherwise."""
    draw = rng.random()
    for up_to, make in branches[:-1]:
        if draw < up_to:
            return make()
    return branches[-1][1]()


def hostile_value(rng: random.Random) -> object:
    """A value chosen to break naive code: extreme numbers, odd strings, wrong containers."""
    return weighted(
        rng,
        (0.4, lambda: rng.choice(HOSTILE_NUMBERS)),
        (0.8, lambda: rng.choice(HOSTILE_STRINGS)),
        (
            1.0,
            lambda: rng.choice(
                [
                    None,
                    [],
                    {},
                    [[]],
                    {"": None},
                    list(range(rng.choice([2, 1000]))),
                    {f"k{i}": i for i in range(rng.choice([2, 1000]))},
                    datetime.date(1, 1, 1),
                    datetime.datetime(9999, 12, 31, 23, 59, 59),
                ]
            ),
        ),
    )


def plausible_value(value: object, rng: random.Random, strings: list[str]) -> object:
    """A value near ``value`` (a scaled number, another string of the same document), to get past validation."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        op: Callable[[float], object] = rng.choice(
            [lambda x: x + 1, lambda x: x - 1, lambda x: -x, lambda x: x * 1000, lambda x: x / 1000, lambda x: 0]
        )
        result = op(value)
        return int(result) if isinstance(value, int) and isinstance(result, float) and math.isfinite(result) else result
    if isinstance(value, str) and strings:
        other = rng.choice(strings)
        return rng.choice([other, value + other, value * 2, value[: len(value) // 2], value.upper()])
    return hostile_value(rng)


def paths(tree: Tree, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every position in a document (keys of dicts, indexes of lists), the root first."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*prefix, index))
    return found


def strings_in(tree: Tree) -> list[str]:
    """The document's own strings (ids, names): swapping them in makes references that almost resolve."""
    if isinstance(tree, dict):
        return [k for k in tree if isinstance(k, str)] + [s for v in tree.values() for s in strings_in(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in strings_in(v)]
    return [tree] if isinstance(tree, str) else []


def _get(tree: Tree, path: tuple[object, ...]) -> Tree:
    for part in path:
        tree = tree[part]
    return tree


def mutate_tree(tree: Tree, rng: random.Random, edits: int) -> Tree:
    """A deep copy of ``tree`` with ``edits`` random edits: values replaced, keys deleted or added,
    items duplicated, containers swapped, subtrees copied to other places."""
    tree = copy.deepcopy(tree)
    strings = strings_in(tree)
    for _ in range(edits):
        spots = paths(tree)[1:]
        if not spots:
            return hostile_value(rng)
        path = rng.choice(spots)
        parent, last = _get(tree, path[:-1]), path[-1]
        edit = rng.random()
        if edit < 0.35:
            parent[last] = plausible_value(parent[last], rng, strings)
        elif edit < 0.6:
            parent[last] = hostile_value(rng)
        elif edit < 0.7:
            del parent[last]
        elif edit < 0.8 and isinstance(parent, list) and isinstance(last, int):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif edit < 0.8:
            parent[rng.choice([*strings, "unknown_field"]) + rng.choice(["", "_x"])] = copy.deepcopy(parent[last])
        elif edit < 0.9:
            parent[last] = copy.deepcopy(_get(tree, rng.choice(spots)))  # may nest a subtree inside itself
        else:
            value = parent[last]
            parent[last] = rng.choice([[value], {"value": value}, [value] * rng.choice([2, 50])])
    return tree


def alias_bomb(levels: int, width: int) -> list[object]:
    """Nested lists sharing their items: small when written with anchors and aliases, huge when expanded."""
    bomb: list[object] = ["lol"] * width
    for _ in range(levels):
        bomb = [bomb] * width
    return bomb


def deep_nesting(depth: int, opener: str, closer: str, core: str = "") -> str:
    """``depth`` levels of nesting as text (``[[[...]]]``, ``<a><a>...``)."""
    return opener * depth + core + closer * depth


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Raw edits: truncation, bit flips, inserted, deleted or repeated spans, bad UTF-8."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(buffer) + 1)
        edit = rng.random()
        if edit < 0.2:
            del buffer[at:]
        elif edit < 0.5 and buffer:
            spot = rng.randrange(len(buffer))
            buffer[spot] ^= 1 << rng.randrange(8)
        elif edit < 0.65:
            buffer[at:at] = rng.choice(
                [b"\xff\xfe", b"\xc3", b"\x00", b"\xed\xa0\x80", b"\r\n", b"\t", b"\xef\xbb\xbf"]
            )
        elif edit < 0.8:
            del buffer[at : at + rng.randint(1, 32)]
        else:
            span = bytes(buffer[at : at + rng.randint(1, 64)])
            buffer[at:at] = span * rng.choice([2, 10, 1000])
        if not buffer:
            break
    return bytes(buffer)
