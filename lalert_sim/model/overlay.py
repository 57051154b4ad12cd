"""A scenario overlay (``--overlay FILE``): YAML merged onto a scenario's data before validation (mappings key
by key, anything else replaced: ``model.overrides.merged``), so every check still runs and a problem in what
the overlay gives is named by the overlay file, its field and its line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lalert_sim.errors import Loc, Problem, ScenarioError
from lalert_sim.model.loader import line_finder, read_yaml
from lalert_sim.model.overrides import merged


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds the file's (mutable) data
class Overlay:
    """An overlay file's data and the line of each of its fields."""

    path: Path
    data: Mapping[str, Any]
    lines: Mapping[Loc, int]

    @classmethod
    def read(cls, path: Path) -> Overlay:
        """The overlay file, bounded and parsed as a scenario is; a ScenarioError naming it if it is not a mapping."""
        data, lines = read_yaml(path)
        if not isinstance(data, dict) or not data:
            raise ScenarioError(
                [Problem("an overlay is a mapping of scenario sections (topology:, residents: ...)", (), str(path))]
            )
        return cls(path, data, lines)

    def onto(self, data: Any) -> Any:
        """The scenario ``data`` with the overlay merged on top (the scenario's variants left out of it)."""
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if key != "variants"}
        return merged(data, self.data)

    def gives(self, loc: Loc) -> bool:
        """Whether the value at ``loc`` of the merged data comes from the overlay."""
        current: Any = self.data
        for part in loc:
            if not isinstance(current, Mapping):
                return True  # inside a list or value the overlay replaces whole
            if part not in current:
                return False
            current = current[part]
        return bool(loc)

    def claim(self, exc: ScenarioError) -> ScenarioError:
        """``exc`` with each problem in what the overlay gives named by the overlay file and line."""
        line_of = line_finder(dict(self.lines))
        problems = [
            Problem(p.message, p.loc, str(self.path), line_of(p.loc)) if p.file is None and self.gives(p.loc) else p
            for p in exc.problems
        ]
        return type(exc)(problems)
