"""Phone numbers in E.164 form (`+14155550100`), validated with libphonenumber (`phonenumbers`): the one
normalisation every server and policy uses, so that the number a policy checks (core's phone allowlist) is exactly
the number a server sends to.

A number written without `+` is read in `region` (an ISO code such as "US", from the server's `default_region`);
with no region, only the international form is accepted. `phonenumbers` holds large tables, so it is imported on
first use, never when a server starts.
"""

from __future__ import annotations

from aide_core.errors import InvalidInput

__all__ = ["e164"]

_EXAMPLE = "send +<country code> and the number, such as +14155550100 or +447911123456"


def e164(number: str, region: str | None = None, *, what: str = "phone number", hint: str | None = None) -> str:
    """`number` in E.164 form; `InvalidInput` saying how to write it when it is not a valid number. `hint` is what
    to do about a number that parses but is not in its country's numbering plan (a server may name its lookup)."""
    import phonenumbers

    text = number.strip()
    shown = text[:40] + ("…" if len(text) > 40 else "")
    if not text:
        raise InvalidInput(f"The {what} is empty.", hint=_EXAMPLE.capitalize() + ".")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else (region or None))
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            f"{shown!r} is not a {what} in international form: {_EXAMPLE}.",
            hint="Ask the user for the full number with its country code if you do not know it.",
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"{shown!r} is not a valid {what} (no such number in its country's numbering plan): {_EXAMPLE}.",
            hint=hint or "Check the digits with the user.",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
