"""One way to declare an aide server, and to build an `MCPServer` from the declaration.

A server package declares its tools on a module-level `ServerSpec` (no settings, no I/O at import), and `build()`
turns the declaration into an `MCPServer` for one configuration:

    app = ServerSpec("gmail", instructions="...", settings_model=GmailSettings, state=GmailState)

    @app.tool()
    def search_emails(query: str, limit: int = 20) -> SearchResult:
        \"\"\"Search mail with Gmail's query syntax.\"\"\"
        return app.state().search(query, limit)

    @app.action(preview=lambda to, subject, **_: f"Send '{subject}' to {to}", reaches={"email": lambda to, **_: [to]})
    def send_email(to: str, subject: str, body: str) -> SentEmail: ...

What `build()` applies to every tool, so no server repeats it: `ToolAnnotations` (every hint set explicitly),
errors turned into `ToolError`s a model can act on (unexpected ones with a trace id), the side-effect guard on
actions, the read-only switch (write tools are not even listed), tiers, and the untrusted-content note in the
instructions. Declaring the hints is the author's job: `tool()` defaults to read-only, `action()` to destructive.

The SDK's extension points, through the declaration and the SDK's public API only (no private attribute of
`MCPServer`): `lifespan=` for clients and connections shared by the whole server (`aide_core.lifespan`);
`route()` for HTTP endpoints with their own auth, such as a webhook (`aide_core.routes`); `tool_visibility()` for
a tool list that follows what the configuration allows while the server runs, with `tools/list_changed` sent when
it changes (`aide_core.visibility`); `prompts_from()` for the prompts a host shows as slash commands, kept in
files and listed only where the tools they use are (`aide_core.prompts`); `upstream=`/`errors=` name the service a
server talks to and where its `ErrorProfile` lives, so that an upstream exception a tool let escape still reads as
that service's own message (`aide_core.upstream`). Input schemas are compacted before the tools are registered
(`aide_core.schemas`).

`app.state()` returns the server's service object (an API client, a store) for the current call. It is built on
first use, not at start, so that a server without credentials still starts, lists its tools, and answers each call
with the command that configures it (the state factory raises `NotConfigured`), and so that heavy imports happen
on first use.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Collection, Generator, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.prompts.base import PromptArgument
from mcp.server.mcpserver.tools import Tool
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, GetPromptResult, InputRequiredResult, ToolAnnotations
from mcp.types import Prompt as MCPPrompt
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from aide_core import tool_cache
from aide_core.arguments import as_given, describe, unknown_arguments
from aide_core.errors import AideError, to_tool_error
from aide_core.fencing import FENCE_INSTRUCTIONS
from aide_core.guard import ActionSpec, Asking, Guard, confirming, guarded
from aide_core.guard_store import GuardRecords, GuardStore
from aide_core.identity import current_user
from aide_core.lifespan import SharedLifespan
from aide_core.plan import Plan
from aide_core.policy import Policy
from aide_core.prompts import PromptDecl, check_tools, load_prompts
from aide_core.routes import RouteAuth, RouteDecl, RouteHandler, route_endpoint
from aide_core.schemas import compact
from aide_core.settings import AideSettings, ServerSettings, load_settings, server_settings
from aide_core.visibility import ListChanged, ToolVisibility

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from aide_core.upstream import ErrorProfile

StateT = TypeVar("StateT")
F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("aide.server")
Tier = Literal["default", "extended"]


@dataclass(frozen=True)
class _ToolDecl:
    fn: Callable[..., Any]
    annotations: ToolAnnotations
    tier: Tier
    action: ActionSpec | None
    title: str | None
    name: str

    @property
    def description(self) -> str:
        """The docstring's first paragraph: a model reads it on every turn, so the rest stays for developers."""
        doc = inspect.getdoc(self.fn) or ""
        return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


@dataclass(frozen=True)
class _ResourceDecl:
    fn: Callable[..., Any]
    uri: str
    kwargs: dict[str, Any]


