"""The discovery documents google-api-python-client ships, used as the emulator's routing table and schema.

The client builds every request from these same documents (wire-formats 1.9), so routing on them gives exactly the
paths, parameters and bodies a real client sends; validating against them gives Google's 400s for unknown query
parameters, wrong types and unknown body fields, which the client itself never checks.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from aide_sandbox.google.errors import invalid_argument

#: Parameters Google accepts beyond a method's own; `upload_id` is the resumable-upload session the emulator hands out.
_EXTRA_GLOBAL = frozenset({"upload_id"})


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    type: str
    format: str | None = None
    enum: tuple[str, ...] = ()
    repeated: bool = False
    required: bool = False
    default: str | None = None


@dataclass(frozen=True)
class Method:
    id: str
    http_method: str
    path: str
    pattern: re.Pattern[str]
    parameters: dict[str, Parameter]
    request: str | None
    response: str | None
    scopes: tuple[str, ...]
    upload_pattern: re.Pattern[str] | None = None
    resumable_pattern: re.Pattern[str] | None = None


@dataclass
class Api:
    name: str
    version: str
    service_path: str
    batch_path: str
    methods: list[Method]
    schemas: dict[str, Any]
    global_parameters: dict[str, Parameter] = field(default_factory=dict[str, Parameter])

    def route(self, http_method: str, path: str) -> tuple[Method, dict[str, str], str] | None:
        """The method a request is for, its path parameters, and "" / "upload" / "resumable" for how it was sent.

        `path` is relative to the API root, without a leading slash (`gmail/v1/users/me/messages`)."""
        for method in self.methods:
            if method.http_method != http_method:
                continue
            patterns = (("", method.pattern), ("upload", method.upload_pattern), ("upload", method.resumable_pattern))
            for kind, pattern in patterns:
                match = pattern.fullmatch(path) if pattern else None
                if match:
                    return method, match.groupdict(), kind
        return None

    def path_exists(self, path: str) -> bool:
        return any(
            p.fullmatch(path) for m in self.methods for p in (m.pattern, m.upload_pattern, m.resumable_pattern) if p
        )

    def parse_query(self, method: Method, query: list[tuple[str, str]]) -> dict[str, Any]:
        """The method's query parameters converted to Python values, with defaults; a 400 for anything else.

        Google names an unknown parameter in its message, and a wrongly typed one by its snake_case field name."""
        values: dict[str, Any] = {}
        for name, raw in query:
            parameter = method.parameters.get(name) or self.global_parameters.get(name)
            if parameter is None or parameter.location != "query":
                if name in _EXTRA_GLOBAL:
                    values[name] = raw
                    continue
                raise invalid_argument(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message."
                )
            value = _convert(parameter, raw)
            if parameter.repeated:
                values.setdefault(name, []).append(value)
            elif name in values:
                raise invalid_argument(f"Invalid value at '{_snake(name)}': only one value is allowed, got several.")
            else:
                values[name] = value
        for name, parameter in method.parameters.items():
            if parameter.location != "query" or name in values:
                continue
            if parameter.required:
                raise invalid_argument(f"Required parameter '{name}' is missing.", reason="required")
            if parameter.default is not None:
                values[name] = _convert(parameter, parameter.default)
        return values

    def check_body(self, ref: str, body: object) -> None:
        """A 400 for a body that does not fit the request schema (unknown field, wrong type, bad base64)."""
        _check(self.schemas, {"$ref": ref}, body, "")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _convert(parameter: Parameter, raw: str) -> Any:
    where = f"Invalid value at '{_snake(parameter.name)}'"
    if parameter.enum and raw not in parameter.enum:
        raise invalid_argument(f'{where}, "{raw}": not one of {", ".join(parameter.enum)}.')
    if parameter.type == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            raise invalid_argument(f'{where} (TYPE_INT32), "{raw}"')
        number = int(raw)
        if parameter.format == "uint32" and number < 0:
            raise invalid_argument(f'{where} (TYPE_UINT32), "{raw}"')
        return number
    if parameter.type == "boolean":
        if raw not in ("true", "false", "1", "0"):
            raise invalid_argument(f'{where} (TYPE_BOOL), "{raw}"')
        return raw in ("true", "1")
    if parameter.type == "number":
        try:
            return float(raw)
        except ValueError:
            raise invalid_argument(f'{where} (TYPE_DOUBLE), "{raw}"') from None
    if parameter.format in ("uint64", "int64") and not re.fullmatch(r"-?\d+", raw):
        raise invalid_argument(f'{where} (TYPE_UINT64), "{raw}"')
    return raw


def _check(schemas: dict[str, Any], schema: dict[str, Any], value: object, where: str) -> None:
    while "$ref" in schema:
        schema = schemas[schema["$ref"]]
    at = f" at '{where}'" if where else ""
    kind = schema.get("type")
    if value is None:
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise invalid_argument(f"Invalid JSON payload received. Expected an object{at}.")
        properties: dict[str, Any] = schema.get("properties", {})
        extra: dict[str, Any] | None = schema.get("additionalProperties")
        for key, item in cast(dict[str, object], value).items():
            child = properties.get(key, extra)
            if child is None:
                raise invalid_argument(f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.')
            _check(schemas, child, item, f"{where}.{key}" if where else key)
    elif kind == "array":
        if not isinstance(value, list):
            raise invalid_argument(f"Invalid JSON payload received. Expected an array{at}.")
        for index, item in enumerate(cast(list[object], value)):
            _check(schemas, schema.get("items", {}), item, f"{where}[{index}]")
    elif kind == "string":
        if schema.get("format") in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return  # Google accepts 64-bit integers as JSON numbers too
        if not isinstance(value, str):
            raise invalid_argument(f"Invalid value{at} (TYPE_STRING), {json.dumps(value)}")
        if schema.get("format") == "byte":
            try:
                base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            except (binascii.Error, ValueError):
                raise invalid_argument(f"Invalid value{at} (TYPE_BYTES), Base64 decoding failed") from None
        if "enum" in schema and value not in schema["enum"]:
            raise invalid_argument(f'Invalid value{at}, "{value}"')
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_argument(f"Invalid value{at} (TYPE_INT32), {json.dumps(value)}")
    elif kind == "boolean" and not isinstance(value, bool):
        raise invalid_argument(f"Invalid value{at} (TYPE_BOOL), {json.dumps(value)}")


def _pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{\\\+(\w+)\\\}", r"(?P<\1>.+)", re.escape(path))
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(regex)


def _parameters(raw: dict[str, Any]) -> dict[str, Parameter]:
    return {
        name: Parameter(
            name=name,
            location=spec.get("location", "query"),
            type=spec.get("type", "string"),
            format=spec.get("format"),
            enum=tuple(spec.get("enum", ())),
            repeated=bool(spec.get("repeated", False)),
            required=bool(spec.get("required", False)),
            default=spec.get("default"),
        )
        for name, spec in raw.items()
    }


def _methods(resource: dict[str, Any], service_path: str) -> list[Method]:
    found: list[Method] = []
    for spec in resource.get("methods", {}).values():
        protocols = spec.get("mediaUpload", {}).get("protocols", {})
        simple = protocols.get("simple", {}).get("path")
        resumable = protocols.get("resumable", {}).get("path")
        found.append(
            Method(
                id=spec["id"],
                http_method=spec["httpMethod"],
                path=spec["path"],
                pattern=_pattern(service_path + spec["path"]),
                parameters=_parameters(spec.get("parameters", {})),
                request=spec.get("request", {}).get("$ref"),
                response=spec.get("response", {}).get("$ref"),
                scopes=tuple(spec.get("scopes", ())),
                upload_pattern=_pattern(simple.lstrip("/")) if simple else None,
                resumable_pattern=_pattern(resumable.lstrip("/")) if resumable else None,
            )
        )
    for child in resource.get("resources", {}).values():
        found.extend(_methods(child, service_path))
    return found


@cache
def load_api(name: str, version: str) -> Api:
    """The bundled discovery document of `name` `version`, compiled for routing (cached: it is immutable)."""
    from googleapiclient.discovery_cache import get_static_doc

    text = get_static_doc(name, version)
    if text is None:
        raise LookupError(f"google-api-python-client ships no discovery document for {name} {version}")
    doc: dict[str, Any] = json.loads(text)
    methods = _methods(doc, doc.get("servicePath", ""))
    # Literal segments win over parameters: `messages/send` before `messages/{id}`.
    methods.sort(key=lambda m: (m.path.count("{"), -len(m.path)))
    return Api(
        name=name,
        version=version,
        service_path=doc.get("servicePath", ""),
        batch_path=doc.get("batchPath", "batch"),
        methods=methods,
        schemas=doc.get("schemas", {}),
        global_parameters=_parameters(doc.get("parameters", {})),
    )
