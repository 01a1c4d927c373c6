"""What a writing tool will do, as one `Plan`: the requests it will send (`Write`s), whom Google will notify, and a
preview whose head names them and says what happens. The guard checks, previews and confirms the plan; the tool
body sends exactly its writes, nothing recomputed after confirmation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aide_calendar import render
from aide_calendar.client import CalendarClient
from aide_calendar.models import Conflict, Event, EventRow, Saved
from aide_core.fencing import defang_field
from aide_core.plan import Plan
from aide_core.policy import EMAIL


@dataclass(frozen=True)
class Write:
    """One request: insert, patch or delete an event on a calendar."""

    kind: Literal["insert", "patch", "delete"]
    calendar: str
    event_id: str | None = None
    body: dict[str, Any] = field(default_factory=dict[str, Any])
    send: str = "none"
    conference: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "calendar": self.calendar,
            "id": self.event_id,
            "body": self.body,
            "send": self.send,
            "conference": self.conference,
        }


@dataclass(frozen=True)
class Writes:
    """What a plan carries: the writes in order, whom they notify, conflicts found, the user's zone."""

    writes: tuple[Write, ...]
    notified: tuple[str, ...]
    zone: str
    conflicts: tuple[Conflict, ...] = ()
    scope: str = "this"


def others(attendees: list[dict[str, Any]] | list[str], me: str | None) -> list[str]:
    """The attendees' addresses other than the user's own."""
    found: list[str] = []
    for attendee in attendees:
        address = attendee if isinstance(attendee, str) else str(attendee.get("email", ""))
        if not address.isprintable() or " " in address:
            continue  # not an address Google would store; never carried into a preview or a reach
        if address and (me is None or address.lower() != me.lower()) and address not in found:
            if isinstance(attendee, dict) and attendee.get("resource"):
                continue
            found.append(address)
    return found


def when_text(event: dict[str, Any], tz: ZoneInfo) -> str:
    start, end, all_day = render.span(event, tz)
    if all_day:
        return start if start == end else f"{start} to {end} (all day)"
    return f"{start} to {end[11:]}" if start[:10] == end[:10] else f"{start} to {end}"


def make_plan(
    verb: str,
    summary: str,
    writes: list[Write],
    notified: list[str],
    tz: ZoneInfo,
    *,
    when: str = "",
    details: list[str] | None = None,
    conflicts: list[Conflict] | None = None,
    scope: str = "this",
    confirm: bool = True,
) -> Plan[Writes]:
    """The plan: the head says what happens to which event and who is notified; details follow a blank line."""
    title = defang_field(summary or "(no title)")
    head = f"{verb} '{title}'" + (f", {when}" if when else "")
    head += f"; notifies {', '.join(notified)}" if notified else "; notifies no one"
    body = "\n".join(details or [])
    payload = Writes(tuple(writes), tuple(notified), str(tz.key), tuple(conflicts or ()), scope)
    return Plan(
        preview=f"{head}\n\n{body}" if body else head,
        payload=payload,
        content={"writes": [w.describe() for w in writes], "notified": notified},
        reaches={EMAIL: tuple(notified)} if notified else {},
        confirm=confirm,
    )


def carry_out(client: CalendarClient, plan: Plan[Writes]) -> tuple[list[dict[str, Any]], str | None]:
    """Send the plan's writes in order; the events written (inserted or patched) and the calendar of the first."""
    written: list[dict[str, Any]] = []
    for write in plan.payload.writes:
        if write.kind == "insert":
            written.append(client.insert_event(write.calendar, write.body, write.send, write.conference))
        elif write.kind == "patch":
            assert write.event_id is not None
            written.append(client.patch_event(write.calendar, write.event_id, write.body, write.send, write.conference))
        else:
            assert write.event_id is not None
            client.delete_event(write.calendar, write.event_id, write.send)
    return written, (plan.payload.writes[0].calendar if plan.payload.writes else None)


def saved(plan: Plan[Writes], written: list[dict[str, Any]], main: int, calendar: str | None, default: str) -> Saved:
    tz = ZoneInfo(plan.payload.zone)
    event: Event = render.full(written[main], tz, None if calendar == default else calendar)
    also = [str(w.get("id", "")) for i, w in enumerate(written) if i != main]
    row = EventRow.model_validate(event.model_dump(include=set(EventRow.model_fields)))
    return Saved(
        event=row,
        meet=event.meet,
        recurrence=event.recurrence,
        conflicts=list(plan.payload.conflicts),
        notified=list(plan.payload.notified),
        also=also,
    )


def conflicts_with(
    client: CalendarClient, calendar: str, begin: datetime, end: datetime, tz: ZoneInfo, skip: str | None = None
) -> list[Conflict]:
    """Busy events on `calendar` overlapping [begin, end) (free/transparent ones and declined ones left out)."""
    from aide_calendar.times import rfc3339

    page = client.list_events(calendar, time_min=rfc3339(begin), time_max=rfc3339(end), limit=50)
    found: list[Conflict] = []
    for event in page.get("items") or []:
        if event.get("transparency") == "transparent" or event.get("status") == "cancelled":
            continue
        if render.my_response(event) == "declined" or (skip and event.get("id") == skip):
            continue
        start, finish, _ = render.span(event, tz)
        found.append(
            Conflict(id=str(event.get("id")), summary=str(event.get("summary") or ""), start=start, end=finish)
        )
    return found[:20]
