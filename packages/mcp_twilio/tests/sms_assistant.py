"""The agent's inbound handler (`aide_agent.inbound.sms_handler`, shipped as the `aide.inbound` entry point
`assistant`; a server may not import the agent, so aide_twilio only defines the hook, `aide_twilio.inbound`), set up
for the tests: the end-to-end test names it in `inbound_handler` as `sms_assistant:answer`.

It runs the person's assistant as that person (`acting_as`), with their servers, on their own text, under an
unattended approval policy: read-only tools run (the agent asks about nothing else), and of the rest only the
actions the configuration allows (`server.tool` in `inbound_actions`); nobody is there to say yes to anything else.
The test sets `MODEL` (a scripted model) and reads `ASKED`.
"""

from __future__ import annotations

from typing import Any

from aide_agent.inbound import sms_handler
from aide_twilio.inbound import InboundText

#: The model the next run uses, and the servers composed (names of aide servers, built in-process).
MODEL: dict[str, Any] = {}
SERVERS: tuple[str, ...] = ("twilio", "memory")
#: Every approval the unattended policy was asked for, and its answer.
ASKED: list[tuple[str, bool]] = []


#: The agent's own handler (`aide_agent.inbound`, the `aide.inbound` entry point `assistant`), on the test's model
#: and servers, telling the test each decision of its unattended policy.
answer = sms_handler(
    model=lambda: MODEL["model"], servers=SERVERS, on_approval=lambda tool, ok: ASKED.append((tool, ok))
)


async def never(text: InboundText) -> str | None:
    """A handler that does not answer in time (it waits for an event nobody sets)."""
    import anyio

    await anyio.Event().wait()
    return "too late"
