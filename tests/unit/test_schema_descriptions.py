"""The scenario's JSON Schema documents itself: every field and every type says what it is."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

import lalert_sim.model
from lalert_sim.model.scenario import Scenario

_NESTED = ("anyOf", "oneOf", "allOf")


def _objects(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object reachable from ``schema`` that may hold properties, with where it is."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, field in schema.get("properties", {}).items():
        yield from _objects(field, f"{where}.{name}")
    for key in _NESTED:
        for index, option in enumerate(schema.get(key, [])):
            yield from _objects(option, f"{where}[{key} {index}]")
    for key in ("items", "additionalProperties"):
        yield from _objects(schema.get(key), f"{where}[{key}]")


def undocumented_fields(schema: dict[str, Any]) -> list[str]:
    """Every property, in ``$defs`` or at the top level, whose schema has no description."""
    roots = {"Scenario": schema, **{f"$defs.{name}": part for name, part in schema.get("$defs", {}).items()}}
    return sorted(
        f"{where}.{name}"
        for root, part in roots.items()
        for where, found in _objects(part, root)
        for name, field in found.get("properties", {}).items()
        if not (isinstance(field, dict) and field.get("description"))
    )


def test_every_scenario_field_has_a_description() -> None:
    assert undocumented_fields(Scenario.model_json_schema()) == []


def test_every_scenario_type_has_a_description() -> None:
    definitions = Scenario.model_json_schema()["$defs"]
    assert sorted(name for name, part in definitions.items() if not part.get("description")) == []


def test_every_model_class_has_a_docstring() -> None:
    modules = [
        importlib.import_module(f"lalert_sim.model.{m.name}") for m in pkgutil.iter_modules(lalert_sim.model.__path__)
    ]
    models = {
        f"{module.__name__}.{name}": cls
        for module in modules
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__
    }
    assert len(models) > 30
    assert [name for name, cls in models.items() if not cls.__doc__] == []


def test_schema_is_strict_json_without_infinite_defaults() -> None:
    json.dumps(Scenario.model_json_schema(), allow_nan=False)  # raises on an Infinity an editor cannot read


def test_the_walk_finds_fields_nested_in_unions_lists_and_maps() -> None:
    schema = {
        "properties": {"documented": {"description": "yes", "type": "integer"}},
        "$defs": {
            "Holder": {
                "properties": {
                    "choice": {
                        "description": "a union",
                        "anyOf": [{"properties": {"in_union": {"type": "string"}}}, {"type": "null"}],
                    },
                    "many": {"description": "a list", "items": {"properties": {"in_list": {}}}},
                    "table": {"description": "a map", "additionalProperties": {"properties": {"in_map": {}}}},
                },
            }
        },
    }
    assert undocumented_fields(schema) == [
        "$defs.Holder.choice[anyOf 0].in_union",
        "$defs.Holder.many[items].in_list",
        "$defs.Holder.table[additionalProperties].in_map",
    ]
