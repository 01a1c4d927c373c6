"""The Twilio server's declaration (`spec`), its own policies (opt-outs, quiet hours) next to core's phone
allowlist, and what the tool modules share: turning Twilio's messages into models, error codes into words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aide_core.errors import PolicyRefused
from aide_core.fencing import defang, fence
from aide_core.plan import Plan
from aide_core.policy import phone_allowlist
from aide_core.server import ServerSpec
from aide_twilio.models import SmsMessage
from aide_twilio.settings import TwilioSettings
from aide_twilio.state import TwilioState

__all__ = ["Outgoing", "explain", "spec", "to_message"]

_ONLY_THE_USER = "Tell the user; only they can change this in aide's configuration."


@dataclass(frozen=True)
class Outgoing:
    """Exactly what send_sms sends: the normalised recipient, the body, media, and the sender (a number, or the
    messaging service when `sender` is None)."""

    to: str
    body: str
    media_urls: tuple[str, ...]
    sender: str | None
    service_sid: str | None
    #: The numbers that may end up sending it (the sender, or the messaging service's numbers): opt-outs are
    #: checked against each.
    senders: tuple[str, ...]


def not_opted_out(settings: Any, plan: Plan[Any], /) -> None:
    """Refuse a text to someone who replied STOP to the number (or any number of the service) it would go from."""
    outgoing = plan.payload
    if not isinstance(outgoing, Outgoing):
        return
    inbox = spec.state().inbox
    for number in outgoing.senders:
        if inbox.opted_out(number, outgoing.to):
            raise PolicyRefused(
                f"{outgoing.to} has opted out of texts from {number} (they replied STOP): not sent.",
                hint="Do not retry or text them from this number; only they can opt back in, by texting START.",
            )


def outside_quiet_hours(settings: Any, plan: Plan[Any], /) -> None:
    """Refuse a text that would arrive in the recipient's quiet hours, saying when it may go."""
    from aide_twilio.quiet import next_allowed

    outgoing = plan.payload
    if not isinstance(outgoing, Outgoing):
        return
    assert isinstance(settings, TwilioSettings)
    quiet = settings.quiet_hours
    found = next_allowed(spec.state().now(), outgoing.to, quiet)
    if found is None:
        return
    until, zone = found
    window = f"{quiet.start:%H:%M}-{quiet.end:%H:%M} in {zone}"
    raise PolicyRefused(
        f"It is quiet hours for {outgoing.to} ({window}): not sent. The next allowed time is "
        f"{until.isoformat(timespec='minutes')} ({until.astimezone(UTC):%Y-%m-%d %H:%M} UTC).",
        hint="Send it at or after that time, or tell the user. " + _ONLY_THE_USER,
    )


spec = ServerSpec[TwilioState](
    "twilio",
    title="aide SMS (Twilio)",
    instructions=(
        "SMS through Twilio. Numbers are E.164 (+14155550100); a number without + is read in the configured "
        "region. list_conversations for an overview, list_messages for one number, list_unread for new texts "
        "(mark_read when handled). send_sms previews segments, encoding and price; it refuses opted-out "
        "recipients and the recipient's quiet hours."
    ),
    settings_model=TwilioSettings,
    state=TwilioState,
    configure_command="aide auth twilio",
    upstream="Twilio",
    errors="aide_twilio.errors:TWILIO_ERRORS",
    policies=[phone_allowlist, not_opted_out, outside_quiet_hours],
)

#: Twilio's delivery error codes in words (https://www.twilio.com/docs/api/errors).
ERRORS = {
    21211: "the 'To' number is not a valid phone number",
    21408: "texting this region is not enabled on the account",
    21610: "the recipient replied STOP and has opted out of texts from this number",
    21614: "the 'To' number cannot receive texts (not a mobile number)",
    30003: "the recipient's phone is unreachable (switched off or out of coverage)",
    30004: "the message was blocked by the recipient or their carrier",
    30005: "the number is unknown to its carrier or no longer in service",
    30006: "the number is a landline or its carrier cannot receive texts",
    30007: "the carrier filtered the message as spam or abuse",
    30008: "the carrier failed to deliver it for an unknown reason",
    30034: "the sender number is not registered for US A2P 10DLC messaging",
}


def explain(code: int | None, message: str | None = None) -> str | None:
    if code is None:
        return None
    words = ERRORS.get(code) or (message or "see https://www.twilio.com/docs/api/errors")
    return f"Error {code}: {words}."


def _iso(moment: Any) -> str | None:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(moment, int | float):
        return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return None


def direction_of(raw: str | None) -> str:
    return "inbound" if raw == "inbound" else "outbound"


def body_of(sid: str, direction: str, sender: str | None, body: str) -> str:
    """Inbound bodies fenced: what a stranger texts is data, never instructions; outbound ones (which may quote
    one) defanged."""
    if direction == "inbound":
        return fence(body, source=f"sms {sid} from {sender}", kind="sms")
    return defang(body)


def to_message(data: dict[str, Any], *, read: bool | None = None) -> SmsMessage:
    """A message from Twilio's API (`client.message_dict`) as the model reads it."""
    direction = direction_of(data.get("direction"))
    segments = data.get("num_segments")
    return SmsMessage(
        sid=data["sid"],
        direction="inbound" if direction == "inbound" else "outbound",
        sender=data.get("from"),
        to=data.get("to") or "",
        body=body_of(data["sid"], direction, data.get("from"), data.get("body") or ""),
        status=data.get("status") or "unknown",
        at=_iso(data.get("date_sent") or data.get("date_created")),
        segments=int(segments) if isinstance(segments, str) and segments.isdigit() else None,
        media=int(data["num_media"]) if str(data.get("num_media") or "").isdigit() else 0,
        read=read,
    )


def iso(moment: Any) -> str | None:
    return _iso(moment)
