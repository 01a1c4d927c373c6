"""The seeded Notion workspaces: two integrations, each with its own workspace, users and content.

- "Rivera Home" (token `NOTION_TOKENS[0]`): a "Home" page with headings, to-dos, a toggle with nested blocks, and
  nested sub-pages ("Trip to Lisbon"; "Reading list" > "2026 books"); a "Tasks" database with one data source of
  24 tasks using every filterable property type (title, rich_text, number, select, multi_select, status, date,
  checkbox, people, relation), and a comment thread on the trip page.
- "Northwind" (token `NOTION_TOKENS[1]`): an "Engineering wiki" with an "Onboarding" sub-page and an "Incidents"
  database.

Ids are UUIDs derived from names, and times advance a minute per object from 2026-10-01, so every seed is the same.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

from aide_sandbox.notion.objects import Workspace, url_of
from aide_sandbox.notion.store import Integration, Workspaces
from aide_sandbox.notion.values import text

NOTION_TOKENS = ("ntn_sandbox_rivera_home_0000000000000000000000", "ntn_sandbox_northwind_000000000000000000000000")
_NAMESPACE = uuid.UUID("5b0e1c9a-3f1d-4b7e-9c1a-000000000000")
_START = 1790812800.0  # 2026-10-01T00:00:00Z


def fixed_id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


ALEX_USER, HELEN_USER, SAM_USER, PRIYA_USER = (fixed_id(n) for n in ("alex", "helen", "sam", "priya"))
HOME, TRIP, READING, BOOKS = (fixed_id(n) for n in ("home", "trip", "reading", "books"))
TASKS_DB, TASKS = fixed_id("tasks-db"), fixed_id("tasks")
WIKI, ONBOARDING, INCIDENTS_DB, INCIDENTS = (fixed_id(n) for n in ("wiki", "onboarding", "incidents-db", "incidents"))


def _person(user_id: str, name: str, email: str) -> dict[str, Any]:
    return {
        "object": "user",
        "id": user_id,
        "type": "person",
        "name": name,
        "avatar_url": None,
        "person": {"email": email},
    }


def _bot(user_id: str, workspace_name: str) -> dict[str, Any]:
    return {
        "object": "user",
        "id": user_id,
        "type": "bot",
        "name": "aide",
        "avatar_url": None,
        "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": workspace_name},
    }


def _block(kind: str, content: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"rich_text": [{"text": {"content": content}}]} if kind != "divider" else {}
    return {"type": kind, kind: body | extra}


def _title(value: str) -> dict[str, Any]:
    return {"title": [{"text": {"content": value}}]}


def _container(space: Workspace, kind: str, object_id: str, parent: str | None, data: dict[str, Any]) -> None:
    now = space.store.now()
    stamps = {"created_time": now, "last_edited_time": now, "created_by": space.bot, "last_edited_by": space.bot}
    space.store.create(space.workspace, kind, parent, {"object": kind, "id": object_id} | stamps | data)


def _database(space: Workspace, db_id: str, source_id: str, parent: str, name: str, props: dict[str, Any]) -> None:
    title = text(name)
    _container(
        space,
        "database",
        db_id,
        parent,
        {
            "title": title,
            "description": [],
            "icon": None,
            "cover": None,
            "parent": {"type": "page_id", "page_id": parent},
            "is_inline": True,
            "in_trash": False,
            "archived": False,
            "is_locked": False,
            "url": url_of(name, db_id),
            "public_url": None,
        },
    )
    properties = {
        key: {"id": pid, "name": key, "type": kind, kind: config} for key, (pid, kind, config) in props.items()
    }
    _container(
        space,
        "data_source",
        source_id,
        db_id,
        {
            "title": title,
            "description": [],
            "icon": None,
            "parent": {"type": "database_id", "database_id": db_id},
            "database_parent": {"type": "page_id", "page_id": parent},
            "properties": properties,
            "archived": False,
            "in_trash": False,
            "url": url_of(name, source_id),
        },
    )


def _options(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"options": [{"id": fixed_id(n)[:8], "name": n, "color": c, "description": None} for n, c in pairs]}


def _space(store: Workspaces, token: str, workspace: str, name: str, bot: str) -> Workspace:
    integration = Integration(token, workspace, name, bot, "aide")
    store.add_integration(integration)
    counter = itertools.count()
    ids: Callable[[], str] = lambda: fixed_id(f"{workspace}/{next(counter)}")  # noqa: E731
    return Workspace(store, integration, ids)


def seed_notion(store: Workspaces) -> None:
    ticks = itertools.count()
    clock = Workspaces(store.db, lambda: _START + 60 * next(ticks))
    home = _space(clock, NOTION_TOKENS[0], "rivera-home", "Rivera Home", fixed_id("bot-home"))
    for user in (
        _person(ALEX_USER, "Alex Rivera", "alex.rivera@example.com"),
        _person(HELEN_USER, "Helen Rivera", "helen.rivera@familymail.example"),
        _bot(fixed_id("bot-home"), "Rivera Home"),
    ):
        clock.add_user("rivera-home", user)
    _seed_home(home)
    work = _space(clock, NOTION_TOKENS[1], "northwind", "Northwind", fixed_id("bot-northwind"))
    for user in (
        _person(SAM_USER, "Sam Okafor", "sam.okafor@example.org"),
        _person(PRIYA_USER, "Priya Raman", "priya.raman@northwind.example"),
        _bot(fixed_id("bot-northwind"), "Northwind"),
    ):
        clock.add_user("northwind", user)
    _seed_northwind(work)


def _page(space: Workspace, page_id: str, parent: dict[str, Any], title: str, blocks: list[dict[str, Any]]) -> None:
    ids = space.new_id
    space.new_id = lambda: page_id
    try:
        space.create_page(parent, {"title": _title(title)}, [], {"icon": None, "cover": None})
    finally:
        space.new_id = ids
    space.append(page_id, blocks, None)


def _seed_home(space: Workspace) -> None:
    _page(
        space,
        HOME,
        {"workspace": True},
        "Home",
        [
            _block("heading_1", "Welcome home"),
            _block("paragraph", "Everything about the house, trips and the family calendar."),
            _block("to_do", "Renew the car insurance", checked=True),
            _block("to_do", "Book the boiler service", checked=False),
            _block("to_do", "Sort the photo backup", checked=False),
            _block(
                "toggle",
                "Wi-Fi details",
                children=[
                    _block("paragraph", "Network: rivera-home"),
                    _block(
                        "bulleted_list_item",
                        "Guest network: rivera-guest",
                        children=[_block("paragraph", "Password on the fridge")],
                    ),
                ],
            ),
            _block("divider"),
        ],
    )
    _page(
        space,
        TRIP,
        {"page_id": HOME},
        "Trip to Lisbon",
        [
            _block("heading_2", "Itinerary"),
            _block("bulleted_list_item", "3 Dec: fly BER → LIS, 09:40"),
            _block("bulleted_list_item", "4 Dec: Belém and the tram 28"),
            _block("bulleted_list_item", "5 Dec: Sintra day trip"),
            _block("quote", "Pack the rain jacket."),
        ],
    )
    _page(space, READING, {"page_id": HOME}, "Reading list", [_block("paragraph", "Books to read and re-read.")])
    _page(
        space,
        BOOKS,
        {"page_id": READING},
        "2026 books",
        [
            _block("numbered_list_item", "The Left Hand of Darkness"),
            _block("numbered_list_item", "Piranesi"),
            _block("numbered_list_item", "A Psalm for the Wild-Built"),
        ],
    )
    comment = {
        "object": "comment",
        "id": fixed_id("comment-1"),
        "parent": {"type": "page_id", "page_id": TRIP},
        "discussion_id": fixed_id("discussion-1"),
        "created_time": space.store.now(),
        "last_edited_time": space.store.now(),
        "created_by": {"object": "user", "id": HELEN_USER},
        "rich_text": text("Can we add a day in Porto?"),
        "display_name": {"type": "user", "resolved_name": "Helen Rivera"},
    }
    space.store.add_comment(space.workspace, comment, TRIP)
    _database(
        space,
        TASKS_DB,
        TASKS,
        HOME,
        "Tasks",
        {
            "Name": ("title", "title", {}),
            "Status": (
                "stat",
                "status",
                _options(("Not started", "default"), ("In progress", "blue"), ("Done", "green")),
            ),
            "Priority": ("prio", "select", _options(("High", "red"), ("Medium", "yellow"), ("Low", "gray"))),
            "Tags": (
                "tags",
                "multi_select",
                _options(
                    ("home", "brown"), ("work", "blue"), ("errand", "orange"), ("finance", "green"), ("health", "pink")
                ),
            ),
            "Due": ("due", "date", {}),
            "Done": ("done", "checkbox", {}),
            "Estimate": ("est", "number", {"format": "number"}),
            "Assignee": ("asgn", "people", {}),
            "Notes": ("note", "rich_text", {}),
            "Blocked by": (
                "blck",
                "relation",
                {"data_source_id": TASKS, "database_id": TASKS_DB, "type": "single_property", "single_property": {}},
            ),
            "Link": ("link", "url", {}),
            "Created": ("ctim", "created_time", {}),
            "Edited": ("etim", "last_edited_time", {}),
        },
    )
    _seed_tasks(space)


_TASKS: list[tuple[str, str, str | None, list[str], str | None, float | None, str | None]] = [
    ("Pay the electricity bill", "Done", "High", ["finance", "home"], "2026-11-05", 0.5, "alex"),
    ("Book flights to Lisbon", "Done", "High", ["errand"], "2026-11-10", 1, "alex"),
    ("Renew passport", "In progress", "High", ["errand"], "2026-11-28", 2, "alex"),
    ("Dentist appointment", "Not started", "Medium", ["health"], "2026-12-11T08:00:00.000+01:00", 1, "alex"),
    ("Fix the garden gate", "Not started", "Low", ["home"], None, 3, "helen"),
    ("Quarterly tax prepayment", "Not started", "High", ["finance"], "2026-12-10", 2, "alex"),
    ("Buy Helen's birthday present", "Done", "Medium", ["errand"], "2026-11-12", 1, "alex"),
    ("Clear out the garage", "Not started", None, ["home"], "2027-01-15", 5, None),
    ("Review the Q4 roadmap", "In progress", "High", ["work"], "2026-12-01", 2, "alex"),
    ("Write the offsite agenda", "Not started", "Medium", ["work"], "2026-12-07", 1.5, "alex"),
    ("Call the plumber", "Done", "Medium", ["home", "errand"], "2026-10-20", 0.25, "helen"),
    ("Order new running shoes", "Not started", "Low", ["health", "errand"], None, None, None),
    ("Back up the family photos", "In progress", "Medium", ["home"], "2026-12-20", 3, "helen"),
    ("Cancel the old gym membership", "Not started", "Low", ["finance", "health"], "2026-12-31", 0.5, "alex"),
    ("Plan Christmas dinner", "Not started", "Medium", ["home"], "2026-12-18", 2, "helen"),
    ("Update the home insurance", "Done", "High", ["finance", "home"], "2026-10-15", 1, "alex"),
    ("Replace the smoke alarm battery", "Not started", "High", ["home"], "2026-11-30", 0.25, None),
    ("Read Piranesi", "In progress", None, [], None, None, "alex"),
    ("Send the conference expense report", "Not started", "Medium", ["work", "finance"], "2026-12-04", 1, "alex"),
    ("Donate old clothes", "Not started", "Low", ["errand"], "2027-02-01", 2, "helen"),
    ("Service the bikes", "Not started", "Low", ["health"], "2027-03-01", 2, None),
    ("Check the winter tyres", "Done", "Medium", ["errand"], "2026-10-30", 1, "alex"),
    ("Book the boiler service", "Not started", "High", ["home"], "2026-12-02", 0.5, "alex"),
    ("Set up the new router", "Done", "Low", ["home"], "2026-11-01", 1, "alex"),
]


def _seed_tasks(space: Workspace) -> None:
    users = {"alex": ALEX_USER, "helen": HELEN_USER}
    parent = {"data_source_id": TASKS}
    created: dict[str, str] = {}
    for name, status, priority, tags, due, estimate, who in _TASKS:
        props: dict[str, Any] = {
            "Name": _title(name),
            "Status": {"status": {"name": status}},
            "Tags": {"multi_select": [{"name": tag} for tag in tags]},
            "Done": {"checkbox": status == "Done"},
        }
        if priority:
            props["Priority"] = {"select": {"name": priority}}
        if due:
            props["Due"] = {"date": {"start": due}}
        if estimate is not None:
            props["Estimate"] = {"number": estimate}
        if who:
            props["Assignee"] = {"people": [{"id": users[who]}]}
        if name == "Book flights to Lisbon":
            props["Link"] = {"url": "https://flights.example/ber-lis"}
            props["Notes"] = {"rich_text": [{"text": {"content": "Window seats, one checked bag."}}]}
        if name == "Quarterly tax prepayment":
            props["Blocked by"] = {"relation": [{"id": created["Pay the electricity bill"]}]}
        if name == "Write the offsite agenda":
            props["Blocked by"] = {"relation": [{"id": created["Review the Q4 roadmap"]}]}
        page = space.create_page(parent, props, [], {"icon": None, "cover": None})
        created[name] = page["id"]


def _seed_northwind(space: Workspace) -> None:
    _page(
        space,
        WIKI,
        {"workspace": True},
        "Engineering wiki",
        [
            _block("heading_1", "Engineering wiki"),
            _block("paragraph", "How we build, ship and run Northwind."),
            _block("code", "make release VERSION=4.2", language="shell"),
        ],
    )
    _page(
        space,
        ONBOARDING,
        {"page_id": WIKI},
        "Onboarding",
        [
            _block("to_do", "Get a laptop", checked=True),
            _block("to_do", "Read the release checklist", checked=False),
        ],
    )
    _database(
        space,
        INCIDENTS_DB,
        INCIDENTS,
        WIKI,
        "Incidents",
        {
            "Title": ("title", "title", {}),
            "Severity": ("sev", "select", _options(("SEV1", "red"), ("SEV2", "orange"), ("SEV3", "yellow"))),
            "Opened": ("open", "date", {}),
            "Resolved": ("res", "checkbox", {}),
        },
    )
    for title, severity, opened, resolved in (
        ("Login outage", "SEV1", "2026-10-12", True),
        ("Slow search", "SEV3", "2026-11-03", True),
        ("Billing emails delayed", "SEV2", "2026-11-19", False),
    ):
        space.create_page(
            {"data_source_id": INCIDENTS},
            {
                "Title": _title(title),
                "Severity": {"select": {"name": severity}},
                "Opened": {"date": {"start": opened}},
                "Resolved": {"checkbox": resolved},
            },
            [],
            {"icon": None, "cover": None},
        )
