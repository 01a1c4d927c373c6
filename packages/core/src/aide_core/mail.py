"""Outgoing mail as structured objects, rendered so that the receiving side reads exactly what was checked.

Every address is an `email.headerregistry.Address` whose addr-spec passed a strict check; every header is rendered
here from those objects and from plain text, never by handing a string to `email` to parse. The reason is that the
stdlib's header parsing decodes RFC 2047 encoded words: a caller's subject `=?utf-8?q?x=0D=0ABcc=3A_a=40b.c?=`
becomes "x", CR LF, "Bcc: a@b.c" in the raw message, and a display name `=?utf-8?q?a=40b.c?=` becomes an unquoted
address on the wire. Here caller text is literal: text that is not plain ASCII, or that contains `=?`, is encoded
by us (so a receiver decodes it back to the same literal text), and control characters are refused.

Text that comes from outside (the subject or the names of a mail being replied to) is cleaned instead of refused:
its control characters become spaces, so a hostile header cannot stop the user from answering it.
"""

from __future__ import annotations

import email
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.charset import Charset
from email.header import Header, decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, getaddresses

from aide_core.errors import InvalidInput
from aide_core.plan import Plan
from aide_core.policy import EMAIL

__all__ = [
    "MailAttachment",
    "OutgoingMail",
    "check_line",
    "clean_line",
    "message_ids",
    "parse_address",
    "parse_addresses",
    "received_addresses",
    "received_text",
    "safe_filename",
]

#: An addr-spec we send to: a dot-atom local part and a dotted host name, ASCII only. Stricter than RFC 5322 on
#: purpose (no quoted local parts, no address literals, no `%` or `!`, which some servers still take as routes to
#: another host, no encoded-word look-alikes): an address that needs those is one a person should type into Gmail
#: themselves, not one a model should reach.
_ATOM = r"[A-Za-z0-9#$&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")  # printable ASCII but < and >, around one @
#: The longest display name sent: encoded as one word (receivers put a space between a name's folded words), it
#: must fit a header line with its address.
MAX_NAME = 120
#: The longest header line RFC 5322 allows, without its CR LF.
MAX_LINE = 998
#: A file name's longest form (most file systems allow 255 bytes; mail clients choke on longer).
MAX_FILENAME = 255
#: Control characters, line and paragraph separators, and lone surrogates (which no encoding can carry).
_REFUSED = {"Cc", "Zl", "Zp", "Cs"}
#: The default policy, except that headers stored with `set_raw` are written as they are, never refolded.
_AS_WRITTEN = policy.default.clone(refold_source="none")  # pyright: ignore[reportCallIssue]


def _bad_chars(text: str, *, multiline: bool) -> list[str]:
    allowed = {"\t", "\n"} if multiline else {"\t"}
    return [ch for ch in text if ch not in allowed and unicodedata.category(ch) in _REFUSED]


def check_line(field_name: str, text: str) -> str:
    """`text` as given, refused (`InvalidInput` naming the field) when it holds a line break or another control
    character: a header or a file name is one line of data."""
    bad = _bad_chars(text, multiline=False)
    if bad:
        raise InvalidInput(
            f"{field_name} contains a control character ({', '.join(sorted({f'U+{ord(c):04X}' for c in bad}))}).",
            hint=f"Give {field_name} as one line of plain text.",
        )
    return text


def clean_line(text: str) -> str:
    """Text from outside made one line: control characters and line breaks become spaces, runs of them one space."""
    if not _bad_chars(text, multiline=False):
        return text
    cleaned = "".join(" " if _bad_chars(ch, multiline=False) else ch for ch in text)
    return re.sub(r"  +", " ", cleaned).strip()


def received_text(raw: str) -> str:
    """A header value of a received mail as text: encoded words decoded (they are how mail carries non-ASCII), then
    cleaned to one line, so whatever they decode to stays data."""
    text = raw
    if "=?" in raw:
        try:
            text = str(make_header(decode_header(raw)))
        except (ValueError, LookupError):
            text = raw
    return clean_line(text)


