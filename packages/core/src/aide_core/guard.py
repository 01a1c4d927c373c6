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
from aide_core.guard_store import Claim, GuardStore

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

    def preview_of(the_guard: Guard, arguments: Mapping[str, Any]) -> str:
        text = spec.preview(**arguments) if spec.preview else _default_preview(tool, arguments)
        budget = min(2000, the_guard.settings.max_output_chars)
        return text if len(text) <= budget else text[: budget - 1] + "…"

    def decide_now(supports_elicitation: bool, values: Mapping[str, Any]) -> Any:
        """The decision before the body runs, in a worker thread (it reads SQLite and may call a preview that
        reads the server's store). Runs again on each elicitation round: it writes nothing but a refusal."""
        the_guard = guard()
        arguments = arguments_of(values)
        digest = the_guard.args_digest(tool, arguments)
        try:
            the_guard.check_policy(spec, arguments)
        except PolicyRefused as exc:
            # The refusal is recorded without the address: the audit log keeps digests, never arguments.
            the_guard.store.audit(the_guard.server, tool, digest, "refused", "not in the allowlist")
            raise to_tool_error(exc, tool=tool) from None
        key, _ = the_guard.idempotency(tool, arguments, values.get("idempotency_key"))
        found = the_guard.store.lookup(key, digest)
        _raise_for_claim(found, tool)
        if found.state == "done":
            return _Decision("replay", found.result)
        if the_guard.settings.dry_run:
            return _Decision("dry_run")
        mode = the_guard.settings.confirm
        if mode == "never" or values.get("confirmation_token"):
            return _Decision("act")
        if mode == "elicit" and supports_elicitation:
            return Elicit(f"{preview_of(the_guard, arguments)}\n\nGo ahead?", Confirmation)
        return _Decision("need_token")

    async def decide(ctx: Context, **values: Any) -> Any:
        supports = _supports_elicitation(ctx)
        try:
            return await anyio.to_thread.run_sync(lambda: _call_bound(bind_runtime, decide_now, (supports, values)))
        except Exception as exc:
            # A resolver's own exception reaches the model as the SDK's bare "Error executing tool X": an address or
            # number that the allowlist check cannot parse is the model's to fix, so it is said like any other.
            raise to_tool_error(exc, tool=tool) from None

    decide_params = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in body_params],
        inspect.Parameter("confirmation_token", inspect.Parameter.KEYWORD_ONLY, annotation=str | None),
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, annotation=str | None),
    ]
    decide.__signature__ = inspect.Signature(decide_params)  # type: ignore[attr-defined]
    decide.__annotations__ = {p.name: p.annotation for p in decide_params}
    decide.__qualname__ = f"confirm_{tool}"

    def before_acting(
        outcome: ElicitationResult[Any], token: str | None, explicit_key: str | None, arguments: dict[str, Any]
    ) -> Any:
        """Everything up to the action, in a worker thread: an `ActionOutcome` when we stop here, else the
        idempotency key we now hold."""
        the_guard = guard()
        store, server = the_guard.store, the_guard.server
        digest = the_guard.args_digest(tool, arguments)
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
            return outcome_type(status="replayed", result=decision.replay, message=_REPLAYED)
        if decision.kind == "dry_run":
            store.audit(server, tool, digest, "dry_run")
            return outcome_type(
                status="dry_run",
                preview=preview_of(the_guard, arguments),
                message="Dry-run mode: nothing was done. This is the preview.",
            )
        if decision.kind == "need_token":
            new_token = secrets.token_urlsafe(12)
            expires_at = the_guard.now() + the_guard.settings.confirmation_ttl_seconds
            store.issue_token(new_token, server, tool, digest, expires_at=expires_at)
            store.audit(server, tool, digest, "preview")
            return outcome_type(
                status="confirmation_required",
                preview=preview_of(the_guard, arguments),
                confirmation_token=new_token,
                message="Nothing was done yet. Show the preview to the user; only if they agree, call this tool "
                "again with the same arguments and this confirmation_token.",
            )

        if token is not None and the_guard.settings.confirm != "never":
            problem = store.redeem_token(token, server, tool, digest)
            if problem is not None:
                raise InvalidInput(
                    f"Cannot confirm: {problem}.",
                    hint="Call again without confirmation_token to get a new preview and token, and confirm that "
                    "with the user.",
                )
        key, expires_at = the_guard.idempotency(tool, arguments, explicit_key)
        claim = store.claim(key, server, tool, digest, expires_at=expires_at)
        _raise_for_claim(claim, tool)
        if claim.state == "done":
            store.audit(server, tool, digest, "replayed")
            return outcome_type(status="replayed", result=claim.result, message=_REPLAYED)
        return key

    def after_acting(key: str, arguments: dict[str, Any], result: Any, error: BaseException | None) -> None:
        the_guard = guard()
        store, server = the_guard.store, the_guard.server
        digest = the_guard.args_digest(tool, arguments)
        if error is None:
            dumped = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            store.complete(key, dumped, server, tool, digest)
        elif isinstance(error, Exception) and _did_not_act(error):
            store.release(key)  # upstream refused the request outright: a retry may act
            store.audit(server, tool, digest, "failed", type(error).__name__)
        else:
            # Nothing says whether upstream acted (a timeout after the request left, a 5xx, a bug after the call,
            # a cancellation): the key stays pending, so a blind retry with it cannot act a second time.
            store.audit(server, tool, digest, "failed", f"{type(error).__name__}; outcome unknown")

    async def wrapper(**values: Any) -> Any:
        ctx: Context = values.pop("ctx")
        outcome: ElicitationResult[Any] = values.pop("confirmation")
        token: str | None = values.pop("confirmation_token", None)
        explicit_key: str | None = values.pop("idempotency_key", None)
        arguments = arguments_of(values)
        try:
            prepared = await anyio.to_thread.run_sync(
                lambda: _call_bound(bind_runtime, before_acting, (outcome, token, explicit_key, arguments))
            )
        except Exception as exc:
            raise to_tool_error(exc, tool=tool) from None
        if not isinstance(prepared, str):
            return prepared
        call_values = dict(values)
        if body_context is not None:
            call_values[body_context] = ctx
        result: Any = None
        error: BaseException | None = None
        try:
            bind_runtime()
            if inspect.iscoroutinefunction(fn):
                result = await fn(**call_values)
            else:
                result = await anyio.to_thread.run_sync(lambda: _call_bound(bind_runtime, fn, (), call_values))
        except BaseException as exc:
            error = exc
        with anyio.CancelScope(shield=True):  # the record of what happened is written even when cancelled
            try:
                await anyio.to_thread.run_sync(lambda: after_acting(prepared, arguments, result, error))
            except Exception as exc:
                raise to_tool_error(exc, tool=tool) from None
        if error is not None:
            if isinstance(error, Exception):
                raise to_tool_error(error, tool=tool) from None
            raise error
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


def _call_bound(
    bind_runtime: Callable[[], Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] = {}
) -> Any:
    bind_runtime()  # the worker thread runs in a copy of the caller's context; bind again to be sure
    return fn(*args, **kwargs)


_REPLAYED = (
    "This exact call already ran; this is its first result and nothing was done again. To do it once more on "
    "purpose, call again with a new idempotency_key."
)


def _raise_for_claim(claim: Claim, tool: str) -> None:
    if claim.state == "conflict":
        raise to_tool_error(
            InvalidInput(
                "This idempotency_key was already used for a call with other arguments; nothing was done.",
                hint="Use a new key for a new action.",
            ),
            tool=tool,
        )
    if claim.state == "pending":
        raise to_tool_error(
            InvalidInput(
                "An identical call is running or was interrupted, so its outcome is unknown; nothing was done now.",
                hint="Check whether it took effect before trying again with a new idempotency_key.",
            ),
            tool=tool,
        )


def _is_context(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Context)


def _supports_elicitation(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)
