"""Local-government area codes (JIS X 0401 prefectures, JIS X 0402 municipalities).

Codes are kept in one canonical form: two digits for a prefecture, five for a
municipality (a six-digit code is accepted when its check digit is right).
An area covers another when one code is a prefix of the other.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from lalert_sim.errors import shown

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> str:
    """JIS X 0402 check digit of a five-digit municipality code."""
    remainder = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True)) % 11
    return str((11 - remainder) % 10)


def canonical_area(code: str) -> str:
    """Canonical form of an area code, or ValueError saying what is wrong with it."""
    text = str(code).strip()
    if not text.isdigit() or len(text) not in (2, 5, 6):
        raise ValueError(
            f"{shown(code)} is not a local-government code: use 2 digits for a prefecture "
            "(JIS X 0401, e.g. '02') or 5/6 digits for a municipality (JIS X 0402, e.g. '02201')"
        )
    prefecture = int(text[:2])
    if not 1 <= prefecture <= 47:
        raise ValueError(f"{shown(code)}: prefecture part {text[:2]} is not between 01 and 47")
    if len(text) == 6:
        expected = check_digit(text[:5])
        if text[5] != expected:
            raise ValueError(f"{shown(code)}: check digit should be {expected} (JIS X 0402)")
        text = text[:5]
    return text


def _from_yaml_int(value: object) -> object:
    # YAML reads 02201 as a string but 13101 as an int; both mean the code.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


AreaCode = Annotated[
    str, BeforeValidator(_from_yaml_int, json_schema_input_type=str | int), AfterValidator(canonical_area)
]
"""A validated, canonical local-government code."""


def covers(area: str | None, other: str | None) -> bool:
    """True when the two areas overlap (None means everywhere)."""
    if area is None or other is None:
        return True
    return area.startswith(other) or other.startswith(area)


def in_any(area: str | None, targets: tuple[str, ...]) -> bool:
    """True when ``area`` overlaps one of ``targets`` (an empty tuple means nationwide)."""
    return not targets or any(covers(area, t) for t in targets)
