"""send_sms: one plan, resolved once (normalised recipient, body, media, sender, segments and price), that the
guard checks (core's phone allowlist, then opt-outs and quiet hours: `aide_twilio.app`), previews, has confirmed,
and that the tool body then sends, once, exactly as planned."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aide_core.errors import InvalidInput
from aide_core.identity import current_user
from aide_core.phones import e164
from aide_core.plan import Plan
from aide_core.policy import PHONE
from aide_twilio.app import Outgoing, spec
from aide_twilio.inbox import Stored
from aide_twilio.models import SentSms
from aide_twilio.numbers import LOOKUP_HINT, country_of
from aide_twilio.segments import count_segments
from aide_twilio.settings import TwilioSettings

__all__ = ["plan_send", "send_sms"]

MAX_BODY = 1600
MAX_MEDIA = 10

To = Annotated[str, Field(description="Recipient, +<country code><number>.")]
Body = Annotated[str, Field(description="The text (up to 1600 characters).")]
MediaUrls = Annotated[list[str] | None, Field(description="Public https URLs of images to send (MMS).")]
Sender = Annotated[str | None, Field(description="One of the account's numbers (default: the configured one).")]


def estimate(config: TwilioSettings, to: str, segments: int, media: bool) -> float:
    if media:
        return round(config.mms_price, 5)
    per_segment = config.prices.get(country_of(to) or "", config.price_per_segment)
    return round(per_segment * segments, 5)


def _media(urls: list[str]) -> tuple[str, ...]:
    if len(urls) > MAX_MEDIA:
        raise InvalidInput(f"At most {MAX_MEDIA} media URLs fit in one message; got {len(urls)}.")
    for url in urls:
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or any(c.isspace() for c in url):
            raise InvalidInput(
                f"{url[:80]!r} is not a public http(s) URL.", hint="Twilio fetches media from a URL it can reach."
            )
    return tuple(urls)


def plan_send(
    to: str, body: str = "", media_urls: list[str] | None = None, sender: str | None = None
) -> Plan[Outgoing]:
    state = spec.state()
    config = state.config
    number = e164(to, config.default_region, what="recipient number", hint=LOOKUP_HINT)
    if not body.strip() and not media_urls:
        raise InvalidInput("Nothing to send.", hint="Give a body, or media_urls for a picture message.")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The body is {len(body)} characters; Twilio takes at most {MAX_BODY}.")
    media = _media(media_urls or [])
    ours = state.our_numbers()
    service: str | None = None
    if sender:
        chosen: str | None = e164(sender, config.default_region, what="sender number")
        if ours and chosen not in ours:
            raise InvalidInput(f"{chosen} is not one of this account's numbers.", hint=f"Use one of {', '.join(ours)}.")
    elif config.from_number:
        chosen = e164(config.from_number)
    elif config.messaging_service_sid:
        chosen, service = None, config.messaging_service_sid
    else:
        raise InvalidInput(
            "No number to send from.", hint="Pass sender=<one of the account's numbers>, or the user sets from_number."
        )
    state.client()  # not signed in: say so now, before anything is previewed or confirmed
    count = count_segments(body)
    price = estimate(config, number, count.segments, bool(media))
    origin = chosen or f"messaging service {service}"
    kind = f"MMS with {len(media)} media, " if media else ""
    head = f"Text {number} from {origin}: {kind}{count.describe()}, estimated {price:.4f} {config.price_unit}"
    details = "\n".join([body, *(f"media: {url}" for url in media)]).strip()
    return Plan(
        preview=f"{head}\n\n{details}",
        payload=Outgoing(number, body, media, chosen, service, (chosen,) if chosen else tuple(ours)),
        content={"to": number, "from": chosen, "service": service, "body": body, "media_urls": list(media)},
        reaches={PHONE: (number,)},
    )


@spec.action(plan=plan_send)
def send_sms(
    plan: Plan[Outgoing],
    to: To,
    body: Body = "",
    media_urls: MediaUrls = None,
    sender: Sender = None,
) -> SentSms:
    """Send a text message (SMS; MMS with media_urls); the preview shows segments, encoding and estimated price."""
    state = spec.state()
    config = state.config
    out = plan.payload
    callback = f"{config.public_url.rstrip('/')}/twilio/status" if config.public_url else None
    sent = state.client().send(
        to=out.to,
        body=out.body,
        media_urls=list(out.media_urls),
        sender=out.sender,
        service_sid=out.service_sid,
        status_callback=callback,
    )
    count = count_segments(out.body)
    state.inbox.add(
        Stored(
            sid=sent["sid"],
            user=current_user(),
            direction="outbound",
            counterpart=out.to,
            our_number=sent.get("from") or out.sender,
            body=out.body,
            media=list(out.media_urls),
            status=sent.get("status") or "queued",
            error_code=None,
            created=state.now().timestamp(),
            read=True,
        )
    )
    return SentSms(
        sid=sent["sid"],
        status=sent.get("status") or "queued",
        to=out.to,
        sender=sent.get("from") or out.sender,
        segments=count.segments,
        encoding=count.encoding,
        estimated_price=estimate(config, out.to, count.segments, bool(out.media_urls)),
        price_unit=config.price_unit,
    )
