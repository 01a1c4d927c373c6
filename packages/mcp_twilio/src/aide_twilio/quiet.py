"""Quiet hours: no text reaches someone at night, in their own time zone.

The recipient's zone is, in order: the one configured for that number (`quiet_hours.zones`), the single zone
libphonenumber places the number in, `quiet_hours.timezone` when the number spans several zones (a mobile range, a
country-wide number), or else all of them, where it is quiet when it is quiet in any (the careful reading). A send
inside the window is refused with the next time it would be allowed, in the recipient's zone and in UTC.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["QuietHours", "next_allowed", "recipient_zones"]


class QuietHours(BaseModel):
    """The `[twilio.quiet_hours]` table."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Refuse sends inside the window.")
    start: time = Field(default=time(21, 0), description="Start of the window, recipient's local time (HH:MM).")
    end: time = Field(default=time(8, 0), description="End of the window, recipient's local time (HH:MM).")
    timezone: str | None = Field(
        default=None, description="Zone used when a number spans several (else all of them are checked)."
    )
    zones: dict[str, str] = Field(default_factory=dict, description="A recipient's zone by number (E.164).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if not value:
            return None
        _zone(value)
        return value

    @field_validator("zones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        for zone in value.values():
            _zone(zone)
        return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as 'America/New_York')") from None


def recipient_zones(number: str, config: QuietHours) -> tuple[str, ...]:
    """The zones whose clock decides for `number` (E.164)."""
    from aide_core.phones import e164
    from aide_twilio.numbers import time_zones_of

    for configured, zone in config.zones.items():
        try:
            if e164(configured) == number:
                return (zone,)
        except ValueError:
            continue
    zones = time_zones_of(number)
    if len(zones) == 1:
        return zones
    if config.timezone:
        return (config.timezone,)
    return zones or ("UTC",)


def _quiet_until(now: datetime, zone: str, start: time, end: time) -> datetime | None:
    """When the window that `now` falls in ends, in `zone`; None outside the window."""
    local = now.astimezone(ZoneInfo(zone))
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return None
    overnight = start > end
    inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=ZoneInfo(zone))


def next_allowed(now: datetime, number: str, config: QuietHours) -> tuple[datetime, str] | None:
    """(when sending is allowed again, in the zone that decided, and that zone) when `now` is in the recipient's
    quiet hours; None when a send may go now."""
    if not config.enabled:
        return None
    found = [
        (until, zone)
        for zone in recipient_zones(number, config)
        if (until := _quiet_until(now, zone, config.start, config.end)) is not None
    ]
    return max(found, key=lambda item: item[0]) if found else None
