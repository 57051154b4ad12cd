"""Plans to run: a scenario file as written, one of its ``variants:``, or any overrides of it (a knock-out).

A plan other than the file itself travels as YAML text, the file's data with its
overrides merged on top, so a sweep runs it like a file (relative paths resolve
from the file's folder) and on the same master seed as the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lalert_sim.errors import InvalidInput, Loc, Problem, ScenarioError
from lalert_sim.model.loader import line_finder, parse_yaml, read_yaml
from lalert_sim.model.overlay import Overlay
from lalert_sim.model.overrides import merged
from lalert_sim.prepare import Prepared, load, load_text


@dataclass(frozen=True)
class Plan:
    """One plan: ``path`` as written (``text`` None) or ``text``, a variant of it; ``name`` labels its results."""

    name: str
    path: Path
    text: str | None = None
    where: Loc = ()  # where its overrides sit in the file (``variants``, NAME): its problems are named from there
    overlay: Overlay | None = None  # merged into ``text`` (``--overlay``): it names the problems in what it gives

    def prepare(self, allow_outside_paths: bool = False) -> Prepared:
        """The plan validated and built; a ScenarioError names the file, ``where`` + field and line."""
        if self.text is None:
            return load(self.path, allow_outside_paths=allow_outside_paths)
        try:
            return load_text(self.text, str(self.path), allow_outside_paths, self.overlay)
        except ScenarioError as exc:
            raise self._in_file(exc) from None

    def overlaid(self, overlay: Overlay) -> Plan:
        """This plan with ``overlay`` merged on top (``--overlay``): it runs as text, like a variant."""
        # Flow style for leaf lists: an overlay's measured values stay one line each, not one line per value.
        text = yaml.safe_dump(overlay.onto(self.data()), sort_keys=False, allow_unicode=True, default_flow_style=None)
        return Plan(self.name, self.path, text, self.where, overlay)

    def data(self) -> dict[str, Any]:
        """The plan's scenario data as parsed YAML (not yet validated)."""
        if self.text is None:
            return scenario_data(self.path)
        data, _lines = parse_yaml(self.text, str(self.path))
        return data if isinstance(data, dict) else {}

    def _in_file(self, exc: ScenarioError) -> ScenarioError:
        """Problems of the merged text, named as the file's own (under ``where``), with the file's lines."""
        _data, lines = read_yaml(self.path)
        line_of = line_finder(lines)
        source = str(self.path)
        problems = []
        for problem in exc.problems:
            if problem.file != source:  # a file it names (a CAP alert, a table) speaks for itself
                problems.append(problem)
                continue
            loc = (*self.where, *problem.loc)
            problems.append(Problem(problem.message, loc, source, line_of(loc)))
        return type(exc)(problems)


def scenario_data(path: Path) -> dict[str, Any]:
    """The file's data as parsed YAML (not yet validated); a ScenarioError when it is not a mapping."""
    data, _lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem("a scenario file must be a mapping (metadata:, topology:, alerts: ...)", (), str(path))]
        )
    return data


def overridden_text(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
    """YAML text of the scenario ``data`` (its variants left out) with ``overrides`` merged on top."""
    base = {key: value for key, value in data.items() if key != "variants"}
    return yaml.safe_dump(merged(base, overrides), sort_keys=False, allow_unicode=True)


def variant_names(data: Mapping[str, Any]) -> list[str]:
    """The names of the scenario's variants, in file order."""
    variants = data.get("variants")
    return list(variants) if isinstance(variants, dict) else []


def variant_plan(path: Path, name: str, data: Mapping[str, Any] | None = None) -> Plan:
    """The plan of variant ``name`` of the scenario file; InvalidInput naming the variants there are if none is."""
    data = scenario_data(path) if data is None else data
    variants = data.get("variants")
    if not isinstance(variants, dict) or name not in variants:
        known = ", ".join(variant_names(data)) or "none"
        raise InvalidInput(f"{path}: no variant {name!r} in its variants: section (variants: {known})")
    overrides = variants[name]
    if not isinstance(overrides, dict):
        raise ScenarioError([Problem("a variant is a mapping of overrides", ("variants", name), str(path))])
    return Plan(name, path, overridden_text(data, overrides), ("variants", name))


def variant_plans(path: Path, names: list[str]) -> list[Plan]:
    """The file as written (named by its stem) followed by each named variant, for a paired comparison."""
    data = scenario_data(path)
    if len(set(names)) != len(names):
        raise InvalidInput(f"--variants {','.join(names)}: a variant is named twice")
    if path.stem in names:
        raise InvalidInput(f"--variants: {path.stem!r} names the scenario itself (the base of the comparison)")
    return [Plan(path.stem, path), *(variant_plan(path, name, data) for name in names)]


def prepare_variants(path: Path, allow_outside_paths: bool = False) -> list[Prepared]:
    """Every variant of the scenario file validated and built; one ScenarioError with the problems of all."""
    data = scenario_data(path)
    prepared, problems = [], []
    for name in variant_names(data):
        try:
            prepared.append(variant_plan(path, name, data).prepare(allow_outside_paths))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return prepared
