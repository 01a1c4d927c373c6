"""The seeded calendars: two owners in different zones, around the anchor date of the seeded mail (2026-11-20).

What tests rely on (ids are fixed):
- Alex (Europe/Berlin, DST ends 2026-10-25): `seed001` "Weekly team sync", Tuesdays 09:00 Berlin from 2026-10-06,
  12 times, across the DST change, 2026-10-27 excluded (EXDATE), the 2026-11-10 instance moved to 10:00 (an
  exception), an extra session on 2026-12-23 (RDATE); Sam is a guest who has accepted. `seed002` fortnightly 1:1,
  `seed003` an all-day trip (3-5 Dec), `seed004` a yearly all-day birthday, `seed005` a call set in Asia/Tokyo.
- Sam (America/Los_Angeles, DST ends 2026-11-01): `seed010` "Morning run" Mon/Wed/Fri 07:00 (transparent),
  `seed011` "Design review" inviting Alex, who has not replied (needsAction, on Alex's calendar too).
- `seed020` "Q4 offsite planning" by Alex, inviting Sam, who has not replied.
- A shared calendar "Northwind team" (Alex owner, Sam writer) and a read-only holiday calendar for Alex.
"""

from __future__ import annotations

from typing import Any

from aide_sandbox.calendar.store import Calendars
from aide_sandbox.calendar.writes import EventWriter
from aide_sandbox.seed.accounts import ACCOUNTS

ALEX, SAM = ACCOUNTS[0].email, ACCOUNTS[1].email
TEAM = "northwind-team@group.calendar.google.com"
HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"
PRIYA = "priya.raman@northwind.example"
#: Seeded events are stamped as written at this instant (2026-11-01T12:00:00Z), whatever the clock says.
SEED_TIME = 1793534400.0


def _timed(when: str, zone: str) -> dict[str, str]:
    return {"dateTime": when, "timeZone": zone}


def _people(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"email": email, "responseStatus": status} for email, status in pairs]


