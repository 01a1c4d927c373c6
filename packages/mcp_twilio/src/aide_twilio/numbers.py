"""What libphonenumber (`phonenumbers`) says about an E.164 number beyond its form: its country (for the price) and
its time zones (for quiet hours). Numbers are validated and normalised by core (`aide_core.phones.e164`), the one
normalisation the phone allowlist uses too. `phonenumbers` holds large tables, so it is imported on first use, never
at server start.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["LOOKUP_HINT", "country_of", "time_zones_of"]

#: What to do about a number not in its country's numbering plan, for `aide_core.phones.e164`.
LOOKUP_HINT = "Check the digits with the user; lookup_number says what is wrong with a number."


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
