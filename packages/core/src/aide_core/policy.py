"""Policies: checks a server declares on its `ServerSpec` and the guard runs on every plan before anything happens.

A policy is a callable given the server's settings and the `Plan` of one action; it raises `PolicyRefused` to stop
the action, or returns. The guard records a refusal in the audit log (without the plan's content) and the model
reads the refusal's message.

What a plan reaches is kept by kind in `Plan.reaches` (`EMAIL`: addresses, `PHONE`: numbers, or any kind a server
names, such as page ids): a policy reads the kinds it knows and ignores the rest. Core ships the two allowlists
more than one server needs, each as a settings mixin (the keys users write in the server's table) and a policy:

    class GmailSettings(ServerSettings, EmailAllowlist): ...

    spec = ServerSpec("gmail", settings_model=GmailSettings, policies=[email_allowlist])
"""

from __future__ import annotations

import logging
from email.utils import getaddresses
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from aide_core.errors import InvalidInput, PolicyRefused
from aide_core.phones import e164
from aide_core.plan import Plan

__all__ = ["EMAIL", "PHONE", "EmailAllowlist", "PhoneAllowlist", "Policy", "email_allowlist", "phone_allowlist"]

#: The kinds of reach core's policies read from `Plan.reaches`.
EMAIL = "email"
PHONE = "phone"

logger = logging.getLogger("aide.policy")

_ONLY_THE_USER = "Tell the user; only they can change the allowlist in aide's configuration."


class Policy(Protocol):
    """Given the server's settings and a plan: raise `PolicyRefused` to refuse it, return to let it through."""

    def __call__(self, settings: Any, plan: Plan[Any], /) -> None: ...


class EmailAllowlist(BaseModel):
    """Settings of a server that sends mail or invitations: when either list is set, only those are reached."""

    model_config = ConfigDict(extra="forbid")

    allow_recipients: list[str] = Field(default_factory=list, description="Only these e-mail addresses may be sent to.")
    allow_domains: list[str] = Field(
        default_factory=list, description="Only addresses in these domains may be sent to."
    )


class PhoneAllowlist(BaseModel):
    """Settings of a server that texts or calls: when set, only these numbers (compared in E.164 form) are reached.
    Numbers written without +<country code>, in the list or in a call, are read in `default_region`."""

    model_config = ConfigDict(extra="forbid")

    allow_phone_numbers: list[str] = Field(default_factory=list, description="Only these numbers may be texted.")
    default_region: str | None = Field(
        default=None, description="Region of numbers written without +<country code> ('US'; None: always ask for it)."
    )


def _settings_of(settings: Any, mixin: type[BaseModel], policy: str) -> Any:
    if not isinstance(settings, mixin):
        raise TypeError(f"the {policy} policy needs the server's settings model to include {mixin.__name__}")
    return settings


def email_allowlist(settings: Any, plan: Plan[Any], /) -> None:
    """Refuse a plan that reaches an address outside `allow_recipients` and `allow_domains` (when either is set)."""
    config: EmailAllowlist = _settings_of(settings, EmailAllowlist, "email_allowlist")
    if not (config.allow_recipients or config.allow_domains):
        return
    allowed = {address.lower() for address in config.allow_recipients}
    domains = {domain.lower().lstrip("@") for domain in config.allow_domains}
    for _, address in getaddresses(list(plan.reaches.get(EMAIL, ()))):
        address = address.lower()
        if address not in allowed and address.rpartition("@")[2] not in domains:
            raise PolicyRefused(f"Sending to {address} is not allowed by this server's allowlist.", hint=_ONLY_THE_USER)


def phone_allowlist(settings: Any, plan: Plan[Any], /) -> None:
    """Refuse a plan that reaches a number outside `allow_phone_numbers` (when it is set). Both sides are compared in
    E.164 form (`aide_core.phones`), so "(415) 555-0100" with the region "US" matches "+14155550100"; an entry of
    the list that is no phone number is left out, and logged, which refuses more, never less."""
    config: PhoneAllowlist = _settings_of(settings, PhoneAllowlist, "phone_allowlist")
    if not config.allow_phone_numbers:
        return
    region = config.default_region
    allowed: set[str] = set()
    for entry in config.allow_phone_numbers:
        try:
            allowed.add(e164(entry, region))
        except InvalidInput:
            logger.warning("allow_phone_numbers: %r is not a phone number; ignored", entry)
    for number in plan.reaches.get(PHONE, ()):
        if e164(number, region) not in allowed:
            raise PolicyRefused(f"Texting {number} is not allowed by this server's allowlist.", hint=_ONLY_THE_USER)
