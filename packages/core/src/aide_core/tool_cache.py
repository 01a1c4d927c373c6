"""Tool definitions kept between starts, so that a stdio server answers `tools/list` without building every tool.

Why: a host such as Claude Desktop spawns each server at every launch and waits for `tools/list`. Building a tool
with the SDK (`Tool.from_function`) makes a pydantic model of its arguments and two JSON Schemas (input and output):
about 3 ms a tool, 40-50 ms for Calendar's fourteen, which is most of what a server adds to the SDK's own start.
The schemas depend only on code, so the first start writes them to `<home>/cache/tools-<server>.json` and later
starts list the tools from that file; a tool is built for real the first time it is called (about 3 ms, once).

The file is trusted only while everything the schemas are made from is unchanged: the key hashes each tool's
name, title, description, annotations and signature, the Python, pydantic and pydantic-core versions, and the path,
size and modification time of every Python file of the packages that declare the tools, of aide_core and
aide_google, and of the SDK modules that build tools. An edit, an upgrade or another environment gives another
key, and the start then builds every tool and rewrites the file. A file that cannot be read or written only costs
the time it would save. The definitions come from code alone, never from a person's data, so one file serves every
user of a deployment.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr

logger = logging.getLogger("aide.tool_cache")

#: The SDK modules whose code shapes a tool's schemas (an SDK upgrade rewrites them).
_SDK_MODULES = ("mcp.server.mcpserver.tools.base", "mcp.server.mcpserver.utilities.func_metadata")
#: The packages whose types appear in every server's tool schemas (the guard's outcome, untrusted text) or in those of
#: Google's servers (accounts), besides each server's own.
_ALWAYS = ("aide_core", "aide_google")
_FORMAT = 1


class CachedTool(Tool):
    """A tool listed from cached definitions and built on its first call.

    The SDK reads a registered tool's `name`, `title`, `description`, `parameters`, `output_schema`, `annotations`,
    `icons` and `meta` to list it, `parameters` to check HTTP parameter headers, and calls `run()`: those are what
    this class answers, `run()` by building the real tool (the same `Tool.from_function` a cold start uses) once."""

    _make: Callable[[], Tool] = PrivateAttr()
    _output: dict[str, Any] | None = PrivateAttr(default=None)
    _built: Tool | None = PrivateAttr(default=None)

    @classmethod
    def listed(
        cls,
        make: Callable[[], Tool],
        *,
        name: str,
        title: str | None,
        description: str,
        annotations: ToolAnnotations,
        parameters: dict[str, Any],
        output_schema: dict[str, Any] | None,
    ) -> CachedTool:
        # `model_construct`: the fields are copies of what a built tool had, so there is nothing to validate, and
        # `fn_metadata` (the expensive part) is left for the real tool.
        tool = cls.model_construct(
            fn=make,
            name=name,
            title=title,
            description=description,
            parameters=parameters,
            is_async=True,
            context_kwarg=None,
            resolved_params={},
            resolver_plans={},
            annotations=annotations,
            icons=None,
            meta=None,
        )
        tool._make = make
        tool._output = output_schema
        tool._built = None
        return tool

    @property
    def output_schema(self) -> dict[str, Any] | None:  # type: ignore[override] - the base's is a cached_property
        return self._output

    def built(self) -> Tool:
        if self._built is None:
            self._built = self._make()
        return self._built

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.built().run(arguments, context, convert_result=convert_result)


def fingerprint(
    declared: Iterable[tuple[str, str | None, str, ToolAnnotations, Callable[..., Any]]], packages: Iterable[str]
) -> str:
    """The key a cache file must carry to be used: see the module docstring for what goes in. Each tool's declared
    function counts by its module, qualified name and signature as written, so two declarations of one name never
    share (what the guard adds to a signature is aide_core's code, which counts by its files)."""
    import pydantic
    import pydantic_core

    digest = hashlib.sha256()
    digest.update(f"{_FORMAT}|{sys.version}|{pydantic.VERSION}|{pydantic_core.__version__}".encode())
    for name, title, description, hints, fn in declared:
        # An object in a signature reads with its address ("<Resolve object at 0x7f..>"), new at every start.
        signature = re.sub(r" at 0x[0-9a-fA-F]+", "", str(inspect.signature(fn)))
        origin = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}"
        fields = [name, title, description, hints.model_dump(), origin, signature]
        digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    # Files by package, not by what this process has loaded: `aide serve` builds several servers in one process, and
    # its key for Calendar must be the one a stdio start of Calendar alone computes, or the two would take turns
    # rewriting the file.
    for top in sorted(set(packages) | set(_ALWAYS)):
        for path in _package_files(top):
            with contextlib.suppress(OSError):
                stat = os.stat(path)
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    for name in _SDK_MODULES:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            with contextlib.suppress(OSError):
                stat = os.stat(path)
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _package_files(top: str) -> list[str]:
    """The Python files of package `top` (found without importing it), sorted: the module's own file when `top` is
    a single module; [] when it is not installed."""
    module = sys.modules.get(top)
    if module is not None and getattr(module, "__path__", None) is None:
        return [module.__file__] if module.__file__ else []
    locations = list(getattr(module, "__path__", None) or [])
    if not locations:
        try:
            found = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return []
        if found is not None and found.submodule_search_locations is None:
            return [found.origin] if found.origin else []
        locations = list(found.submodule_search_locations or []) if found is not None else []
    return sorted(
        os.path.join(folder, name)
        for location in locations
        for folder, _, names in os.walk(location)
        for name in names
        if name.endswith(".py")
    )


def read(path: Path, key: str) -> dict[str, Any]:
    """The cached definitions by tool name, or {} when the file is missing, unreadable or for another key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or cast(dict[str, Any], data).get("key") != key:
        return {}
    tools = cast(dict[str, Any], data).get("tools")
    return cast(dict[str, Any], tools) if isinstance(tools, dict) else {}


def write(path: Path, key: str, tools: Mapping[str, Any]) -> None:
    """Replace the file at once (a concurrent start reads the old file or the new one, never half of one)."""
    from aide_core.stores import private_dir

    try:
        private_dir(path.parent.parent)  # aide's home: 0700 when this makes it, as every store does
        private_dir(path.parent)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"key": key, "tools": dict(tools)}, out, separators=(",", ":"))
        os.replace(temporary, path)
    except OSError as exc:
        logger.debug("tool definitions not cached at %s: %s", path, exc)
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(temporary)  # pyright: ignore[reportPossiblyUnboundVariable]


def entry(value: Any) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """A cached tool's (input schema, output schema), or None when `value` is not one."""
    if not isinstance(value, dict):
        return None
    found = cast(dict[str, Any], value)
    parameters, output = found.get("parameters"), found.get("output_schema")
    if not isinstance(parameters, dict) or not (output is None or isinstance(output, dict)):
        return None
    return cast(dict[str, Any], parameters), cast(dict[str, Any] | None, output)


def definition(tool: Tool) -> dict[str, Any]:
    """What a cache file keeps of a built tool."""
    return {"parameters": tool.parameters, "output_schema": tool.output_schema}
