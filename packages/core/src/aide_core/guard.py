"""The side-effect guard: nothing sends, deletes or invites without it.

A tool declared with `ServerSpec.action(...)` is wrapped here. Each call goes through, in order:

1. idempotency: a key per call (the caller's `idempotency_key`, or a digest of the arguments valid for
   `idempotency_window_seconds`); a key that already acted replays its first result instead of acting twice;
2. the plan (`aide_core.plan`): what the call will do, resolved once from its arguments and anything they refer to;
3. policy: the policies the server declared (`aide_core.policy`, such as the allowlists of whom a plan reaches)
   run on the plan; any may refuse it with `PolicyRefused`;
4. dry-run: only the plan's preview comes back;
5. confirmation, by the server's `confirm` setting: `elicit` asks the user through MCP elicitation when the client
   supports it and falls back to `token` when it does not; `token` returns the preview and a one-time token that a
   second call must carry; `never` acts at once. Either way the confirmation covers the plan's digest: if what the
   call refers to changed since the preview (a draft edited in between), the confirmation does not apply;
6. the action itself, handed that same plan, with the key held as "pending" so a concurrent duplicate cannot act
   too, and the outcome written to the audit log (time, subject, server, tool, digest of the arguments, outcome;
   never the arguments).

Everything the guard keeps belongs to the call's subject, the person it acts for (`aide_core.identity`): the same
call by two users acts twice, a confirmation token is redeemable only by the user it was issued to, and each user's
audit log is their own.

Elicitation rides the SDK's `Resolve`/`Elicit` mechanism, so it works on both protocol eras (a standalone
`elicitation/create` request before 2026-07-28, an `input_required` round after). The plan is a resolver of its own
that the confirmation resolver depends on and the tool receives, so within one round they share one plan; across
rounds the question carries the plan's digest, and the SDK re-asks a question whose wording changed.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import inspect
import json
import secrets
import time
import types
import typing
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.resolve import AcceptedElicitation
from pydantic import BaseModel, Field

from aide_core.errors import (
    AideError,
    InvalidInput,
    PolicyRefused,
    RequestNotSent,
    UpstreamError,
    UpstreamUnreachable,
    to_tool_error,
)
from aide_core.fencing import defang
from aide_core.guard_store import Claim, GuardRecords
from aide_core.identity import current_user
from aide_core.plan import Plan

if TYPE_CHECKING:
    from aide_core.policy import Policy
    from aide_core.settings import ServerSettings

R = TypeVar("R")

#: The longest preview a `done` outcome carries: only its head (who was reached, what was done), which is what a
#: record of the action needs; the rest (a body the model wrote) it already knows, and every result costs tokens.
MAX_DONE_PREVIEW_CHARS = 500


class ActionOutcome(BaseModel, Generic[R]):
    """What a guarded tool returns: the action's result, or why it has not acted (yet)."""

    status: Literal["done", "replayed", "confirmation_required", "dry_run", "declined"]
    message: str = Field(description="What happened and what to do next.")
    result: R | None = None
    preview: str | None = Field(
        default=None, description="What the action will do, for the user to confirm; once done, what it did."
    )
    confirmation_token: str | None = Field(default=None, description="Pass back with the same arguments to act.")


class Confirmation(BaseModel):
    """The form shown to the user when the client supports elicitation."""

    confirm: bool = Field(description="Go ahead?")


@dataclass(frozen=True)
class ActionSpec:
    """How a server declared one side-effect tool: either `plan(**arguments)` building the whole `Plan`, or the
    simple form (a `preview` line and what it `reaches`, by kind: `{"email": lambda to, **_: [to]}`) from which the
    guard builds one whose content is the arguments themselves."""

    plan: Callable[..., Plan[Any]] | None = None
    preview: Callable[..., str] | None = None
    reaches: Mapping[str, Callable[..., Iterable[str]]] = field(default_factory=dict[str, Callable[..., Iterable[str]]])
    destructive: bool = True

    def make_plan(self, tool: str, arguments: Mapping[str, Any]) -> Plan[Any]:
        if self.plan is not None:
            return self.plan(**arguments)
        return Plan(
            preview=self.preview(**arguments) if self.preview else _default_preview(tool, arguments),
            payload=None,
            content=json.loads(json.dumps(dict(arguments), sort_keys=True, default=str)),
            reaches={kind: tuple(reached(**arguments)) for kind, reached in self.reaches.items()},
        )