class Runtime(Generic[StateT]):
    """Everything one built server holds: its settings, its guard, and its lazily built state."""

    def __init__(
        self,
        name: str,
        settings: AideSettings,
        config: ServerSettings,
        factory: Callable[[Runtime[StateT]], StateT] | None,
        policies: Sequence[Policy] = (),
        upstream: str | None = None,
        errors: str | None = None,
        guard_store: GuardRecords | None = None,
    ) -> None:
        self.name = name
        #: The service this server talks to, as messages name it ("Gmail"), and where its `ErrorProfile` lives.
        self.upstream = upstream
        self._errors = errors
        self.settings = settings
        self.config = config
        # The guard's records: the SQLite file in the aide home unless another backend is given (`GuardRecords`).
        store = guard_store if guard_store is not None else GuardStore(settings.home / "guard.sqlite3")
        self.guard = Guard(name, config, store, policies=policies)
        self._factory = factory
        self._state: StateT | None = None
        self._lock = threading.Lock()
        #: What the spec's lifespan yielded, while it runs (None when the spec declares none or it is not running).
        self.lifespan_state: Any = None

    @property
    def home(self) -> Path:
        return self.settings.home

    def close(self) -> None:
        """Close the state when it was built and has a `close()` (connections to upstream)."""
        with self._lock:
            state, self._state = self._state, None
        closer = getattr(state, "close", None)
        if callable(closer):
            closer()

    @functools.cached_property
    def error_profile(self) -> ErrorProfile | None:
        """The upstream's `ErrorProfile`, imported on first use: the declaration is a `"module:attribute"` path so
        that what reads error bodies (and the retry library under it) loads only when something failed."""
        if self._errors is None:
            return None
        module, _, attribute = self._errors.partition(":")
        return cast("ErrorProfile", getattr(importlib.import_module(module), attribute))

    def upstream_error(self, exc: BaseException) -> AideError | None:
        """`exc` read as the declared upstream's failure (`aide_core.upstream.from_exception`), or None when the
        server declares no upstream or `exc` is not an upstream failure (a bug)."""
        if self.upstream is None:
            return None
        from aide_core.upstream import from_exception

        return from_exception(self.upstream, exc, self.error_profile)

    def state(self) -> StateT:
        """The service object, built on first use. A factory that raises (say `NotConfigured`) is tried again on
        the next call, so configuring the server while it runs takes effect without a restart."""
        if self._factory is None:
            raise RuntimeError(f"server {self.name!r} declares no state")
        with self._lock:
            if self._state is None:
                self._state = self._factory(self)
            return self._state


_current: contextvars.ContextVar[Runtime[Any]] = contextvars.ContextVar("aide_runtime")


class AideServer(MCPServer[Any]):
    """The `MCPServer` that `ServerSpec.build()` returns: the SDK's server, plus what `aide serve` needs to know
    about it (`public_paths`: the routes that check their own credentials, so the bearer token does not apply)."""

    public_paths: tuple[str, ...] = ()
    #: The tools listed right now, when the spec declares `tool_visibility` (else every registered tool).
    visibility: ToolVisibility | None = None
    #: Each tool's input schema: its property names are the arguments it takes (one it does not take is refused
    #: rather than ignored), and a null for an optional property means "not given" (`aide_core.arguments`).
    input_schemas: Mapping[str, Mapping[str, Any]] = {}
    #: The tools behind the guard.
    guarded: frozenset[str] = frozenset()
    #: The prompts this configuration offers (`aide_core.prompts`): each is listed only while all its tools are.
    prompt_decls: Mapping[str, PromptDecl] = {}
    #: Former tool names still answered (old -> current) for a release, never listed.
    old_names: Mapping[str, str] = {}

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        if self.visibility is None:
            return tools
        view = await anyio.to_thread.run_sync(self.visibility.view)
        return [_without(tool, view.hidden_arguments) for tool in tools if tool.name in view.listed]

    async def _listed_prompts(self) -> list[str]:
        listed = None if self.visibility is None else await anyio.to_thread.run_sync(self.visibility.current)
        return [name for name, decl in self.prompt_decls.items() if listed is None or set(decl.tools) <= listed]

    async def list_prompts(self) -> list[MCPPrompt]:
        listed = set(await self._listed_prompts())
        return [prompt for prompt in await super().list_prompts() if prompt.name in listed]

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        """The SDK's, with its refusals said to the client: the SDK answers an unknown prompt or a missing argument
        with a bare "Internal server error" (and a traceback in the log), so both are checked here first and
        refused as invalid params with what to pass."""
        listed = await self._listed_prompts()
        if name not in listed:  # a prompt not listed for this caller reads as one never declared
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name} (prompts: {', '.join(listed) or 'none'})")
        try:
            self.prompt_decls[name].render(arguments)
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None
        return await super().get_prompt(name, arguments, context)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        name = self.old_names.get(name, name)
        if self.visibility is not None and name not in await anyio.to_thread.run_sync(self.visibility.current):
            raise ToolError(f"Unknown tool: {name}")  # as for a tool never registered: it is not listed
        schema = self.input_schemas.get(name)
        if schema is not None:
            known = cast(Mapping[str, Any], schema.get("properties") or {})
            if unknown := unknown_arguments(name, arguments, known):
                raise ToolError(unknown)
            arguments = as_given(arguments, schema)
        asking = Asking()
        try:
            with confirming() as asking:
                return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(describe(name, exc.__cause__)) from None
            raise
        except MCPError as exc:
            if not (name in self.guarded and asking.asked and not asking.answered):
                raise
            # The host failed to show the guard's confirmation (its elicitation answered with an error) before
            # anything was done: answer the same call with the preview and a token instead, which any host shows.
            logger.warning("%s: the host could not ask for confirmation (%s); confirming by token", name, exc)
            with confirming(by_token=True):
                return await super().call_tool(name, arguments, context)


