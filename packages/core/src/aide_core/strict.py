"""Tool input schemas in OpenAI's strict form: what the agent sends to OpenAI-style providers, and what core's test
kit checks every server's tools against (`aide_core.testing.check_tool_schemas`), so the check and the use agree.

OpenAI's strict function calling guarantees arguments that match the schema, but only accepts a subset: every object
closed (`additionalProperties: false`) with every property required, and no free-form objects. `openai_strict`
converts a tool's input schema when it can and says so; otherwise the tool is sent non-strict with its schema as is
(the server validates arguments either way). Optional top-level parameters become nullable-and-required, and the
nulls the model then sends for them are dropped again (`drop_nulls`) before the call, so a parameter with a default
gets its default rather than a `None` the server would reject.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

__all__ = ["Converted", "NotStrict", "drop_nulls", "openai_strict", "without_nulls"]

#: Keywords strict mode accepts, kept as they are.
_KEPT = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const", "description",
    "$ref", "$defs", "definitions", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip
#: Keywords that only annotate or add checks the server makes anyway: dropped for strict mode.
_DROPPED = {"title", "default", "examples", "minLength", "maxLength", "uniqueItems", "minProperties", "maxProperties"}


class NotStrict(Exception):
    """The schema uses something strict mode cannot express."""


@dataclass(frozen=True)
class Converted:
    schema: dict[str, Any]
    strict: bool
    #: Top-level parameters made nullable for strict mode, whose nulls mean "not given".
    optional: frozenset[str] = frozenset()
    #: The schema as the server gave it, by which the nulls of a strict call are read back (`clean`).
    source: dict[str, Any] | None = None

    def clean(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """A strict call's arguments without the nulls it had to send for optional properties, at any depth."""
        if self.source is None:
            return arguments
        return cast(dict[str, Any], without_nulls(arguments, self.source))


def openai_strict(schema: dict[str, Any]) -> Converted:
    """The schema for an OpenAI function tool: strict when possible, else the original, non-strict."""
    try:
        root = copy.deepcopy(schema)
        if root.get("type") != "object":
            raise NotStrict("root is not an object")
        originally_required = set(cast(list[str], root.get("required", [])))
        optional = frozenset(set(cast(dict[str, Any], root.get("properties", {}))) - originally_required)
        converted = _convert(root, top=True)
        return Converted(converted, True, optional, source=schema)
    except NotStrict:
        return Converted(schema, False)


def _convert(node: Any, *, top: bool = False) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    schema = cast(dict[str, Any], node)
    if "oneOf" in schema:
        schema["anyOf"] = schema.pop("oneOf")
    for key in list(schema):
        if key in _DROPPED:
            del schema[key]
        elif key not in _KEPT:
            raise NotStrict(key)
    types = schema.get("type")
    if types == "object" or (isinstance(types, list) and "object" in types):
        additional = schema.get("additionalProperties", False)
        if additional is not False:
            raise NotStrict("an open object")
        properties = cast(dict[str, Any], schema.get("properties", {}))
        required = set(cast(list[str], schema.get("required", [])))
        schema["properties"] = {
            name: (_convert(sub) if name in required else _nullable(_convert(sub))) for name, sub in properties.items()
        }
        schema["required"] = list(properties)
        schema["additionalProperties"] = False
    if "items" in schema:
        schema["items"] = _convert(schema["items"])
    if "anyOf" in schema:
        schema["anyOf"] = [_convert(sub) for sub in schema["anyOf"]]
    for defs in ("$defs", "definitions"):
        if defs in schema:
            schema[defs] = {name: _convert(sub) for name, sub in cast(dict[str, Any], schema[defs]).items()}
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    types = schema.get("type")
    if isinstance(types, str) and "$ref" not in schema:
        return {**schema, "type": [types, "null"]} if types != "null" else schema
    if isinstance(types, list):
        return schema if "null" in types else {**schema, "type": [*cast(list[str], types), "null"]}
    if "anyOf" in schema:
        options = cast(list[dict[str, Any]], schema["anyOf"])
        return (
            schema
            if any(o.get("type") == "null" for o in options)
            else {**schema, "anyOf": [*options, {"type": "null"}]}
        )
    return {"anyOf": [schema, {"type": "null"}]}


def without_nulls(value: Any, schema: Any, root: Any = None) -> Any:
    """`value` without the nulls given for properties its (original, non-strict) `schema` does not require, at any
    depth (through `properties`, `items` and local `$ref`s): what a strict call means by them is "not given". A
    required property keeps its null (and is refused by whoever validates it)."""
    root = schema if root is None else root
    if isinstance(schema, dict) and isinstance(cast(dict[str, Any], schema).get("$ref"), str):
        schema = _resolve(cast(str, cast(dict[str, Any], schema)["$ref"]), root)
    if not isinstance(schema, dict):
        return value
    node = cast(dict[str, Any], schema)
    if isinstance(value, dict) and isinstance(node.get("properties"), dict):
        properties = cast(dict[str, Any], node["properties"])
        required = set(cast(list[str], node.get("required", [])))
        return {
            key: without_nulls(item, properties.get(key), root)
            for key, item in cast(dict[str, Any], value).items()
            if item is not None or key in required
        }
    if isinstance(value, list) and "items" in node:
        return [without_nulls(item, node["items"], root) for item in cast(list[Any], value)]
    return cast(Any, value)


def _resolve(ref: str, root: Any) -> Any:
    """A local `#/$defs/Name` reference, or None."""
    if not ref.startswith("#/"):
        return None  # a remote reference: nothing to read nulls by
    node: Any = root
    for part in ref[2:].split("/"):
        node = cast(dict[str, Any], node).get(part) if isinstance(node, dict) else None
    return node


def drop_nulls(arguments: dict[str, Any], optional: frozenset[str]) -> dict[str, Any]:
    """Arguments without the nulls strict mode made the model send for parameters it left out."""
    return {key: value for key, value in arguments.items() if not (value is None and key in optional)}
