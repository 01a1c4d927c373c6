"""Calendar's sign-in levels, so that one `aide auth google` also asks for Calendar's scopes (registered in the
`aide.google.apis` entry-point group). Its levels carry the names Gmail's do: one sign-in names one level for every
installed Google server."""

from __future__ import annotations

from aide_google.scopes import SCOPE, GoogleApi

_EVENTS = (SCOPE + "calendar.events",)

CALENDAR = GoogleApi(
    name="Calendar",
    api="calendar",
    version="v3",
    levels={
        "readonly": (SCOPE + "calendar.readonly",),
        "organize": _EVENTS,
        "compose": _EVENTS,
        "send": _EVENTS,
        "full": (SCOPE + "calendar",),
    },
    prefixes=(SCOPE + "calendar",),
)
