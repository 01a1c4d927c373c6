"""Ids from the caller, checked before they reach a URL: the API client percent-encodes path parameters, but an id
with control characters or of absurd length is a mistake to report, not a request to send."""

from __future__ import annotations

from aide_core.errors import InvalidInput

MAX_ID = 1024


def check_id(value: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > MAX_ID or not cleaned.isprintable():
        hints = {
            "calendar": "Use an id from list_calendars, or 'primary'.",
            "event": "Use an id from list_events.",
            "task": "Use an id from list_tasks.",
            "task list": "Use an id from list_task_lists, or leave it out for the default list.",
        }
        raise InvalidInput(f"{value[:60]!r} is not a {what} id.", hint=hints.get(what, ""))
    return cleaned
