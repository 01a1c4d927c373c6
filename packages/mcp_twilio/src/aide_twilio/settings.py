"""The `[twilio]` table: which account and numbers, prices for the preview, quiet hours, where the deployment is
reached (for webhook signatures), who each inbound text is for, and the optional inbound handler.

No secret goes here: the Account SID with its auth token or API key and secret live in the credential store
(`aide auth twilio`). The sandbox fills `base_url`, `account_sid`, `from_number`, `numbers` and
`messaging_service_sid` (`aide serve --sandbox`).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aide_core.policy import PhoneAllowlist
from aide_core.settings import ServerSettings
from aide_twilio.quiet import QuietHours

#: The actions `inbound_actions` may name: those whose effect stays with the person who texted, with the condition
#: the agent checks on each call. The same names as the schedule's unattended runs (a server may not import another,
#: so the list is written here too, and a test holds the copies together).
INBOUND_ACTIONS = {
    "memory.remember": "",
    "memory.update_memory": "",
    "calendar.add_task": "",
    "calendar.update_task": "",
    "calendar.complete_task": "",
    "twilio.mark_read": "",
    "calendar.create_event": "without attendees, in their primary calendar",
    "gmail.draft_email": "",
    "gmail.send_email": "to their own address",
    "twilio.send_sms": "to the phone that texted",
}

__all__ = ["TwilioSettings", "UserRoute"]


class UserRoute(BaseModel):
    """One person of a shared deployment: texts from their `senders` (to one of `numbers`, or to any number of the
    account when empty) are theirs."""

    model_config = ConfigDict(extra="forbid")

    senders: list[str] = Field(default_factory=list, description="The person's own phone numbers (E.164).")
    numbers: list[str] = Field(default_factory=list, description="The aide numbers they text (empty: any).")


class TwilioSettings(ServerSettings, PhoneAllowlist):
    account: str = Field(default="default", description="The stored account (`aide auth twilio --name`).")
    account_sid: str | None = Field(default=None, description="The Account SID (not secret; the sandbox sets it).")
    from_number: str | None = Field(default=None, description="The number texts are sent from by default.")
    numbers: list[str] = Field(default_factory=list, description="The account's numbers a text may be sent from.")
    messaging_service_sid: str | None = Field(
        default=None, description="Send through this messaging service when no sender number is set."
    )
    default_region: str | None = Field(
        default="US", description="Region of numbers written without +<country code> (None: always ask for it)."
    )
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    price_per_segment: float = Field(default=0.0079, ge=0, description="Estimated price of one SMS segment.")
    prices: dict[str, float] = Field(
        default_factory=dict, description="Price per segment by the recipient's country code ('DE' = 0.0835)."
    )
    mms_price: float = Field(default=0.02, ge=0, description="Estimated price of a message with media.")
    price_unit: str = Field(default="USD")
    public_url: str | None = Field(
        default=None,
        description="The public URL this deployment is reached at (https://aide.example.com): webhook signatures "
        "are checked against <public_url>/twilio/sms, and status callbacks are asked for at /twilio/status.",
    )
    users: dict[str, UserRoute] = Field(
        default_factory=dict,
        description="Who inbound texts are for, by sender; empty: every text is the configured user's.",
    )
    unknown_sender_reply: str | None = Field(
        default=None, description="Reply to a text from a sender no user is configured for (None: no reply)."
    )
    help_reply: str | None = Field(default=None, description="Reply to HELP/INFO (None: Twilio's own reply only).")
    inbound_handler: str | None = Field(
        default=None,
        description="Answer each routed text with this handler: a name in the `aide.inbound` entry-point group "
        "or 'module:function' (see aide_twilio.inbound).",
    )
    inbound_actions: list[str] = Field(
        default_factory=list,
        description="Actions the unattended inbound handler may take (server.tool names), only ones that stay with "
        "the person who texted.",
    )
    inbound_timeout_seconds: float = Field(
        default=12, gt=0, description="How long the inbound handler may take (Twilio waits 15 s for the webhook)."
    )
    retry_backoff_seconds: float = Field(default=0.5, ge=0, description="First wait before retrying a read.")

    @field_validator("inbound_actions")
    @classmethod
    def _stays_with_the_texter(cls, value: list[str]) -> list[str]:
        """The handler runs on a text nobody confirms anything for (and caller ids can be forged): only actions
        whose effect stays with the person may be listed, as for scheduled runs. The agent checks each call again
        (`aide_agent.schedule.policy.STAYS_WITH_USER`, the same names; a test holds the lists together)."""
        for item in value:
            if item not in INBOUND_ACTIONS:
                allowed = "; ".join(f"{name} {when}".strip() for name, when in INBOUND_ACTIONS.items())
                raise ValueError(
                    f"{item!r} reaches beyond the person who texted; a text may only start actions that stay with "
                    f"them: {allowed}"
                )
        return value

    @model_validator(mode="after")
    def _handler_answers_known_senders_only(self) -> Self:
        """The handler runs a person's assistant on the text as their own request, so it may only answer numbers
        configured as theirs: without `[twilio.users]` every sender would be routed to the configured user, and
        anyone who texts the number could drive that user's assistant."""
        if self.inbound_handler and not any(route.senders for route in self.users.values()):
            raise ValueError(
                "inbound_handler answers only texts from a person's own phones: list them in "
                "[twilio.users.<name>] senders"
            )
        return self
