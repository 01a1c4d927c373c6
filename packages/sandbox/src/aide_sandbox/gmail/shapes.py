"""Gmail's JSON resources (Message, Thread, Draft, Label, History) rendered from stored rows."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from aide_sandbox.gmail import mime
from aide_sandbox.gmail.stored import StoredMessage


def message(stored: StoredMessage, fmt: str = "full", metadata_headers: list[str] | None = None) -> dict[str, Any]:
    """A `Message` in one of Gmail's four formats (wire-formats 1.8)."""
    body: dict[str, Any] = {"id": stored.id, "threadId": stored.thread_id}
    if stored.labels:
        body["labelIds"] = stored.labels
    body |= {
        "snippet": stored.snippet,
        "sizeEstimate": len(stored.raw),
        "historyId": str(stored.history_id),
        "internalDate": str(stored.internal_ms),
    }
    if fmt == "raw":
        body["raw"] = mime.b64(stored.raw)
    elif fmt == "metadata":
        payload = mime.payload(stored.raw, stored.id, with_bodies=False)
        if metadata_headers:
            wanted = {name.lower() for name in metadata_headers}
            payload["headers"] = [h for h in payload["headers"] if h["name"].lower() in wanted]
        body["payload"] = payload
    elif fmt == "full":
        body["payload"] = mime.payload(stored.raw, stored.id)
    return body


def reference(stored: StoredMessage) -> dict[str, str]:
    return {"id": stored.id, "threadId": stored.thread_id}


def label(row: sqlite3.Row, counts: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if row["message_list_visibility"]:
        body["messageListVisibility"] = row["message_list_visibility"]
    if row["label_list_visibility"]:
        body["labelListVisibility"] = row["label_list_visibility"]
    body["type"] = row["type"]
    if row["color"]:
        body["color"] = json.loads(row["color"])
    return body | (counts or {})


def history(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """History records grouped by id, each with the `messages` it touched and its typed changes."""
    grouped: dict[int, dict[str, Any]] = {}
    for row in rows:
        record = grouped.setdefault(row["id"], {"id": str(row["id"]), "messages": []})
        ref = {"id": row["message_id"], "threadId": row["thread_id"]}
        if ref not in record["messages"]:
            record["messages"].append(ref)
        message_body = ref | {"labelIds": json.loads(row["message_labels"])}
        kind = row["kind"]
        if kind in ("messageAdded", "messageDeleted"):
            record.setdefault(f"{kind[:7]}s{kind[7:]}", []).append({"message": message_body})
        else:
            key = "labelsAdded" if kind == "labelAdded" else "labelsRemoved"
            record.setdefault(key, []).append({"message": message_body, "labelIds": json.loads(row["label_ids"])})
    return list(grouped.values())
