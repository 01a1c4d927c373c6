"""Twilio's webhooks, served by `aide serve` at `/twilio/sms` (a text arrived) and `/twilio/status` (delivery news).

They are not behind aide's bearer token, which Twilio does not hold, but behind Twilio's request signature:
`X-Twilio-Signature`, checked with the twilio package's `RequestValidator` and the auth token of the deployment's
account, over the URL Twilio was given: `public_url` + the path when set (behind a proxy or tunnel the URL the
server sees is not the one Twilio signed), else the URL of the request. The check is the routes' `auth`
(`aide_core.routes`), which refuses a missing or wrong signature with 403, Twilio's convention, before any handler
runs: nothing is read further or stored.

A text is stored once (a retried webhook with the same MessageSid is not stored again, nor answered again), for
the person the routing names (or for nobody); the standard keywords update the opt-out list as Twilio does (a
single word, any case: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT opt out; START, YES, UNSTOP
opt back in; HELP, INFO ask for help), and so does Twilio's own `OptOutType` field when Advanced Opt-Out sends it.
The answer is TwiML: the configured replies, or the inbound handler's (`aide_twilio.inbound`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread

from aide_twilio.app import spec
from aide_twilio.inbound import InboundText, load_handler
from aide_twilio.inbox import Stored
from aide_twilio.state import TwilioState

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from aide_core.server import Runtime

__all__ = ["HELP", "OPT_IN", "OPT_OUT", "keyword_of", "signed_by_twilio", "sms", "status"]

logger = logging.getLogger("aide.twilio")

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
MAX_REPLY = 1600


def keyword_of(body: str, opt_out_type: str | None) -> str | None:
    """ "stop", "start" or "help" when the text is one of the keywords (a single word), else None."""
    declared = (opt_out_type or "").strip().upper()
    word = body.strip().upper()
    if declared == "STOP" or word in OPT_OUT:
        return "stop"
    if declared == "START" or word in OPT_IN:
        return "start"
    if declared == "HELP" or word in HELP:
        return "help"
    return None


async def signed_by_twilio(request: Request, runtime: Runtime[TwilioState]) -> bool | int:
    """The webhooks' route auth: True when `X-Twilio-Signature` is Twilio's signature of the posted form, else 403
    (no signature, a wrong one, or no auth token stored to check it with)."""
    from twilio.request_validator import RequestValidator

    state = runtime.state()
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        return 403
    token = await anyio.to_thread.run_sync(state.webhook_token)
    if token is None:
        logger.warning("twilio: a webhook arrived but no auth token is stored to check it (aide auth twilio)")
        return 403
    public = state.config.public_url
    url = str(request.url)
    if public:
        query = request.url.query
        url = public.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    return True if RequestValidator(token).validate(url, await _form(request), signature) else 403


async def _form(request: Request) -> dict[str, str]:
    """The posted form (Starlette keeps the body read by the route auth for the handler)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _twiml(reply: str | None) -> Response:
    from starlette.responses import Response
    from twilio.twiml.messaging_response import MessagingResponse

    answer = MessagingResponse()
    if reply and reply.strip():
        answer.message(reply.strip()[:MAX_REPLY])
    return Response(str(answer), media_type="application/xml")


def _number(value: str) -> str:
    from aide_core.errors import InvalidInput
    from aide_core.phones import e164

    try:
        return e164(value)
    except InvalidInput:
        return value.strip()  # a short code or an alphanumeric sender, kept as written


@dataclass(frozen=True)
class _Received:
    text: Stored
    new: bool
    keyword: str | None


def _receive(state: TwilioState, form: dict[str, str]) -> _Received | None:
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    sender, to = _number(form.get("From", "")), _number(form.get("To", ""))
    if not sid or not sender or not to:
        return None
    body = form.get("Body", "")
    try:
        count = min(int(form.get("NumMedia") or 0), 10)
    except ValueError:
        count = 0
    media = [form[f"MediaUrl{index}"] for index in range(count) if form.get(f"MediaUrl{index}")]
    user = state.route(sender, to)
    now = state.now().timestamp()
    text = Stored(sid, user, "inbound", sender, to, body, media, "received", None, now, False)
    new = state.inbox.add(text)
    keyword = keyword_of(body, form.get("OptOutType"))
    if new and keyword in ("stop", "start"):
        state.inbox.set_opt_out(to, sender, keyword == "stop", user, now)
    return _Received(text, new, keyword)


async def _answer(runtime: Runtime[TwilioState], state: TwilioState, received: _Received) -> str | None:
    config, text = state.config, received.text
    if not received.new or received.keyword in ("stop", "start"):
        return None  # a retry was answered the first time; Twilio confirms opt-outs and opt-ins itself
    if received.keyword == "help":
        return config.help_reply
    if text.user is None:
        return config.unknown_sender_reply
    if not config.inbound_handler or not config.users:
        return None  # a handler answers only senders configured as someone's own (settings refuse it otherwise)
    inbound = InboundText(
        user=text.user,
        sid=text.sid,
        sender=text.counterpart,
        to=text.our_number or "",
        body=text.body,
        settings=runtime.settings,
        media_urls=tuple(text.media),
        allowed_actions=tuple(config.inbound_actions),
    )
    try:
        handler = load_handler(config.inbound_handler)
        with anyio.fail_after(config.inbound_timeout_seconds):
            return await handler(inbound)
    except Exception:
        logger.exception("twilio: the inbound handler %s failed on %s; no reply", config.inbound_handler, text.sid)
        return None


@spec.route("/sms", auth=signed_by_twilio)
async def sms(request: Request, runtime: Runtime[TwilioState]) -> Response:
    """Twilio's messaging webhook: a text to one of the account's numbers."""
    from starlette.responses import Response

    state = runtime.state()
    form = await _form(request)
    received = await anyio.to_thread.run_sync(_receive, state, form)
    if received is None:
        return Response("MessageSid, From and To are required", status_code=400, media_type="text/plain")
    return _twiml(await _answer(runtime, state, received))


@spec.route("/status", auth=signed_by_twilio)
async def status(request: Request, runtime: Runtime[TwilioState]) -> Response:
    """Twilio's delivery callback: a sent text's new status, stored on the text."""
    from starlette.responses import Response

    state = runtime.state()
    form = await _form(request)
    sid, new_status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not new_status:
        return Response("MessageSid and MessageStatus are required", status_code=400, media_type="text/plain")
    code = form.get("ErrorCode")
    error = int(code) if code and code.isdigit() else None
    await anyio.to_thread.run_sync(state.inbox.update_status, sid, new_status, error)
    return Response(status_code=204)
