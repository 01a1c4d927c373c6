"""Finding near-duplicate candidates in constant time: MinHash over word shingles, cut into bands (LSH).

Each memory stores a few band keys; two texts that share most of their words and word pairs share at least one
band with high probability, and unrelated texts almost never do. The candidates are then checked exactly
(`store.near_duplicate`). Ranking the full-text matches of every word instead made each insert scan much of the
store, so inserts slowed as it grew. The arithmetic is a dozen lines, too little to justify a dependency
(datasketch would also pull scipy).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

BANDS = 8
ROWS = 2  # hashes per band: P(candidate) = 1 - (1 - s**ROWS) ** BANDS for shingle similarity s
_PRIME = (1 << 61) - 1
_SEEDS = [
    (
        int.from_bytes(hashlib.blake2b(f"a{i}".encode(), digest_size=8).digest()) % _PRIME | 1,
        int.from_bytes(hashlib.blake2b(f"b{i}".encode(), digest_size=8).digest()) % _PRIME,
    )
    for i in range(BANDS * ROWS)
]


def _shingles(tokens: Sequence[str]) -> set[str]:
    """Word pairs, not single words: common words alone would put most texts in the same few buckets."""
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
    return pairs or set(tokens)


def band_keys(tokens: Sequence[str]) -> list[int]:
    """The band keys of a text's words (empty for an empty text). Keys fit SQLite's signed 64-bit integers."""
    shingles = _shingles(tokens)
    if not shingles:
        return []
    bases = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest()) for s in shingles]
    minima = [min((a * x + b) % _PRIME for x in bases) for a, b in _SEEDS]
    keys: list[int] = []
    for band in range(BANDS):
        part = minima[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(repr((band, part)).encode(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, signed=True))
    return keys
