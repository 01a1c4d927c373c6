"""The tools' output models (each is a tool's `outputSchema`). Field descriptions are kept short: hosts pass output
schemas along with the tools."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EmailRow(BaseModel):
    """One message in a listing."""

    id: str
    thread_id: str
    sender: str = ""
    to: str = ""
    subject: str = ""
    date: str = ""
    snippet: str = ""
    labels: list[str] = Field(default_factory=list)
    unread: bool = False
    attachments: list[str] = Field(default_factory=list, description="File names.")


class SearchResult(BaseModel):
    emails: list[EmailRow]
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for more.")
    estimated_total: int | None = None


class Attachment(BaseModel):
    id: str = Field(description="Attachment id, for get_attachment or to forward.")
    name: str
    type: str
    size: int
    inline: bool = False


class SenderAuth(BaseModel):
    """From the receiving server's Authentication-Results: pass, fail, softfail, none..."""

    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None


class Email(BaseModel):
    id: str
    thread_id: str
    sender: str
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    subject: str = ""
    date: str = ""
    labels: list[str] = Field(default_factory=list)
    authentication: SenderAuth = Field(default_factory=SenderAuth)
    attachments: list[Attachment] = Field(default_factory=list)
    body: str = Field(description="Fenced untrusted text: a window of the body.")
    body_format: Literal["text", "markdown", "none"]
    folded: list[str] = Field(default_factory=list, description="Parts left out: quoted history, signature.")
    offset: int = 0
    total_chars: int = 0
    next_cursor: str | None = None


class ThreadEmail(BaseModel):
    id: str
    sender: str
    to: str = ""
    cc: str = ""
    date: str = ""
    attachments: list[str] = Field(default_factory=list)
    body: str = Field(description="Fenced untrusted text, without the quoted earlier messages.")
    body_offset: int = 0


class Thread(BaseModel):
    thread_id: str
    subject: str
    message_count: int
    messages: list[ThreadEmail]
    next_cursor: str | None = None


class Draft(BaseModel):
    draft_id: str
    message_id: str
    thread_id: str | None = None
    to: str = ""
    cc: str = ""
    subject: str = ""


class Drafts(BaseModel):
    drafts: list[Draft]
    next_cursor: str | None = None


class Sent(BaseModel):
    id: str
    thread_id: str
    to: str = ""
    cc: str = ""
    subject: str = ""


class Labelled(BaseModel):
    changed: int
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list, description="The first ids changed (all when few).")


class Trashed(BaseModel):
    ids: list[str]


class Label(BaseModel):
    id: str
    name: str
    type: str = "user"


class Labels(BaseModel):
    labels: list[Label]


class SavedAttachment(BaseModel):
    name: str
    type: str
    size: int
    uri: str | None = Field(default=None, description="Resource to read the content.")
    path: str | None = Field(default=None, description="Where it was saved.")


class Change(BaseModel):
    history_id: str
    message_id: str
    thread_id: str
    kind: str
    labels: list[str] = Field(default_factory=list)


class History(BaseModel):
    history_id: str = Field(description="Pass to the next history_since call.")
    changes: list[Change]
    next_cursor: str | None = None


class Account(BaseModel):
    name: str
    email: str | None
    level: str
    scopes: list[str]


class Filter(BaseModel):
    id: str
    criteria: dict[str, str | bool | int] = Field(default_factory=dict)
    add_labels: list[str] = Field(default_factory=list)
    remove_labels: list[str] = Field(default_factory=list)


class Filters(BaseModel):
    filters: list[Filter]
