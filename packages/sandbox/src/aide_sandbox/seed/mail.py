"""Building seed messages as real MIME with stdlib `email`, timestamped on a fixed clock."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

#: The seed's reference "now": the newest seeded mail is from just before it. A sandbox seeded on another day
#: shifts it by whole days (`seed_anchor`), so the same mail is as recent relative to the day it is seeded.
ANCHOR = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SPAN_DAYS = 61

Person = tuple[str, str]
Attachment = tuple[str, str, bytes]  # filename, mime type, bytes


@dataclass
class Seeded:
    raw: bytes
    labels: list[str]
    when: datetime
    message: EmailMessage


@dataclass
class MailBuilder:
    """Collects one mailbox's seed messages; `rng` is seeded, so the same mailbox comes out every time."""

    owner: Person
    rng: random.Random
    anchor: datetime = ANCHOR
    messages: list[Seeded] = field(default_factory=list[Seeded])
    counter: int = 0

    def day(self, days_ago: float, hour: int | None = None) -> datetime:
        base = self.anchor - timedelta(days=days_ago)
        hour = hour if hour is not None else self.rng.randint(7, 21)
        return base.replace(hour=hour, minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59))

    def add(
        self,
        *,
        sender: Person,
        to: list[Person],
        subject: str,
        when: datetime,
        text: str | None = None,
        html: str | None = None,
        cc: list[Person] | None = None,
        reply_to: Seeded | None = None,
        attachments: list[Attachment] | None = None,
        calendar: bytes | None = None,
        headers: dict[str, str] | None = None,
        labels: list[str] | None = None,
    ) -> Seeded:
        """Add a message; `labels` default to what Gmail would give it (INBOX, or SENT when the owner sent it),
        plus UNREAD for recent received mail, drawn from the seeded RNG."""
        self.counter += 1
        message = EmailMessage()
        message["From"] = formataddr(sender)
        message["To"] = ", ".join(formataddr(p) for p in to)
        if cc:
            message["Cc"] = ", ".join(formataddr(p) for p in cc)
        message["Subject"] = subject
        message["Date"] = format_datetime(when)
        domain = sender[1].split("@", 1)[1]
        slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:24] or "message"
        message["Message-ID"] = f"<seed-{self.counter:04d}.{slug}@{domain}>"
        if reply_to is not None:
            parent_id = str(reply_to.message["Message-ID"])
            references = str(reply_to.message.get("References", "")).split()
            message["In-Reply-To"] = parent_id
            message["References"] = " ".join([*references, parent_id])
        for name, value in (headers or {}).items():
            message[name] = value
        if text is not None:
            message.set_content(text)
            if html is not None:
                message.add_alternative(html, subtype="html")
        elif html is not None:
            message.set_content(html, subtype="html")
        if calendar is not None:
            message.add_alternative(calendar, maintype="text", subtype="calendar", params={"method": "REQUEST"})
        for filename, mime_type, data in attachments or []:
            maintype, subtype = mime_type.split("/", 1)
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        sent = sender[1] == self.owner[1]
        if labels is None:
            labels = ["SENT"] if sent else ["INBOX", "CATEGORY_PERSONAL"]
            recent = (self.anchor - when).days < 6
            if not sent and ((recent and self.rng.random() < 0.7) or self.rng.random() < 0.04):
                labels.append("UNREAD")
        seeded = Seeded(bytes(message), labels, when, message)
        self.messages.append(seeded)
        return seeded


def seed_anchor(now: float) -> datetime:
    """`ANCHOR` moved by whole days to the latest such instant not after `now` (epoch seconds): the seed is then
    deterministic given the day it is written, and `newer_than:` finds its recent mail on that day."""
    moment = datetime.fromtimestamp(now, UTC)
    anchor = ANCHOR + timedelta(days=(moment.date() - ANCHOR.date()).days)
    return anchor if anchor <= moment else anchor - timedelta(days=1)


def quote(parent: Seeded, text: str) -> str:
    """A reply body with the parent quoted below it, the way mail clients write it."""
    message = parent.message
    body = message.get_body(("plain",))
    quoted = body.get_content() if body is not None else ""
    header = f"On {message['Date']}, {message['From']} wrote:"
    return text.rstrip() + "\n\n" + header + "\n" + "\n".join("> " + line for line in quoted.rstrip().splitlines())
