"""The Calendar v3 methods, keyed by discovery id: calendar list, calendars, events, free/busy and colours.

Decisions where Google's documentation is loose:
- a calendar is visible to an account through its calendar list, with the entry's access role; anything else is a
  404, and a write with less than `writer` a 403 `requiredAccessLevel`;
- `freebusy.query` also answers for the primary calendar of any sandbox account (colleagues in one domain), and
  leaves out transparent events and events the owner declined;
- sync tokens hold the calendar's change counter; a token of another calendar, or one that does not parse, is a
  410 `fullSyncRequired`; `nextSyncToken` comes only on the last page.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from aide_sandbox.calendar import colors, conference, timeline
from aide_sandbox.calendar.store import ROLES, CalendarRow, Calendars, ListEntry
from aide_sandbox.calendar.times import in_zone, now_rfc3339, parse_rfc3339, render, resolve, zone
from aide_sandbox.calendar.writes import EventWriter
from aide_sandbox.google.errors import GoogleError, invalid_argument, not_found
from aide_sandbox.google.service import Call, Handler

_SYNC_EXCLUSIVE = (
    "timeMin",
    "timeMax",
    "q",
    "orderBy",
    "iCalUID",
    "updatedMin",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)


def _has_properties(event: dict[str, Any], scope: str, wanted: list[str]) -> bool:
    """`privateExtendedProperty` / `sharedExtendedProperty`: every `key=value` constraint holds."""
    properties: dict[str, Any] = event.get("extendedProperties", {}).get(scope, {})
    for constraint in wanted:
        key, _, value = constraint.partition("=")
        if properties.get(key) != value:
            return False
    return True


def _token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _untoken(token: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None  # pyright: ignore[reportUnknownVariableType]


def _page(items: list[Any], call: Call, *, default: int, cap: int) -> tuple[list[Any], str | None]:
    size = max(1, min(int(call.query.get("maxResults") or default), cap))
    start = 0
    if call.query.get("pageToken"):
        decoded = _untoken(str(call.query["pageToken"]))
        if decoded is None or not isinstance(decoded.get("o"), int):
            raise invalid_argument("Invalid page token.")
        start = decoded["o"]
    end = start + size
    return items[start:end], (_token({"o": end}) if end < len(items) else None)


class CalendarApi:
    """Handlers of the Calendar API over one `Calendars` store."""

    def __init__(self, calendars: Calendars) -> None:
        self.calendars = calendars
        self.writer = EventWriter(calendars)

    def handlers(self) -> dict[str, Handler]:
        names: dict[str, Handler] = {
            "calendarList.list": self.calendar_list,
            "calendarList.get": self.calendar_list_get,
            "calendars.get": self.calendars_get,
            "colors.get": lambda _call: colors.palette(now_rfc3339(self.calendars.clock())),
            "freebusy.query": self.freebusy,
            "events.list": self.events_list,
            "events.get": self.events_get,
            "events.instances": self.events_instances,
            "events.insert": self.events_insert,
            "events.patch": lambda call: self._replace(call, patch=True),
            "events.update": lambda call: self._replace(call, patch=False),
            "events.delete": self.events_delete,
            "events.move": self.events_move,
        }
        return {f"calendar.{name}": handler for name, handler in names.items()}

    # -- access ---------------------------------------------------------------------------------------------------
    def _entry(self, call: Call, calendar_id: str) -> ListEntry:
        entry = self.calendars.entry(call.account, calendar_id)
        if entry is None:
            raise not_found("Not Found")
        return entry

    def _calendar(self, call: Call, need: str = "reader", calendar_id: str | None = None) -> CalendarRow:
        entry = self._entry(call, calendar_id or call.params["calendarId"])
        if ROLES.index(entry.access_role) < ROLES.index(need):
            raise GoogleError(403, f"You need to have {need} access to this calendar.", "requiredAccessLevel")
        return entry.calendar

    def _render(self, event: dict[str, Any], calendar: CalendarRow, call: Call) -> dict[str, Any]:
        """An event as the caller sees it: `self` flags, times in the request's `timeZone` if it set one."""
        out = dict(event)
        if "attendees" in out:
            out["attendees"] = [a | {"self": True} if a["email"] == calendar.owner else a for a in out["attendees"]]
        if out.get("organizer", {}).get("email") == calendar.id:
            out["organizer"] = out["organizer"] | {"self": True}
        if out.get("creator", {}).get("email") == call.account:
            out["creator"] = out["creator"] | {"self": True}
        tz = call.query.get("timeZone")
        for key in ("start", "end", "originalStartTime"):
            if key in out:
                out[key] = in_zone(out[key], tz)
        return out

    @staticmethod
    def _send(call: Call) -> str:
        if call.query.get("sendUpdates"):
            return str(call.query["sendUpdates"])
        return "all" if call.query.get("sendNotifications") else "none"

    # -- calendar list and calendars ------------------------------------------------------------------------------
    def _list_entry(self, entry: ListEntry) -> dict[str, Any]:
        calendar = entry.calendar
        color = colors.calendar_color(entry.color_id)
        item: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{calendar.changes}"',
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "colorId": entry.color_id,
            "backgroundColor": color["background"],
            "foregroundColor": color["foreground"],
            "selected": True,
            "accessRole": entry.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}] if entry.access_role == "owner" else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            item["description"] = calendar.description
        if entry.primary:
            item["primary"] = True
        if entry.hidden:
            item["hidden"] = True
        return item

    def calendar_list(self, call: Call) -> dict[str, Any]:
        if call.query.get("syncToken"):
            # Calendar-list entries only change through methods the sandbox does not serve, so a valid token has
            # nothing new to report.
            if _untoken(str(call.query["syncToken"])) != {"list": call.account}:
                raise GoogleError(
                    410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired", status="GONE"
                )
            return {
                "kind": "calendar#calendarList",
                "etag": '"list"',
                "items": [],
                "nextSyncToken": call.query["syncToken"],
            }
        minimum = ROLES.index(call.query.get("minAccessRole") or "freeBusyReader")
        entries = [
            e
            for e in self.calendars.entries(call.account)
            if ROLES.index(e.access_role) >= minimum and (not e.hidden or call.query.get("showHidden"))
        ]
        page, next_token = _page(entries, call, default=100, cap=250)
        body: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": '"list"',
            "items": [self._list_entry(e) for e in page],
        }
        if next_token:
            body["nextPageToken"] = next_token
        else:
            body["nextSyncToken"] = _token({"list": call.account})
        return body

    def calendar_list_get(self, call: Call) -> dict[str, Any]:
        return self._list_entry(self._entry(call, call.params["calendarId"]))

    def calendars_get(self, call: Call) -> dict[str, Any]:
        calendar = self._calendar(call)
        body: dict[str, Any] = {
            "kind": "calendar#calendar",
            "etag": f'"{calendar.changes}"',
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            body["description"] = calendar.description
        return body

    # -- events: reading ------------------------------------------------------------------------------------------
    def _window(self, query: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
        after = parse_rfc3339(query["timeMin"], "timeMin") if query.get("timeMin") else None
        before = parse_rfc3339(query["timeMax"], "timeMax") if query.get("timeMax") else None
        if after and before and before < after:
            raise GoogleError(400, "The specified time range is empty.", "timeRangeEmpty")
        return after, before

    def _collection(
        self, call: Call, calendar: CalendarRow, items: list[dict[str, Any]], *, sync: bool
    ) -> dict[str, Any]:
        page, next_token = _page(items, call, default=250, cap=2500)
        entry = self._entry(call, calendar.id)
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{calendar.changes}"',
            "summary": calendar.summary,
            "description": calendar.description,
            "updated": max((e.get("updated", "") for e in items), default="") or now_rfc3339(self.calendars.clock()),
            "timeZone": call.query.get("timeZone") or calendar.time_zone,
            "accessRole": entry.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}] if entry.access_role == "owner" else [],
            "items": [self._render(e, calendar, call) for e in page],
        }
        if next_token:
            body["nextPageToken"] = next_token
        elif sync:
            body["nextSyncToken"] = _token({"c": calendar.id, "n": calendar.changes})
        return body

    def _order(self, items: list[dict[str, Any]], calendar: CalendarRow, order: str | None) -> list[dict[str, Any]]:
        if order == "updated":
            return sorted(items, key=lambda e: e.get("updated", ""))
        return sorted(items, key=lambda e: (timeline.span(e, calendar.time_zone)[0], e["id"]))

    def events_list(self, call: Call) -> dict[str, Any]:
        calendar = self._calendar(call)
        query = call.query
        stored = [event for _, event in self.calendars.events(calendar.id)]
        if query.get("syncToken"):
            clash = next((name for name in _SYNC_EXCLUSIVE if query.get(name)), None)
            if clash:
                raise invalid_argument(f"The {clash} parameter cannot be used together with syncToken.")
            token = _untoken(str(query["syncToken"]))
            if token is None or token.get("c") != calendar.id or not isinstance(token.get("n"), int):
                raise GoogleError(
                    410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired", status="GONE"
                )
            changed = [event for change, event in self.calendars.events(calendar.id) if change > token["n"]]
            return self._collection(call, calendar, changed, sync=True)
        single = bool(query.get("singleEvents"))
        if query.get("orderBy") == "startTime" and not single:
            raise invalid_argument("The requested ordering is not available for the particular query.")
        after, before = self._window(query)
        items = timeline.listing(
            stored,
            calendar.time_zone,
            single=single,
            after=after,
            before=before,
            show_deleted=bool(query.get("showDeleted")),
        )
        if query.get("q"):
            items = [e for e in items if timeline.matches_text(e, str(query["q"]))]
        if query.get("iCalUID"):
            items = [e for e in items if e.get("iCalUID") == query["iCalUID"]]
        for parameter, scope in (("privateExtendedProperty", "private"), ("sharedExtendedProperty", "shared")):
            if query.get(parameter):
                items = [e for e in items if _has_properties(e, scope, list(query[parameter]))]
        if query.get("updatedMin"):
            since = parse_rfc3339(str(query["updatedMin"]), "updatedMin")
            items = [e for e in items if parse_rfc3339(e["updated"]) >= since]
        return self._collection(call, calendar, self._order(items, calendar, query.get("orderBy")), sync=True)

    def events_get(self, call: Call) -> dict[str, Any]:
        calendar = self._calendar(call)
        return self._render(self.writer.find(calendar, call.params["eventId"]), calendar, call)

    def events_instances(self, call: Call) -> dict[str, Any]:
        calendar = self._calendar(call)
        master = self.calendars.event(calendar.id, call.params["eventId"])
        if master is None or master.get("status") == "cancelled":
            raise not_found("Not Found")
        after, before = self._window(call.query)
        if not master.get("recurrence"):
            items = [master] if timeline.overlaps(master, calendar.time_zone, after, before) else []
        else:
            stored = [e for _, e in self.calendars.events(calendar.id) if e.get("recurringEventId") == master["id"]]
            changed = {e["id"] for e in stored}
            items = [i for i in timeline.expand(master, calendar.time_zone, after, before) if i["id"] not in changed]
            show_deleted = bool(call.query.get("showDeleted"))
            items += [
                e
                for e in stored
                if (e.get("status") != "cancelled" or show_deleted)
                and timeline.overlaps(e, calendar.time_zone, after, before)
            ]
        if call.query.get("originalStart"):
            wanted = parse_rfc3339(str(call.query["originalStart"]), "originalStart")
            items = [
                i
                for i in items
                if "originalStartTime" in i and resolve(i["originalStartTime"], calendar.time_zone) == wanted
            ]
        return self._collection(call, calendar, self._order(items, calendar, None), sync=False)

    # -- events: writing ------------------------------------------------------------------------------------------
    def events_insert(self, call: Call) -> dict[str, Any]:
        calendar = self._calendar(call, "writer")
        if call.body is None:
            raise invalid_argument("Missing event body.", reason="required")
        body = conference.apply(call.body, int(call.query.get("conferenceDataVersion") or 0))
        event = self.writer.insert(calendar, body, call.account, self._send(call))
        return self._render(event, calendar, call)

    def _replace(self, call: Call, *, patch: bool) -> dict[str, Any]:
        calendar = self._calendar(call, "writer")
        body = conference.apply(call.body or {}, int(call.query.get("conferenceDataVersion") or 0))
        event = self.writer.replace(calendar, call.params["eventId"], body, call.account, self._send(call), patch=patch)
        return self._render(event, calendar, call)

    def events_delete(self, call: Call) -> None:
        calendar = self._calendar(call, "writer")
        self.writer.delete(calendar, call.params["eventId"], call.account, self._send(call))

    def events_move(self, call: Call) -> dict[str, Any]:
        source = self._calendar(call, "writer")
        target = self._calendar(call, "writer", str(call.query["destination"]))
        event = self.writer.move(source, call.params["eventId"], target, call.account, self._send(call))
        return self._render(event, target, call)

    # -- free/busy ------------------------------------------------------------------------------------------------
    def freebusy(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        for name in ("timeMin", "timeMax"):
            if not body.get(name):
                raise invalid_argument(f"Missing {name} parameter.", reason="required")
        after, before = self._window(body)
        assert after is not None and before is not None
        tz = zone(body.get("timeZone") or "UTC")
        answers: dict[str, Any] = {}
        for item in body.get("items", []):
            wanted = str(item.get("id", ""))
            entry = self.calendars.entry(call.account, wanted)
            calendar = entry.calendar if entry else None
            if calendar is None and self.calendars.primary_of(wanted) == wanted:
                calendar = self.calendars.calendar(wanted)
            if calendar is None:
                answers[wanted] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            answers[wanted] = {"busy": self._busy(calendar, after, before, tz)}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": render(after.astimezone(UTC)),
            "timeMax": render(before.astimezone(UTC)),
            "calendars": answers,
        }

    def _busy(self, calendar: CalendarRow, after: datetime, before: datetime, tz: Any) -> list[dict[str, str]]:
        stored = [event for _, event in self.calendars.events(calendar.id)]
        spans: list[tuple[datetime, datetime]] = []
        for event in timeline.listing(
            stored, calendar.time_zone, single=True, after=after, before=before, show_deleted=False
        ):
            declined = any(
                a.get("email") == calendar.owner and a.get("responseStatus") == "declined"
                for a in event.get("attendees", [])
            )
            if event.get("transparency") == "transparent" or declined:
                continue
            start, end = timeline.span(event, calendar.time_zone)
            spans.append((max(start, after), min(end, before)))
        merged: list[tuple[datetime, datetime]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return [{"start": render(s.astimezone(tz)), "end": render(e.astimezone(tz))} for s, e in merged]