def parse_address(field_name: str, value: str) -> Address:
    """One address as a caller writes it (`ann@example.com` or `Ann <ann@example.com>`), taken literally: an
    encoded word in the name stays those characters, and the addr-spec must pass the strict check."""
    check_line(field_name, value)
    # getaddresses, not the headerregistry parser: it leaves encoded words undecoded, which is what literal means.
    parsed = getaddresses([value])
    name, addr = parsed[0] if len(parsed) == 1 else ("", "")
    if len(name.strip()) > MAX_NAME:
        raise InvalidInput(
            f"{field_name}: the name in {value[:60]!r}… is longer than {MAX_NAME} characters.", hint="Shorten it."
        )
    address = _address_of(name.strip(), addr)
    if address is None:
        raise InvalidInput(
            f"{field_name}: {value[:300]!r} is not one e-mail address.",
            hint="Use name@example.com or 'Name <name@example.com>', one address per list item.",
        )
    return address


def _address_of(name: str, addr: str) -> Address | None:
    """An `Address` when `addr` passes the strict check (and the stdlib takes it), else None."""
    if not _ADDR_SPEC.fullmatch(addr) or "=?" in addr:
        return None
    try:
        return Address(display_name=name, addr_spec=addr)
    except ValueError:  # the stdlib's own objections (its header defects are ValueErrors)
        return None


def parse_addresses(field_name: str, values: Iterable[str] | None) -> tuple[Address, ...]:
    return tuple(parse_address(field_name, value) for value in values or ())


def received_addresses(raw: str) -> tuple[Address, ...]:
    """The addresses in an address header of a received mail (its raw value, encoded words and all).

    The header is parsed as a structure first and its encoded words decoded after, as RFC 2047 says: a name that
    decodes to "evil@x.org, " stays one name. Names are cleaned to one line; entries without a usable addr-spec
    (groups' names, garbage) are dropped."""
    found: list[tuple[str, str]]
    try:
        header = policy.default.header_factory("to", raw)
        found = [(a.display_name, a.addr_spec) for a in header.addresses]  # type: ignore[attr-defined]
    except (ValueError, IndexError, TypeError):
        # A name that decodes to CR or LF makes the stdlib refuse the whole header: take the structure without
        # decoding, then decode each name on its own.
        found = [(received_text(name), addr) for name, addr in getaddresses([raw])]
    addresses = (_address_of(_shortened(clean_line(name), MAX_NAME), addr) for name, addr in found)
    return tuple(address for address in addresses if address is not None)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_ids(raw: str) -> tuple[str, ...]:
    """The well-formed `<id@host>` tokens of a Message-ID, In-Reply-To or References value; anything else dropped."""
    return tuple(_MESSAGE_ID.findall(raw))


def safe_filename(name: str) -> str:
    """A file name from outside made safe to carry: one line, no path, at most `MAX_FILENAME` characters."""
    cleaned = clean_line(name).replace("/", "_").replace("\\", "_").replace("=?", "=_").strip() or "attachment"
    return _shortened(cleaned, MAX_FILENAME)


@dataclass(frozen=True)
class MailAttachment:
    """A file to attach; its name must already be safe (`safe_filename`, or a checked caller name)."""

    name: str
    type: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        check_line("an attachment name", self.name)
        # Mail clients decode encoded words even inside a quoted file name, so "=?" could not stay literal.
        unusable = not self.name or len(self.name) > MAX_FILENAME or any(s in self.name for s in ("/", "\\", "=?"))
        if unusable:
            raise InvalidInput(
                f"Attachment name {self.name[:60]!r} is not a usable file name.",
                hint=f"Use a name of 1 to {MAX_FILENAME} characters without a path or '=?'.",
            )

    def describe(self) -> list[str | int]:
        return [self.name, self.type, len(self.data), hashlib.sha256(self.data).hexdigest()]


