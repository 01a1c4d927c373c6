"""How many SMS segments a body costs, and in which encoding, counted the way carriers (and Twilio) count them.

A body that fits the GSM-7 alphabet (GSM 03.38) is sent in 7-bit septets: 160 in one segment, 153 per segment once
split (the user data header takes the rest). The characters of the GSM extension table (`^{}\\[~]|€` and form
feed) are an escape plus a character, so each counts double, and an escape pair is never split across two
segments. Any other character (an emoji, a Cyrillic letter, a curly quote) switches the whole body to UCS-2: 70
UTF-16 code units in one segment, 67 per segment once split, and a character outside the Basic Multilingual Plane
(most emoji) is two code units that are never split either.

Written here rather than taken from a library: the Python packages that exist either only encode GSM 03.38
(`gsm0338`, a codec that counts nothing) or are unmaintained or brand new and unproven (`smsutil`, last released
2020; `sms-counter` 0.0.1), and Twilio's own segment calculator is JavaScript. The rules fit in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["GSM_BASIC", "GSM_EXTENDED", "SegmentCount", "count_segments"]

#: The GSM 03.38 default alphabet (the escape itself excluded): one septet each.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: an escape plus a septet, two each.
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentCount:
    """`segments` of `encoding`; `units` are septets (GSM-7) or UTF-16 code units (UCS-2) in the whole body."""

    encoding: Encoding
    segments: int
    units: int

    def describe(self) -> str:
        plural = "" if self.segments == 1 else "s"
        return f"{self.segments} segment{plural}, {self.encoding}"


def _pack(widths: list[int], single: int, multi: int) -> int:
    """Segments needed for characters of these widths: one when all fit in `single`, else `multi` units per
    segment, a character never split between two."""
    total = sum(widths)
    if total <= single:
        return 1
    count, used = 1, 0
    for width in widths:
        if used + width > multi:
            count, used = count + 1, 0
        used += width
    return count


def count_segments(body: str) -> SegmentCount:
    """The encoding and segment count of `body` (an empty body, a media-only message, is one segment)."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in body):
        widths = [2 if char in GSM_EXTENDED else 1 for char in body]
        return SegmentCount("GSM-7", _pack(widths, 160, 153), sum(widths))
    widths = [2 if ord(char) > 0xFFFF else 1 for char in body]
    return SegmentCount("UCS-2", _pack(widths, 70, 67), sum(widths))
