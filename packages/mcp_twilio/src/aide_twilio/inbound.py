"""The inbound handler: what answers a text someone sends their assistant's number, if anything does.

A server may not import the agent (servers and the agent meet only through MCP: core's architecture test), so the
handler is a hook the configuration names, `inbound_handler` in `[twilio]`: either the name of an entry point in
the `aide.inbound` group, or `"package.module:function"`. It is loaded when the first routed text arrives, never at
start-up. The webhook calls it with an `InboundText` for each new text routed to a person (not for opt-out or help
keywords, not for senders nobody is configured for, not for a webhook Twilio retried), and texts back what it
returns (nothing for None or an empty answer).

A handler backed by `aide_agent` runs that person's assistant: `acting_as(text.user)` around it, so that their
servers, memories and accounts are theirs; the person's own text as the prompt (it comes from a number the
configuration says is theirs, and Twilio's signature was checked); and an unattended approval policy, answering
yes only to read-only tools and to the actions named in `text.allowed_actions` (`server.tool`), since nobody is
there to confirm. Its answer must come within `inbound_timeout_seconds` (Twilio waits 15 s for the webhook); a
handler that fails or times out is logged and the text gets no reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aide_core.fencing import fence

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

__all__ = ["GROUP", "InboundHandler", "InboundText", "load_handler"]

GROUP = "aide.inbound"
logger = logging.getLogger("aide.twilio")


@dataclass(frozen=True)
class InboundText:
    """One text routed to `user`, as the handler gets it. `body` is as received: `fenced()` gives it as untrusted
    content, for a handler that shows it to a model as data rather than as the person's request."""

    user: str
    sid: str
    sender: str
    to: str
    body: str
    settings: AideSettings
    media_urls: tuple[str, ...] = ()
    allowed_actions: tuple[str, ...] = field(default_factory=tuple[str, ...])

    def fenced(self) -> str:
        return fence(self.body, source=f"sms {self.sid} from {self.sender}", kind="sms")


#: `await handler(text)`: the reply to text back, or None for no reply.
InboundHandler = Callable[[InboundText], Awaitable[str | None]]


def load_handler(name: str) -> InboundHandler:
    """The handler `name` stands for: an `aide.inbound` entry point, or `module:function`."""
    from importlib import import_module
    from importlib.metadata import entry_points

    for point in entry_points(group=GROUP):
        if point.name == name:
            return cast(InboundHandler, point.load())
    module, colon, attribute = name.partition(":")
    if not colon or not module or not attribute:
        raise LookupError(f"no {GROUP} entry point named {name!r}, and it is not 'module:function'")
    found: Any = getattr(import_module(module), attribute)
    if not callable(found):
        raise LookupError(f"{name} is not callable")
    return cast(InboundHandler, found)
