"""`aide-activity`: what the assistant has done. Reads the side-effect guard's audit log, shared by every server.

"What did you send today?" deserves a straight answer from the record, not from the model's memory. This server is
read-only and needs no account, so it is also what `aide serve` offers before any other server is configured.

Each caller sees only their own actions: the log is filtered by the caller's subject (`aide_core.identity`), as the
guard wrote it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from aide_core.guard_store import GuardRecords
from aide_core.identity import current_user
from aide_core.paging import decode_cursor, encode_cursor
from aide_core.server import Runtime, ServerSpec


def _store(runtime: Runtime[GuardRecords]) -> GuardRecords:
    return runtime.guard.store


spec = ServerSpec[GuardRecords](
    "activity",
    title="aide activity",
    instructions="The record of every action aide's servers took or refused (sent, deleted, invited...).",
    state=_store,
    untrusted_content=False,
)


class Action(BaseModel):
    at: datetime
    server: str
    tool: str
    outcome: str = Field(description="done, failed, declined, dry_run, refused, replayed or preview.")
    detail: str | None = None
    args_digest: str = Field(description="SHA-256 of the arguments (the arguments themselves are not kept).")


class ActivityPage(BaseModel):
    actions: list[Action]
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for older entries.")


@spec.tool(open_world=False)
def list_activity(
    server: Annotated[str | None, Field(description="Only this server's actions, e.g. 'gmail'.")] = None,
    since: Annotated[datetime | None, Field(description="Only actions at or after this time (ISO 8601).")] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ActivityPage:
    """List what aide's servers did or refused to do, newest first."""
    binds = {"server": server, "since": since.isoformat() if since else None}
    before = decode_cursor(cursor, "list_activity", binds, fields={"before_id": int})["before_id"] if cursor else None
    since_ts = _epoch_seconds(since) if since else None
    rows = spec.state().audit_entries(
        subject=current_user(), server=server, since=since_ts, before_id=before, limit=limit + 1
    )
    page = rows[:limit]
    actions = [
        Action(
            at=datetime.fromtimestamp(row.at, UTC),
            server=row.server,
            tool=row.tool,
            outcome=row.outcome,
            detail=row.detail,
            args_digest=row.args_digest[:16],
        )
        for row in page
    ]
    more = len(rows) > limit
    return ActivityPage(
        actions=actions, next_cursor=encode_cursor("list_activity", {"before_id": page[-1].id}, binds) if more else None
    )


def _epoch_seconds(moment: datetime) -> float:
    """A time without an offset is UTC, not the server's local time: the model cannot know the server's zone, and
    converting a naive time near year 1 to local time fails ("year 0 is out of range")."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
