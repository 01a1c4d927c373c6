"""The Calendar v3 API for one account: the calls the tools make, on `aide_google.client.GoogleClient`.

Reads go through `call` (retried); inserts, patches, deletes and moves through `act`, never retried: when the
outcome is unknown the error says so, and where to look.
"""

from __future__ import annotations

from typing import Any

from aide_calendar.scopes import CALENDAR
from aide_google.client import GoogleClient

_CHECK = "look for the event with list_events or get_event"


class CalendarClient(GoogleClient):
    """Requests are built on the service (`call(lambda s: s.events().list(...))`)."""

    api = CALENDAR

    # -- calendars ----------------------------------------------------------------------------------------------------
    def calendar_list(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.call(lambda s, token=token: s.calendarList().list(pageToken=token, maxResults=250))
            found += page.get("items") or []
            token = page.get("nextPageToken")
            if not token:
                return found

    def calendar_zone(self, calendar_id: str) -> str:
        entry = self.call(lambda s: s.calendarList().get(calendarId=calendar_id), item=f"calendar {calendar_id!r}")
        return str(entry.get("timeZone") or "UTC")

    def create_calendar(self, summary: str, zone: str, description: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"summary": summary, "timeZone": zone}
        if description:
            body["description"] = description
        return self.act(lambda s: s.calendars().insert(body=body), done="created the calendar", check="list_calendars")

    def colors(self) -> dict[str, Any]:
        return self.call(lambda s: s.colors().get())

    # -- events: reading ----------------------------------------------------------------------------------------------
    def list_events(
        self,
        calendar_id: str,
        *,
        time_min: str | None = None,
        time_max: str | None = None,
        query: str | None = None,
        page_token: str | None = None,
        limit: int = 250,
        sync_token: str | None = None,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"calendarId": calendar_id, "maxResults": limit, "pageToken": page_token}
        if sync_token:
            options["syncToken"] = sync_token
        else:
            options |= {"singleEvents": True, "orderBy": "startTime", "timeMin": time_min, "timeMax": time_max}
            if query:
                options["q"] = query
        return self.call(lambda s: s.events().list(**options), item=f"calendar {calendar_id!r}")

    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return self.call(lambda s: s.events().get(calendarId=calendar_id, eventId=event_id), item=f"event {event_id!r}")

    def instances(self, calendar_id: str, event_id: str, time_min: str, time_max: str) -> list[dict[str, Any]]:
        page = self.call(
            lambda s: s.events().instances(
                calendarId=calendar_id, eventId=event_id, timeMin=time_min, timeMax=time_max, maxResults=50
            ),
            item=f"event {event_id!r}",
        )
        return list(page.get("items") or [])

    def free_busy(self, ids: list[str], time_min: str, time_max: str) -> dict[str, Any]:
        body = {"timeMin": time_min, "timeMax": time_max, "timeZone": "UTC", "items": [{"id": i} for i in ids]}
        return dict(self.call(lambda s: s.freebusy().query(body=body)).get("calendars") or {})

    # -- events: writing ----------------------------------------------------------------------------------------------
    def insert_event(self, calendar_id: str, body: dict[str, Any], send: str, conference: bool) -> dict[str, Any]:
        extra: dict[str, Any] = {"conferenceDataVersion": 1} if conference else {}
        return self.act(
            lambda s: s.events().insert(calendarId=calendar_id, body=body, sendUpdates=send, **extra),
            done="created the event",
            check=_CHECK,
        )

    def patch_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any], send: str, conference: bool = False
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"conferenceDataVersion": 1} if conference else {}
        return self.act(
            lambda s: s.events().patch(calendarId=calendar_id, eventId=event_id, body=body, sendUpdates=send, **extra),
            done="changed the event",
            check=_CHECK,
        )

    def delete_event(self, calendar_id: str, event_id: str, send: str) -> None:
        self.act(
            lambda s: s.events().delete(calendarId=calendar_id, eventId=event_id, sendUpdates=send),
            done="deleted the event",
            check=_CHECK,
        )

    def move_event(self, calendar_id: str, event_id: str, destination: str, send: str) -> dict[str, Any]:
        return self.act(
            lambda s: s.events().move(
                calendarId=calendar_id, eventId=event_id, destination=destination, sendUpdates=send
            ),
            done="moved the event",
            check=_CHECK,
        )
