"""What the tools return. Inbound bodies come fenced as untrusted content; short fields from outside are defanged."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aide_core.fencing import UntrustedText
from aide_core.schemas import Output

__all__ = [
    "Conversation",
    "Conversations",
    "Marked",
    "MessageDetail",
    "MessagePage",
    "NumberInfo",
    "SentSms",
    "SmsMessage",
    "Unread",
]

Direction = Literal["inbound", "outbound"]


class SmsMessage(Output):
    sid: str
    direction: Direction
    sender: str | None = Field(description="The number it came from.")
    to: str
    body: str = Field(description="Inbound bodies are fenced untrusted content.")
    status: str
    at: str | None = Field(description="When it was sent or received (ISO 8601, UTC).")
    segments: int | None = None
    media: int = Field(default=0, description="Number of media attachments.")
    read: bool | None = Field(default=None, description="Inbound texts in the inbox: whether marked read.")


class MessagePage(Output):
    number: str = Field(description="The other party, E.164.")
    messages: list[SmsMessage] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for older messages.")


class Conversation(Output):
    number: str = Field(description="The other party, E.164.")
    last: SmsMessage
    unread: int = Field(description="Unread inbound texts from this number.")


class Conversations(Output):
    conversations: list[Conversation] = Field(description="Most recent first.")
    next_cursor: str | None = None


class MessageDetail(SmsMessage):
    error_code: int | None = None
    error: str | None = Field(default=None, description="What the error code means.")
    price: str | None = None
    price_unit: str | None = None


class NumberInfo(Output):
    number: str = Field(description="E.164 form.")
    valid: bool
    country: str | None = None
    national_format: str | None = None
    line_type: str | None = Field(default=None, description="mobile, landline, nonFixedVoip, tollFree, ...")
    carrier: UntrustedText | None = None
    can_receive_sms: bool | None = Field(default=None, description="False for landlines; None when unknown.")
    problems: list[str] = Field(default_factory=list)


class SentSms(Output):
    sid: str
    status: str
    to: str
    sender: str | None = Field(description="The number sent from (None: the messaging service picks it).")
    segments: int
    encoding: Literal["GSM-7", "UCS-2"]
    estimated_price: float
    price_unit: str


class Unread(Output):
    messages: list[SmsMessage] = Field(description="Newest first.")
    total: int = Field(description="Unread texts in all.")
    next_cursor: str | None = None


class Marked(Output):
    marked: int
    not_found: list[str] = Field(default_factory=list, description="Sids that are not unread texts of yours.")
