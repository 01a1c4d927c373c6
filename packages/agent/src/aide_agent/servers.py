"""What a composed server is: a configuration name, how to reach it, and what the assistant may do with its tools.

A server is reached over stdio (a command), over HTTP (a URL: streamable HTTP or the older SSE, with headers or a
bearer token), or in-process (an `MCPServer`, which is what tests use). aide's own servers can be named
(`aide_server("memory")`), and a Claude-Desktop-style `mcpServers` JSON file works too (`load_mcp_servers`).

Servers are keyed by these configuration names, never by the `serverInfo.name` a server reports.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from mcp import StdioServerParameters
from mcp.server.mcpserver import MCPServer

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

Target = MCPServer | StdioServerParameters | str
Transport = Literal["streamable-http", "sse"]


@dataclass(frozen=True)
class ServerConfig:
    """One server to compose.

    `allow` / `deny` are tool-name patterns (`fnmatch`, e.g. `"send_*"`); deny wins. `trusted` skips approval for
    this server's write tools. `timeout` bounds each tool call; a call that runs over becomes a tool error the
    model reads. `tier` is passed to aide's own servers ("extended" lists their extended tools too).
    """

    name: str
    target: Target
    transport: Transport = "streamable-http"
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    token: str | None = None
    allow: Sequence[str] | None = None
    deny: Sequence[str] = ()
    trusted: bool = False
    timeout: float = 60.0
    tier: Literal["default", "extended"] | None = None
    #: Called when the toolbox closes: an in-process aide server's upstream connections (its runtime) are released
    #: here, since an in-process server has no process whose end would release them.
    close: Callable[[], None] | None = field(default=None, compare=False)

    def allows(self, tool: str) -> bool:
        if any(fnmatchcase(tool, pattern) for pattern in self.deny):
            return False
        return self.allow is None or any(fnmatchcase(tool, pattern) for pattern in self.allow)

    @property
    def kind(self) -> Literal["inproc", "stdio", "http"]:
        if isinstance(self.target, MCPServer):
            return "inproc"
        return "stdio" if isinstance(self.target, StdioServerParameters) else "http"

    def with_options(self, **changes: Any) -> ServerConfig:
        return replace(self, **changes)


def stdio(name: str, command: str, *args: str, env: Mapping[str, str] | None = None, **options: Any) -> ServerConfig:
    """A server the assistant spawns. Its child gets only an allow-listed environment: pass secrets in `env`."""
    params = StdioServerParameters(command=command, args=list(args), env=dict(env) if env else None)
    return ServerConfig(name, params, **options)


def url(name: str, address: str, *, transport: Transport = "streamable-http", **options: Any) -> ServerConfig:
    """A server over HTTP: streamable HTTP (the default) or SSE, with `headers=` or `token=`."""
    return ServerConfig(name, address, transport=transport, **options)


def aide_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `AIDE_*` variables a spawned aide server needs to find the same settings and data as this process."""
    env = {key: value for key, value in os.environ.items() if key.startswith(("AIDE_", "XDG_"))}
    env.update(extra or {})
    return env


def aide_server(name: str, *, over_stdio: bool = False, settings: Any = None, **options: Any) -> ServerConfig:
    """One of aide's own servers: built in-process (the default) or spawned with `python -m aide_core.launch`.
    `trusted` and `tier` default to the server's settings (`[memory] trusted = true`)."""
    from aide_core.registry import load_one
    from aide_core.settings import load_settings, server_settings

    entry = load_one(name)
    if entry.spec is None:
        raise ValueError(f"aide server {name!r} is {entry.status}")
    settings = settings or load_settings()
    common = settings.server(name)
    options.setdefault("trusted", common.trusted)
    tier = options.setdefault("tier", None)
    if over_stdio:
        extra = {f"AIDE_{name.upper()}__TIER": tier} if tier else {}
        return stdio(name, sys.executable, "-m", "aide_core.launch", name, env=aide_env(extra), **options)
    config = server_settings(settings, name, entry.spec.settings_model)
    if tier:
        config = config.model_copy(update={"tier": tier})
    runtime = entry.spec.make_runtime(settings, config)
    return ServerConfig(name, entry.spec.build(runtime=runtime), close=runtime.close, **options)


def sandbox_settings(settings: AideSettings | None = None) -> AideSettings:
    """aide's settings pointed at local emulators, as `aide serve --sandbox` does: the `aide.sandbox` entry point
    (installed with aide-sandbox) starts them in this process and fills the servers' tables."""
    from aide_core.sandbox import start_sandbox
    from aide_core.settings import load_settings

    started = start_sandbox(settings or load_settings())
    if started is None:
        raise RuntimeError("no sandbox installed: install aide-sandbox for --sandbox")
    return started


def load_mcp_servers(path: str | Path) -> list[ServerConfig]:
    """The servers of a Claude-Desktop-style file: `{"mcpServers": {name: {command, args, env} | {url, headers}}}`.
    Entries may also carry aide's own keys: `trusted`, `allow`, `deny`, `timeout`."""
    data = json.loads(Path(path).read_text())
    entries = cast(dict[str, dict[str, Any]], data.get("mcpServers", data))
    configs: list[ServerConfig] = []
    for name, entry in entries.items():
        options: dict[str, Any] = {key: entry[key] for key in ("trusted", "allow", "deny", "timeout") if key in entry}
        if "command" in entry:
            configs.append(stdio(name, entry["command"], *entry.get("args", []), env=entry.get("env"), **options))
        elif "url" in entry:
            kind = entry.get("transport") or entry.get("type") or "streamable-http"
            transport: Transport = "sse" if kind == "sse" else "streamable-http"
            configs.append(url(name, entry["url"], transport=transport, headers=entry.get("headers", {}), **options))
        else:
            raise ValueError(f"{path}: server {name!r} has neither 'command' nor 'url'")
    return configs


ServerLike = ServerConfig | MCPServer | str | Path


def to_configs(servers: Sequence[ServerLike] | Mapping[str, Target | ServerConfig]) -> list[ServerConfig]:
    """Normalise what `Assistant(servers=...)` accepts: configs, in-process servers (named by their own name),
    aide server names, `.json` files of `mcpServers`, or a mapping of configuration name to target."""
    if isinstance(servers, Mapping):
        return [
            value.with_options(name=name) if isinstance(value, ServerConfig) else ServerConfig(name, value)
            for name, value in servers.items()
        ]
    configs: list[ServerConfig] = []
    for item in servers:
        if isinstance(item, ServerConfig):
            configs.append(item)
        elif isinstance(item, MCPServer):
            configs.append(ServerConfig(item.name, item))
        elif isinstance(item, Path) or str(item).endswith(".json"):
            configs.extend(load_mcp_servers(item))
        else:
            configs.append(aide_server(item))
    names = [config.name for config in configs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"two servers share the configuration name {duplicates[0]!r}; give each its own name")
    return configs
