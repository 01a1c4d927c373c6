"""Text normalisation: the forms used to spot duplicates, the words of a text, and what a query asks FTS5 for.

The query never reaches FTS5 as syntax: it is cut into words, and each word becomes a quoted FTS5 string, so
`AND OR "`, `NEAR(`, `*` and `-` are just text. Stop words are dropped (they match everything and drown the
words that matter); the list is inline rather than from nltk or scikit-learn, which would cost a large install for
a hundred words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves ever also did
    does doing get got s t d ll m re ve
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """The form used to spot exact duplicates: case, accents, spacing and trailing punctuation do not count."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(".!?;, ")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


# Words whose presence in one text and not the other reverses what it says ("I do not like..."). `words()` cuts
# "don't" into "don" and "t", so the "t" of every "n't" is here.
NEGATIONS = frozenset(["not", "no", "never", "nor", "none", "nothing", "nobody", "neither", "cannot", "without", "t"])
# What may be added or left out of a text that still says the same thing: words that weigh it, not name anything
# ("I really prefer..."). Any other word added is information ("with oat milk" is not "with milk").
FILLERS = (STOP_WORDS - NEGATIONS) | {
    "really",
    "please",
    "actually",
    "definitely",
    "truly",
    "quite",
    "certainly",
    "absolutely",
    "totally",
    "rather",
    "pretty",
    "honestly",
}


def near_duplicate(a: Sequence[str], b: Sequence[str]) -> bool:
    """Word sequences that say the same thing, merged rather than stored twice: nearly all the same words in the
    same order (difflib's ratio over words, so "worker 0 memory 2" and "worker 2 memory 0" differ), where what one has
    and the other lacks is only filler added or left out ("I really prefer..." / "I prefer..."). A word replaced by
    another is a new fact (a flight at 9:15 instead of 8:15, another wifi password), and so is any other word, a
    number or a negation added or dropped ("with oat milk", "I do not like..."): merging those would keep the old
    fact and lose the new one."""
    if not a or not b or 2 * min(len(a), len(b)) < 0.9 * (len(a) + len(b)):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs are nowhere near alike.
    if matcher.quick_ratio() < 0.9 or matcher.ratio() < 0.9:
        return False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            return False
        if tag != "equal" and any(
            w in NEGATIONS or w not in FILLERS or any(c.isdigit() for c in w) for w in (*a[i1:i2], *b[j1:j2])
        ):
            return False
    return True


def query_terms(query: str) -> list[str]:
    """The words of a query worth searching for: stop words and single letters out, numbers kept."""
    seen: dict[str, None] = {}
    for word in words(query):
        if (word not in STOP_WORDS and len(word) > 1) or word.isdigit():
            seen.setdefault(word, None)
    return list(seen) or list(dict.fromkeys(words(query)))


def fts_query(terms: Sequence[str]) -> str:
    """Any of `terms`, each a quoted FTS5 string (never FTS5 syntax)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
