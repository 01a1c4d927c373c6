"""Outgoing mail: what the receiving side parses (the stdlib's default policy, as mail clients do) is exactly what
was built from structured objects, whatever text the caller or a received mail put in it."""

from __future__ import annotations

import email
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from aide_core.errors import InvalidInput
from aide_core.mail import (
    MailAttachment,
    OutgoingMail,
    check_line,
    clean_line,
    message_ids,
    parse_address,
    received_addresses,
    received_text,
    safe_filename,
)

HOSTILE_TEXT = [
    "=?utf-8?q?x=0D=0ABcc=3A_sam=40example.org?=",
    "=?UTF-8?B?eA0KQmNjOiBzYW1AZXhhbXBsZS5vcmc=?=",
    "plain words =?utf-8?q?a?= more words",
    "Größe — 山田 =?iso-8859-1?q?=E9?=",
    "a" * 200 + " =?utf-8?q?=0A?= " + "b" * 90,
    '"quoted", <angle> (comment) ; colon: @at',
    "",
]


def as_received(mail: OutgoingMail) -> EmailMessage:
    parsed = email.message_from_bytes(mail.render(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def people(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for h in message.get_all(header) or [] for a in h.addresses]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_a_subject_and_a_display_name_reach_the_receiver_as_the_literal_text_given(text: str) -> None:
    name = text[:120]
    mail = OutgoingMail(
        to=(Address(display_name=name, addr_spec="friend@example.net"),),
        cc=(Address(display_name=name, addr_spec="other@example.net"),),
        subject=text,
        text="body",
    )
    received = as_received(mail)
    assert received["Subject"] == text
    assert people(received, "To") == [(name, "friend@example.net")]
    assert people(received, "Cc") == [(name, "other@example.net")]
    assert received.get_all("Bcc") is None
    assert [key for key, _ in received.items()] == [
        "To",
        "Cc",
        "Subject",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]


def test_bcc_in_reply_to_references_and_attachments_are_rendered_from_the_objects() -> None:
    mail = OutgoingMail(
        to=(parse_address("to", "Ann <ann@example.com>"),),
        bcc=(parse_address("bcc", "bob@example.org"),),
        subject="Hi",
        text="**bold**",
        html="<p><strong>bold</strong></p>",
        attachments=(MailAttachment("résumé.pdf", "application/pdf", b"%PDF"),),
        in_reply_to="<m1@x.example>",
        references=("<m0@x.example>", "<m1@x.example>"),
    )
    received = as_received(mail)
    assert people(received, "To") == [("Ann", "ann@example.com")]
    assert people(received, "Bcc") == [("", "bob@example.org")]
    assert received["In-Reply-To"] == "<m1@x.example>"
    assert str(received["References"]).split() == ["<m0@x.example>", "<m1@x.example>"]
    assert [(p.get_filename(), p.get_content()) for p in received.iter_attachments()] == [("résumé.pdf", b"%PDF")]
    plain, html = received.get_body(("plain",)), received.get_body(("html",))
    assert plain is not None and plain.get_content() == "**bold**\n"
    assert html is not None and html.get_content() == "<p><strong>bold</strong></p>\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ann@example.com", ("", "ann@example.com")),
        ("Ann Lee <ann@example.com>", ("Ann Lee", "ann@example.com")),
        ('"Lee, Ann" <ann@example.com>', ("Lee, Ann", "ann@example.com")),
        ("=?utf-8?q?sam=40example.org?= <friend@example.net>", ("=?utf-8?q?sam=40example.org?=", "friend@example.net")),
        ("<@relay.example:a@example.com>", ("", "a@example.com")),  # an obsolete route is dropped, as RFC 5322 says
    ],
)
def test_a_caller_address_is_taken_literally(value: str, expected: tuple[str, str]) -> None:
    address = parse_address("to", value)
    assert (address.display_name, address.addr_spec) == expected


