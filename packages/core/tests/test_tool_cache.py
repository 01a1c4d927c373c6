"""Tool definitions cached between starts (`aide_core.tool_cache`): a second start lists exactly what a cold one
does, calls behave the same, and any change to what the schemas are made from is a cold start again."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from aide_core import tool_cache
from aide_core.registry import discover
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio


def cache_file(settings: AideSettings, name: str) -> Path:
    return settings.home / "cache" / f"tools-{name}.json"


async def listing(server: Any) -> list[dict[str, Any]]:
    async with Client(server) as client:
        return [tool.model_dump(mode="json") for tool in (await client.list_tools()).tools]


def kinds(server: Any) -> set[str]:
    return {type(tool).__name__ for tool in server._tool_manager.list_tools()}  # test only: which path built them


AVAILABLE = sorted(name for name, entry in discover().items() if entry.status == "available")


@pytest.mark.parametrize("name", AVAILABLE)
async def test_every_server_lists_from_the_cache_exactly_what_a_cold_start_lists(
    name: str, settings: AideSettings
) -> None:
    spec = discover()[name].spec
    assert spec is not None
    cold = spec.build(settings)
    assert kinds(cold) == {"Tool"}
    assert cache_file(settings, name).exists()
    warm = spec.build(settings)
    assert kinds(warm) == {"CachedTool"}
    assert await listing(warm) == await listing(cold)
    assert warm.input_schemas == cold.input_schemas


async def test_a_cached_tool_answers_a_call_and_refuses_bad_arguments_as_a_built_one_does(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    cold = example_app.build(settings)
    warm = example_app.build(settings)
    assert kinds(warm) == {"CachedTool"}
    answers = []
    for server in (cold, warm):
        async with Client(server) as client:
            good = await client.call_tool("echo", {"text": "hi"})
            wrong_type = await client.call_tool("echo", {"text": ["not", "text"]})
            refused = await client.call_tool("fail", {"kind": "input"})
            answers.append([
                (result.is_error, result.structured_content, [c.model_dump() for c in result.content])
                for result in (good, wrong_type, refused)
            ])  # fmt: skip
    assert answers[0] == answers[1]
    assert answers[1][0][:2] == (False, {"text": "hi"})
    assert [answer[0] for answer in answers[1][1:]] == [True, True]
    assert "kind 'input' is always refused." in answers[1][2][2][0]["text"]


def test_a_changed_docstring_or_module_file_is_a_cold_start_again(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    import example_server

    example_app.build(settings)
    assert kinds(example_app.build(settings)) == {"CachedTool"}

    source = Path(example_server.__file__)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert kinds(example_app.build(settings)) == {"Tool"}  # the file changed: built again, and cached anew
        assert kinds(example_app.build(settings)) == {"CachedTool"}
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    other = ServerSpec("example", instructions="x")

    @other.tool()
    def echo(text: str) -> dict[str, str]:
        """Another echo, same name and server, other signature and text."""
        return {"text": text}

    home = settings.home
    other.build(settings)
    assert kinds(other.build(settings)) == {"CachedTool"}
    key = json.loads(cache_file(settings, "example").read_text())["key"]
    assert kinds(example_app.build(settings)) == {"Tool"}
    assert json.loads(cache_file(settings, "example").read_text())["key"] != key
    assert home == settings.home


@pytest.mark.parametrize("content", ["not json", '{"key": 1}', "[]", ""])
async def test_an_unreadable_cache_file_costs_only_a_cold_start(
    content: str, example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    expected = await listing(example_app.build(settings))
    path = cache_file(settings, "example")
    key = json.loads(path.read_text())["key"]
    path.write_text(content)
    server = example_app.build(settings)
    assert kinds(server) == {"Tool"}
    assert await listing(server) == expected
    assert json.loads(path.read_text())["key"] == key


async def test_a_cache_entry_of_the_wrong_shape_is_built_again(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    expected = await listing(example_app.build(settings))
    path = cache_file(settings, "example")
    data = json.loads(path.read_text())
    data["tools"]["echo"] = {"parameters": "not a schema"}
    path.write_text(json.dumps(data))
    server = example_app.build(settings)
    built = {tool.name: type(tool).__name__ for tool in server._tool_manager.list_tools()}
    assert built["echo"] == "Tool"
    assert set(built.values()) == {"Tool", "CachedTool"}
    assert await listing(server) == expected


def test_the_cache_is_private_whatever_the_umask(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    previous = os.umask(0)
    try:
        example_app.build(settings)
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(settings.home).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in [settings.home, *settings.home.rglob("*")]
    }
    assert modes == {".": 0o700, "cache": 0o700, "cache/tools-example.json": 0o600}


async def test_a_home_that_cannot_be_written_still_starts(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "cache").write_text("a file where the folder would go")
    server = example_app.build(settings)
    assert kinds(server) == {"Tool"}
    assert [tool["name"] for tool in await listing(server)][:2] == ["echo", "whoami"]


def test_the_key_ignores_object_addresses_in_signatures() -> None:
    from mcp.types import ToolAnnotations

    class Marker:
        pass

    def one(x: int = Marker()) -> None:  # type: ignore[assignment]  # an object: it reads with its address
        """Doc."""

    def two(x: int = Marker()) -> None:  # type: ignore[assignment]
        """Doc."""

    two.__qualname__ = one.__qualname__
    annotations = ToolAnnotations(read_only_hint=True)
    assert tool_cache.fingerprint([("t", None, "d", annotations, one)], []) == tool_cache.fingerprint(
        [("t", None, "d", annotations, two)], []
    )
    assert tool_cache.fingerprint([("t", None, "d", annotations, one)], []) != tool_cache.fingerprint(
        [("t", None, "other", annotations, one)], []
    )


def test_the_key_does_not_depend_on_what_else_the_process_built(tmp_path: Path) -> None:
    """`aide serve` builds several servers in one process: its key for a server must be the one a stdio start of that
    server alone computes, or the two would take turns rewriting the file. Each build runs in a fresh interpreter."""
    import subprocess
    import sys

    if len(AVAILABLE) < 2:
        pytest.skip("needs two servers")
    first, second = AVAILABLE[0], AVAILABLE[-1]
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    env |= {"AIDE_HOME": str(home), "AIDE_CONFIG": str(tmp_path / "config.toml"), "AIDE_CREDENTIAL_BACKEND": "file"}
    build = (
        "import sys\nfrom aide_core.registry import load_one\nfrom aide_core.settings import load_settings\n"
        "settings = load_settings()\nfor name in sys.argv[1:]:\n    load_one(name).spec.build(settings)\n"
    )

    def key_after(*names: str) -> str:
        subprocess.run([sys.executable, "-c", build, *names], env=env, check=True, timeout=120)
        return json.loads((home / "cache" / f"tools-{second}.json").read_text())["key"]

    alone = key_after(second)
    assert key_after(first, second) == alone
