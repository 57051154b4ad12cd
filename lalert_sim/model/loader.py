"""Reads a scenario file: YAML with line numbers, then pydantic, errors made readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lalert_sim.errors import LineLookup, Loc, Problem, ScenarioError, shown
from lalert_sim.model.files import SCENARIO_MAX_BYTES, read_bounded
from lalert_sim.model.scenario import Scenario

YAML_MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (the scenario format needs under 10)."""
YAML_MAX_NODES = 50_000
"""Most values (scalars, lists, mappings) in a document, counting each alias as the whole of what it repeats."""
YAML_MAX_ALIASES = 1_000
"""Most alias references (``*name``) in a document."""


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """The file's data and the line of every field path in it."""
    data = read_bounded(path, SCENARIO_MAX_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(f"cannot read file: not UTF-8 text (byte {exc.start})", file=str(path))
        raise ScenarioError([problem]) from None
    return parse_yaml(text, str(path))


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing documents that nest too deep or use too many aliases while it composes them."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._composed = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            _refuse_beyond(self._aliases, YAML_MAX_ALIASES, "alias references (*name)", mark)
        self._composed += 1
        _refuse_beyond(self._composed, YAML_MAX_NODES, "values", mark)
        self._depth += 1
        _refuse_beyond(self._depth, YAML_MAX_DEPTH, "levels of nesting", mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception:  # noqa: BLE001 - a huge integer, 2026-13-45, `!!bool maybe`, `!!timestamp x`
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(None, None, f"not a valid {tag}", node.start_mark) from None


def _refuse_beyond(count: int, limit: int, what: str, mark: yaml.Mark | None) -> None:
    if count > limit:
        raise yaml.composer.ComposerError(None, None, f"more than {limit:,} {what}; the limit keeps loading safe", mark)


def parse_yaml(text: str, name: str) -> tuple[Any, dict[Loc, int]]:
    """YAML text's data and the line of every field path in it (``name`` for messages).

    Bounded: size, nesting, aliases and values after alias expansion are limited,
    and a key given twice in one mapping is an error.
    """
    if len(text) > SCENARIO_MAX_BYTES:
        raise ScenarioError([Problem(f"larger than the limit of {SCENARIO_MAX_BYTES // 1024} KiB", file=name)])
    try:
        node, data = _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: say which and where, quote nothing
            problem = f"character #x{exc.character:04x} at position {exc.position} is not allowed in YAML"
        raise ScenarioError(
            [Problem(f"not valid YAML: {problem}", file=name, line=mark.line + 1 if mark else None)]
        ) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (checked) and its data; YAMLError for anything wrong."""
    loader = _BoundedLoader(text)  # checks the characters at once
    try:
        node = loader.get_single_node()
        if node is not None:
            _Expansion().check(node, 0)
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


class _Expansion:
    """What the document becomes once every alias is expanded: its size, depth and repeated keys, checked."""

    def __init__(self) -> None:
        self.known: dict[int, tuple[int, int]] = {}  # id of a node: (values, levels) it expands to
        self.open: set[int] = set()  # nodes whose children are being checked

    def check(self, node: yaml.Node, depth: int) -> tuple[int, int]:
        """Values and levels ``node`` expands to; ComposerError beyond the limits (an alias inside itself too)."""
        found = self.known.get(id(node))
        if found is None:
            if id(node) in self.open:
                raise yaml.composer.ComposerError(
                    None, None, "an alias refers to a value that contains it (endless)", node.start_mark
                )
            _refuse_beyond(depth + 1, YAML_MAX_DEPTH, "levels of nesting once aliases are expanded", node.start_mark)
            self.open.add(id(node))
            parts = [self.check(child, depth + 1) for child in _children(node)]
            self.open.discard(id(node))
            found = (1 + sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0))
            self.known[id(node)] = found
        _refuse_beyond(found[0], YAML_MAX_NODES, "values once aliases are expanded", node.start_mark)
        _refuse_beyond(depth + found[1], YAML_MAX_DEPTH, "levels of nesting once aliases are expanded", node.start_mark)
        return found


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            line = key.start_mark.line + 1
            if key.value in seen:
                raise yaml.composer.ComposerError(
                    None, None, f"key {shown(key.value)} given twice (first on line {seen[key.value]})", key.start_mark
                )
            seen[key.value] = line
    return [part for pair in node.value for part in pair]


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
        if isinstance(current, dict) and position < len(loc) - 1 and part in _tags(current):
            continue  # a union's tag (``template: prefecture``), even where a field has the same name
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


def _tags(mapping: dict[Any, Any]) -> set[object]:
    # Only a string names a kind; anything else (a list, a mapping) is the user's mistake, reported elsewhere.
    return {tag for key in ("kind", "type", "template") if isinstance(tag := mapping.get(key), str)}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (not part of the scenario format; `lalert-sim schema` lists the fields)"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("enum", "literal_error", "union_tag_invalid") and "input" in error:
        return f"{shown(error['input'])} is not allowed. {message}"
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
