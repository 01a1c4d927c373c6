"""Segment counting as carriers do it: GSM-7 160/153 with the extension table counting double, UCS-2 70/67 in
UTF-16 code units, and no escape pair or surrogate pair split between segments."""

from __future__ import annotations

import pytest

from aide_twilio.segments import SegmentCount, count_segments


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", SegmentCount("GSM-7", 1, 0)),
        ("a" * 160, SegmentCount("GSM-7", 1, 160)),
        ("a" * 161, SegmentCount("GSM-7", 2, 161)),
        ("a" * 306, SegmentCount("GSM-7", 2, 306)),
        ("a" * 307, SegmentCount("GSM-7", 3, 307)),
        ("€" * 80, SegmentCount("GSM-7", 1, 160)),
        ("€" * 81, SegmentCount("GSM-7", 2, 162)),
        ("a" * 152 + "{" + "a" * 10, SegmentCount("GSM-7", 2, 164)),  # the escape pair moves whole to segment 2
        ("Café à Genève: 5€ [ok]", SegmentCount("GSM-7", 1, 25)),
        ("On my way 🚗", SegmentCount("UCS-2", 1, 12)),
        ("é" * 69 + "ć", SegmentCount("UCS-2", 1, 70)),
        ("ć" * 71, SegmentCount("UCS-2", 2, 71)),
        ("😊" * 35, SegmentCount("UCS-2", 1, 70)),
        ("😊" * 36, SegmentCount("UCS-2", 2, 72)),
        ("a" * 66 + "😊" + "a" * 10, SegmentCount("UCS-2", 2, 78)),  # the surrogate pair is not split
        ("“quoted”", SegmentCount("UCS-2", 1, 8)),
    ],
)
def test_segments_and_encoding_are_counted_as_carriers_count_them(body: str, expected: SegmentCount) -> None:
    assert count_segments(body) == expected


def test_the_description_reads_as_the_preview_shows_it() -> None:
    assert count_segments("hi").describe() == "1 segment, GSM-7"
    assert count_segments("😊" * 36).describe() == "2 segments, UCS-2"
