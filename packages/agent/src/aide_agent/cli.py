"""`aide chat`: talk to an assistant made of aide's servers, in the terminal.

Registered as a sub-command of `aide` through the `aide.commands` entry point. Interactive by default (tool calls
shown as they run, approvals asked inline, `/tools`, `/memory`, `/cost`, `/new`, `/quit`); `-p "..."` answers once
and exits, printing only the answer on stdout so it can be piped.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.to_thread
import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from aide_agent.approval import ApprovalRequest, needs_approval
from aide_agent.assistant import Assistant
from aide_agent.events import Event, Learned, Notice, TextChunk, ToolFinished, ToolStarted
from aide_agent.memory import memory_server
from aide_agent.providers import DEFAULT_MODEL, MissingCredentials, Model, ModelError, infer_model
from aide_agent.servers import ServerConfig, aide_server, load_mcp_servers, sandbox_settings
from aide_agent.store import ConversationStore
from aide_agent.usage import Limits, UsageLimitExceeded
from aide_core.errors import AideError

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

COMMANDS = "/tools  /memory  /cost  /new  /quit"


def pick_model(model: str | None, base_url: str | None) -> Model:
    """--model, else AIDE_AGENT_MODEL, else whichever provider has a key. No key: say which variable to set."""
    chosen = model or os.environ.get("AIDE_AGENT_MODEL")
    if chosen is None:
        if os.environ.get("ANTHROPIC_API_KEY"):
            chosen = DEFAULT_MODEL
        elif os.environ.get("OPENAI_API_KEY"):
            chosen = "openai:gpt-4o-mini"
        elif os.environ.get("GEMINI_API_KEY"):
            chosen = "gemini:gemini-2.5-flash"
        else:
            raise MissingCredentials(
                "no model key is set. Choose one of:\n"
                "  a key: ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY (or --model azure:, bedrock:, vertex:…)\n"
                "  a model on this machine: --model ollama:llama3.2 (or lmstudio:…, vllm:…)\n"
                "  no model at all: aide chat --demo"
            )
    if chosen == "scripted":
        raise ValueError(
            "--model scripted needs a script: --model scripted:turns.json, a JSON list of turns (a string answers; "
            'a list of {"tool": "server__tool", "arguments": {...}} calls tools)'
        )
    return infer_model(chosen, base_url=base_url)


def pick_servers(names: list[str] | None, settings: AideSettings) -> list[ServerConfig]:
    """aide's servers by name (default, when nothing is named: every available, enabled one) and the servers of
    any `.json` files of `mcpServers` (only those, when only files are named: a host's file that already lists
    aide's servers must not bring each of them in twice)."""
    from aide_core.registry import select

    wanted = [part for name in names or [] for part in name.split(",") if part]
    files = [name for name in wanted if name.endswith(".json")]
    named = [name for name in wanted if not name.endswith(".json")]
    available, unavailable = select(named) if named else select(None) if not files else ([], [])
    if unknown := [entry.name for entry in unavailable if entry.status == "unknown"]:
        from aide_core.registry import installed

        # A typo is refused, as `aide serve` does, rather than chatting without the server the person asked for.
        known = ", ".join(installed()) or "none"
        raise ValueError(f"no server is named {unknown[0]!r} (servers: {known}, or an mcpServers .json file)")
    for entry in unavailable if named else []:
        reason = f" ({entry.error})" if entry.error else ""
        Console(stderr=True).print(f"[yellow]{entry.name}: {entry.status}{reason}", highlight=False)
    configs = [
        aide_server(entry.name, settings=settings)
        for entry in available
        if named or settings.server(entry.name).enabled
    ]
    for path in files:
        try:
            configs.extend(load_mcp_servers(path))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(
                f'{path} is not an mcpServers file (expected {{"mcpServers": {{NAME: {{"command", "args"}} or '
                '{"url"}}})'
            ) from None
    return configs


def stdin_is_terminal() -> bool:
    """Whether a person can type at this chat (tests stand in for a terminal here)."""
    return sys.stdin.isatty()


class ChatUI:
    """Renders events and asks approvals on the terminal."""

    def __init__(self, console: Console, *, interactive: bool, can_ask: bool | None = None) -> None:
        self.console = console
        self.interactive = interactive
        #: Whether approvals may be asked: in a chat (its lines come from stdin anyway), or with `-p` on a terminal.
        #: With `-p` and no terminal (cron, a pipe, CI) nobody can answer, so what needs approval is declined.
        self.can_ask = interactive or stdin_is_terminal() if can_ask is None else can_ask
        self.streaming = False

    def on_event(self, event: Event) -> None:
        out = self.console
        if isinstance(event, TextChunk):
            self.streaming = True
            out.print(event.text, end="", markup=False, highlight=False)
            return
        if self.streaming:
            out.print()
            self.streaming = False
        if isinstance(event, ToolStarted):
            out.print(f"[dim]  → {event.server}.{event.tool}({_short(event.call.arguments)})", highlight=False)
        elif isinstance(event, ToolFinished):
            mark = "[red]✗" if event.is_error else "[green]✓"
            detail = f" {event.text.splitlines()[0][:100]}" if event.is_error and event.text else ""
            out.print(f"  {mark}[/] [dim]{event.server}.{event.tool} {event.seconds:.1f}s{detail}", highlight=False)
        elif isinstance(event, Notice):
            out.print(f"[yellow]  {event.text}", highlight=False)
        elif isinstance(event, Learned):
            for item in event.memories:
                out.print(f"[dim]  remembered: {item['content']}", highlight=False)

    async def approve(self, request: ApprovalRequest) -> bool:
        question = request.message if request.kind == "tool" else f"{request.server} asks: {request.message}"
        if not self.can_ask:
            self.console.print(f"[yellow]  declined (no terminal to ask on): {question}", highlight=False)
            return False
        self.console.print(f"[bold yellow]? {question}", highlight=False)
        try:
            answer = await anyio.to_thread.run_sync(lambda: self.console.input("  allow? \\[y/N] "))
        except EOFError:  # the input ended: nobody is left to answer
            self.console.print("[yellow]  declined (no more input)", highlight=False)
            return False
        return answer.strip().lower() in ("y", "yes")


def _short(arguments: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
    return text if len(text) <= 80 else text[:79] + "…"


async def _slash(command: str, assistant: Assistant, console: Console) -> bool:
    """Run a /command; False when the chat should end."""
    if command in ("/quit", "/exit"):
        return False
    if command == "/new":
        assistant.new_conversation()
        console.print("[dim]new conversation")
    elif command == "/tools":
        table = Table("tool", "server", "asks first")
        for info in assistant.toolbox.tools:
            trusted = assistant.toolbox.connections[info.server].config.trusted
            asks = "yes" if needs_approval(info.tool.annotations, trusted=trusted) else ""
            table.add_row(info.exposed, info.server, asks)
        console.print(table)
        for name, reason in assistant.toolbox.failures.items():
            console.print(f"[yellow]{name}: {reason}", highlight=False)
    elif command == "/memory":
        server = memory_server(assistant.toolbox)
        profile = await assistant.toolbox.read_resource(server, "memory://profile") if server else None
        console.print(profile or "[dim]no memory server", highlight=False)
    elif command == "/cost":
        usage = assistant.usage
        console.print(
            f"{usage.model.requests} requests, {usage.model.input_tokens} in + {usage.model.output_tokens} out "
            f"tokens, ${usage.cost:.4f}",
            highlight=False,
        )
        for name, entry in usage.servers.items():
            console.print(
                f"  {name}: {entry.calls} calls, {entry.seconds:.1f}s, "
                f"~{entry.result_tokens} tokens, ${entry.cost:.4f}",
                highlight=False,
            )
    else:
        console.print(f"[yellow]unknown command; try {COMMANDS}")
    return True


async def _chat(assistant: Assistant, prompt: str | None, ui: ChatUI, console: Console) -> int:
    try:
        return await _converse(assistant, prompt, ui, console)
    finally:
        await assistant.model.aclose()


async def _converse(assistant: Assistant, prompt: str | None, ui: ChatUI, console: Console) -> int:
    async with assistant:
        for name, reason in assistant.toolbox.failures.items():
            Console(stderr=True).print(f"[yellow]{name} is not available: {reason}", highlight=False)
        if prompt is not None:
            try:
                result = await assistant.run(prompt)
            except (UsageLimitExceeded, ModelError) as exc:
                Console(stderr=True).print(f"aide chat: {exc}", highlight=False)
                return 1
            sys.stdout.write(result.text + "\n")
            return 0
        console.print(
            f"[bold]aide chat[/] with {assistant.model.name} · {len(assistant.toolbox.tools)} tools · {COMMANDS}"
        )
        while True:
            try:
                line = (await anyio.to_thread.run_sync(lambda: console.input("[bold cyan]you>[/] "))).strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
            if not line:
                continue
            if line.startswith("/"):
                if not await _slash(line.split()[0], assistant, console):
                    return 0
                continue
            try:
                result = await assistant.run(line)
            except (UsageLimitExceeded, ModelError) as exc:
                console.print(f"[red]{exc}", highlight=False)
                continue
            if ui.streaming:
                console.print()
                ui.streaming = False
            elif result.text:
                console.print(Markdown(result.text))


def _manage(store: ConversationStore, delete: str | None, err: Console) -> None:
    if delete:
        if not store.delete(delete):
            err.print(f"aide chat: no conversation {delete!r}", highlight=False, markup=False)
            raise typer.Exit(2)
        return
    found = store.list()
    if not found:
        Console().print("No conversations yet.", highlight=False)
        return
    table = Table("id", "updated", "messages", "title")
    for info in found:
        updated = datetime.fromtimestamp(info.updated_at, UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(info.id, updated, str(info.messages), info.title)
    Console(soft_wrap=True).print(table)


def _refusal(prompt: str | None, max_cost_per_day: float | None, *, managing: bool) -> str | None:
    """Why the options cannot be run as given, or None."""
    if prompt is not None and not prompt.strip():
        return '-p needs a question, such as -p "What is on my calendar today?"'
    if max_cost_per_day is not None and not max_cost_per_day > 0:  # NaN too
        return f"--max-cost-per-day {max_cost_per_day:g}: give the dollars a day to stop at, more than 0."
    if prompt is None and not managing and not stdin_is_terminal():
        # A chat reads its lines from a person: without a terminal nobody types, and it must not sit at a prompt.
        return 'no terminal to chat on: ask once with -p "…" (the answer goes to stdout).'
    return None


def chat(
    prompt: Annotated[str | None, typer.Option("--prompt", "-p", help="Answer this once and exit.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="openai:<model>, anthropic:<model> or scripted:<file.json>.")
    ] = None,
    servers: Annotated[
        list[str] | None,
        typer.Option(
            "--servers", "-s", help="aide servers by name, or mcpServers .json files (repeat or comma-separate)."
        ),
    ] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Run aide's servers against local emulators.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="An OpenAI-compatible endpoint.")] = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue a saved conversation by id.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List saved conversations and exit.")] = False,
    delete: Annotated[str | None, typer.Option("--delete", help="Delete a saved conversation and exit.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Chat as this person: their memories, accounts and conversations.")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="A scripted run against the sandbox: no account, no model key.")
    ] = False,
    max_cost_per_day: Annotated[
        float | None,
        typer.Option(
            "--max-cost-per-day", envvar="AIDE_AGENT_MAX_COST_PER_DAY", help="Stop once today's cost reaches this."
        ),
    ] = None,
) -> None:
    """Chat with an assistant made of aide's servers (and any other MCP servers)."""
    from aide_core.identity import DEFAULT_IDENTITY, acting_as
    from aide_core.logs import configure_logging
    from aide_core.settings import load_settings

    err = Console(stderr=True, soft_wrap=True)  # one line per failure, whatever the terminal's width
    settings = load_settings()
    # A command: the one place the agent may configure logging. At the default level a person reads the chat, not
    # INFO lines (warnings and errors still show).
    configure_logging("WARNING" if settings.log_level.upper() == "INFO" else settings.log_level)
    from aide_agent.demo import QUESTION, demo_model

    if demo:
        sandbox, prompt = True, prompt or QUESTION
    managing = bool(list_ or delete)
    if refused := _refusal(prompt, max_cost_per_day, managing=managing):
        err.print(f"aide chat: {refused}", highlight=False, markup=False)
        raise typer.Exit(2)
    try:
        chosen = None if managing else demo_model() if demo else pick_model(model, base_url)
        # The sandbox is a world of its own, with its own data folder: its conversations are kept there too.
        settings = sandbox_settings(settings) if sandbox else settings
    except (MissingCredentials, ValueError, RuntimeError) as exc:  # RuntimeError: --sandbox without aide-sandbox
        err.print(f"aide chat: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    except AideError as exc:  # the sandbox's state cannot be used: the message names it and what to do
        err.print(f"aide chat: {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if user is not None and not user.strip():
        err.print("aide chat: --user needs a name, such as --user ann.", highlight=False, markup=False)
        raise typer.Exit(2)
    person = user or DEFAULT_IDENTITY
    store = ConversationStore(settings.home / "conversations.sqlite3", user=person)
    if chosen is None:
        _manage(store, delete, err)
        return
    try:
        configs = pick_servers(servers, settings)
    except ValueError as exc:
        err.print(f"aide chat: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    console = Console(stderr=prompt is not None, soft_wrap=True)
    ui = ChatUI(console, interactive=prompt is None)
    assistant = Assistant(
        configs,
        chosen,
        approve=ui.approve,
        on_event=ui.on_event,
        stream=prompt is None,
        store=store,
        ledger=settings.home / "usage.sqlite3",
        limits=Limits(max_cost_per_day=max_cost_per_day),
    )
    if resume:
        try:
            assistant.resume(resume)
        except KeyError as exc:
            err.print(f"aide chat: {exc.args[0]}", highlight=False, markup=False)
            raise typer.Exit(2) from None
    with acting_as(person):  # the in-process servers act for this person (aide_core.identity)
        code = anyio.run(_chat, assistant, prompt, ui, console)
    raise typer.Exit(code)


def usage(
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD, UTC); default: the last 30 days.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Group by day, model, server or user.")] = "day",
    user: Annotated[str | None, typer.Option("--user", help="Only this person (default: everyone).")] = None,
) -> None:
    """What the assistant used: tokens and cost per day, model, server or person."""
    import time
    from datetime import UTC, datetime

    from aide_agent.ledger import UsageLedger
    from aide_core.settings import load_settings

    err = Console(stderr=True, soft_wrap=True)
    if by not in ("day", "model", "server", "user"):
        err.print(f"aide usage: --by {by!r}: use day, model, server or user", highlight=False, markup=False)
        raise typer.Exit(2)
    try:
        start = (
            datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() if since else time.time() - 30 * 86_400
        )
    except ValueError:
        err.print(f"aide usage: --since {since!r}: give a date as YYYY-MM-DD", highlight=False, markup=False)
        raise typer.Exit(2) from None
    settings = load_settings()
    path = settings.home / "usage.sqlite3"
    if not path.exists():
        Console().print("No usage recorded yet: aide chat and aide_agent record each run here.", highlight=False)
        return
    totals = UsageLedger(path).totals(by, since=start, user=user)  # type: ignore[arg-type]  # checked above
    table = Table(by, "requests", "tokens in", "tokens out", "tool calls", "cost")
    for total in totals:
        table.add_row(
            total.key,
            str(total.requests),
            f"{total.input_tokens:,}",
            f"{total.output_tokens:,}",
            str(total.calls),
            f"${total.cost:.4f}",
        )
    table.caption = f"since {datetime.fromtimestamp(start, UTC):%Y-%m-%d}: ${sum(t.cost for t in totals):.4f}"
    Console(soft_wrap=True).print(table)
