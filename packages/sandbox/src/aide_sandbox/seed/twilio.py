"""The seeded Twilio account: two numbers in one messaging service, a small directory for Lookup, numbers whose
messages fail, and an SMS history in both directions (November 2026).

- `+14155550100` ("Alex's aide number") and `+14155550111` (a second line), both in messaging service `SERVICE`;
- messages to `+14155550199` (a pharmacy landline) end `undelivered` (30006), to `+14155550198` `failed` (30007);
- `+13105550142` has replied STOP to the second line, so sending to it from there is refused (21610).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from aide_sandbox.twilio.messages import PRICE_PER_SEGMENT, resource, rfc2822
from aide_sandbox.twilio.store import Account, Messaging, Number


def _hex(name: str) -> str:
    return hashlib.md5(f"aide-sandbox/{name}".encode()).hexdigest()


ACCOUNT_SID = "AC" + _hex("account")
AUTH_TOKEN = _hex("auth-token")
SERVICE = "MG" + _hex("service")
MAIN, SECOND = "+14155550100", "+14155550111"
HELEN, PRIYA, SAM, ZOE = "+14155552671", "+16505551234", "+12025550143", "+491701234567"
PHARMACY, BLOCKED, OPTED_OUT = "+14155550199", "+14155550198", "+13105550142"

#: What Lookup knows beyond libphonenumber's metadata.
DIRECTORY: dict[str, dict[str, Any]] = {
    HELEN: {"name": "Helen Rivera", "carrier": "Verizon Wireless", "type": "mobile"},
    PRIYA: {"name": "Priya Raman", "carrier": "T-Mobile USA, Inc.", "type": "mobile"},
    SAM: {"name": "Sam Okafor", "carrier": "AT&T Wireless", "type": "mobile"},
    PHARMACY: {
        "name": "GREEN CROSS PHARMACY",
        "caller_type": "BUSINESS",
        "carrier": "Pacific Bell",
        "type": "landline",
    },
    MAIN: {"name": "Alex Rivera", "carrier": "Twilio", "type": "nonFixedVoip"},
    SECOND: {"carrier": "Twilio", "type": "nonFixedVoip"},
}

#: (day, hh:mm, direction, from, to, body, final status, error code, media)
_HISTORY: list[tuple[int, str, str, str, str, str, str, int | None, list[str]]] = [
    (2, "18:04", "inbound", HELEN, MAIN, "Are you coming to dinner on Sunday?", "received", None, []),
    (2, "18:10", "outbound-api", MAIN, HELEN, "Yes! Bringing dessert.", "delivered", None, []),
    (5, "08:55", "outbound-api", MAIN, PRIYA, "Running 5 min late to our 1:1, sorry.", "delivered", None, []),
    (5, "08:56", "inbound", PRIYA, MAIN, "No worries, see you soon.", "received", None, []),
    (9, "10:30", "outbound-api", MAIN, PHARMACY, "Refill request for prescription 4471.", "undelivered", 30006, []),
    (12, "16:20", "inbound", SAM, MAIN, "Design review moved to Tuesday 8am PT.", "received", None, []),
    (14, "07:00", "outbound-api", MAIN, HELEN, "Reminder: boiler service on Wednesday at 8am.", "delivered", None, []),
    (17, "19:45", "inbound", ZOE, MAIN, "Hallo! Bist du nächste Woche in Berlin? 😊", "received", None, []),
    (18, "09:12", "inbound", OPTED_OUT, SECOND, "STOP", "received", None, []),
    (
        19,
        "12:00",
        "outbound-api",
        SECOND,
        HELEN,
        "Photo from the market",
        "delivered",
        None,
        ["https://media.example/market.jpg"],
    ),
    (20, "09:31", "outbound-api", MAIN, SAM, "Thanks, Tuesday works.", "delivered", None, []),
]


def seed_twilio(store: Messaging) -> None:
    store.add_account(Account(ACCOUNT_SID, AUTH_TOKEN, "aide sandbox"))
    store.add_service(SERVICE, ACCOUNT_SID, "aide notifications")
    store.add_number(Number(MAIN, ACCOUNT_SID, "PN" + _hex("main"), None, SERVICE))
    store.add_number(Number(SECOND, ACCOUNT_SID, "PN" + _hex("second"), None, SERVICE))
    store.set_fate(PHARMACY, "undelivered", 30006)
    store.set_fate(BLOCKED, "failed", 30007)
    store.opt_out(SECOND, OPTED_OUT, True)
    for index, (day, at, direction, sender, to, body, status, error, media) in enumerate(_HISTORY):
        hour, minute = (int(part) for part in at.split(":"))
        when = datetime(2026, 11, day, hour, minute, tzinfo=UTC)
        prefix = "MM" if media else "SM"
        message = resource(
            ACCOUNT_SID,
            to=to,
            sender=sender,
            body=body,
            status=status,
            direction=direction,
            now=when,
            media=media,
            message_sid=prefix + _hex(f"message-{index}"),
        )
        if direction != "inbound":
            message |= {"date_sent": rfc2822(when), "price": f"{-PRICE_PER_SEGMENT * int(message['num_segments']):.5f}"}
        if error:
            message |= {"error_code": error, "error_message": "Landline or unreachable carrier"}
        store.add_message(ACCOUNT_SID, message, None)
