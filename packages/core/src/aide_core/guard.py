"""The side-effect guard: nothing sends, deletes or invites without it.

A tool declared with `ServerSpec.action(...)` is wrapped here. Each call goes through, in order:

1. policy: allowlists of recipients, domains and phone numbers (refused with `PolicyRefused`);
2. idempotency: a key per call (the caller's `idempotency_key`, or a digest of the arguments valid for
   `idempotency_window_seconds`); a key that already acted replays its first result instead of acting twice;
3. dry-run: only the preview comes back;
4. confirmation, by the server's `confirm` setting: `elicit` asks the user through MCP elicitation when the client
   supports it and falls back to `token` when it does not; `token` returns a preview and a one-time token that a
   second call must carry (bound to the same arguments); `never` acts at once;
5. the action itself, with the key held as "pending" so a concurrent duplicate cannot act too, and the outcome
   written to the audit log (time, server, tool, digest of the arguments, outcome; never the arguments).

Elicitation rides the SDK's `Resolve`/`Elicit` mechanism, so it works on both protocol eras (a standalone
`elicitation/create` request before 2026-07-28, an `input_required` round after).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.resolve import AcceptedElicitation
from pydantic import BaseModel, Field

from aide_core.errors import (
    AideError,
    InvalidInput,
    PolicyRefused,
    UpstreamError,
    UpstreamUnreachable,
    to_tool_error,
)
from aide_core.guard_store import GuardStore

if TYPE_CHECKING:
    from aide_core.settings import ServerSettings

R = TypeVar("R")


class ActionOutcome(BaseModel, Generic[R]):
    """What a guarded tool returns: the action's result, or why it has not acted (yet)."""

    status: Literal["done", "replayed", "confirmation_required", "dry_run", "declined"]
    message: str = Field(description="What happened and what to do next.")
    result: R | None = None
    preview: str | None = Field(default=None, description="What the action will do, for the user to confirm.")
    confirmation_token: str | None = Field(default=None, description="Pass back with the same arguments to act.")


class Confirmation(BaseModel):
    """The form shown to the user when the client supports elicitation."""

    confirm: bool = Field(description="Go ahead?")


@dataclass(frozen=True)
class ActionSpec:
    """How a server declared one side-effect tool."""

    preview: Callable[..., str] | None = None
    recipients: Callable[..., Iterable[str]] | None = None
    phone_numbers: Callable[..., Iterable[str]] | None = None
    destructive: bool = True