def _without(tool: MCPTool, hidden: frozenset[str]) -> MCPTool:
    """`tool` as listed with the optional arguments in `hidden` left out of its input schema (a copy: the registered
    tool keeps them, so a call that passes one is still taken)."""
    schema = tool.input_schema
    properties = cast(dict[str, Any], schema.get("properties") or {})
    required = set(cast(list[str], schema.get("required") or []))
    drop = {name for name in hidden if name in properties and name not in required}
    if not drop:
        return tool
    kept = {name: value for name, value in properties.items() if name not in drop}
    return tool.model_copy(update={"input_schema": {**schema, "properties": kept}})


class ServerSpec(Generic[StateT]):
    """The declaration of one aide server. See the module docstring."""

    def __init__(
        self,
        name: str,
        *,
        title: str | None = None,
        instructions: str = "",
        version: str = "0.1.0",
        settings_model: type[ServerSettings] = ServerSettings,
        state: Callable[[Runtime[StateT]], StateT] | None = None,
        configure_command: str | None = None,
        untrusted_content: bool = True,
        lifespan: Callable[[Runtime[StateT]], AbstractAsyncContextManager[Any]] | None = None,
        policies: Sequence[Policy] = (),
        upstream: str | None = None,
        errors: str | None = None,
        old_names: Mapping[str, str] | None = None,
    ) -> None:
        if errors is not None and (upstream is None or errors.count(":") != 1):
            raise ValueError(f"{name}: errors= is a 'module:attribute' path, given with upstream= (the service name)")
        self.name = name
        self.title = title
        self.instructions = instructions
        self.version = version
        self.settings_model = settings_model
        self.state_factory = state
        self.configure_command = configure_command
        self.untrusted_content = untrusted_content
        self.lifespan = lifespan
        self.policies = tuple(policies)  # run by the guard on every action's plan (`aide_core.policy`)
        self.upstream = upstream  # the service's name in messages ("Gmail")
        self.errors = errors  # where its `ErrorProfile` lives, "package.module:NAME" (imported on first failure)
        self.old_names = dict(old_names or {})  # renamed tools' former names, answered but not listed (old -> new)
        self._tools: list[_ToolDecl] = []
        self._resources: list[_ResourceDecl] = []
        self._configure_checks: list[Callable[[Runtime[StateT]], str | None]] = []
        self._reachability: Callable[[Runtime[StateT]], str] | None = None
        self._visibility: Callable[[Runtime[StateT], str], bool] | None = None
        self._visibility_changes: Callable[[Runtime[StateT]], Hashable] | None = None
        self._hidden_arguments: Callable[[Runtime[StateT]], Collection[str]] | None = None
        self._routes: list[RouteDecl] = []
        self._prompts: list[PromptDecl] = []

    # -- declaring ----------------------------------------------------------------------------------------------

    def tool(
        self,
        *,
        read_only: bool = True,
        destructive: bool = False,
        idempotent: bool | None = None,
        open_world: bool = True,
        tier: Tier = "default",
        title: str | None = None,
        name: str | None = None,
    ) -> Callable[[F], F]:
        """Declare a tool that does not need the side-effect guard (reads, or reversible writes such as labels).
        `name` overrides the function's name (for tool names that are Python builtins, such as `list`)."""
        if destructive:
            raise TypeError("a destructive tool must be declared with action(), which puts it behind the guard")
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=False if read_only else destructive,
            idempotent_hint=read_only if idempotent is None else idempotent,
            open_world_hint=open_world,
        )

        def register(fn: F) -> F:
            self._tools.append(_ToolDecl(fn, annotations, tier, None, title, name or fn.__name__))
            return fn

        return register

    def action(
        self,
        *,
        plan: Callable[..., Plan[Any]] | None = None,
        preview: Callable[..., str] | None = None,
        reaches: Mapping[str, Callable[..., Iterable[str]]] | None = None,
        destructive: bool = True,
        open_world: bool = True,
        tier: Tier = "default",
        title: str | None = None,
        name: str | None = None,
    ) -> Callable[[F], F]:
        """Declare a tool that sends, deletes, invites or otherwise acts on the world: it runs through the guard.

        `plan(**arguments)` resolves what the call will do into a `Plan` (payload, whom it reaches, preview) that the
        guard checks, previews and has confirmed, and that the tool body receives through a parameter annotated
        `Plan[...]` to act on. The simple form instead: `preview(**arguments)` says in one line what the call will
        do; `reaches` maps a kind (`"email"`, `"phone"`, ...) to a function returning what the call reaches, which
        the server's policies check.
        """
        if plan is not None and (preview or reaches):
            raise TypeError("give plan=, or preview=/reaches=, not both")
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=destructive,
            idempotent_hint=False,
            open_world_hint=open_world,
        )
        spec = ActionSpec(plan=plan, preview=preview, reaches=dict(reaches or {}), destructive=destructive)

        def register(fn: F) -> F:
            self._tools.append(_ToolDecl(fn, annotations, tier, spec, title, name or fn.__name__))
            return fn

        return register

    def resource(self, uri: str, **kwargs: Any) -> Callable[[F], F]:
        """Declare a resource (arguments as for `MCPServer.resource`)."""

        def register(fn: F) -> F:
            self._resources.append(_ResourceDecl(fn, uri, kwargs))
            return fn

        return register

    def prompts_from(self, source: str | Path) -> list[PromptDecl]:
        """Declare the prompts in `source`'s prompt files: a package name (its `prompts/` folder of `<name>.md`
        files) or a folder. Files are read and checked here, once: a bad file raises `PromptFileError` at import,
        so the server's tests fail rather than a user's host. See `aide_core.prompts` for the format."""
        found = load_prompts(source)
        names = {prompt.name for prompt in self._prompts}
        if clash := sorted(names & {prompt.name for prompt in found}):
            raise ValueError(f"{self.name}: prompt {', '.join(clash)} declared twice")
        self._prompts.extend(found)
        return found

    @property
    def prompts(self) -> list[PromptDecl]:
        """The declared prompts (whether a configuration lists them depends on their tools)."""
        return list(self._prompts)

    def route(
        self, path: str, *, methods: Iterable[str] = ("POST",), auth: Callable[[Request, Runtime[StateT]], Any]
    ) -> Callable[[Callable[[Request, Runtime[StateT]], Awaitable[Response]]], Any]:
        """Declare an HTTP endpoint (a webhook, an OAuth redirect) that `aide serve` serves at `/<server><path>`.

        The route is not behind the bearer token that guards the MCP endpoint: whoever calls a webhook does not hold
        it. It is behind `auth(request, runtime)` instead, which returns (or awaits to) True to let the request in,
        for example after checking a signature header against a secret in the server's settings; False, or an
        exception, answers 401 without reaching the handler, and a 4xx status code answers with that status. The
        handler `fn(request, runtime)` returns a Starlette `Response`. `path` is exact (no `{parameters}`): the
        bearer check lets exactly these paths through."""
        if not path.startswith("/") or "{" in path:
            raise ValueError(f"a route path is exact and starts with '/': {path!r}")

        def register(
            fn: Callable[[Request, Runtime[StateT]], Awaitable[Response]],
        ) -> Callable[[Request, Runtime[StateT]], Awaitable[Response]]:
            self._routes.append(RouteDecl(path, cast(RouteHandler, fn), tuple(methods), cast(RouteAuth, auth)))
            return fn

        return register

    def configure_check(
        self, check: Callable[[Runtime[StateT]], str | None]
    ) -> Callable[[Runtime[StateT]], str | None]:
        """Declare how `aide doctor` tells whether credentials are in place: None when fine, else the problem."""
        self._configure_checks.append(check)
        return check

    def tool_visibility(
        self,
        check: Callable[[Runtime[StateT], str], bool],
        *,
        changes: Callable[[Runtime[StateT]], Hashable] | None = None,
        hidden_arguments: Callable[[Runtime[StateT]], Collection[str]] | None = None,
    ) -> Callable[[Runtime[StateT], str], bool]:
        """Declare which tools this configuration lists, beyond tiers and the read-only switch: `check(runtime,
        tool_name)` for each tool (for example: only the tools the signed-in account's scopes allow). A check that
        fails lists the tool, so a broken check never hides a server's tools.

        The answer may change while the server runs (a sign-in): the checks run again whenever `changes(runtime)`
        returns a new stamp (make it cheap: a file's `stat`), or before every request when `changes` is not given,
        and when the listed set changed clients are sent `tools/list_changed` (`aide_core.visibility`).

        `hidden_arguments(runtime)` names optional arguments to leave out of every listed tool's schema for this
        caller, re-evaluated with the checks: an argument that can only take one value for them (Google's `account`
        with one account signed in) costs a model bytes on every turn and tells it nothing. A call that passes one
        anyway is still taken."""
        self._visibility = check
        self._visibility_changes = changes
        self._hidden_arguments = hidden_arguments
        return check

    def _visible(self, runtime: Runtime[StateT], name: str) -> bool:
        if self._visibility is None:
            return True
        try:
            return self._visibility(runtime, name)
        except Exception:
            logger.warning("%s: the tool visibility check failed for %s; listing it", self.name, name, exc_info=True)
            return True

    # -- using --------------------------------------------------------------------------------------------------

    def state(self) -> StateT:
        """The current call's service object (only valid inside a tool of this server)."""
        return self.runtime().state()

    def runtime(self) -> Runtime[StateT]:
        try:
            runtime = _current.get()
        except LookupError:
            raise RuntimeError(f"{self.name}: app.state() called outside a tool call") from None
        return runtime

    def reachability_check(self, check: Callable[[Runtime[StateT]], str]) -> Callable[[Runtime[StateT]], str]:
        """Declare how `aide doctor` tells whether the upstream answers (returns a short status)."""
        self._reachability = check
        return check

    def reachability(self, runtime: Runtime[StateT]) -> str:
        check = self._reachability
        if check is None:
            return "local" if not self.configure_command else "not checked"
        try:
            return check(runtime)
        except Exception as exc:
            return f"unreachable ({type(exc).__name__})"

    def configuration_problem(self, runtime: Runtime[StateT]) -> str | None:
        for check in self._configure_checks:
            problem = check(runtime)
            if problem:
                return problem
        return None

    @property
    def tiers(self) -> list[Tier]:
        """The tiers this server's tools are declared in ("default" first)."""
        return [tier for tier in ("default", "extended") if any(decl.tier == tier for decl in self._tools)]

    @property
    def tool_names(self) -> list[str]:
        return [decl.name for decl in self._tools]

    def make_runtime(
        self,
        settings: AideSettings | None = None,
        config: ServerSettings | None = None,
        *,
        guard_store: GuardRecords | None = None,
    ) -> Runtime[StateT]:
        settings = settings or load_settings()
        if config is None:
            config = server_settings(settings, self.name, self.settings_model)
        elif not isinstance(config, self.settings_model):  # a config given in code is read with this server's model
            config = self.settings_model.model_validate(config.model_dump(exclude_unset=True))
        return Runtime(
            self.name,
            settings,
            config,
            self.state_factory,
            self.policies,
            upstream=self.upstream,
            errors=self.errors,
            guard_store=guard_store,
        )

    def _registered(self, chosen: list[_ToolDecl], runtime: Runtime[StateT], bind: Callable[[], None]) -> list[Tool]:
        """The SDK's tools for `chosen`: listed from the definitions cached by an earlier start when the code is the
        same, built now otherwise (`aide_core.tool_cache`), each with the guard or the error mapping applied."""

        def wrapped(decl: _ToolDecl) -> Callable[..., Any]:
            # Made only when the tool is built: wrapping an action in the guard makes its outcome model
            # (`ActionOutcome[...]`, about 1 ms each), which a start that lists from the cache does without.
            if decl.action is not None:
                return guarded(
                    decl.fn,
                    tool=decl.name,
                    spec=decl.action,
                    guard=lambda: runtime.guard,
                    bind_runtime=bind,
                    upstream=runtime.upstream_error,
                )
            return _with_errors(decl.fn, decl.name, bind, upstream=runtime.upstream_error)

        def make(decl: _ToolDecl) -> Tool:
            return compact(Tool.from_function(
                wrapped(decl),
                name=decl.name,
                title=decl.title,
                description=decl.description,
                annotations=decl.annotations,
                structured_output=True,
            ))  # fmt: skip

        path = runtime.settings.home / "cache" / f"tools-{self.name}.json"
        key = tool_cache.fingerprint(
            [(decl.name, decl.title, decl.description, decl.annotations, decl.fn) for decl in chosen],
            {decl.fn.__module__.split(".", 1)[0] for decl in chosen},
        )
        cached = tool_cache.read(path, key)
        tools: list[Tool] = []
        fresh: dict[str, Any] = {}
        for decl in chosen:
            entry = tool_cache.entry(cached.get(decl.name))
            if entry is None:
                tool = make(decl)
                fresh[decl.name] = tool_cache.definition(tool)
            else:
                tool = tool_cache.CachedTool.listed(
                    functools.partial(make, decl),
                    name=decl.name,
                    title=decl.title,
                    description=decl.description,
                    annotations=decl.annotations,
                    parameters=entry[0],
                    output_schema=entry[1],
                )
            tools.append(tool)
        if fresh:
            tool_cache.write(path, key, {**cached, **fresh})
        return tools

    def build(
        self,
        settings: AideSettings | None = None,
        *,
        config: ServerSettings | None = None,
        runtime: Runtime[StateT] | None = None,
    ) -> AideServer:
        """An `MCPServer` for this configuration. Settings are read from the environment and file when omitted;
        `config` replaces the server's own table (tests and library users configure a server in code)."""
        runtime = runtime or self.make_runtime(settings, config)
        config = runtime.config
        instructions = self.instructions
        if self.untrusted_content:
            instructions = f"{instructions}\n\n{FENCE_INSTRUCTIONS}".strip()

        def bind() -> None:
            _current.set(runtime)

        chosen = [
            decl
            for decl in self._tools
            if (decl.tier != "extended" or config.tier == "extended")
            and (not config.read_only or decl.annotations.read_only_hint)
        ]
        tools = self._registered(chosen, runtime, bind)
        visibility: ToolVisibility | None = None
        if self._visibility is not None:
            changes = self._visibility_changes
            visibility = ToolVisibility(
                [tool.name for tool in tools],
                functools.partial(self._visible, runtime),
                None if changes is None else functools.partial(changes, runtime),
                who=current_user,
                hidden=None if self._hidden_arguments is None else functools.partial(self._hidden_arguments, runtime),
            )
        check_tools(self._prompts, self.tool_names, self.name)
        registered = {tool.name for tool in tools}
        offered = [prompt for prompt in self._prompts if set(prompt.tools) <= registered]
        follows = any(prompt.tools for prompt in offered)  # the prompts listed change with the tools
        bus = InMemorySubscriptionBus()
        with _host_logging_untouched():
            server = AideServer(
                self.name,
                title=self.title,
                instructions=instructions,
                version=self.version,
                tools=tools,
                lifespan=SharedLifespan(self.lifespan, runtime) if self.lifespan else None,
                subscriptions=bus,
                middleware=[] if visibility is None else [ListChanged(visibility, bus, prompts=follows)],
            )
        server.visibility = visibility
        server.input_schemas = {tool.name: tool.parameters for tool in tools}
        server.guarded = frozenset(
            decl.name for decl in self._tools if decl.action is not None and decl.name in server.input_schemas
        )
        registered = {tool.name for tool in tools}
        server.old_names = {old: new for old, new in self.old_names.items() if new in registered}

        for route in self._routes:
            server.custom_route(route.path, methods=list(route.methods))(route_endpoint(route, runtime, bind))
        server.public_paths = tuple(route.path for route in self._routes)
        for res in self._resources:
            server.resource(res.uri, **res.kwargs)(
                _with_errors(res.fn, res.uri, bind, resource=True, upstream=runtime.upstream_error)
            )
        for prompt in offered:
            server.add_prompt(_as_prompt(prompt))
        server.prompt_decls = {prompt.name: prompt for prompt in offered}
        return server


