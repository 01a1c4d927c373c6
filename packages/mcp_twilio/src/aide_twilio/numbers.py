"""Phone numbers: validated and normalised to E.164 with libphonenumber (`phonenumbers`), before anything is sent or
looked up, so that the number the guard checks and the allowlist compares is exactly the one Twilio gets.

A number written without `+` is read in the configured default region (`default_region`, "US" unless set); with no
default region, only the international form is accepted. `phonenumbers` holds large tables, so it is imported on
first use, never at server start.
"""

from __future__ import annotations

from functools import lru_cache

from aide_core.errors import InvalidInput

__all__ = ["country_of", "e164", "same_number", "time_zones_of"]

_EXAMPLE = "send +<country code> and the number, such as +14155550100 or +447911123456"


def e164(number: str, region: str | None = None, *, what: str = "phone number") -> str:
    """`number` in E.164 form (`+14155550100`); `InvalidInput` saying how to write it when it is not a valid number."""
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
            hint="Check the digits with the user; lookup_number says what is wrong with a number.",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def same_number(a: str, b: str) -> bool:
    """Whether two numbers are the same once normalised (unparseable ones compare as written)."""
    try:
        return e164(a) == e164(b)
    except InvalidInput:
        return a.strip() == b.strip()


@lru_cache(maxsize=1024)
def country_of(number: str) -> str | None:
    """The ISO region code of an E.164 number ("US", "DE"), or None."""
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=1024)
def time_zones_of(number: str) -> tuple[str, ...]:
    """The IANA zones libphonenumber places an E.164 number in (several for a country-wide or mobile range)."""
    import phonenumbers
    from phonenumbers import timezone

    try:
        zones = timezone.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(zone for zone in zones if zone != "Etc/Unknown")