@dataclass
class Guard:
    """One server's guard: its policy settings and the shared SQLite store."""

    server: str
    settings: ServerSettings
    store: GuardStore
    now: Callable[[], float] = field(default=time.time)

    # -- policy -------------------------------------------------------------------------------------------------

    def check_policy(self, spec: ActionSpec, arguments: Mapping[str, Any]) -> None:
        if spec.recipients is not None and (self.settings.allow_recipients or self.settings.allow_domains):
            allowed = {address.lower() for address in self.settings.allow_recipients}
            domains = {domain.lower().lstrip("@") for domain in self.settings.allow_domains}
            for _, address in getaddresses(list(spec.recipients(**arguments))):
                address = address.lower()
                if address not in allowed and address.rpartition("@")[2] not in domains:
                    raise PolicyRefused(
                        f"Sending to {address} is not allowed by this server's allowlist.",
                        hint="Tell the user; only they can change the allowlist in aide's configuration.",
                    )
        if spec.phone_numbers is not None and self.settings.allow_phone_numbers:
            allowed_numbers = {_e164(number) for number in self.settings.allow_phone_numbers}
            for number in spec.phone_numbers(**arguments):
                if _e164(number) not in allowed_numbers:
                    raise PolicyRefused(
                        f"Texting {number} is not allowed by this server's allowlist.",
                        hint="Tell the user; only they can change the allowlist in aide's configuration.",
                    )

    # -- keys ---------------------------------------------------------------------------------------------------

    def args_digest(self, tool: str, arguments: Mapping[str, Any]) -> str:
        canonical = json.dumps([self.server, tool, arguments], sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def idempotency(self, tool: str, arguments: Mapping[str, Any], explicit: str | None) -> tuple[str, float | None]:
        """The key for this call and when it expires (never, for an explicit key)."""
        if explicit:
            return hashlib.sha256(f"{self.server}\0{tool}\0{explicit}".encode()).hexdigest(), None
        return "derived:" + self.args_digest(tool, arguments), self.now() + self.settings.idempotency_window_seconds


def _e164(number: str) -> str:
    """Phone numbers compared in E.164 form, so "+1 (415) 555-0100" matches "+14155550100"."""
    import phonenumbers  # a large table: loaded only when a phone allowlist is in use

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"{number!r} is not a phone number in international form (+<country code>…).") from None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _default_preview(tool: str, arguments: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{name}={value!r}" for name, value in arguments.items() if value not in (None, [], ""))
    return f"{tool}({shown})"


_GUARD_PARAMS = ("confirmation_token", "idempotency_key")


@dataclass(frozen=True)
class _Decision:
    """What the resolver decided before the tool body runs."""

    kind: Literal["act", "replay", "dry_run", "need_token"]
    replay: Any = None


def guarded(
    fn: Callable[..., Any],
    *,
    tool: str,
    spec: ActionSpec,
    guard: Callable[[], Guard],
    bind_runtime: Callable[[], Any],
) -> Callable[..., Any]:
    """Wrap `fn` (a tool body) in the guard. The wrapper's signature is `fn`'s plus `confirmation_token` and
    `idempotency_key` (visible to the model), a `Context` and a hidden resolved confirmation parameter; its return
    type is `ActionOutcome[<fn's return type>]`.

    `guard` and `bind_runtime` are called per call: the first gives the server's guard, the second makes the
    server's runtime current for the body (see `ServerSpec`).
    """
    signature = inspect.signature(fn, eval_str=True)
    body_params = [p for p in signature.parameters.values() if not _is_context(p.annotation)]
    body_context = next((p.name for p in signature.parameters.values() if _is_context(p.annotation)), None)
    names = [p.name for p in body_params]
    for reserved in (*_GUARD_PARAMS, "ctx", "confirmation"):
        if reserved in names:
            raise TypeError(f"{tool}: parameter name {reserved!r} is reserved by the side-effect guard")
    result_type = signature.return_annotation
    outcome_type = ActionOutcome[result_type]  # type: ignore[valid-type]

    def arguments_of(values: Mapping[str, Any]) -> dict[str, Any]:
        return {name: values[name] for name in names}

    async def decide(ctx: Context, **values: Any) -> Any:
        """Runs before the body (and again on each elicitation round: it must not write)."""
        bind_runtime()  # previews and allowlist extractors may read the server's state
        the_guard = guard()
        arguments = arguments_of(values)
        try:
            the_guard.check_policy(spec, arguments)
        except AideError as exc:
            the_guard.store.audit(
                the_guard.server, tool, the_guard.args_digest(tool, arguments), "refused", exc.message
            )
            raise to_tool_error(exc, tool=tool) from None
        key, _ = the_guard.idempotency(tool, arguments, values.get("idempotency_key"))
        found = the_guard.store.lookup(key)
        if found.state == "done":
            return _Decision("replay", found.result)
        if the_guard.settings.dry_run:
            return _Decision("dry_run")
        mode = the_guard.settings.confirm
        if mode == "never" or values.get("confirmation_token"):
            return _Decision("act")
        if mode == "elicit" and _supports_elicitation(ctx):
            preview = spec.preview(**arguments) if spec.preview else _default_preview(tool, arguments)
            return Elicit(f"{preview}\n\nGo ahead?", Confirmation)
        return _Decision("need_token")

    decide_params = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in body_params],
        inspect.Parameter("confirmation_token", inspect.Parameter.KEYWORD_ONLY, annotation=str | None),
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, annotation=str | None),
    ]
    decide.__signature__ = inspect.Signature(decide_params)  # type: ignore[attr-defined]
    decide.__annotations__ = {p.name: p.annotation for p in decide_params}
    decide.__qualname__ = f"confirm_{tool}"

    async def wrapper(**values: Any) -> Any:
        ctx: Context = values.pop("ctx")
        outcome: ElicitationResult[Any] = values.pop("confirmation")
        token: str | None = values.pop("confirmation_token", None)
        explicit_key: str | None = values.pop("idempotency_key", None)
        bind_runtime()
        the_guard = guard()
        arguments = arguments_of(values)
        digest = the_guard.args_digest(tool, arguments)
        preview = spec.preview(**arguments) if spec.preview else _default_preview(tool, arguments)
        store = the_guard.store
        server = the_guard.server

        if isinstance(outcome, AcceptedElicitation) and isinstance(outcome.data, _Decision):
            decision: _Decision = outcome.data
        elif (
            isinstance(outcome, AcceptedElicitation) and isinstance(outcome.data, Confirmation) and outcome.data.confirm
        ):
            decision = _Decision("act")
        else:
            store.audit(server, tool, digest, "declined")
            return outcome_type(status="declined", message="The user declined; nothing was done. Do not retry.")

        if decision.kind == "replay":
            store.audit(server, tool, digest, "replayed")
            return outcome_type(
                status="replayed",
                result=decision.replay,
                message="This exact call already ran; this is its first result and nothing was done again. "
                "To do it once more on purpose, call again with a new idempotency_key.",
            )
        if decision.kind == "dry_run":
            store.audit(server, tool, digest, "dry_run")
            return outcome_type(
                status="dry_run", preview=preview, message="Dry-run mode: nothing was done. This is the preview."
            )
        if decision.kind == "need_token":
            new_token = secrets.token_urlsafe(12)
            store.issue_token(
                new_token,
                server,
                tool,
                digest,
                expires_at=the_guard.now() + the_guard.settings.confirmation_ttl_seconds,
            )
            store.audit(server, tool, digest, "preview")
            return outcome_type(
                status="confirmation_required",
                preview=preview,
                confirmation_token=new_token,
                message="Nothing was done yet. Show the preview to the user; only if they agree, call this tool "
                "again with the same arguments and this confirmation_token.",
            )

        if token is not None and the_guard.settings.confirm != "never":
            problem = store.redeem_token(token, server, tool, digest)
            if problem is not None:
                raise to_tool_error(
                    InvalidInput(
                        f"Cannot confirm: {problem}.",
                        hint="Call again without confirmation_token to get a "
                        "new preview and token, and confirm that with the user.",
                    ),
                    tool=tool,
                )

        key, expires_at = the_guard.idempotency(tool, arguments, explicit_key)
        claim = store.claim(key, server, tool, expires_at=expires_at)
        if claim.state == "done":
            store.audit(server, tool, digest, "replayed")
            return outcome_type(status="replayed", result=claim.result, message="This exact call already ran.")
        if claim.state == "pending":
            raise to_tool_error(
                InvalidInput(
                    "An identical call is running or was interrupted, so its outcome is unknown; nothing was done now.",
                    hint="Check whether it took effect before trying again with a new idempotency_key.",
                ),
                tool=tool,
            )
        try:
            bind_runtime()
            call_values = dict(values)
            if body_context is not None:
                call_values[body_context] = ctx
            if inspect.iscoroutinefunction(fn):
                result = await fn(**call_values)
            else:
                result = await anyio.to_thread.run_sync(lambda: _call_bound(bind_runtime, fn, call_values))
        except Exception as exc:
            if _did_not_act(exc):
                store.release(key)  # upstream refused the request outright: a retry may act
                store.audit(server, tool, digest, "failed", type(exc).__name__)
            else:
                # Nothing says whether upstream acted (a timeout after the request left, a 5xx, a bug after the
                # call): the key stays pending, so a blind retry with it cannot act a second time.
                store.audit(server, tool, digest, "failed", f"{type(exc).__name__}; outcome unknown")
            raise to_tool_error(exc, tool=tool) from None
        except BaseException:
            store.audit(server, tool, digest, "failed", "cancelled; outcome unknown")
            raise
        dumped = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        store.complete(key, dumped)
        store.audit(server, tool, digest, "done")
        return outcome_type(status="done", result=result, message="Done.")

    confirmation_annotation = Annotated[ElicitationResult[Confirmation], Resolve(decide)]
    wrapper_params = [
        *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in body_params],
        inspect.Parameter(
            "confirmation_token",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, Field(description="Token from a confirmation_required answer, after the user agreed.")
            ],
        ),
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Field(description="Same key = same action: a retry never acts twice.")],
        ),
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        inspect.Parameter("confirmation", inspect.Parameter.KEYWORD_ONLY, annotation=confirmation_annotation),
    ]
    wrapper.__signature__ = inspect.Signature(wrapper_params, return_annotation=outcome_type)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in wrapper_params} | {"return": outcome_type}
    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    wrapper.__module__ = fn.__module__
    return wrapper


def _did_not_act(exc: Exception) -> bool:
    """True when the error proves the action did not happen: upstream answered with a refusal (a 4xx, mapped to an
    `AideError`) or our own validation stopped it. Connection failures, timeouts, 5xx and bugs prove nothing."""
    if isinstance(exc, UpstreamUnreachable):
        return False
    if isinstance(exc, UpstreamError):
        return exc.status is not None and exc.status < 500
    return isinstance(exc, AideError)


def _call_bound(bind_runtime: Callable[[], Any], fn: Callable[..., Any], values: dict[str, Any]) -> Any:
    bind_runtime()  # the worker thread runs in a copy of the caller's context; bind again to be sure
    return fn(**values)


def _is_context(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Context)


def _supports_elicitation(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)