def seed_calendars(calendars: Calendars) -> None:
    store = Calendars(calendars.db, lambda: SEED_TIME)
    store.create(ALEX, ALEX, ALEX, "Europe/Berlin")
    store.create(SAM, SAM, SAM, "America/Los_Angeles")
    store.create(TEAM, ALEX, "Northwind team", "Europe/Berlin", description="Team rota, releases and offsites")
    store.create(HOLIDAYS, "holidays", "Holidays in Germany", "Europe/Berlin")
    store.subscribe(ALEX, ALEX, "owner", "14", primary=True)
    store.subscribe(ALEX, TEAM, "owner", "9")
    store.subscribe(ALEX, HOLIDAYS, "reader", "8")
    store.subscribe(SAM, SAM, "owner", "17", primary=True)
    store.subscribe(SAM, TEAM, "writer", "9")
    alex, sam, team, holidays = (store.calendar(i) for i in (ALEX, SAM, TEAM, HOLIDAYS))
    assert alex and sam and team and holidays
    write = EventWriter(store)

    berlin = "Europe/Berlin"
    write.insert(
        alex,
        {
            "id": "seed001",
            "summary": "Weekly team sync",
            "location": "Room Ada / Meet",
            "description": "Status round, blockers, release plan.",
            "start": _timed("2026-10-06T09:00:00", berlin),
            "end": _timed("2026-10-06T09:30:00", berlin),
            "recurrence": [
                "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12",
                "EXDATE;TZID=Europe/Berlin:20261027T090000",
                "RDATE;TZID=Europe/Berlin:20261223T090000",
            ],
            "attendees": _people((ALEX, "accepted"), (SAM, "accepted"), (PRIYA, "accepted")),
        },
        ALEX,
        "none",
    )
    write.replace(
        alex,
        "seed001_20261110T080000Z",
        {
            "start": _timed("2026-11-10T10:00:00", berlin),
            "end": _timed("2026-11-10T10:30:00", berlin),
        },
        ALEX,
        "none",
        patch=True,
    )
    write.insert(
        alex,
        {
            "id": "seed002",
            "summary": "1:1 with Priya",
            "start": _timed("2026-10-08T14:00:00", berlin),
            "end": _timed("2026-10-08T14:45:00", berlin),
            "recurrence": ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20261231T235959Z"],
            "attendees": _people((ALEX, "accepted"), (PRIYA, "accepted")),
        },
        ALEX,
        "none",
    )
    write.insert(
        alex,
        {
            "id": "seed003",
            "summary": "Lisbon trip",
            "location": "Lisbon, Portugal",
            "start": {"date": "2026-12-03"},
            "end": {"date": "2026-12-06"},
            "transparency": "opaque",
        },
        ALEX,
        "none",
    )
    write.insert(
        alex,
        {
            "id": "seed004",
            "summary": "Helen's birthday",
            "start": {"date": "2026-11-14"},
            "end": {"date": "2026-11-15"},
            "recurrence": ["RRULE:FREQ=YEARLY"],
            "transparency": "transparent",
        },
        ALEX,
        "none",
    )
    write.insert(
        alex,
        {
            "id": "seed005",
            "summary": "Call with Taro (Tokyo office)",
            "description": "Localisation of the app.",
            "start": _timed("2026-12-02T09:00:00+09:00", "Asia/Tokyo"),
            "end": _timed("2026-12-02T10:00:00+09:00", "Asia/Tokyo"),
            "attendees": _people((ALEX, "accepted"), ("taro.yamada@kaisha.example", "tentative")),
        },
        ALEX,
        "none",
    )

    la = "America/Los_Angeles"
    write.insert(
        sam,
        {
            "id": "seed010",
            "summary": "Morning run",
            "transparency": "transparent",
            "start": _timed("2026-10-19T07:00:00", la),
            "end": _timed("2026-10-19T07:45:00", la),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20261231T000000Z"],
        },
        SAM,
        "none",
    )
    write.insert(
        sam,
        {
            "id": "seed011",
            "summary": "Design review",
            "location": "Zoom",
            "start": _timed("2026-12-01T08:00:00-08:00", la),
            "end": _timed("2026-12-01T09:00:00-08:00", la),
            "attendees": _people((SAM, "accepted"), (ALEX, "needsAction")),
        },
        SAM,
        "none",
    )
    write.insert(
        alex,
        {
            "id": "seed020",
            "summary": "Q4 offsite planning",
            "location": "Berlin office",
            "start": _timed("2026-12-08T10:00:00+01:00", berlin),
            "end": _timed("2026-12-08T12:00:00+01:00", berlin),
            "attendees": _people((ALEX, "accepted"), (SAM, "needsAction"), (PRIYA, "tentative")),
        },
        ALEX,
        "none",
    )

    write.insert(
        team,
        {
            "id": "seed030",
            "summary": "Release 4.2",
            "start": {"date": "2026-11-26"},
            "end": {"date": "2026-11-27"},
        },
        ALEX,
        "none",
    )
    write.insert(
        team,
        {
            "id": "seed031",
            "summary": "On call: Sam",
            "start": {"date": "2026-11-23"},
            "end": {"date": "2026-11-30"},
            "transparency": "transparent",
        },
        ALEX,
        "none",
    )
    for event_id, day, name in (
        ("seed040", "2026-10-03", "Day of German Unity"),
        ("seed041", "2026-12-25", "Christmas Day"),
        ("seed042", "2026-12-26", "Second Day of Christmas"),
    ):
        end = day[:-2] + f"{int(day[-2:]) + 1:02d}"
        write.insert(
            holidays,
            {
                "id": event_id,
                "summary": name,
                "start": {"date": day},
                "end": {"date": end},
                "transparency": "transparent",
            },
            "holidays",
            "none",
        )
    with store.db.transaction() as conn:
        conn.execute("DELETE FROM calendar_updates")
