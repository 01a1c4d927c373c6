"""Context management: keep a conversation within the model's token budget.

The system prompt and the newest turn are never touched. Older turns go first, whole exchanges at a time (a tool
result never loses the assistant turn that asked for it, which providers reject). When a summariser is given, what
is dropped is replaced by its summary; otherwise it is dropped with a one-line note that it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aide_agent.messages import Message

Summariser = Callable[[list[Message]], Awaitable[str]]


def estimate(message: Message) -> int:
    """Tokens, estimated at four characters each (tool calls counted by their arguments)."""
    size = len(message.text) + sum(len(c.name) + len(str(c.arguments)) for c in message.tool_calls)
    return size // 4 + 4


def _exchanges(messages: list[Message]) -> list[list[Message]]:
    """The messages cut at each user turn: an exchange is a user message and everything that answers it."""
    groups: list[list[Message]] = []
    for message in messages:
        if message.role == "user" or not groups:
            groups.append([message])
        else:
            groups[-1].append(message)
    return groups


async def fit(messages: list[Message], budget: int, summarise: Summariser | None = None) -> list[Message]:
    """`messages` trimmed to about `budget` tokens: the leading system messages and the last exchange are kept."""
    if sum(estimate(m) for m in messages) <= budget:
        return messages
    head = list(messages[: _leading_system(messages)])
    body = _exchanges(messages[len(head) :])
    if len(body) <= 1:
        return messages
    kept = body[-1:]
    used = sum(estimate(m) for m in head) + sum(estimate(m) for m in kept[0]) + 50
    for group in reversed(body[:-1]):
        size = sum(estimate(m) for m in group)
        if used + size > budget:
            break
        kept.insert(0, group)
        used += size
    dropped = [m for group in body[: len(body) - len(kept)] for m in group]
    note = f"(Earlier in this conversation: {len(dropped)} messages left out to fit the context.)"
    if summarise is not None and dropped:
        note = "Summary of the earlier conversation: " + await summarise(dropped)
    return [*head, Message.system(note), *(m for group in kept for m in group)]


def _leading_system(messages: list[Message]) -> int:
    count = 0
    for message in messages:
        if message.role != "system":
            break
        count += 1
    return count
