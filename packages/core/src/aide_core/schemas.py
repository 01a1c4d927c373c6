"""Input schemas as a model reads them on every turn: without the noise pydantic generates."""

from __future__ import annotations

from typing import Any, cast

from mcp.server.mcpserver.tools import Tool
from pydantic import BaseModel, ConfigDict


class Output(BaseModel):
    """The base of a tool's output model: its validator and serializer are built on first use, not when the class is
    defined (`defer_build`). A server imports all its output models before it can answer `tools/list`, and building
    them there cost Calendar about 5 ms of its cold start, for tools most sessions never call; the listed schemas
    come from `aide_core.tool_cache` or from the tool's first build, which builds the models it uses."""

    model_config = ConfigDict(defer_build=True)


def compact(tool: Tool) -> Tool:
    """`tool` with the `title` pydantic puts on every property ("Query" for `query`) dropped: it repeats the name, and
    a model reads every input schema on every turn. Done on the `Tool` before it is registered (`MCPServer(tools=)`),
    so no SDK internals are touched. Arguments are still validated by the SDK's model, not by this schema."""
    _strip_titles(tool.parameters)
    _drop_null_options(tool.parameters)
    _inline_single_use_defs(tool.parameters)
    if not tool.parameters.get("properties"):
        # A tool that takes nothing says so: `{"type": "object", "properties": {}}` alone reads as an open object to
        # strict hosts (openai-agents then sends the tool non-strict), and any argument would be refused anyway.
        tool.parameters["additionalProperties"] = False
    return tool


def _inline_single_use_defs(schema: dict[str, Any]) -> None:
    """Put a `$defs` entry that is referenced once in place of its `$ref`: `{"changes": {"$ref":
    "#/$defs/EventChanges"}}` plus the definition costs a model ~50 bytes more than the object written in place, and
    a nested model is almost always used by one argument. Definitions used twice, or by themselves (recursion), stay.
    """
    defs = schema.get("$defs")
    if not isinstance(defs, dict) or not defs:
        return
    definitions = cast(dict[str, Any], defs)
    counts: dict[str, int] = dict.fromkeys(definitions, 0)
    _count_refs(schema, counts)
    inline = {
        name
        for name, count in counts.items()
        if count == 1 and not _refers_to(definitions[name], name)  # a recursive definition cannot be inlined
    }
    if not inline:
        return
    _replace_refs(schema, {name: definitions[name] for name in inline})
    for name in inline:
        del definitions[name]
    if not definitions:
        del schema["$defs"]


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.removeprefix("#/$defs/") if isinstance(ref, str) and ref.startswith("#/$defs/") else None


def _count_refs(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, list):
        for item in cast(list[Any], node):
            _count_refs(item, counts)
    elif isinstance(node, dict):
        mapping = cast(dict[str, Any], node)
        name = _ref_name(mapping)
        if name in counts:
            counts[name] += 1
        for value in mapping.values():
            _count_refs(value, counts)


def _refers_to(node: Any, name: str) -> bool:
    counts = {name: 0}
    _count_refs(node, counts)
    return counts[name] > 0


def _replace_refs(node: Any, inline: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in cast(list[Any], node):
            _replace_refs(item, inline)
    elif isinstance(node, dict):
        mapping = cast(dict[str, Any], node)
        for key, value in list(mapping.items()):
            if key == "$defs":
                continue  # the definitions themselves are walked through their (single) use
            if isinstance(value, dict) and (name := _ref_name(cast(dict[str, Any], value))) in inline:
                # Keys beside the $ref (a description, a default) describe this use and win over the definition's.
                siblings = {k: v for k, v in cast(dict[str, Any], value).items() if k != "$ref"}
                value = mapping[key] = {**inline[name], **siblings}
            _replace_refs(value, inline)


def _drop_null_options(schema: Any) -> None:
    """An optional argument `x: T | None = None` becomes `{...T}` instead of `{"anyOf": [T, {"type": "null"}],
    "default": null}`: leaving it out already means None, and the shorter form is what a model reads each turn. The
    same at any depth (a field of a nested model), since a null anywhere is read as not given
    (`aide_core.arguments.as_given`)."""
    if isinstance(schema, list):
        for item in cast(list[Any], schema):
            _drop_null_options(item)
        return
    if not isinstance(schema, dict):
        return
    for key, value in cast(dict[str, Any], schema).items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            for sub in cast(dict[str, Any], value).values():
                _drop_null_options(sub)
        else:
            _drop_null_options(value)
    properties = cast(dict[str, Any], schema).get("properties")
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
