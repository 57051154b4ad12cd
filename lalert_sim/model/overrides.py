"""Overrides of a scenario: a base scenario's data with some of its values replaced (variants, knock-outs,
parameter samples), applied to the parsed YAML before validation so every check still runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merged(base: Any, overrides: Any) -> Any:
    """``base`` with ``overrides`` on top: mappings merge key by key, anything else (lists too) is replaced."""
    if isinstance(base, Mapping) and isinstance(overrides, Mapping):
        result = dict(base)
        for key, value in overrides.items():
            result[key] = merged(base[key], value) if key in base else value
        return result
    return overrides