@dataclass(frozen=True)
class OutgoingMail:
    """One message, resolved: who it goes to, what it says, what it carries, what it answers.

    `text` is the plain body and `html` its optional HTML alternative; `references` are message ids (checked by
    `message_ids`). Validated on construction, so an `OutgoingMail` that exists can be rendered safely."""

    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    subject: str = ""
    text: str = ""
    html: str | None = None
    attachments: tuple[MailAttachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_line("subject", self.subject)
        for name, text in (("body", self.text), ("HTML body", self.html or "")):
            if any(unicodedata.category(ch) == "Cs" for ch in text):
                raise InvalidInput(
                    f"The {name} contains a lone surrogate, which is not text.", hint="Send valid UTF-8."
                )
        for address in self.recipients:
            if _address_of("", address.addr_spec) is None:
                raise InvalidInput(f"{address.addr_spec!r} is not an e-mail address.")
            check_line("a recipient's name", address.display_name)
            if len(address.display_name) > MAX_NAME:
                raise InvalidInput(f"A recipient's name is longer than {MAX_NAME} characters.", hint="Shorten it.")
        for message_id in (*([self.in_reply_to] if self.in_reply_to else []), *self.references):
            if not _MESSAGE_ID.fullmatch(message_id):
                raise InvalidInput(f"{message_id!r} is not a message id.")

    @property
    def recipients(self) -> tuple[Address, ...]:
        return (*self.to, *self.cc, *self.bcc)

    def describe(self) -> dict[str, object]:
        """Everything that changes what the receiver gets, as JSON-able data (what a plan's digest covers)."""

        def people(addresses: Sequence[Address]) -> list[list[str]]:
            return [[a.display_name, a.addr_spec] for a in addresses]

        return {
            "to": people(self.to),
            "cc": people(self.cc),
            "bcc": people(self.bcc),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "attachments": [a.describe() for a in self.attachments],
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
        }

    def plan(self, preview: str) -> Plan[OutgoingMail]:
        return Plan(
            preview=preview,
            payload=self,
            content=self.describe(),
            reaches={EMAIL: tuple(a.addr_spec for a in self.recipients)},
        )

    def render(self) -> bytes:
        """The raw RFC 5322 message. Headers are written as rendered here (`set_raw`) and emitted without
        refolding, so the stdlib never re-parses (and decodes) them."""
        message = EmailMessage()
        for name, addresses in (("To", self.to), ("Cc", self.cc), ("Bcc", self.bcc)):
            if addresses:
                message.set_raw(name, ",\n ".join(_address(a) for a in addresses))
        message.set_raw("Subject", _text(self.subject, "Subject"))
        if self.in_reply_to:
            message.set_raw("In-Reply-To", self.in_reply_to)
        if self.references:
            message.set_raw("References", "\n ".join(self.references))
        message.set_content(self.text)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        for attachment in self.attachments:
            maintype, _, subtype = attachment.type.partition("/")
            if attachment.type == "message/rfc822":  # a forwarded mail travels as a message, never base64
                inner = email.message_from_bytes(attachment.data, policy=policy.default)
                message.add_attachment(inner, filename=attachment.name)  # pyright: ignore[reportArgumentType]
                continue
            if maintype == "message":  # other message/* parts carry their bytes as an opaque file
                maintype, subtype = "application", "octet-stream"
            message.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.name
            )
        raw = message.as_bytes(policy=_AS_WRITTEN)
        head = raw.split(b"\n\n", 1)[0]
        if any(len(line.rstrip(b"\r")) > MAX_LINE for line in head.split(b"\n")):
            raise AssertionError("a header line over 998 characters: aide_core.mail must fold it")  # a bug of ours
        return raw


def _plain(text: str) -> bool:
    """Text a receiver reads back unchanged without encoding: ASCII with nothing that looks like an encoded word, and
    no word too long to fold (encoded words fold anywhere, so a long one stays under the 998-character line limit)."""
    return text.isascii() and "=?" not in text and all(len(word) <= 70 for word in text.split())


def _text(text: str, header_name: str) -> str:
    """An unstructured header value: plain text folded at spaces, anything else encoded as RFC 2047 words."""
    charset = "us-ascii" if _plain(text) else "utf-8"
    return Header(text, charset, header_name=header_name).encode(maxlinelen=76)


def _address(address: Address) -> str:
    if not address.display_name:
        return address.addr_spec
    name = address.display_name
    if _plain(name) and '"' not in name and "\\" not in name:
        return formataddr((name, address.addr_spec))  # quotes a name with specials
    # Encoded rather than quoted with backslashes, which not every receiver unescapes the same way.
    return f"{Charset('utf-8').header_encode(name)} <{address.addr_spec}>"
