"""The tools' output models (each is a tool's `outputSchema`). Field descriptions are kept short: hosts pass output
schemas along with the tools.

Every field whose text comes from a message (headers, snippets, file names, MIME types, unparseable dates) or from
the mailbox (label names, filter criteria) is `UntrustedText`: defanged when the model is built, so no code path can
hand one to the model raw. Bodies are fenced where they are cut into windows (`reading.py`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aide_core.fencing import UntrustedText
from aide_core.schemas import Output


class EmailRow(Output):
    """One message in a listing."""

    id: str
    thread_id: str
    sender: UntrustedText = ""
    to: UntrustedText = ""
    subject: UntrustedText = ""
    date: UntrustedText = ""
    snippet: UntrustedText = ""
    labels: list[UntrustedText] = Field(default_factory=list)
    unread: bool = False
    attachments: list[UntrustedText] = Field(default_factory=list, description="File names.")


class SearchResult(Output):
    emails: list[EmailRow]
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for more.")
    estimated_total: int | None = None


class Attachment(Output):
    id: str = Field(description="Attachment id, for get_attachment or to forward.")
    name: UntrustedText
    type: UntrustedText
    size: int
    inline: bool = False


class SenderAuth(Output):
    """From the receiving server's Authentication-Results: pass, fail, softfail, none..."""

    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None


class Email(Output):
    id: str
    thread_id: str
    sender: UntrustedText
    to: UntrustedText = ""
    cc: UntrustedText = ""
    reply_to: UntrustedText = ""
    subject: UntrustedText = ""
    date: UntrustedText = ""
    labels: list[UntrustedText] = Field(default_factory=list)
    authentication: SenderAuth = Field(default_factory=SenderAuth)
    attachments: list[Attachment] = Field(default_factory=list)
    body: str = Field(description="Fenced untrusted text: a window of the body.")
    body_format: Literal["text", "markdown", "none"]
    folded: list[str] = Field(default_factory=list, description="Parts left out: quoted history, signature.")
    offset: int = 0
    total_chars: int = 0
    next_cursor: str | None = None


class ThreadEmail(Output):
    id: str
    sender: UntrustedText
    to: UntrustedText = ""
    cc: UntrustedText = ""
    date: UntrustedText = ""
    attachments: list[UntrustedText] = Field(default_factory=list)
    body: str = Field(description="Fenced untrusted text, without the quoted earlier messages.")
    body_offset: int = 0


class Thread(Output):
    thread_id: str
    subject: UntrustedText
    message_count: int
    messages: list[ThreadEmail]
    next_cursor: str | None = None


class Draft(Output):
    draft_id: str
    message_id: str
    thread_id: str | None = None
    to: UntrustedText = ""
    cc: UntrustedText = ""
    subject: UntrustedText = ""


class Drafts(Output):
    drafts: list[Draft]
    next_cursor: str | None = None


class Sent(Output):
    id: str
    thread_id: str
    to: UntrustedText = ""
    cc: UntrustedText = ""
    subject: UntrustedText = ""


class Labelled(Output):
    changed: int
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list, description="The first ids changed (all when few).")


class Trashed(Output):
    ids: list[str]


class Label(Output):
    id: str
    name: UntrustedText
    type: str = "user"


class Labels(Output):
    labels: list[Label]


class SavedAttachment(Output):
    name: UntrustedText
    type: UntrustedText
    size: int
    uri: str | None = Field(default=None, description="Resource to read the content.")
    path: str | None = Field(default=None, description="Where it was saved.")


class Change(Output):
    history_id: str
    message_id: str
    thread_id: str
    kind: str
    labels: list[str] = Field(default_factory=list)


class History(Output):
    history_id: str = Field(description="Pass to the next history_since call.")
    changes: list[Change]
    next_cursor: str | None = None


class Account(Output):
    name: str
    email: str | None
    level: str
    scopes: list[str]


class Filter(Output):
    id: str
    criteria: dict[str, UntrustedText | bool | int] = Field(default_factory=dict)
    add_labels: list[UntrustedText] = Field(default_factory=list)
    remove_labels: list[UntrustedText] = Field(default_factory=list)


class Filters(Output):
    filters: list[Filter]
