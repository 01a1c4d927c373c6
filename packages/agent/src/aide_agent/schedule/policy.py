"""The approval policy of a run nobody watches: read-only tools need no approval (`approval.needs_approval`), the
actions a job's configuration allows (`allow = ["server.tool"]`) are approved when their effect stays with the
person the run is for, and anything else is declined and recorded, never asked of nobody. The runner's own
deliveries to the user are not the model's calls and do not pass here: they go through a toolbox of their own
(`aide_agent.schedule.deliver`).

Which actions may be allowed at all is `STAYS_WITH_USER`: remembering (and correcting a memory), adding, changing or
completing a task, marking texts read, drafting a mail, creating an event without attendees in the primary
calendar, and mail or a text to the person's own address or phone. The SMS handler (`aide_agent.inbound`) applies
the same rule, with the sender's phone as the person's own. The
schedule server refuses any other `allow` entry when the settings load (`aide_schedule.settings.UNATTENDED_ACTIONS`,
the same names); this is the same rule again at run time, on the call's actual arguments, so that neither a
configuration that skipped that check nor a model that puts someone else's number in an allowed call can reach
anyone but the user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from aide_agent.approval import ApprovalRequest

__all__ = ["STAYS_WITH_USER", "Own", "Unattended"]

log = logging.getLogger("aide.schedule")


@dataclass(frozen=True)
class Own:
    """The person's own phone and address: where an allowed send may go, and nowhere else."""

    phone: str | None = None
    email: str | None = None


def _phone(value: object) -> str:
    return re.sub(r"[^\d+]", "", str(value))


def _address(value: object) -> str:
    return parseaddr(str(value))[1].strip().lower()


def _always(arguments: Mapping[str, Any], own: Own) -> str | None:
    return None


def _text_to_self(arguments: Mapping[str, Any], own: Own) -> str | None:
    if not own.phone:
        return "no phone of the user's own is configured"
    return None if _phone(arguments.get("to", "")) == _phone(own.phone) else "not to the user's own phone"


def _mail_to_self(arguments: Mapping[str, Any], own: Own) -> str | None:
    if not own.email:
        return "no address of the user's own is configured"
    recipients = [item for key in ("to", "cc", "bcc") for item in _listed(arguments.get(key))]
    if not recipients or any(_address(item) != _address(own.email) for item in recipients):
        return "not to the user's own address only"
    return None


def _event_of_ones_own(arguments: Mapping[str, Any], own: Own) -> str | None:
    if _listed(arguments.get("attendees")):
        return "it invites attendees"
    if arguments.get("calendar") not in (None, "", "primary"):
        return "not in the user's primary calendar"
    return None


def _listed(value: object) -> list[object]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]  # pyright: ignore[reportUnknownArgumentType]


#: The actions a job may be allowed, each with its check on the call's arguments: None when the call stays with the
#: person, else why not. Names as in `aide_schedule.settings.UNATTENDED_ACTIONS` (a test holds them together).
STAYS_WITH_USER: dict[str, Callable[[Mapping[str, Any], Own], str | None]] = {
    "memory.remember": _always,
    "memory.update_memory": _always,
    "calendar.add_task": _always,
    "calendar.update_task": _always,
    "calendar.complete_task": _always,
    "twilio.mark_read": _always,
    "calendar.create_event": _event_of_ones_own,
    "gmail.draft_email": _always,
    "gmail.send_email": _mail_to_self,
    "twilio.send_sms": _text_to_self,
}


class Unattended:
    """An `ApprovalCallback`: yes to the allowed `server.tool` actions whose call stays with the user (`own`), no
    (recorded in `declined`, with why when the action is allowed) to the rest and to every question a server asks
    (an elicitation) outside an approved call."""

    def __init__(self, allowed: Iterable[str], *, job: str = "", own: Own | None = None) -> None:
        self.allowed = frozenset(allowed)
        self.job = job
        self.own = own or Own()
        #: The actions declined, as `server.tool` (and why, for an allowed one), in the order the model asked.
        self.declined: list[str] = []

    def __call__(self, request: ApprovalRequest) -> bool:
        name = f"{request.server}.{request.tool}" if request.tool else request.server
        if request.kind != "tool":
            return self._decline(f"{name} (question: {request.message[:80]})")
        if name not in self.allowed:
            return self._decline(name)
        check = STAYS_WITH_USER.get(name)
        why = "never allowed unattended" if check is None else check(request.arguments, self.own)
        if why is not None:
            return self._decline(f"{name} ({why})")
        return True

    def _decline(self, record: str) -> bool:
        self.declined.append(record)
        log.info("%s: declined %s (not allowed unattended)", self.job or "scheduled run", record)
        return False
