"""The plan of one guarded action: what it will do, resolved once, so that what is checked, previewed and confirmed
is exactly what is then carried out.

A server declares how to plan an action (`ServerSpec.action(plan=...)`): from the call's arguments and anything they
refer to (a message to reply to, a draft to send), it builds a `Plan` holding the structured payload the action will
render from (a mail, an SMS, an invitation), whom it reaches, and a preview for the user. The guard then runs the
server's policies on the plan (`aide_core.policy`, such as the allowlists of whom it reaches), shows its preview,
binds a confirmation to its digest, and hands that same plan to the tool body, which renders the upstream request
from it and from nothing else. If what a call refers to changes between the preview and the confirmed call (a draft
edited in between), the new plan has another digest and the confirmation no longer applies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Plan"]

P = TypeVar("P")


@dataclass(frozen=True)
class Plan(Generic[P]):
    """What one guarded action will do.

    `preview` says what the action will do; its head (up to the first blank line) is always shown whole, so it
    should say who is reached and what happens, and what follows (a body, details) may be cut to fit a budget.
    `payload` is what the action renders its request from; `content` is its JSON-able description (every field that
    changes what happens: for a mail, recipients, subject, body and a hash of each attachment), which the digest
    covers together with the preview and the reach. `reaches` says whom or what the action reaches, by kind
    (`{"email": ("ann@example.com",)}`, `{"phone": (...)}`, or a kind of the server's own): the server's policies
    read it.

    `confirm=False` marks a plan that needs no confirmation because it reaches nobody and destroys nothing (an event
    with no attendees on the user's own calendar): the guard still runs the policies, keys it for idempotency and
    audits it, but acts without asking (dry-run mode still only previews). The server decides this from the
    resolved plan, never from a caller's flag, so a call that would notify someone is always asked about."""

    preview: str
    payload: P
    content: Any = None
    reaches: Mapping[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    confirm: bool = True
    _digest: dict[tuple[str, str], str] = field(default_factory=dict[tuple[str, str], str], compare=False, repr=False)

    def digest(self, server: str, tool: str) -> str:
        """A hash of everything this plan does, bound to the server and tool that will do it."""
        key = (server, tool)
        if key not in self._digest:
            canonical = json.dumps(
                [
                    server,
                    tool,
                    self.preview,
                    {kind: list(items) for kind, items in self.reaches.items()},
                    self.content,
                    self.confirm,
                ],
                sort_keys=True,
                default=str,
                separators=(",", ":"),
                ensure_ascii=True,
            )
            self._digest[key] = hashlib.sha256(canonical.encode()).hexdigest()
        return self._digest[key]
