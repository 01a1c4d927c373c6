"""Lookup v2 (`GET /v2/PhoneNumbers/{number}`): validation and formatting by libphonenumber's metadata, plus the
`line_type_intelligence` and `caller_name` packages from a small sandbox directory.

An invalid number is still a 200 with `valid: false` and `validation_errors`, as Lookup answers; a number that does
not parse at all is a 404 (Twilio's 20404), as Lookup does for garbage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import phonenumbers
from phonenumbers import PhoneNumberType, number_type

from aide_sandbox.twilio.errors import invalid, not_found

JsonObject = dict[str, Any]
PACKAGES = frozenset(
    {
        "validation",
        "caller_name",
        "sim_swap",
        "call_forwarding",
        "line_status",
        "line_type_intelligence",
        "identity_match",
        "reassigned_number",
        "sms_pumping_risk",
        "phone_number_quality_score",
        "pre_fill",
    }
)
_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.TOLL_FREE: "tollFree",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "sharedCost",
    PhoneNumberType.VOIP: "nonFixedVoip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: "TOO_SHORT",
    phonenumbers.ValidationResult.TOO_LONG: "TOO_LONG",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    phonenumbers.ValidationResult.INVALID_LENGTH: "INVALID_LENGTH",
}


def lookup(raw: str, fields: str | None, country_code: str | None, directory: dict[str, JsonObject]) -> JsonObject:
    """The PhoneNumber resource; `directory` maps E.164 numbers to known line types, carriers and caller names."""
    wanted = {f.strip() for f in (fields or "").split(",") if f.strip()}
    unknown = wanted - PACKAGES
    if unknown:
        raise invalid(60200, f"Invalid Fields value: {sorted(unknown)[0]}")
    try:
        parsed = phonenumbers.parse(raw, (country_code or "US").upper())
    except phonenumbers.NumberParseException:
        raise not_found(f"/v2/PhoneNumbers/{raw}") from None
    valid = phonenumbers.is_valid_number(parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    errors: list[str] = []
    if not valid:
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        errors.append(_REASONS.get(reason, "INVALID_BUT_POSSIBLE"))
    known = directory.get(e164, {})
    body: JsonObject = {
        "calling_country_code": str(parsed.country_code),
        "country_code": phonenumbers.region_code_for_number(parsed) if valid else None,
        "phone_number": e164,
        "national_format": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        "valid": valid,
        "validation_errors": errors,
        "caller_name": None,
        "sim_swap": None,
        "call_forwarding": None,
        "line_type_intelligence": None,
        "line_status": None,
        "identity_match": None,
        "reassigned_number": None,
        "sms_pumping_risk": None,
        "phone_number_quality_score": None,
        "pre_fill": None,
        "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{quote(e164)}",
    }
    if "line_type_intelligence" in wanted and valid:
        from phonenumbers import carrier  # its data costs a quarter of a second to import: only when asked

        body["line_type_intelligence"] = {
            "carrier_name": known.get("carrier") or carrier.name_for_number(parsed, "en") or "Sandbox Wireless",
            "error_code": None,
            "mobile_country_code": known.get("mcc", "310"),
            "mobile_network_code": known.get("mnc", "260"),
            "type": known.get("type") or _TYPES.get(number_type(parsed), "unknown"),
        }
    if "caller_name" in wanted and valid:
        body["caller_name"] = {
            "caller_name": known.get("name"),
            "caller_type": known.get("caller_type", "CONSUMER") if known.get("name") else None,
            "error_code": None,
        }
    return body
