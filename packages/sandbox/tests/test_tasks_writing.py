"""Tasks v1 writes through google-api-python-client: inserting with `parent`/`previous`, date-only due dates,
completing, patch against update, deleting with subtasks, moving (within and across lists), clearing, and the
task-list methods, with Google's 400s for what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.testing import error_of

API = "https://www.googleapis.com/tasks/v1"


def order(google_tasks: Any, tasklist: str = "@default", **options: Any) -> list[tuple[str, str | None]]:
    """(title, parent title) of each listed task, in the order listed."""
    items = google_tasks.tasks().list(tasklist=tasklist, **options).execute().get("items", [])
    titles = {t["id"]: t["title"] for t in items}
    return [(t["title"], titles.get(t.get("parent", ""))) for t in items]


def insert(google_tasks: Any, title: str, tasklist: str = "@default", **options: Any) -> dict[str, Any]:
    return google_tasks.tasks().insert(tasklist=tasklist, body={"title": title}, **options).execute()


def refused(request: Any) -> dict[str, Any]:
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 400
    return error_of(caught.value)


def test_an_inserted_task_keeps_only_the_date_of_its_due(google_tasks: Any) -> None:
    body = {"title": "Pick up the parcel", "notes": "Counter 3", "due": "2026-11-25T23:30:00-08:00"}
    created = google_tasks.tasks().insert(tasklist="@default", body=body).execute()
    assert created == {
        "kind": "tasks#task",
        "id": created["id"],
        "etag": created["etag"],
        "title": "Pick up the parcel",
        "updated": created["updated"],
        "selfLink": f"{API}/lists/alex-my-tasks/tasks/{created['id']}",
        "position": created["position"],
        "notes": "Counter 3",
        "status": "needsAction",
        "due": "2026-11-25T00:00:00.000Z",
        "links": [],
        "webViewLink": f"https://tasks.google.com/task/{created['id']}",
    }
    assert created["updated"].startswith("2026-11-20T") and created["updated"].endswith("Z")
    assert google_tasks.tasks().get(tasklist="@default", task=created["id"]).execute() == created


def test_a_new_task_goes_first_unless_previous_says_otherwise(google_tasks: Any) -> None:
    insert(google_tasks, "First now")
    insert(google_tasks, "After the flights", previous="alexTask01")
    insert(google_tasks, "Second topic", parent="alexTask02", previous="alexTask03")
    assert order(google_tasks) == [
        ("First now", None),
        ("Book Lisbon flights", None),
        ("After the flights", None),
        ("Prepare Q4 offsite agenda", None),
        ("Collect topics from the team", "Prepare Q4 offsite agenda"),
        ("Second topic", "Prepare Q4 offsite agenda"),
        ("Renew passport", None),
        ("Call the plumber", None),
    ]


def test_positions_sort_like_the_order_even_after_many_inserts_at_the_front(google_tasks: Any) -> None:
    for number in range(40):  # more than the gap before the first task allows: the siblings get renumbered
        insert(google_tasks, f"Front {number}", tasklist="alex-home")
    items = google_tasks.tasks().list(tasklist="alex-home", maxResults=100).execute()["items"]
    assert [t["title"] for t in items] == [f"Front {n}" for n in reversed(range(40))] + ["Buy winter tyres"]
    positions = [t["position"] for t in items]
    assert positions == sorted(positions) and len(set(positions)) == 41
    assert all(len(p) == 20 and p.isdigit() for p in positions)


def test_a_parent_in_the_body_is_ignored_as_google_ignores_it(google_tasks: Any) -> None:
    body = {"title": "Orphan", "parent": "alexTask02", "position": "0", "hidden": True}
    created = google_tasks.tasks().insert(tasklist="@default", body=body).execute()
    assert ("parent" not in created, "hidden" not in created) == (True, True)


@pytest.mark.parametrize(
    "options",
    [
        {"parent": "no-such-task"},
        {"previous": "no-such-task"},
        {"previous": "alexTask03"},  # a subtask, not a top-level sibling
        {"parent": "alexTask02", "previous": "alexTask01"},  # not a child of that parent
        {"parent": "alexTask06"},  # a task of another list
    ],
)
def test_a_parent_or_previous_that_does_not_fit_is_a_400(google_tasks: Any, options: dict[str, str]) -> None:
    error = refused(google_tasks.tasks().insert(tasklist="@default", body={"title": "x"}, **options))
    assert (error["status"], error["errors"][0]["reason"]) == ("INVALID_ARGUMENT", "invalid")


@pytest.mark.parametrize(
    "body",
    [{"title": "x", "due": "2026-11-25"}, {"title": "x", "due": "soon"}, {"title": "x", "status": "done"}],
)
def test_bad_field_values_are_a_400(google_tasks: Any, body: dict[str, str]) -> None:
    refused(google_tasks.tasks().insert(tasklist="@default", body=body))


def test_completing_stamps_completed_and_reopening_clears_it(google_tasks: Any) -> None:
    done = google_tasks.tasks().patch(tasklist="@default", task="alexTask02", body={"status": "completed"}).execute()
    assert done["status"] == "completed" and done["completed"] == done["updated"]
    assert done["completed"].startswith("2026-11-20T")
    child = google_tasks.tasks().get(tasklist="@default", task="alexTask03").execute()
    assert (child["status"], "completed" in child) == ("needsAction", False)  # subtasks stay as they were
    reopened = google_tasks.tasks().patch(tasklist="@default", task="alexTask02", body={"status": "needsAction"})
    assert set(reopened.execute()) == set(done) - {"completed"}


def test_patch_merges_and_update_replaces(google_tasks: Any) -> None:
    patched = google_tasks.tasks().patch(tasklist="@default", task="alexTask01", body={"title": "Book flights"})
    patched = patched.execute()
    assert (patched["title"], patched["notes"], patched["due"]) == (
        "Book flights",
        "Window seat, back on 5 Dec",
        "2026-12-01T00:00:00.000Z",
    )
    replaced = google_tasks.tasks().update(
        tasklist="@default", task="alexTask01", body={"id": "alexTask01", "title": "Book trains"}
    )
    replaced = replaced.execute()
    assert (replaced["title"], replaced["status"]) == ("Book trains", "needsAction")
    assert {"notes", "due"} & set(replaced) == set()
    assert replaced["position"] == patched["position"] and replaced["etag"] != patched["etag"]


def test_deleting_a_parent_deletes_its_subtasks(google_tasks: Any) -> None:
    assert google_tasks.tasks().delete(tasklist="@default", task="alexTask02").execute() == ""
    assert order(google_tasks) == [("Book Lisbon flights", None), ("Renew passport", None), ("Call the plumber", None)]
    deleted = google_tasks.tasks().list(tasklist="@default", showDeleted=True).execute()["items"]
    assert [(t["id"], t.get("deleted", False)) for t in deleted] == [
        ("alexTask01", False),
        ("alexTask02", True),
        ("alexTask03", True),
        ("alexTask04", False),
        ("alexTask05", False),
    ]
    assert google_tasks.tasks().get(tasklist="@default", task="alexTask03").execute()["deleted"] is True
    assert google_tasks.tasks().delete(tasklist="@default", task="alexTask02").execute() == ""  # again: a 204
    restored = google_tasks.tasks().patch(tasklist="@default", task="alexTask02", body={"deleted": False}).execute()
    assert "deleted" not in restored


def test_move_reorders_nests_and_unnests(google_tasks: Any) -> None:
    moved = google_tasks.tasks().move(tasklist="@default", task="alexTask05", parent="alexTask02").execute()
    assert moved["parent"] == "alexTask02"
    google_tasks.tasks().move(tasklist="@default", task="alexTask03", previous="alexTask04").execute()
    google_tasks.tasks().move(tasklist="@default", task="alexTask01", previous="alexTask03").execute()
    assert order(google_tasks) == [
        ("Prepare Q4 offsite agenda", None),
        ("Call the plumber", "Prepare Q4 offsite agenda"),
        ("Renew passport", None),
        ("Collect topics from the team", None),
        ("Book Lisbon flights", None),
    ]


def test_a_task_cannot_move_under_itself_or_its_subtasks(google_tasks: Any) -> None:
    refused(google_tasks.tasks().move(tasklist="@default", task="alexTask02", parent="alexTask02"))
    refused(google_tasks.tasks().move(tasklist="@default", task="alexTask02", parent="alexTask03"))
    refused(google_tasks.tasks().move(tasklist="@default", task="alexTask02", previous="alexTask02"))


def test_move_to_another_list_brings_the_subtasks(google_tasks: Any) -> None:
    moved = google_tasks.tasks().move(
        tasklist="@default", task="alexTask02", destinationTasklist="alex-home", previous="alexTask06"
    )
    assert moved.execute()["selfLink"] == f"{API}/lists/alex-home/tasks/alexTask02"
    assert order(google_tasks, "alex-home") == [
        ("Buy winter tyres", None),
        ("Prepare Q4 offsite agenda", None),
        ("Collect topics from the team", "Prepare Q4 offsite agenda"),
    ]
    assert [title for title, _ in order(google_tasks)] == ["Book Lisbon flights", "Renew passport", "Call the plumber"]
    with pytest.raises(HttpError) as gone:
        google_tasks.tasks().get(tasklist="@default", task="alexTask03").execute()
    assert gone.value.status_code == 404


def test_clear_hides_completed_tasks_and_reopening_shows_them_again(google_tasks: Any) -> None:
    assert google_tasks.tasks().clear(tasklist="@default").execute() == ""
    assert [title for title, _ in order(google_tasks)] == [
        "Book Lisbon flights",
        "Prepare Q4 offsite agenda",
        "Collect topics from the team",
        "Call the plumber",
    ]
    hidden = google_tasks.tasks().get(tasklist="@default", task="alexTask04").execute()
    assert (hidden["hidden"], hidden["status"]) == (True, "completed")
    refused(google_tasks.tasks().move(tasklist="@default", task="alexTask04", previous="alexTask01"))
    refused(google_tasks.tasks().insert(tasklist="@default", body={"title": "x"}, parent="alexTask04"))
    google_tasks.tasks().patch(tasklist="@default", task="alexTask04", body={"status": "needsAction"}).execute()
    assert ("Renew passport", None) in order(google_tasks)


def test_task_lists_are_created_renamed_and_deleted(google_tasks: Any) -> None:
    created = google_tasks.tasklists().insert(body={"title": "Groceries"}).execute()
    assert created == {
        "kind": "tasks#taskList",
        "id": created["id"],
        "etag": created["etag"],
        "title": "Groceries",
        "updated": created["updated"],
        "selfLink": f"{API}/users/@me/lists/{created['id']}",
    }
    insert(google_tasks, "Oat milk", tasklist=created["id"])
    renamed = google_tasks.tasklists().patch(tasklist=created["id"], body={"title": "Shopping"}).execute()
    assert (renamed["id"], renamed["title"]) == (created["id"], "Shopping") and renamed["etag"] != created["etag"]
    updated = google_tasks.tasklists().update(tasklist=created["id"], body={"title": "Errands"}).execute()
    assert updated["title"] == "Errands"
    assert [i["title"] for i in google_tasks.tasklists().list().execute()["items"]] == ["My Tasks", "Home", "Errands"]
    assert google_tasks.tasklists().delete(tasklist=created["id"]).execute() == ""
    with pytest.raises(HttpError) as gone:
        google_tasks.tasks().list(tasklist=created["id"]).execute()
    assert gone.value.status_code == 404


def test_the_default_list_cannot_be_deleted_and_a_list_needs_a_title(google_tasks: Any) -> None:
    error = refused(google_tasks.tasklists().delete(tasklist="@default"))
    assert error["message"] == "The default task list cannot be deleted."
    refused(google_tasks.tasklists().insert(body={}))
    assert [i["id"] for i in google_tasks.tasklists().list().execute()["items"]] == ["alex-my-tasks", "alex-home"]


def test_updating_with_the_resource_as_read_changes_only_what_was_changed(google_tasks: Any) -> None:
    read = google_tasks.tasks().get(tasklist="@default", task="alexTask04").execute()
    body = read | {"notes": "Photos from the booth"}
    written = google_tasks.tasks().update(tasklist="@default", task="alexTask04", body=body).execute()
    assert written == read | {"notes": "Photos from the booth", "etag": written["etag"], "updated": written["updated"]}
    assert written["completed"] == "2026-11-10T09:30:00.000Z" and written["etag"] != read["etag"]
