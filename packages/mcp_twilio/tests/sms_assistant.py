"""An inbound handler backed by `aide_agent`: what the agent side would ship under the `aide.inbound` entry-point
group (a server may not import the agent, so aide_twilio only defines the hook, `aide_twilio.inbound`). The
end-to-end test names it in `inbound_handler` as `sms_assistant:answer`.

It runs the person's assistant as that person (`acting_as`), with their servers, on their own text, under an
unattended approval policy: read-only tools run (the agent asks about nothing else), and of the rest only the
actions the configuration allows (`server.tool` in `inbound_actions`); nobody is there to say yes to anything else.
The test sets `MODEL` (a scripted model) and reads `ASKED`.
"""

from __future__ import annotations

from typing import Any

from aide_core.identity import acting_as
from aide_twilio.inbound import InboundText

#: The model the next run uses, and the servers composed (names of aide servers, built in-process).
MODEL: dict[str, Any] = {}
SERVERS: tuple[str, ...] = ("twilio", "memory")
#: Every approval the unattended policy was asked for, and its answer.
ASKED: list[tuple[str, bool]] = []


async def answer(text: InboundText) -> str | None:
    from aide_agent import ApprovalRequest, Assistant, aide_server

    allowed = set(text.allowed_actions)

    def unattended(request: ApprovalRequest) -> bool:
        verdict = request.kind == "tool" and f"{request.server}.{request.tool}" in allowed
        ASKED.append((f"{request.server}.{request.tool}", verdict))
        return verdict

    with acting_as(text.user):
        servers = [aide_server(name, settings=text.settings) for name in SERVERS]
        async with Assistant(servers, MODEL["model"], approve=unattended, retrieve=None, learn=None) as assistant:
            result = await assistant.run(text.body)
    return result.text


async def never(text: InboundText) -> str | None:
    """A handler that does not answer in time (it waits for an event nobody sets)."""
    import anyio

    await anyio.Event().wait()
    return "too late"
