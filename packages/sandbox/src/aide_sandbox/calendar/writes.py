"""Writing events: what Google fills in on insert, patch semantics, instance exceptions, invitations, notices.

- Insert fills `kind`, `status`, `created`, `creator`, `organizer`, `iCalUID`, `sequence`, `reminders`,
  `eventType`, `htmlLink`; attendees get `responseStatus: needsAction` unless given.
- Patch merges: objects merge key by key, arrays and scalars replace, `null` removes a key.
- Writing an instance (`<master>_<stamp>`) stores an exception; deleting one stores a cancelled exception.
- Invitations: the organizer's copy is mirrored, same id, onto the primary calendar of every attendee who is a
  sandbox account; a guest writing their copy changes only their own `responseStatus`, which flows back to the
  organizer's copy and on to the other guests. Deleting as a guest declines.
- `sendUpdates` (or the older `sendNotifications`) is recorded as an `Update` instead of mailing anyone.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
from typing import Any

from aide_sandbox.calendar import timeline
from aide_sandbox.calendar.store import CalendarRow, Calendars, Update
from aide_sandbox.calendar.times import is_all_day, now_rfc3339, render, resolve, zone
from aide_sandbox.google.errors import GoogleError, conflict, invalid_argument, not_found

_ID = re.compile(r"[a-v0-9]{5,1024}")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_SCHEDULE_FIELDS = ("start", "end", "recurrence", "location", "summary")
#: What a client cannot change by patch or update (a get-modify-update round trip sends them back as it got them,
#: `self` flags included): the server keeps its own values.
_READ_ONLY = (
    "kind",
    "id",
    "etag",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
    "htmlLink",
    "recurringEventId",
    "originalStartTime",
)


def new_id() -> str:
    return "".join(secrets.choice(_BASE32HEX) for _ in range(26))


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics (see the module docstring)."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)  # pyright: ignore[reportUnknownArgumentType]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def normalize_times(event: dict[str, Any], calendar: CalendarRow) -> None:
    """400s for what Google refuses (missing or mixed start/end, an empty range, a recurring event with no zone);
    timed start/end are rewritten with an explicit offset."""
    for field in ("start", "end"):
        if not isinstance(event.get(field), dict) or not (event[field].get("date") or event[field].get("dateTime")):
            raise invalid_argument(f"Missing {field} time.", reason="required")
    if is_all_day(event["start"]) != is_all_day(event["end"]):
        raise invalid_argument("Start and end times must either both be date or both be dateTime.")
    start = resolve(event["start"], calendar.time_zone)
    end = resolve(event["end"], calendar.time_zone, field="end")
    if end < start:
        raise GoogleError(400, "The specified time range is empty.", "timeRangeEmpty")
    for field, moment in (("start", start), ("end", end)):
        when = event[field]
        if not is_all_day(when):  # stored with an explicit offset, as Google answers it
            zone_name = when.get("timeZone")
            event[field] = when | {"dateTime": render(moment.astimezone(zone(zone_name)) if zone_name else moment)}
    if event.get("recurrence"):
        if not is_all_day(event["start"]) and not event["start"].get("timeZone"):
            raise invalid_argument("Missing time zone definition for start time.")
        timeline.expand(event, calendar.time_zone, limit=1)  # parses the rules: a 400 for a bad line


class EventWriter:
    """Event writes against one `Calendars` store, on behalf of the calling account."""

    def __init__(self, calendars: Calendars) -> None:
        self.calendars = calendars

    def insert(self, calendar: CalendarRow, body: dict[str, Any], account: str, send: str) -> dict[str, Any]:
        event_id = body.get("id") or new_id()
        if not _ID.fullmatch(event_id):
            raise invalid_argument("Invalid resource id value.")
        existing = self.calendars.event(calendar.id, event_id)
        if existing is not None:
            raise conflict("The requested identifier already exists.")
        now = now_rfc3339(self.calendars.clock())
        event = {key: value for key, value in body.items() if key not in ("etag", "updated", "htmlLink")}
        event |= {
            "kind": "calendar#event",
            "id": event_id,
            "status": body.get("status", "confirmed"),
            "htmlLink": _html_link(event_id, calendar.id),
            "created": now,
            "creator": {"email": account},
            "organizer": {"email": calendar.id, "displayName": calendar.summary},
            "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            "sequence": int(body.get("sequence", 0)),
            "reminders": body.get("reminders", {"useDefault": True}),
            "eventType": body.get("eventType", "default"),
        }
        event["attendees"] = _attendees(event.get("attendees"), calendar.id)
        if not event["attendees"]:
            del event["attendees"]
        normalize_times(event, calendar)
        return self._write(calendar, None, event, account, send, "insert")

    def replace(
        self, calendar: CalendarRow, event_id: str, body: dict[str, Any], account: str, send: str, *, patch: bool
    ) -> dict[str, Any]:
        current = self.find(calendar, event_id)
        writable = {key: value for key, value in body.items() if key not in _READ_ONLY}
        if patch:
            event = merge(current, writable)
        else:
            event = {key: current[key] for key in _READ_ONLY if key in current} | writable
        event["id"] = current["id"]
        if "attendees" in event:
            event["attendees"] = _attendees(event["attendees"], event["organizer"]["email"])
        if any(event.get(key) != current.get(key) for key in _SCHEDULE_FIELDS):
            event["sequence"] = int(current.get("sequence", 0)) + 1
        normalize_times(event, calendar)
        return self._write(calendar, current, event, account, send, "patch" if patch else "update")

    def delete(self, calendar: CalendarRow, event_id: str, account: str, send: str) -> None:
        current = self.find(calendar, event_id)
        if current.get("status") == "cancelled":
            raise GoogleError(410, "Resource has been deleted", "deleted", status="NOT_FOUND")
        if self._is_guest_copy(calendar, current):
            self._guest_write(calendar, _with_response(current, calendar.owner, "declined") | {"status": "cancelled"})
            return
        self._write(calendar, current, current | {"status": "cancelled"}, account, send, "delete")

    def move(self, source: CalendarRow, event_id: str, target: CalendarRow, account: str, send: str) -> dict[str, Any]:
        current = self.find(source, event_id)
        if current.get("recurringEventId"):
            raise invalid_argument(
                "Cannot change the organizer of an instance.", reason="cannotChangeOrganizerOfInstance"
            )
        if self.calendars.event(target.id, event_id) is not None:
            raise conflict("The requested identifier already exists.")
        self.calendars.put(source.id, current | {"status": "cancelled"})
        moved = current | {"organizer": {"email": target.id, "displayName": target.summary}}
        return self._write(target, None, moved, account, send, "move")

    # -- helpers --------------------------------------------------------------------------------------------------
    def find(self, calendar: CalendarRow, event_id: str) -> dict[str, Any]:
        """The stored event, or the instance an instance id names (not yet an exception)."""
        stored = self.calendars.event(calendar.id, event_id)
        if stored is not None:
            return stored
        split = timeline.split_instance_id(event_id)
        if split is not None:
            master = self.calendars.event(calendar.id, split[0])
            if master is not None and master.get("recurrence") and master.get("status") != "cancelled":
                found = timeline.occurrence(master, split[1], calendar.time_zone)
                if found is not None:
                    return found
        raise not_found("Not Found")

    def _is_guest_copy(self, calendar: CalendarRow, event: dict[str, Any]) -> bool:
        return event.get("organizer", {}).get("email") not in (None, calendar.id)

    def _write(
        self,
        calendar: CalendarRow,
        before: dict[str, Any] | None,
        event: dict[str, Any],
        account: str,
        send: str,
        action: str,
    ) -> dict[str, Any]:
        if before is not None and self._is_guest_copy(calendar, before):
            return self._guest_write(calendar, event)
        stored = self.calendars.put(calendar.id, event)
        self._fan_out(calendar, before, stored)
        self._notify(calendar, stored, before, account, send, action)
        return stored

    def _guest_write(self, calendar: CalendarRow, event: dict[str, Any]) -> dict[str, Any]:
        """A guest's write: their own answer goes to the organizer, who passes it on."""
        mine = next((a for a in event.get("attendees", []) if a.get("email") == calendar.owner), None)
        organizer_calendar = self.calendars.calendar(event["organizer"]["email"])
        original = organizer_calendar and self.calendars.event(organizer_calendar.id, event["id"])
        if mine is None or organizer_calendar is None or not original:
            return self.calendars.put(calendar.id, event)
        answered = _with_response(original, calendar.owner, mine.get("responseStatus", "needsAction"))
        stored = self.calendars.put(organizer_calendar.id, answered)
        self._fan_out(organizer_calendar, original, stored)
        guest_copy = self.calendars.event(calendar.id, event["id"])
        if guest_copy is not None and event.get("status") == "cancelled":
            return self.calendars.put(calendar.id, guest_copy | {"status": "cancelled"})
        return guest_copy or stored

    def _fan_out(self, calendar: CalendarRow, before: dict[str, Any] | None, event: dict[str, Any]) -> None:
        guests = {self.calendars.primary_of(a["email"]) for a in event.get("attendees", []) if a.get("email")}
        was = {self.calendars.primary_of(a["email"]) for a in (before or {}).get("attendees", []) if a.get("email")}
        for guest in (guests | was) - {None, calendar.id}:
            assert guest is not None
            copy_ = self.calendars.event(guest, event["id"])
            if guest in guests:
                self.calendars.put(guest, {k: v for k, v in event.items() if k not in ("etag", "updated")})
            elif copy_ is not None and copy_.get("status") != "cancelled":
                self.calendars.put(guest, copy_ | {"status": "cancelled"})

    def _notify(
        self,
        calendar: CalendarRow,
        event: dict[str, Any],
        before: dict[str, Any] | None,
        account: str,
        send: str,
        action: str,
    ) -> None:
        people = {a["email"] for a in [*(before or {}).get("attendees", []), *event.get("attendees", [])]}
        people -= {account, calendar.id}
        if send == "externalOnly":
            people = {p for p in people if self.calendars.primary_of(p) is None}
        recipients = sorted(people) if send in ("all", "externalOnly") else []
        self.calendars.record_update(Update(calendar.id, event["id"], action, send, recipients))


def _attendees(raw: object, organizer: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_argument("attendees must be a list.")
    attendees: list[dict[str, Any]] = []
    for item in raw:  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(item, dict) or not item.get("email"):  # pyright: ignore[reportUnknownMemberType]
            raise invalid_argument("Missing attendee email.", reason="required")
        attendee: dict[str, Any] = {k: v for k, v in item.items() if k != "self"}  # pyright: ignore[reportUnknownVariableType]
        attendee["email"] = str(attendee["email"]).lower()
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["email"] == organizer:
            attendee["organizer"] = True
        attendees.append(attendee)
    return attendees


def _with_response(event: dict[str, Any], email: str, status: str) -> dict[str, Any]:
    attendees = [a | {"responseStatus": status} if a.get("email") == email else a for a in event.get("attendees", [])]
    return event | {"attendees": attendees}


def _html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"
