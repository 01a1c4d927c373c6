"""Which package may import which, checked with `ast` over every module under packages/*/src.

- core is what servers stand on: it imports no server, nor the agent or the sandbox built on it;
- a server imports core only, never another server;
- the agent talks to servers through MCP only (it finds aide's servers through `aide_core.registry`'s entry points),
  so it imports no server package at all, internals included;
- the sandbox is test tooling: only tests, fixtures and the sandbox itself import it. Product code reaches it through
  the `aide.sandbox` entry point (`aide serve --sandbox`, `aide chat --sandbox`), so that aide runs without it.

An import is any `import x`, `from x import y` (under `if TYPE_CHECKING:` too: a type is a dependency) or
`importlib.import_module("x")` with a literal name; relative imports stay inside their package.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVERS = frozenset({"aide_gmail", "aide_calendar", "aide_notion", "aide_twilio", "aide_memory", "aide_schedule"})
#: Libraries servers may build on, besides aide_core.
LIBRARIES = frozenset({"aide_google"})
PACKAGES = frozenset({"aide_core", "aide_agent", "aide_sandbox", *LIBRARIES, *SERVERS})


def imports_in(source: str, filename: str = "<source>") -> set[str]:
    """The top-level packages `source` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args and _is_import_call(node.func):
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found.add(name.value.split(".")[0])
    return found


def _is_import_call(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


@functools.cache
def product_modules() -> dict[str, dict[Path, set[str]]]:
    """For each package under packages/*/src: its modules and the aide packages each imports."""
    modules: dict[str, dict[Path, set[str]]] = {}
    for package_dir in sorted(ROOT.glob("packages/*/src/*")):
        if not (package_dir / "__init__.py").exists():
            continue
        found = modules.setdefault(package_dir.name, {})
        for path in sorted(package_dir.rglob("*.py")):
            found[path.relative_to(ROOT)] = imports_in(path.read_text(), str(path)) & PACKAGES
    return modules


def offending(package: str, forbidden: frozenset[str]) -> dict[str, list[str]]:
    return {
        str(path): sorted(imported & forbidden)
        for path, imported in product_modules()[package].items()
        if imported & forbidden
    }


def test_every_package_is_found_and_scanned() -> None:
    modules = product_modules()
    assert set(modules) == PACKAGES
    assert all(modules[package] for package in PACKAGES)


def test_the_scanner_sees_every_kind_of_import_and_leaves_relative_ones_alone() -> None:
    source = """
from typing import TYPE_CHECKING
import aide_gmail.server
from aide_memory.store import Store
from . import sibling
from .. import parent
if TYPE_CHECKING:
    from aide_notion import Page
def later():
    import importlib
    importlib.import_module("aide_twilio.client")
    __import__("aide_calendar")
"""
    assert imports_in(source) & PACKAGES == {"aide_gmail", "aide_memory", "aide_notion", "aide_twilio", "aide_calendar"}


def test_core_imports_no_package_built_on_it() -> None:
    assert offending("aide_core", PACKAGES - {"aide_core"}) == {}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_server_imports_no_other_server_the_agent_or_the_sandbox(server: str) -> None:
    assert offending(server, PACKAGES - {server, "aide_core", *LIBRARIES}) == {}


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_a_library_imports_no_server_the_agent_or_the_sandbox(library: str) -> None:
    assert offending(library, PACKAGES - {library, "aide_core"}) == {}


def test_the_agent_imports_no_server_it_talks_mcp_only() -> None:
    assert offending("aide_agent", SERVERS | LIBRARIES | {"aide_sandbox"}) == {}


def test_only_the_sandbox_itself_imports_the_sandbox_among_product_code() -> None:
    found = {
        package: offending(package, frozenset({"aide_sandbox"})) for package in sorted(PACKAGES - {"aide_sandbox"})
    }
    assert {package: paths for package, paths in found.items() if paths} == {}


def test_the_sandbox_imports_no_server_or_agent() -> None:
    """It emulates the upstream APIs with their official clients: it must not lean on the code it is there to test."""
    assert offending("aide_sandbox", SERVERS | {"aide_agent"}) == {}


#: What `MCPServer` keeps private; the SDK's extension points (constructor arguments, `custom_route`, `list_tools`,
#: middleware) are the ways in, so an SDK upgrade cannot silently break a server.
SDK_PRIVATES = frozenset({"_tool_manager", "_resource_manager", "_prompt_manager", "_lowlevel_server",
                          "_custom_starlette_routes", "_subscriptions"})  # fmt: skip


def test_core_reaches_no_private_attribute_of_the_sdk() -> None:
    reached = {
        f"{path}:{node.lineno}"
        for path in sorted((ROOT / "packages/core/src").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr in SDK_PRIVATES
    }
    assert reached == set()