def _as_prompt(decl: PromptDecl) -> Prompt:
    """The SDK's `Prompt` for a declared one: its arguments listed as declared (so hosts show them), its text
    rendered by `PromptDecl.render`. A bad argument is an `MCPError` (invalid params) that keeps its message: the
    SDK turns any other exception into "Error rendering prompt X"."""

    async def render(**arguments: Any) -> str:
        try:
            return decl.render(arguments)
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None

    return Prompt(
        name=decl.name,
        title=decl.title,
        description=decl.description,
        arguments=[
            PromptArgument(name=argument.name, description=argument.description, required=argument.required)
            for argument in decl.arguments
        ],
        fn=render,
        context_kwarg=None,
    )


@contextlib.contextmanager
def _host_logging_untouched() -> Generator[None]:
    """Keep `MCPServer(...)` from configuring the logging of the process that builds it.

    The SDK's constructor calls `logging.basicConfig(level=log_level, handlers=[RichHandler(...)])` whatever its
    arguments (not passing `log_level` only means "INFO"), which would give an application that merely builds an aide
    server a root handler and a root level. `basicConfig` is documented to do nothing when the root logger already has
    a handler, so for the length of the constructor the root logger gets one that does nothing, and loses it again
    right after: the root's handlers and level end as they began. Where logging is configured (aide's entry points,
    `aide_core.logs.configure_logging`), the root already has a handler and this changes nothing.

    `log_level` is not passed to `MCPServer` either: besides `basicConfig` the SDK only reads it in its own
    `run_sse_async` / `run_streamable_http_async`, which aide does not use (`aide serve` runs its own app).
    """
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    # The constructor also imports rich (about 25 ms of a server's cold start) only to build a `RichHandler` that
    # `basicConfig` then drops. Its import is inside `try: ... except ImportError`, so an import blocked in
    # `sys.modules` for the length of the constructor skips it; where rich is already loaded (the `aide` command
    # line) it costs nothing and is left alone.
    blocked = [name for name in ("rich.console", "rich.logging") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment] - None in sys.modules is the documented import block
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and cast(object, sys.modules[name]) is None:
                del sys.modules[name]
        root.removeHandler(placeholder)


def _with_errors(
    fn: Callable[..., Any],
    name: str,
    bind: Callable[[], None],
    *,
    resource: bool = False,
    upstream: Callable[[BaseException], AideError | None] | None = None,
) -> Any:
    """`fn` with the runtime bound and every exception turned into a model-facing error."""

    def convert(exc: Exception) -> Exception:
        error = to_tool_error(exc, tool=name, upstream=upstream)
        if resource:
            from mcp.server.mcpserver.exceptions import ResourceError

            return ResourceError(str(error))
        return error

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            bind()
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                raise convert(exc) from None

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bind()
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise convert(exc) from None

    return wrapper
