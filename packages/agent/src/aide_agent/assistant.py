"""The assistant: composed servers, a model, and the loop that joins them.

    async with Assistant(servers=[aide_server("memory")], model="anthropic:claude-sonnet-4-5") as assistant:
        result = await assistant.run("What do I usually order?")

One run, for one user message: (1) retrieve what memory knows that is relevant, (2) call the model with the tools,
(3) run the tool calls it asks for, concurrently, after approval where needed, (4) loop until the model answers,
(5) learn what the exchange taught about the user. An action that really happened is remembered as it happens, with
its source (`aide_agent.action_memory`). Every step is a parameter (`retrieve=`, `learn=`, `remember_actions=`,
`approve=`, `summarise=`); pass None to switch one off. Limits bound each run; usage and cost are counted per run, per
conversation and per server. With a store, the conversation is saved after each run and can be resumed.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

from aide_agent import action_memory, context, prompts
from aide_agent import memory as memory_steps
from aide_agent.action_memory import ActionDone, RememberAction
from aide_agent.approval import ApprovalCallback, ApprovalRequest, ask, form_content, needs_approval
from aide_agent.events import Event, EventHandler, Learned, Notice, TextChunk, ToolFinished, ToolStarted
from aide_agent.ledger import Ledger, UsageLedger, start_of_day
from aide_agent.messages import Message, ModelResponse, ResponseDone, TextDelta, ToolCall, ToolSpec
from aide_agent.providers import Model, ModelError, infer_model
from aide_agent.providers.scripted import ScriptExhausted
from aide_agent.servers import ServerConfig, ServerLike, Target, to_configs
from aide_agent.store import Conversations, ConversationStore
from aide_agent.toolbox import Toolbox, current_call
from aide_agent.usage import Limits, Prices, RunUsage
from aide_core.identity import current_user

log = logging.getLogger(__name__)

Retrieve = Callable[["Assistant", str], Awaitable[str | None]]
Learn = Callable[["Assistant", list[Message]], Awaitable[list[dict[str, Any]]]]


@dataclass
class RunResult:
    """One run: the answer, the messages it added, what it used, and what it learned."""

    text: str
    messages: list[Message]
    usage: RunUsage
    learned: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    #: What the run did and remembered, one memory item per action (`aide_agent.action_memory`).
    actions_remembered: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])


class Assistant:
    def __init__(
        self,
        servers: Sequence[ServerLike] | Mapping[str, Target | ServerConfig] = (),
        model: str | Model = "scripted",
        *,
        base_url: str | None = None,
        system_prompt: str | None = None,
        approve: ApprovalCallback | None = None,
        retrieve: Retrieve | None = memory_steps.retrieve,
        learn: Learn | None = memory_steps.learn,
        remember_actions: RememberAction | None = action_memory.remember_action,
        summarise: bool = False,
        limits: Limits | None = None,
        prices: Mapping[str, tuple[float, float]] | None = None,
        context_budget: int | None = None,
        store: Conversations | str | Path | None = None,
        conversation_id: str | None = None,
        on_event: EventHandler | None = None,
        stream: bool = False,
        confirm_twice: bool = False,
        max_result_chars: int = 20_000,
        ledger: Ledger | str | Path | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.configs = to_configs(servers)
        self.model = infer_model(model, base_url=base_url)
        self.system_prompt = system_prompt or prompts.load("system", today=datetime.now(UTC).date().isoformat())
        self.approve = approve
        self.retrieve = retrieve
        self.learn = learn
        #: Called after each action that really happened, to remember it (None: actions are not remembered).
        self.remember_actions = remember_actions
        self.summarise = summarise
        self.limits = limits or Limits()
        self.prices = Prices.with_overrides(prices)
        self.context_budget = context_budget or self.model.context_window
        self.store = ConversationStore(store) if isinstance(store, str | Path) else store
        self.on_event = on_event
        self.stream = stream
        #: When False, a yes/no confirmation that a server asks for (by elicitation) while running a call the user
        #: has just approved is answered yes without asking the user a second time.
        self.confirm_twice = confirm_twice
        #: A tool result longer than this is cut (with a note) before the model reads it: aide's servers bound their
        #: own output, other servers may not.
        self.max_result_chars = max_result_chars
        #: Where each run's usage is kept, per person (`aide_agent.ledger`): what `aide usage` reports and
        #: `Limits.max_cost_per_day` counts against. None keeps nothing.
        self.ledger = UsageLedger(ledger) if isinstance(ledger, str | Path) else ledger
        self.now = now
        self.toolbox = Toolbox(self.configs, elicit=self._elicit, notify=lambda text: self._emit(Notice(text)))
        self.usage = RunUsage()
        self.conversation_id = conversation_id or ""
        self.messages: list[Message] = []
        self._approved: set[str] = set()
        self._actions_remembered: list[dict[str, Any]] = []
        self._run_usage = RunUsage()
        if conversation_id:
            self.resume(conversation_id)

    # -- lifecycle -----------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Assistant:
        await self.toolbox.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.toolbox.__aexit__(*exc_info)

    def new_conversation(self) -> None:
        self.conversation_id = ""
        self.messages = []
        self.usage = RunUsage()

    def resume(self, conversation_id: str) -> None:
        if self.store is None or not self.store.exists(conversation_id):
            raise KeyError(f"no conversation {conversation_id!r}")
        self.conversation_id = conversation_id
        self.messages = self.store.messages(conversation_id)

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- the model -----------------------------------------------------------------------------------------------

    async def request_model(
        self, messages: list[Message], tools: list[ToolSpec], *, stream: bool = False
    ) -> ModelResponse:
        """One model request, counted in this run's usage (the learn and summarise steps use it too). With
        `stream`, the text is reported as `TextChunk` events while it arrives."""
        if stream:
            response: ModelResponse | None = None
            async for event in self.model.stream(messages, tools):
                if isinstance(event, TextDelta):
                    self._emit(TextChunk(event.text))
                elif isinstance(event, ResponseDone):
                    response = event.response
            assert response is not None, "a stream ends with its response"
        else:
            response = await self.model.request(messages, tools)
        self._run_usage.add_model(response.usage, self.prices.cost(self.model.name, response.usage))
        return response

    def _budget(self, specs: list[ToolSpec]) -> int:
        """Tokens left for messages: the budget less the tools' schemas and room for the answer."""
        schemas = sum(len(spec.description) + len(str(spec.parameters)) for spec in specs) // 4
        reserve = min(4096, self.context_budget // 4)
        return max(self.context_budget // 8, self.context_budget - schemas - reserve)

    async def _summarise(self, dropped: list[Message]) -> str:
        transcript = "\n".join(f"{m.role}: {m.text}" for m in dropped if m.text)
        response = await self.request_model([Message.system(prompts.load("summarise")), Message.user(transcript)], [])
        return response.text

    # -- one run -------------------------------------------------------------------------------------------------

    async def run(self, text: str) -> RunResult:
        """Answer one user message, with as many tool calls as the model needs (within the limits)."""
        if not self.conversation_id:
            self.conversation_id = self.store.create(model=self.model.name) if self.store else _new_id()
        self._run_usage = usage = RunUsage()
        actions_remembered: list[dict[str, Any]] = []
        self._actions_remembered = actions_remembered
        person = current_user()
        spent_today = 0.0
        if self.ledger is not None and self.limits.max_cost_per_day is not None:
            spent_today = self.ledger.spent_since(person, start_of_day(self.now()))
        await self.toolbox.retry_failed()
        first = not self.messages
        history = [Message.system(self.system_prompt)] if first else []
        user = Message.user(text)
        added: list[Message] = [*history, user]
        try:
            extra = await self.retrieve(self, text) if self.retrieve else None
            memory_note = [Message.system(extra)] if extra else []
            while True:
                usage.steps += 1
                usage.check(self.limits, spent_today=spent_today)
                request = await context.fit(
                    [*self.messages, *added[: 1 + len(history)], *memory_note, *added[1 + len(history) :]],
                    self.context_budget,
                    self._summarise if self.summarise else None,
                )
                response = await self.request_model(request, self.toolbox.specs(), stream=self.stream)
                added.append(response.as_message())
                if not response.tool_calls:
                    break
                added.extend(await self._run_tools(response.tool_calls, usage))
        except BaseException:
            self.usage.merge(usage)
            self._keep(person, usage)
            raise
        finally:
            self.messages.extend(added)
            if self.store is not None:
                # A run the model never answered (it failed, or was cancelled) is not kept: a saved conversation
                # is one that can be read back and resumed; and a new one left empty is not listed at all.
                if any(m.role == "assistant" for m in added):
                    self.store.append(self.conversation_id, added)
                elif first:
                    self.store.delete(self.conversation_id)
                    self.conversation_id = ""
        learned: list[dict[str, Any]] = []
        try:
            if self.learn is not None:
                learned = await self.learn(self, [m for m in added if m.role in ("user", "assistant")])
                if learned:
                    self._emit(Learned(learned))
        except ModelError as exc:  # learning is a side step: the answer stands without it
            if not isinstance(exc, ScriptExhausted):  # a script written without a turn for it simply skips it
                self._emit(Notice(f"nothing learned from this exchange: {exc}"))
        finally:
            self.usage.merge(usage)
            self._keep(person, usage)
        return RunResult(added[-1].text, added, usage, learned, actions_remembered)

    def _keep(self, person: str, usage: RunUsage) -> None:
        """Write the run's usage to the ledger; a ledger that cannot be written is reported, never the run's end."""
        if self.ledger is None or not (usage.model.requests or usage.servers):
            return
        try:
            self.ledger.record(person, self.model.name, usage, at=self.now())
        except Exception as exc:
            log.warning("usage not kept: %s", exc)
            self._emit(Notice(f"usage not kept: {exc}"))

    # -- tools ---------------------------------------------------------------------------------------------------

    async def _run_tools(self, calls: list[ToolCall], usage: RunUsage) -> list[Message]:
        """Approvals first, one at a time (a person answers them), then the approved calls concurrently."""
        results: dict[str, Message] = {}
        approved: list[ToolCall] = []
        for call in calls:
            info = self.toolbox.info(call.name)
            if info is None:
                results[call.id] = Message.tool(call, f"No tool named {call.name!r}.", is_error=True)
                continue
            if call.invalid_arguments is not None:
                text = f"The arguments were not a JSON object: {call.invalid_arguments[:200]}"
                results[call.id] = Message.tool(call, text, is_error=True)
                continue
            config = self.toolbox.connections[info.server].config
            if needs_approval(info.tool.annotations, trusted=config.trusted):
                request = ApprovalRequest(
                    "tool",
                    info.server,
                    f"{info.server}: {info.tool.name}({_preview(call.arguments)})",
                    tool=info.tool.name,
                    arguments=call.arguments,
                )
                if not await ask(self.approve, request):
                    text = f"The user declined {info.tool.name}; it did not run. Do not retry it another way."
                    results[call.id] = Message.tool(call, text, is_error=True)
                    self._emit(ToolFinished(call, info.server, info.tool.name, text, True, 0.0))
                    continue
                self._approved.add(call.id)
            approved.append(call)

        async def run_one(call: ToolCall) -> None:
            info = self.toolbox.info(call.name)
            assert info is not None
            self._emit(ToolStarted(call, info.server, info.tool.name))
            token = _approved_call.set(call.id if call.id in self._approved else None)
            try:
                outcome = await self.toolbox.call(call.name, call.arguments)
            finally:
                _approved_call.reset(token)
                self._approved.discard(call.id)
            acted = needs_approval(info.tool.annotations, trusted=False)
            if acted and not outcome.is_error and action_memory.really_done(outcome.structured):
                preview = action_memory.preview_of(outcome.structured)
                done = ActionDone(info.server, info.tool.name, call.arguments, outcome.structured, preview, self.now())
                await self._remember_action(done)
            input_price = self.prices.per_million(self.model.name)[0]
            usage.add_tool(
                info.server,
                seconds=outcome.seconds,
                text=outcome.text,
                is_error=outcome.is_error,
                input_price=input_price,
            )
            text = outcome.text
            if len(text) > self.max_result_chars:
                cut = len(text) - self.max_result_chars
                text = text[: self.max_result_chars] + f"\n[… {cut} more characters cut: ask for less]"
            self._emit(ToolFinished(call, info.server, info.tool.name, text, outcome.is_error, outcome.seconds))
            results[call.id] = Message.tool(call, text, is_error=outcome.is_error)

        if len(approved) == 1:
            await run_one(approved[0])
        elif approved:
            async with anyio.create_task_group() as group:
                for call in approved:
                    group.start_soon(run_one, call)
        return [results[call.id] for call in calls]

    async def _remember_action(self, done: ActionDone) -> None:
        """Remember an action that happened; a failure to is a notice, never the run's end (the action stands)."""
        if self.remember_actions is None:
            return
        try:
            item = await self.remember_actions(self, done)
        except Exception as exc:
            log.warning("action not remembered: %s", exc)
            self._emit(Notice(f"{done.server}.{done.tool} was done but not remembered: {exc}"))
            return
        if item is not None:
            self._actions_remembered.append(item)
            self._emit(Learned([item]))

    async def _elicit(self, server: str, params: ElicitRequestParams) -> ElicitResult:
        """A server's question, answered through the approval callback."""
        schema = dict(params.requested_schema) if isinstance(params, ElicitRequestFormParams) else None
        exposed = current_call.get()
        info = self.toolbox.info(exposed) if exposed else None
        if (
            not self.confirm_twice
            and _approved_call.get() is not None
            and schema is not None
            and form_content(True, schema) is not None
        ):
            return ElicitResult(action="accept", content=form_content(True, schema))
        request = ApprovalRequest(
            "elicitation", server, params.message, tool=info.tool.name if info else None, schema=schema
        )
        answer = await ask(self.approve, request)
        if schema is None:
            return ElicitResult(action="accept" if answer else "decline")
        content = form_content(answer, schema)
        return ElicitResult(action="accept", content=content) if content is not None else ElicitResult(action="decline")


#: The id of the call running in this task when the user approved it (a server's confirmation of it is then implied).
_approved_call: contextvars.ContextVar[str | None] = contextvars.ContextVar("aide_agent_approved_call", default=None)


def _preview(arguments: dict[str, Any], limit: int = 300) -> str:
    text = json.dumps(arguments, ensure_ascii=False, default=str)[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _new_id() -> str:
    return uuid.uuid4().hex[:12]
