"""How Twilio's API says what went wrong: the `ErrorProfile` a Twilio client passes to aide's retry policy and
error mapping (core reads no Twilio body).

Bodies come as `{"code", "message", "more_info", "status"}`, or in RFC 9457's form `{type, title, status, code,
detail}`. The twilio library keeps no raw body, only parsed attributes (`TwilioRestException` `.msg` and `.code`,
`TwilioServiceException` `.title`, `.detail` and `.code`): `fields` gives them back as a body. Error 20429 is a rate
limit; 21610 says the recipient replied STOP, which no retry cures: a `PolicyRefused`.

Imports `aide_core.upstream` (and with it the retry library): load it at the first call, not at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aide_core.errors import AideError, PolicyRefused
from aide_core.upstream import ErrorProfile, ParsedError

OPTED_OUT = "21610"
TOO_MANY_REQUESTS = "20429"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _code(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value) or None


def parse(data: Mapping[str, Any]) -> ParsedError | None:
    """A Twilio error body (either form), or None when `data` has no Twilio error code (its code is its reason)."""
    code = _code(data.get("code"))
    if code is None:
        return None
    status: object = data.get("status")
    return ParsedError(
        _text(data.get("message")) or _text(data.get("detail")) or _text(data.get("title")),
        code,
        status if isinstance(status, int) and not isinstance(status, bool) else None,
        frozenset({code}),
    )


def fields(exc: BaseException) -> Mapping[str, Any] | None:
    """The body a twilio exception stands for, from its parsed attributes; None for any other exception."""
    title, msg, code = getattr(exc, "title", None), getattr(exc, "msg", None), getattr(exc, "code", None)
    if isinstance(title, str):
        return {"title": title, "detail": getattr(exc, "detail", None), "code": code}
    if isinstance(msg, str):
        return {"message": msg, "code": code}
    return None


def refusal(service: str, parsed: ParsedError) -> AideError | None:
    """A recipient who replied STOP: no retry and no rewording will get the message through."""
    if parsed.code != OPTED_OUT:
        return None
    return PolicyRefused(
        f"{service} refused to send: the recipient replied STOP and has opted out of messages from this number.",
        hint="Do not retry or send to this number again; only the recipient can opt back in, by texting START.",
    )


TWILIO_ERRORS = ErrorProfile(parse, rate_limit_reasons=frozenset({TOO_MANY_REQUESTS}), fields=fields, refusal=refusal)
