"""A base for the nested argument models (changes, constraints): their JSON schema is as compact as core makes the
top-level one. Core drops `anyOf [T, null]` with a null default for a tool's own parameters only; a nested model's
optional fields would still carry it, about 40 bytes a field that a model reads on every turn. Unknown keys are
refused (`extra="forbid"`), so a misspelt field is an error rather than a silent no-op."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, ConfigDict


def _compact(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)
    properties = cast(dict[str, Any], schema.get("properties") or {})
    for name, value in list(properties.items()):
        prop = cast(dict[str, Any], value)
        options = cast(list[Any], prop.get("anyOf") or [])
        if prop.get("default", 0) is None:
            prop.pop("default")
        kept = [o for o in options if o != {"type": "null"}]
        if len(options) == 2 and len(kept) == 1 and isinstance(kept[0], dict):
            merged = dict(cast(dict[str, Any], kept[0]))
            merged.update({k: v for k, v in prop.items() if k != "anyOf"})
            properties[name] = merged


class Compact(BaseModel):
    """A nested argument model with a compact schema (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)
