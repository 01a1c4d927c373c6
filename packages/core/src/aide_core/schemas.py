"""Input schemas as a model reads them on every turn: without the noise pydantic generates."""

from __future__ import annotations

from typing import Any, cast

from mcp.server.mcpserver.tools import Tool


def compact(tool: Tool) -> Tool:
    """`tool` with the `title` pydantic puts on every property ("Query" for `query`) dropped: it repeats the name, and
    a model reads every input schema on every turn. Done on the `Tool` before it is registered (`MCPServer(tools=)`),
    so no SDK internals are touched. Arguments are still validated by the SDK's model, not by this schema."""
    _strip_titles(tool.parameters)
    _drop_null_options(tool.parameters)
    return tool


def _drop_null_options(schema: dict[str, Any]) -> None:
    """An optional argument `x: T | None = None` becomes `{...T}` instead of `{"anyOf": [T, {"type": "null"}],
    "default": null}`: leaving it out already means None, and the shorter form is what a model reads each turn."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, value in cast(dict[str, Any], properties).items():
        if not isinstance(value, dict):
            continue
        prop = cast(dict[str, Any], value)
        options = prop.get("anyOf")
        if not isinstance(options, list) or "default" not in prop or prop["default"] is not None:
            continue
        kept = [o for o in cast(list[Any], options) if o != {"type": "null"}]
        if len(kept) != 1 or len(cast(list[Any], options)) != 2 or not isinstance(kept[0], dict):
            continue
        merged = dict(cast(dict[str, Any], kept[0]))
        merged.update({k: v for k, v in prop.items() if k not in ("anyOf", "default")})
        properties[name] = merged


def _strip_titles(node: Any) -> None:
    """Remove `title` from a schema and its sub-schemas (a property *named* title is kept: it lives in the
    `properties` mapping, whose keys are names, not schema keywords)."""
    if isinstance(node, list):
        for item in cast(list[Any], node):
            _strip_titles(item)
        return
    if not isinstance(node, dict):
        return
    schema = cast(dict[str, Any], node)
    schema.pop("title", None)
    for key, value in schema.items():
        if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            for sub in cast(dict[str, Any], value).values():
                _strip_titles(sub)
        else:
            _strip_titles(value)