@dataclass
class Guard:
    """One server's guard: its settings, the policies it declared (run on every plan), and the shared SQLite
    store."""

    server: str
    settings: ServerSettings
    store: GuardRecords
    now: Callable[[], float] = field(default=time.time)
    policies: Sequence[Policy] = ()

    # -- keys ---------------------------------------------------------------------------------------------------

    @staticmethod
    def subject() -> str:
        """Whom this call acts for: its access token's subject over HTTP, `DEFAULT_IDENTITY` over stdio (and for the
        main HTTP token), so one user's records are the same over both transports."""
        return current_user()

    def args_digest(self, tool: str, arguments: Mapping[str, Any]) -> str:
        canonical = json.dumps([self.server, tool, arguments], sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def idempotency(self, tool: str, arguments: Mapping[str, Any], explicit: str | None) -> tuple[str, float | None]:
        """The key for this call and when it expires (never, for an explicit key)."""
        if explicit:
            return hashlib.sha256(f"{self.server}\0{tool}\0{explicit}".encode()).hexdigest(), None
        return "derived:" + self.args_digest(tool, arguments), self.now() + self.settings.idempotency_window_seconds


def _default_preview(tool: str, arguments: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{name}={value!r}" for name, value in arguments.items() if value not in (None, [], ""))
    return f"{tool}({shown})"


_GUARD_PARAMS = ("confirmation_token", "idempotency_key")


@dataclass
class Asking:
    """How one guarded call is being confirmed (see `confirming`)."""

    by_token: bool = False  # answer with the preview and a token even where the host could be asked
    asked: bool = False  # the host was asked (an elicitation went out)
    answered: bool = False  # its answer came back: from here on the call may act


_ASKING: contextvars.ContextVar[Asking | None] = contextvars.ContextVar("aide_guard_asking", default=None)


@contextlib.contextmanager
def confirming(*, by_token: bool = False) -> Generator[Asking]:
    """Track the confirmation of the guarded call made in this block. When the call fails with the host's own
    error, `asked and not answered` proves the failure was the host's confirmation dialog, before anything was
    done; the same call may then be answered again `by_token` (the preview and a token, which every host can show:
    `AideServer.call_tool`). An error after the answer is never retried."""
    asking = Asking(by_token=by_token)
    reset = _ASKING.set(asking)
    try:
        yield asking
    finally:
        _ASKING.reset(reset)


@dataclass(frozen=True)
class _Prepared:
    """What the plan resolver found: the first result of this exact call (a replay), or the plan to act on."""

    plan: Plan[Any] | None = None
    replay: Any = None
    arguments: Mapping[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True)
class _Decision:
    """What the confirmation resolver decided before the tool body runs."""

    kind: Literal["act", "replay", "dry_run", "need_token"]


def guarded(
    fn: Callable[..., Any],
    *,
    tool: str,
    spec: ActionSpec,
    guard: Callable[[], Guard],
    bind_runtime: Callable[[], Any],
    upstream: Callable[[BaseException], AideError | None] | None = None,
) -> Callable[..., Any]:
    """Wrap `fn` (a tool body) in the guard. The wrapper's signature is `fn`'s plus `confirmation_token` and
    `idempotency_key` (visible to the model), a `Context` and hidden resolved parameters (the plan, the
    confirmation); its return type is `ActionOutcome[<fn's return type>]`. A parameter of `fn` annotated `Plan`
    receives the plan the user confirmed; it is not part of the tool's input.

    `guard` and `bind_runtime` are called per call: the first gives the server's guard, the second makes the
    server's runtime current for the body (see `ServerSpec`).
    """
    signature = inspect.signature(fn, eval_str=True)
    body_context = next((p.name for p in signature.parameters.values() if _is_context(p.annotation)), None)
    body_plan = next((p.name for p in signature.parameters.values() if _is_plan(p.annotation)), None)
    body_params = [
        p for p in signature.parameters.values() if not _is_context(p.annotation) and not _is_plan(p.annotation)
    ]
    names = [p.name for p in body_params]
    for reserved in (*_GUARD_PARAMS, "ctx", "confirmation", "prepared"):
        if reserved in names:
            raise TypeError(f"{tool}: parameter name {reserved!r} is reserved by the side-effect guard")
    result_type = signature.return_annotation
    outcome_type = ActionOutcome[result_type]  # type: ignore[valid-type]

    def arguments_of(values: Mapping[str, Any]) -> dict[str, Any]:
        return {name: values[name] for name in names}

    def preview_of(the_guard: Guard, plan: Plan[Any]) -> str:
        """The preview as the user and the model read it: defanged, since a preview quotes outside text (the
        subject of a mail being answered, the body of a draft), and cut to its budget. Only what follows the first
        blank line is ever cut: the head says who is reached and what is done, and a confirmation must show all of
        it, however many recipients it lists."""
        budget = min(2000, the_guard.settings.max_output_chars)
        head, gap, rest = defang(plan.preview).partition("\n\n")
        room = budget - len(head) - len(gap)
        if len(rest) <= room:
            return head + gap + rest
        return head + gap + rest[: room - 1] + "…" if room > 1 else head + "\n\n…"

    def done_preview(the_guard: Guard, plan: Plan[Any]) -> str:
        """What a `done` outcome says was done: the confirmed preview's head (defanged like every preview), cut to
        `MAX_DONE_PREVIEW_CHARS`, so a caller (the agent's memory of actions) never parses a confirmation prompt."""
        head = preview_of(the_guard, plan).partition("\n\n")[0]
        return head if len(head) <= MAX_DONE_PREVIEW_CHARS else head[: MAX_DONE_PREVIEW_CHARS - 1] + "…"

    def confirmed_digest(the_guard: Guard, plan: Plan[Any], arguments: Mapping[str, Any]) -> str:
        """What a confirmation covers: the plan (what will happen) and the call's arguments (which include the
        account it acts as, and anything else the plan's content might not say)."""
        both = f"{plan.digest(the_guard.server, tool)}:{the_guard.args_digest(tool, arguments)}"
        return hashlib.sha256(both.encode()).hexdigest()

    def prepare_now(values: Mapping[str, Any]) -> _Prepared:
        """The plan, in a worker thread (it reads SQLite and may read upstream). Runs again on each elicitation
        round: it writes nothing but a refusal."""
        the_guard = guard()
        subject = the_guard.subject()
        arguments = arguments_of(values)
        key, _ = the_guard.idempotency(tool, arguments, values.get("idempotency_key"))
        found = the_guard.store.lookup(key, the_guard.args_digest(tool, arguments), subject=subject)
        _raise_for_claim(found, tool)
        if found.state == "done":
            return _Prepared(replay=found.result)
        plan = spec.make_plan(tool, arguments)
        for policy in the_guard.policies:
            try:
                policy(the_guard.settings, plan)
            except PolicyRefused:
                # The refusal is recorded without whom it would reach: the audit log keeps digests, never arguments.
                the_guard.store.audit(
                    the_guard.server,
                    tool,
                    the_guard.args_digest(tool, arguments),
                    "refused",
                    f"policy {getattr(policy, '__name__', type(policy).__name__)}",
                    subject=subject,
                )
                raise
        return _Prepared(plan=plan, arguments=arguments)

    async def prepare(**values: Any) -> _Prepared:
        try:
            return await anyio.to_thread.run_sync(lambda: _call_bound(bind_runtime, prepare_now, (values,)))
        except Exception as exc:
            raise to_tool_error(exc, tool=tool, upstream=upstream) from None

    prepare_params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in body_params] + [
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, annotation=str | None),
    ]
    prepare.__signature__ = inspect.Signature(prepare_params)  # type: ignore[attr-defined]
    prepare.__annotations__ = {p.name: p.annotation for p in prepare_params}
    prepare.__qualname__ = f"plan_{tool}"
    prepared_annotation = Annotated[_Prepared, Resolve(prepare)]

    async def decide(ctx: Context, prepared: Any, confirmation_token: str | None) -> Any:
        """Whether to act, ask (elicitation) or answer with a preview and token (reads settings only)."""
        bind_runtime()
        if prepared.plan is None:
            return _Decision("replay")
        the_guard = guard()
        if the_guard.settings.dry_run:
            return _Decision("dry_run")
        mode = the_guard.settings.confirm
        if mode == "never" or confirmation_token or not prepared.plan.confirm:
            return _Decision("act")
        asking = _ASKING.get()
        if mode == "elicit" and _supports_elicitation(ctx) and not (asking and asking.by_token):
            plan: Plan[Any] = prepared.plan
            reference = confirmed_digest(the_guard, plan, prepared.arguments)[:12]
            if asking is not None:
                asking.asked = True
            return Elicit(f"{preview_of(the_guard, plan)}\n\nGo ahead? (ref {reference})", Confirmation)
        return _Decision("need_token")

    decide.__annotations__ = {"ctx": Context, "prepared": prepared_annotation, "confirmation_token": str | None}
    decide.__qualname__ = f"confirm_{tool}"

    def before_acting(
        outcome: ElicitationResult[Any],
        prepared: _Prepared,
        token: str | None,
        explicit_key: str | None,
        arguments: dict[str, Any],
        subject: str,
    ) -> Any:
        """Everything up to the action, in a worker thread: an `ActionOutcome` when we stop here, else the
        idempotency key we now hold."""
        if (asking := _ASKING.get()) is not None:
            asking.answered = True
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
            store.audit(server, tool, digest, "declined", subject=subject)
            return outcome_type(status="declined", message="The user declined; nothing was done. Do not retry.")

        if decision.kind == "replay" or prepared.plan is None:
            store.audit(server, tool, digest, "replayed", subject=subject)
            return outcome_type(status="replayed", result=prepared.replay, message=_REPLAYED)
        plan = prepared.plan
        plan_digest = confirmed_digest(the_guard, plan, arguments)
        if decision.kind == "dry_run":
            store.audit(server, tool, digest, "dry_run", subject=subject)
            return outcome_type(
                status="dry_run",
                preview=preview_of(the_guard, plan),
                message="Dry-run mode: nothing was done. This is the preview.",
            )
        if decision.kind == "need_token":
            new_token = secrets.token_urlsafe(12)
            expires_at = the_guard.now() + the_guard.settings.confirmation_ttl_seconds
            store.issue_token(new_token, server, tool, plan_digest, subject=subject, expires_at=expires_at)
            store.audit(server, tool, digest, "preview", subject=subject)
            return outcome_type(
                status="confirmation_required",
                preview=preview_of(the_guard, plan),
                confirmation_token=new_token,
                message="Nothing was done yet. Show the preview to the user; only if they agree, call this tool "
                "again with the same arguments and this confirmation_token.",
            )

        if token is not None and the_guard.settings.confirm != "never":
            problem = store.redeem_token(token, server, tool, plan_digest, subject=subject)
            if problem is not None:
                raise InvalidInput(
                    f"Cannot confirm: {problem}.",
                    hint="Call again without confirmation_token to get a new preview and token, and confirm that "
                    "with the user.",
                )
        key, expires_at = the_guard.idempotency(tool, arguments, explicit_key)
        claim = store.claim(key, server, tool, digest, subject=subject, expires_at=expires_at)
        _raise_for_claim(claim, tool)
        if claim.state == "done":
            store.audit(server, tool, digest, "replayed", subject=subject)
            return outcome_type(status="replayed", result=claim.result, message=_REPLAYED)
        return key

    def after_acting(
        key: str, arguments: dict[str, Any], result: Any, error: BaseException | None, subject: str
    ) -> None:
        the_guard = guard()
        store, server = the_guard.store, the_guard.server
        digest = the_guard.args_digest(tool, arguments)
        if error is None:
            dumped = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            store.complete(key, dumped, server, tool, digest, subject=subject)
        elif isinstance(error, Exception) and _did_not_act((upstream and upstream(error)) or error):
            store.release(key, subject=subject)  # upstream refused the request outright: a retry may act
            store.audit(server, tool, digest, "failed", type(error).__name__, subject=subject)
        else:
            # Nothing says whether upstream acted (a timeout after the request left, a 5xx, a bug after the call,
            # a cancellation): the key stays pending, so a blind retry with it cannot act a second time.
            store.audit(server, tool, digest, "failed", f"{type(error).__name__}; outcome unknown", subject=subject)

    async def wrapper(**values: Any) -> Any:
        ctx: Context = values.pop("ctx")
        outcome: ElicitationResult[Any] = values.pop("confirmation")
        prepared: _Prepared = values.pop("prepared")
        token: str | None = values.pop("confirmation_token", None)
        explicit_key: str | None = values.pop("idempotency_key", None)
        arguments = arguments_of(values)
        try:
            the_guard = guard()
            subject = the_guard.subject()  # here, in the request's context, once for the whole call
            ready = await anyio.to_thread.run_sync(
                lambda: _call_bound(
                    bind_runtime, before_acting, (outcome, prepared, token, explicit_key, arguments, subject)
                )
            )
        except Exception as exc:
            raise to_tool_error(exc, tool=tool, upstream=upstream) from None
        if not isinstance(ready, str):
            return ready
        assert prepared.plan is not None  # a key to act with is only held for a plan
        did = done_preview(the_guard, prepared.plan)
        call_values = dict(values)
        if body_context is not None:
            call_values[body_context] = ctx
        if body_plan is not None:
            call_values[body_plan] = prepared.plan
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
                await anyio.to_thread.run_sync(lambda: after_acting(ready, arguments, result, error, subject))
            except Exception as exc:
                raise to_tool_error(exc, tool=tool, upstream=upstream) from None
        if error is not None:
            if isinstance(error, Exception):
                raise to_tool_error(error, tool=tool, upstream=upstream) from None
            raise error
        return outcome_type(status="done", result=result, message="Done.", preview=did)

    confirmation_annotation = Annotated[ElicitationResult[Confirmation], Resolve(decide)]
    wrapper_params = [
        *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in body_params],
        inspect.Parameter(
            "confirmation_token",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=str | None,  # what to pass is in the confirmation_required result itself
        ),
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=str | None,  # the name says it; a model reads every byte of a schema on every turn
        ),
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context),
        inspect.Parameter("prepared", inspect.Parameter.KEYWORD_ONLY, annotation=prepared_annotation),
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
    `AideError`), no connection could be made (`RequestNotSent`), or our own validation stopped it. Other
    connection failures, timeouts, 5xx and bugs prove nothing."""
    if isinstance(exc, UpstreamUnreachable):
        return isinstance(exc, RequestNotSent)
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


def _is_plan(annotation: Any) -> bool:
    """`Plan`, `Plan[X]` or `Plan[X] | None`: the parameter through which a tool body receives its plan."""
    candidates = [annotation, *typing.get_args(annotation)] if _is_union(annotation) else [annotation]
    return any(c is Plan or typing.get_origin(c) is Plan for c in candidates)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _supports_elicitation(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)
