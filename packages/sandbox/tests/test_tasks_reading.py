"""Tasks v1 read paths through google-api-python-client: task lists, `@default`, the seeded tasks in order, the
list filters, paging, Google's error bodies, scopes, validation against the discovery document, and batch."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import SAM, error_of

API = "https://www.googleapis.com/tasks/v1"
TASKS = "https://www.googleapis.com/auth/tasks"
READONLY = "https://www.googleapis.com/auth/tasks.readonly"


def ids(answer: dict[str, Any]) -> list[str]:
    return [item["id"] for item in answer.get("items", [])]


def listed(google_tasks: Any, tasklist: str = "@default", **options: Any) -> list[str]:
    return ids(google_tasks.tasks().list(tasklist=tasklist, **options).execute())


def test_each_account_lists_its_own_task_lists(sandbox: SandboxHandle, google_tasks: Any) -> None:
    mine = google_tasks.tasklists().list().execute()
    assert (mine["kind"], set(mine)) == ("tasks#taskLists", {"kind", "etag", "items"})
    assert [(i["id"], i["title"]) for i in mine["items"]] == [("alex-my-tasks", "My Tasks"), ("alex-home", "Home")]
    sams = sandbox.tasks(SAM).tasklists().list().execute()
    assert [(i["id"], i["title"]) for i in sams["items"]] == [("sam-my-tasks", "My Tasks")]


def test_default_names_the_accounts_default_list(google_tasks: Any) -> None:
    default = google_tasks.tasklists().get(tasklist="@default").execute()
    assert default == {
        "kind": "tasks#taskList",
        "id": "alex-my-tasks",
        "etag": default["etag"],
        "title": "My Tasks",
        "updated": "2026-11-01T12:00:00.000Z",
        "selfLink": f"{API}/users/@me/lists/alex-my-tasks",
    }
    assert google_tasks.tasklists().get(tasklist="alex-my-tasks").execute() == default


def test_a_seeded_task_reads_like_googles(google_tasks: Any) -> None:
    task = google_tasks.tasks().get(tasklist="@default", task="alexTask03").execute()
    assert task == {
        "kind": "tasks#task",
        "id": "alexTask03",
        "etag": task["etag"],
        "title": "Collect topics from the team",
        "updated": "2026-11-01T12:00:00.000Z",
        "selfLink": f"{API}/lists/alex-my-tasks/tasks/alexTask03",
        "parent": "alexTask02",
        "position": "00000000004294967296",
        "status": "needsAction",
        "due": "2026-11-25T00:00:00.000Z",
        "links": [],
        "webViewLink": "https://tasks.google.com/task/alexTask03",
    }
    assert task["etag"].startswith('"') and task["etag"].endswith('"')


def test_tasks_are_listed_parents_first_without_hidden_ones(google_tasks: Any) -> None:
    answer = google_tasks.tasks().list(tasklist="@default").execute()
    assert answer["kind"] == "tasks#tasks" and "nextPageToken" not in answer
    assert [(t["id"], t.get("parent"), t["status"]) for t in answer["items"]] == [
        ("alexTask01", None, "needsAction"),
        ("alexTask02", None, "needsAction"),
        ("alexTask03", "alexTask02", "needsAction"),
        ("alexTask04", None, "completed"),
        ("alexTask05", None, "needsAction"),
    ]
    top = [t["position"] for t in answer["items"] if "parent" not in t]
    assert top == sorted(top) and len(set(top)) == 4
    assert listed(google_tasks, "alex-home") == ["alexTask06"]
    assert listed(google_tasks, "alex-home", showHidden=True) == ["alexTask06", "alexTask07"]


def test_show_completed_false_leaves_completed_tasks_out(google_tasks: Any) -> None:
    assert listed(google_tasks, showCompleted=False) == ["alexTask01", "alexTask02", "alexTask03", "alexTask05"]
    assert listed(google_tasks, "alex-home", showCompleted=False, showHidden=True) == ["alexTask06"]


def test_due_filters_take_a_lower_bound_inclusive_and_an_upper_bound_exclusive(google_tasks: Any) -> None:
    window = {"dueMin": "2026-11-25T00:00:00Z", "dueMax": "2026-12-01T00:00:00Z"}
    assert listed(google_tasks, **window) == ["alexTask02", "alexTask03"]
    assert listed(google_tasks, dueMin="2026-11-26T00:00:00+01:00") == ["alexTask01", "alexTask02"]


def test_completed_and_updated_filters(google_tasks: Any) -> None:
    assert listed(google_tasks, completedMin="2026-11-10T00:00:00Z") == ["alexTask04"]
    assert listed(google_tasks, completedMax="2026-11-10T00:00:00Z") == []
    assert listed(google_tasks, updatedMin="2026-11-15T00:00:00Z") == []
    google_tasks.tasks().patch(tasklist="@default", task="alexTask05", body={"notes": "Leaking tap"}).execute()
    assert listed(google_tasks, updatedMin="2026-11-15T00:00:00Z") == ["alexTask05"]


def test_a_filter_that_is_no_timestamp_is_a_400(google_tasks: Any) -> None:
    with pytest.raises(HttpError) as refused:
        google_tasks.tasks().list(tasklist="@default", dueMin="next tuesday").execute()
    assert refused.value.status_code == 400
    assert error_of(refused.value)["errors"][0]["reason"] == "invalid"


def test_pages_of_tasks_follow_next_page_token_to_the_end(google_tasks: Any) -> None:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        answer = google_tasks.tasks().list(tasklist="@default", maxResults=2, pageToken=token).execute()
        pages.append(ids(answer))
        token = answer.get("nextPageToken")
        if token is None:
            break
    assert pages == [["alexTask01", "alexTask02"], ["alexTask03", "alexTask04"], ["alexTask05"]]


def test_pages_of_task_lists(google_tasks: Any) -> None:
    first = google_tasks.tasklists().list(maxResults=1).execute()
    assert ids(first) == ["alex-my-tasks"]
    second = google_tasks.tasklists().list(maxResults=1, pageToken=first["nextPageToken"]).execute()
    assert ids(second) == ["alex-home"] and "nextPageToken" not in second


def test_an_empty_list_has_no_items_and_a_bad_page_token_is_a_400(google_tasks: Any) -> None:
    created = google_tasks.tasklists().insert(body={"title": "Empty"}).execute()
    assert set(google_tasks.tasks().list(tasklist=created["id"]).execute()) == {"kind", "etag"}
    with pytest.raises(HttpError) as refused:
        google_tasks.tasks().list(tasklist="@default", pageToken="not-a-token").execute()
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    "request_of",
    [
        lambda t: t.tasklists().get(tasklist="no-such-list"),
        lambda t: t.tasks().list(tasklist="no-such-list"),
        lambda t: t.tasks().get(tasklist="@default", task="no-such-task"),
        lambda t: t.tasks().get(tasklist="alex-home", task="alexTask01"),  # a task of another list
        lambda t: t.tasks().list(tasklist="sam-my-tasks"),  # another account's list
    ],
)
def test_unknown_lists_and_tasks_are_googles_404(google_tasks: Any, request_of: Any) -> None:
    with pytest.raises(HttpError) as missing:
        request_of(google_tasks).execute()
    assert missing.value.status_code == 404
    assert error_of(missing.value) == {
        "code": 404,
        "message": "Requested entity was not found.",
        "errors": [{"message": "Requested entity was not found.", "domain": "global", "reason": "notFound"}],
        "status": "NOT_FOUND",
    }


def test_the_readonly_scope_reads_but_cannot_write(sandbox: SandboxHandle) -> None:
    info = sandbox.authorized_user(scopes=(READONLY,))
    reader = sandbox.tasks(credentials=Credentials(token=info["token"], scopes=info["scopes"]))
    assert listed(reader, "alex-home") == ["alexTask06"]
    with pytest.raises(HttpError) as refused:
        reader.tasks().insert(tasklist="@default", body={"title": "Nope"}).execute()
    assert refused.value.status_code == 403
    error = error_of(refused.value)
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["details"][0]["metadata"] == {"service": "tasks.googleapis.com", "method": "tasks.tasks.insert"}


def test_a_grant_without_a_tasks_scope_is_refused(sandbox: SandboxHandle) -> None:
    info = sandbox.authorized_user(scopes=("https://www.googleapis.com/auth/calendar",))
    client = sandbox.tasks(credentials=Credentials(token=info["token"], scopes=info["scopes"]))
    with pytest.raises(HttpError) as refused:
        client.tasklists().list().execute()
    assert (refused.value.status_code, error_of(refused.value)["status"]) == (403, "PERMISSION_DENIED")
    assert TASKS in sandbox.authorized_user()["scopes"]  # the seeded grant covers Tasks


def test_requests_are_validated_against_the_discovery_document(google_tasks: Any) -> None:
    request = google_tasks.tasks().list(tasklist="@default")
    request.uri += "&colour=red"
    with pytest.raises(HttpError) as unknown:
        request.execute()
    assert unknown.value.status_code == 400 and '"colour"' in error_of(unknown.value)["message"]
    with pytest.raises(HttpError) as wrong:
        google_tasks.tasks().insert(tasklist="@default", body={"title": "x", "priority": 1}).execute()
    assert wrong.value.status_code == 400 and '"priority"' in error_of(wrong.value)["message"]


def test_a_batch_answers_each_request(google_tasks: Any) -> None:
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, error: HttpError | None) -> None:
        answers[request_id] = error.status_code if error else response["title"]

    batch: BatchHttpRequest = google_tasks.new_batch_http_request(callback=collect)
    batch.add(google_tasks.tasks().get(tasklist="@default", task="alexTask01"), request_id="task")
    batch.add(google_tasks.tasks().get(tasklist="@default", task="missing"), request_id="missing")
    batch.add(google_tasks.tasklists().get(tasklist="alex-home"), request_id="list")
    batch.execute()
    assert answers == {"task": "Book Lisbon flights", "missing": 404, "list": "Home"}


def test_faults_reach_the_tasks_client(sandbox: SandboxHandle, google_tasks: Any) -> None:
    sandbox.faults.inject("tasks.tasks.list", status=429, retry_after=2)
    with pytest.raises(HttpError) as limited:
        google_tasks.tasks().list(tasklist="@default").execute()
    assert limited.value.status_code == 429 and limited.value.resp["retry-after"] == "2"
    assert listed(google_tasks, "alex-home") == ["alexTask06"]
