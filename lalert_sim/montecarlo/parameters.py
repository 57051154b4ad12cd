"""Uncertain parameters of a scenario: where each lives in the scenario data and the range it may take.

A parameter is a path into the scenario's data (``residents.word_of_mouth.delay.median``;
a list element by index, ``topology.links.0.latency_s``, or every element, ``incidents.*.loss``),
a range (low, high) and where the range comes from. The default set is the packaged registry
(data/sensitivity.toml: the defaults the project marks as assumptions); a YAML file
(``path: [low, high]``) replaces it. Setting a value gives overrides of the scenario's data
(``lalert_sim.model.overrides.merged``), so every check of the scenario still runs on it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lalert_sim.analysis.results import Record
from lalert_sim.errors import InvalidInput, ScenarioError, shown
from lalert_sim.model.loader import parse_scenario, read_yaml
from lalert_sim.model.overrides import merged
from lalert_sim.model.scenario import Scenario

EVERY = "*"
"""A path segment standing for every element of a list."""
MAX_PARAMETERS = 100
"""Most parameters one analysis may vary (each adds sample points)."""


@dataclass(frozen=True, slots=True)
class Parameter(Record):
    """One uncertain input: where it lives in the scenario data, its range and why that range."""

    path: str
    """Dotted path in the scenario data; a list element by index or ``*`` for every element."""
    low: float
    """Lowest value sampled."""
    high: float
    """Highest value sampled."""
    source: str
    """Where the value and its range come from (an assumption, a survey, the parameters file)."""
    baseline: float | None = None
    """Its value in the scenario as given (the first element's, for ``*``); None where the scenario does not
    set it (the default then applies: a packaged medium default, a latent-failure rate)."""
    channel: str | None = None
    """Varied only where the network has an emitter of this channel (a reception factor); None: always."""
    medium: str | None = None
    """Varied only where the network has a link of this medium (``topology.media``); None: always."""


class NotApplicable(Exception):
    """A parameter path that does not lead to a number in this scenario; the message says why."""


def packaged_parameters() -> list[Parameter]:
    """The registry of default uncertain parameters (data/sensitivity.toml)."""
    text = resources.files("lalert_sim.data").joinpath("sensitivity.toml").read_text("utf-8")
    entries = tomllib.loads(text)["parameter"]
    return [
        Parameter(
            e["path"], float(e["low"]), float(e["high"]), e["source"], channel=e.get("channel"), medium=e.get("medium")
        )
        for e in entries
    ]


def read_parameters(path: Path) -> list[Parameter]:
    """Parameters from a YAML file of ``path: [low, high]``; InvalidInput names the file, key and problem."""
    data, _lines = read_yaml(path)
    if not isinstance(data, Mapping) or not data:
        raise InvalidInput(f"{path}: a parameters file is a mapping of scenario paths to [low, high]")
    if len(data) > MAX_PARAMETERS:
        raise InvalidInput(f"{path}: {len(data)} parameters; at most {MAX_PARAMETERS}")
    found = []
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput(f"{path}: {shown(key)}: a parameter is named by its path in the scenario data")
        if (
            not isinstance(value, Sequence)
            or isinstance(value, str)
            or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
        ):
            raise InvalidInput(f"{path}: {key}: the range must be [low, high], two finite numbers; got {shown(value)}")
        low, high = float(value[0]), float(value[1])
        if not low < high:
            raise InvalidInput(f"{path}: {key}: low ({low:g}) must be below high ({high:g})")
        found.append(Parameter(key, low, high, f"{path.name}"))
    return found


def _segments(path: str) -> list[str]:
    parts = path.split(".")
    if not all(parts):
        raise NotApplicable("empty segment in the path")
    return parts


class _New:
    """Stands for a key a scenario's mapping does not have yet (``topology.media.mca``): it is added."""

    def __repr__(self) -> str:
        return "a new key"


NEW = _New()


def _child(model: Any, segment: str) -> Any:
    """The validated value under ``segment`` (a field, a mapping key or a list index); NotApplicable if none.

    A key a mapping lacks is ``NEW``: the override adds it (validation then checks that it may).
    """
    if model is NEW:
        return NEW
    if isinstance(model, BaseModel):
        if segment not in type(model).model_fields:
            raise NotApplicable(f"{type(model).__name__} has no field {segment!r}")
        return getattr(model, segment)
    if isinstance(model, Mapping):
        for key, value in model.items():
            if str(key) == segment:
                return value
        return NEW  # a mapping the scenario may extend (failures.rates, topology.media)
    if isinstance(model, list):
        if not segment.isdigit() or int(segment) >= len(model):
            raise NotApplicable(f"no element {segment} (the list has {len(model)})")
        return model[int(segment)]
    raise NotApplicable(f"{shown(model)} has no {segment!r}")


def _dumped(model: Any) -> Any:
    if model is NEW:
        return {}
    if isinstance(model, BaseModel):
        return model.model_dump(mode="json", exclude_none=True)
    if isinstance(model, list):
        return [_dumped(item) for item in model]
    if isinstance(model, Mapping):
        return {str(getattr(k, "value", k)): _dumped(v) for k, v in model.items()}
    return model


def _set(data: Any, model: Any, segments: list[str], value: float, found: list[float]) -> Any:
    """``data`` with ``value`` at ``segments``, taking what the data leaves out from the validated ``model``."""
    head, rest = segments[0], segments[1:]
    if head == EVERY:
        if not isinstance(model, list) or not model:
            raise NotApplicable("`*` stands for the elements of a list, and there are none here")
        items = list(data) if isinstance(data, list) else _dumped(model)
        applied = False
        for index, element in enumerate(model):
            try:
                items[index] = _set(items[index], element, rest, value, found) if rest else value
                applied = True
            except NotApplicable:
                continue  # another kind of element (an incident of another type)
        if not applied:
            raise NotApplicable("no element of the list has it")
        return items
    child_model = _child(model, head)
    if isinstance(data, list):
        items = list(data)
        index = int(head)
        if index >= len(items):
            raise NotApplicable(f"no element {index} in the scenario's list")
        items[index] = (
            _set(items[index], child_model, rest, value, found)
            if rest
            else _leaf(items[index], child_model, value, found)
        )
        return items
    current = dict(data) if isinstance(data, Mapping) else _dumped(model)
    if not isinstance(current, dict):
        raise NotApplicable(f"{head!r} is not inside a mapping")
    if not rest:
        current[head] = _leaf(current.get(head), child_model, value, found)
        return current
    if child_model is None:
        raise NotApplicable(f"no {head!r} in this scenario")
    below = current[head] if head in current else _dumped(child_model)
    current[head] = _set(below, child_model, rest, value, found)
    return current


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _leaf(given: Any, model: Any, value: float, found: list[float]) -> float | int:
    """The value to write at a path's end: the scenario's number there is replaced (a whole number by one)."""
    current = given if _number(given) else model  # a number the file gives (a latency of 5: a constant)
    if current is None or current is NEW:
        return value  # a new key of a mapping (a failure rate the scenario did not set), or a field left unset
    if not _number(current):
        raise NotApplicable(f"its value here is {shown(current)}, not a number")
    found.append(float(current))
    return round(value) if isinstance(current, int) and isinstance(model, int) else value


def overrides(data: Mapping[str, Any], scenario: Scenario, path: str, value: float) -> dict[str, Any]:
    """Overrides of the scenario data that set ``path`` to ``value`` (a whole list where the path enters one).

    ``scenario`` is ``data`` validated: it supplies the defaults of what the data leaves out.
    """
    segments = _segments(path)
    top = segments[0]
    if top not in Scenario.model_fields:
        raise NotApplicable(f"a scenario has no section {top!r}")
    return {top: _set(data, scenario, segments, value, [])[top]}


def baseline(data: Mapping[str, Any], scenario: Scenario, path: str) -> float | None:
    """The parameter's value in the scenario as given (the first one met); None where it has none."""
    found: list[float] = []
    _set(data, scenario, _segments(path), 0.0, found)
    return found[0] if found else None


def applicable(
    parameters: list[Parameter],
    data: Mapping[str, Any],
    scenario: Scenario,
    channels: Set[str] | None = None,
    media: Set[str] | None = None,
) -> tuple[list[Parameter], list[str]]:
    """The parameters this scenario has (with their baseline), and why each of the others was left out.

    ``channels`` and ``media``: those the network emits on and sends over; a parameter about another
    channel or medium is left out.
    """
    kept, skipped = [], []
    for parameter in parameters:
        if channels is not None and parameter.channel is not None and parameter.channel not in channels:
            skipped.append(f"{parameter.path}: no {parameter.channel} emitter in this scenario's network")
            continue
        if media is not None and parameter.medium is not None and parameter.medium not in media:
            skipped.append(f"{parameter.path}: no {parameter.medium} link in this scenario's network")
            continue
        try:
            value = baseline(data, scenario, parameter.path)
        except NotApplicable as exc:
            skipped.append(f"{parameter.path}: {exc}")
            continue
        kept.append(
            Parameter(
                parameter.path,
                parameter.low,
                parameter.high,
                parameter.source,
                value,
                parameter.channel,
                parameter.medium,
            )
        )
    return kept, skipped


def sample_data(
    data: Mapping[str, Any], scenario: Scenario, parameters: list[Parameter], values: Sequence[float]
) -> dict[str, Any]:
    """The scenario data with each parameter set to its value (overrides merged one after the other)."""
    current: dict[str, Any] = dict(data)
    for parameter, value in zip(parameters, values, strict=True):
        current = merged(current, overrides(current, scenario, parameter.path, float(value)))
    return current


def check_ranges(data: Mapping[str, Any], scenario: Scenario, parameters: list[Parameter], where: str) -> None:
    """Each parameter at its low and its high end must leave a valid scenario; InvalidInput says which does not."""
    alerts = {"alerts": [alert.model_dump(mode="json", exclude_none=True) for alert in scenario.alerts]}
    for parameter in parameters:
        for end, value in (("low", parameter.low), ("high", parameter.high)):
            try:
                parse_scenario(merged(sample_data(data, scenario, [parameter], [value]), alerts))
            except NotApplicable as exc:
                raise InvalidInput(f"{where}: {parameter.path}: {exc}") from None
            except ScenarioError as exc:
                problem = exc.problems[0]
                raise InvalidInput(
                    f"{where}: {parameter.path}: {end} end {value:g} makes the scenario invalid "
                    f"({problem.field}: {problem.message})"
                ) from None
