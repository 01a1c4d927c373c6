"""A text to the assistant's number, answered by that person's assistant: the handler behind the `aide.inbound`
entry point `assistant` (`inbound_handler = "assistant"` in `[twilio]`).

The SMS server only defines the hook (a server may not import the agent); this is the agent's side of it. For each
text routed to a person it runs their assistant as them (`acting_as`: their memories, accounts and conversations),
with aide's servers built in-process from the deployment's settings, on the person's own words (their number and
Twilio's signature say who wrote them). Nobody is there to confirm anything, so the approval policy is unattended:
read-only tools need no approval, and of the rest only the actions the configuration names (`server.tool` in
`allowed_actions`) are allowed, and only when their effect stays with the person (the rule of scheduled runs,
`aide_agent.schedule.policy.STAYS_WITH_USER`: a text back to the sender's own phone, no mail to others, no event
with attendees); everything else is declined, and the model is told so. What the exchange teaches
is remembered only when `memory.remember` is among the allowed actions.

The text is duck-typed (`user`, `sender`, `body`, `settings`, `allowed_actions`), so the agent imports no server.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aide_agent.approval import ApprovalRequest
from aide_agent.providers import Model

__all__ = ["answer_sms", "sms_handler"]

InboundHandler = Callable[[Any], Awaitable[str | None]]


def sms_handler(
    *,
    model: str | Model | Callable[[], str | Model] | None = None,
    servers: Sequence[str] | None = None,
    on_approval: Callable[[str, bool], None] | None = None,
) -> InboundHandler:
    """A handler that answers each text with the person's assistant. `model`: a model name or object (or a function
    giving one per text); default `AIDE_INBOUND_MODEL`, else `AIDE_AGENT_MODEL`, else aide's default. `servers`: the
    aide servers to compose (default: every available one the settings enable). `on_approval(tool, allowed)` hears
    each decision of the unattended policy."""

    async def answer(text: Any) -> str | None:
        from aide_agent.assistant import Assistant
        from aide_agent.memory import learn
        from aide_agent.providers import DEFAULT_MODEL
        from aide_agent.schedule.policy import Own, Unattended
        from aide_agent.servers import aide_server
        from aide_core.identity import acting_as
        from aide_core.registry import select

        allowed = {str(action) for action in text.allowed_actions}
        # The rule of every run nobody watches (`aide_agent.schedule.policy`): an allowed action is taken only when
        # its effect stays with the person, here the one whose phone sent the text (caller ids can be forged, so a
        # text must never be able to reach anyone else through the person's accounts).
        policy = Unattended(allowed, job=f"sms {getattr(text, 'sid', '')}".strip(), own=Own(phone=text.sender))

        def unattended(request: ApprovalRequest) -> bool:
            verdict = policy(request)
            if on_approval is not None:
                on_approval(f"{request.server}.{request.tool}", verdict)
            return verdict

        chosen = model() if callable(model) else model
        chosen = chosen or os.environ.get("AIDE_INBOUND_MODEL") or os.environ.get("AIDE_AGENT_MODEL") or DEFAULT_MODEL
        with acting_as(text.user):
            names = list(servers) if servers is not None else [
                entry.name for entry in select(None)[0] if text.settings.server(entry.name).enabled
            ]  # fmt: skip
            configs = [aide_server(name, settings=text.settings) for name in names]
            remembering = learn if "memory.remember" in allowed else None
            async with Assistant(
                configs, chosen, approve=unattended, learn=remembering, ledger=text.settings.home / "usage.sqlite3"
            ) as assistant:  # the usage ledger `aide usage` reads, as for `aide chat`
                result = await assistant.run(text.body)
        return result.text or None

    return answer


#: The `aide.inbound` entry point `assistant`: `sms_handler()` with its defaults.
answer_sms = sms_handler()
