"""Reads a scenario file: YAML with line numbers, then pydantic, errors made readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lalert_sim.errors import LineLookup, Loc, Problem, ScenarioError
from lalert_sim.model.scenario import Scenario


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """The file's data and the line of every field path in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("file not found", file=str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(f"cannot read file: {exc}", file=str(path))]) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str) -> tuple[Any, dict[Loc, int]]:
    """YAML text's data and the line of every field path in it (``name`` for messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            [Problem(f"not valid YAML: {problem}", file=name, line=mark.line + 1 if mark else None)]
        ) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def _collect_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, key.value)
            lines[child] = key.start_mark.line + 1
            _collect_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*loc, index), lines)


def line_finder(lines: dict[Loc, int]) -> LineLookup:
    """Line of the deepest part of a field path that the file contains."""

    def line_of(loc: Loc) -> int | None:
        found = lines.get(())
        current: Loc = ()
        for part in loc:
            if (*current, part) in lines:
                current = (*current, part)
                found = lines[current]
        return found

    return line_of


def data_path(loc: tuple[Any, ...], data: Any) -> Loc:
    """Keep only the parts of a pydantic error location that exist in the data.

    Pydantic adds union tags and validator names (``uniform``, ``function-before[...]``)
    that mean nothing to the person who wrote the file.
    """
    kept: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        if isinstance(current, dict) and part in current:
            current = current[part]
            kept.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            kept.append(part)
        elif (
            position == len(loc) - 1
            and isinstance(part, str)
            and isinstance(current, dict)
            and current.get("kind") != part
        ):
            kept.append(part)  # the field that is missing: still name it
    return tuple(kept)


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (not part of the scenario format; `lalert-sim schema` lists the fields)"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("enum", "literal_error", "union_tag_invalid") and "input" in error:
        return f"{error['input']!r} is not allowed. {message}"
    return message


def validation_problems(exc: ValidationError, data: Any) -> list[Problem]:
    """Pydantic's errors as problems with clean field paths."""
    problems = []
    for error in exc.errors():
        problems.append(Problem(_message(error), data_path(error["loc"], data)))
    return problems


def parse_scenario(data: Any) -> Scenario:
    """Validate already-loaded data as a scenario (ScenarioError without file or line)."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("a scenario file must be a mapping (metadata:, topology:, alerts: ...)")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data)) from None