@pytest.mark.parametrize(
    "value",
    [
        "friend",
        "sam@example.org <friend@example.net>",
        "a@example.net, b@example.net",
        "a b@example.net",
        '"q"@example.net',
        "a@[127.0.0.1]",
        "a@localhost",
        "ä@example.net",
        "=?utf-8?q?boss?=@example.com",
        "a%evil.org@example.com",
        "evil.org!a@example.com",
        "x" * 121 + " <a@example.com>",
        "friend@example.net\r\nBcc: sam@example.org",
        "friend@example.net\x00",
        "",
    ],
)
def test_anything_but_exactly_one_plain_address_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        parse_address("to", value)


def test_a_received_header_is_parsed_as_a_structure_before_its_words_are_decoded() -> None:
    found = received_addresses(
        "=?utf-8?q?evil=40x.org=2C?= <a@b.example>, =?utf-8?q?x=0D=0ABcc=3A_s=40e.org?= <c@d.example>, "
        "group: g@h.example;, not an address, <e@f.example>"
    )
    assert [(a.display_name, a.addr_spec) for a in found] == [
        ("evil@x.org,", "a@b.example"),
        ("x Bcc: s@e.org", "c@d.example"),
        ("", "g@h.example"),
        ("", "e@f.example"),
    ]


def test_text_from_outside_is_decoded_once_and_made_one_line() -> None:
    assert received_text("=?utf-8?q?x=0D=0ABcc=3A_s=40e.org?=") == "x Bcc: s@e.org"
    assert received_text("Plain\ttabs stay") == "Plain\ttabs stay"
    assert clean_line("a\u2028b\x00c\r\nd") == "a b c d"
    assert message_ids("<a@b> junk <c d@e> <f@g>\r\n<bad> <x@y>") == ("<a@b>", "<f@g>", "<x@y>")
    assert safe_filename("../=?utf-8?q?a=0A?=\x00.txt") == ".._=_utf-8?q?a=0A?= .txt"
    assert safe_filename("x" * 300) == "x" * 254 + "…"


@pytest.mark.parametrize("text", ["a\rb", "a\nb", "a\x00b", "a\x7fb", "a\u2029b", "a\ud800b"])
def test_a_line_with_a_control_character_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="subject contains a control character"):
        check_line("subject", text)


@pytest.mark.parametrize("name", ["", "a/b", "a\\b", "x" * 256, "a\nb", "=?utf-8?q?a?="])
def test_an_unusable_attachment_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        MailAttachment(name, "text/plain", b"x")


def test_an_address_the_stdlib_would_object_to_is_dropped_from_a_received_header_not_a_crash() -> None:
    found = received_addresses("=?utf-8?q?a=0Ab?= <=?utf-8?q?boss?=@example.com>, Ann <ann@example.com>")
    assert [(a.display_name, a.addr_spec) for a in found] == [("Ann", "ann@example.com")]
    long = received_addresses(f"{'n' * 300} <ann@example.com>")
    assert [(a.display_name, a.addr_spec) for a in long] == [("n" * 119 + "…", "ann@example.com")]


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("A" * 997 + "Bcc:evil@x.org", "B" * 120),
        ("x " * 600, 'Quote " and \\ backslash <sam@example.org>, "'),
        ("ü" * 400, "ü" * 120),
    ],
)
def test_no_header_line_passes_998_characters_and_the_text_survives(subject: str, name: str) -> None:
    mail = OutgoingMail(to=(Address(display_name=name, addr_spec="friend@example.net"),), subject=subject, text="x")
    raw = mail.render()
    head = raw.split(b"\n\n", 1)[0]
    assert max(len(line.rstrip(b"\r")) for line in head.split(b"\n")) <= 998
    received = as_received(mail)
    assert received["Subject"] == subject
    assert people(received, "To") == [(name, "friend@example.net")]
    assert received.get_all("Bcc") is None


def test_a_forwarded_message_part_travels_whole_as_a_message() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Inner"
    inner.set_content("inside")
    mail = OutgoingMail(
        to=(Address(addr_spec="friend@example.net"),),
        text="see attached",
        attachments=(MailAttachment("inner.eml", "message/rfc822", inner.as_bytes()),),
    )
    [part] = list(as_received(mail).iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    carried = part.get_content()
    assert carried["Subject"] == "Inner" and carried.get_content() == "inside\n"
