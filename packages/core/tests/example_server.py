"""A small server built the way real aide servers are, for the core's tests (also spawned over stdio)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
from collections.abc import Awaitable
from pathlib import Path

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aide_core.errors import InvalidInput, NotConfigured
from aide_core.policy import EMAIL, PHONE, EmailAllowlist, PhoneAllowlist, email_allowlist, phone_allowlist
from aide_core.server import Runtime, ServerSpec
from aide_core.settings import ServerSettings

logger = logging.getLogger("aide.example")


class ExampleSettings(ServerSettings, EmailAllowlist, PhoneAllowlist):
    require_credentials: bool = False
    webhook_secret: str = "hook-secret"


class Outbox:
    """Stands for an upstream API: it records what was sent, so tests can count side effects."""

    def __init__(self, runtime: Runtime[Outbox]) -> None:
        if isinstance(runtime.config, ExampleSettings) and runtime.config.require_credentials:
            raise NotConfigured("The example service", "aide auth example")
        self.sent: list[str] = []


app = ServerSpec[Outbox](
    "example",
    instructions="A test server.",
    state=Outbox,
    configure_command="aide auth example",
    settings_model=ExampleSettings,
    policies=[email_allowlist, phone_allowlist],
)
app.prompts_from(Path(__file__).with_name("example_prompts"))


class Echo(BaseModel):
    text: str


class Sent(BaseModel):
    to: str
    count: int


@app.tool()
def echo(text: str) -> Echo:
    """Return the text unchanged."""
    logger.debug("echo called with %d characters", len(text))
    return Echo(text=text)


@app.tool()
def whoami() -> Echo:
    """The caller's identity."""
    from aide_core.identity import current_user

    return Echo(text=current_user("configured-user"))


@app.tool()
def fail(kind: str) -> Echo:
    """Fail in the way asked: 'input' or 'bug'."""
    if kind == "input":
        raise InvalidInput("kind 'input' is always refused.", hint="Pass another kind.")
    raise RuntimeError("secret internal detail")


@app.tool()
def outbox_size() -> Sent:
    """How many messages were sent."""
    return Sent(to="", count=len(app.state().sent))


@app.action(preview=lambda to, text: f"Send {text!r} to {to}", reaches={EMAIL: lambda to, text: [to]})
def send(to: str, text: str) -> Sent:
    """Send a message."""
    outbox = app.state()
    outbox.sent.append(f"{to}: {text}")
    return Sent(to=to, count=len(outbox.sent))


@app.action(preview=lambda number: f"Text {number}", reaches={PHONE: lambda number: [number]}, tier="extended")
def text(number: str) -> Sent:
    """Send an SMS."""
    outbox = app.state()
    outbox.sent.append(number)
    return Sent(to=number, count=len(outbox.sent))


def signed(request: Request, runtime: Runtime[Outbox]) -> Awaitable[bool | int]:
    """A webhook's own auth: an HMAC-SHA256 of the body with the configured secret, in `X-Signature`. No signature
    is a 401; a wrong one a 403 (the route's auth may choose its refusal)."""

    async def check() -> bool | int:
        assert isinstance(runtime.config, ExampleSettings)
        given = request.headers.get("x-signature")
        if given is None:
            return False
        expected = hmac.new(runtime.config.webhook_secret.encode(), await request.body(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given) or 403

    return check()


@app.route("/hooks/delivery", auth=signed)
async def delivery(request: Request, runtime: Runtime[Outbox]) -> Response:
    """An upstream tells the server a message was delivered: it lands in the outbox (a stand-in for a store)."""
    outbox = runtime.state()
    outbox.sent.append(f"delivered: {(await request.body()).decode()}")
    return JSONResponse({"count": len(outbox.sent)})


if __name__ == "__main__":
    from aide_core.launch import run_spec

    sys.exit(run_spec(app))
