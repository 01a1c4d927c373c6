"""The colour palettes `colors.get` returns: Google's fixed calendar and event colours."""

from __future__ import annotations

from typing import Any

_CALENDAR_HEX = (
    "ac725e d06b64 f83a22 fa573c ff7537 ffad46 42d692 16a765 7bd148 b3dc6c fbe983 fad165 "
    "92e1c0 9fe1e7 9fc6e7 4986e7 9a9cff b99aff c2c2c2 cabdbf cca6ac f691b2 cd74e6 a47ae2"
)
_EVENT_HEX = "a4bdfc 7ae7bf dbadff ff887c fbd75b ffb878 46d6db e1e1e1 5484ed 51b749 dc2127"
_CALENDAR = [f"#{value}" for value in _CALENDAR_HEX.split()]
_EVENT = [f"#{value}" for value in _EVENT_HEX.split()]


def calendar_color(color_id: str) -> dict[str, str]:
    return {"background": _CALENDAR[(int(color_id) - 1) % len(_CALENDAR)], "foreground": "#1d1d1d"}


def palette(updated: str) -> dict[str, Any]:
    return {
        "kind": "calendar#colors",
        "updated": updated,
        "calendar": {str(i): {"background": c, "foreground": "#1d1d1d"} for i, c in enumerate(_CALENDAR, start=1)},
        "event": {str(i): {"background": c, "foreground": "#1d1d1d"} for i, c in enumerate(_EVENT, start=1)},
    }
