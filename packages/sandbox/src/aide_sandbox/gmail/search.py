"""Gmail's search language (`q`), parsed by a small tokenizer and recursive-descent parser.

Why not a library: Gmail's syntax is its own. Generic query parsers (Lucene-style ones such as `luqum` or Whoosh's)
disagree with it on the points that matter: `-` binds to the next term without a space, `OR` must be upper case
while `or` is a word, juxtaposition means AND, `{a b}` means OR, `subject:(a b)` groups values under one operator,
and malformed input is never an error (a stray `)` is ignored, an unknown `foo:bar` is plain text). Writing the
grammar here is shorter than bending one of those, and it keeps the emulator free of a dependency for 200 lines.

Grammar (lowest precedence first):

    query    := and_expr
    and_expr := or_expr+                    (juxtaposition; an explicit "AND" is skipped)
    or_expr  := unary ("OR" unary)*         (OR binds tighter than the implied AND: `a b OR c` is `a (b OR c)`)
    unary    := "-" unary | primary
    primary  := "(" query ")" | "{" unary* "}" | operator ":" value | word | "quoted phrase"
    value    := word | "quoted phrase" | "(" words ")"

What the operators mean (the emulator's reading of Gmail's help page):

- free text and phrases match whole words of From, To, Cc, Subject and the body text (a phrase: consecutive words);
- `from:` `to:` `cc:` `bcc:` `deliveredto:` `list:` match a substring of that header (`me` is the account's own
  address); `subject:` matches words of the subject;
- `label:` matches a label id or name (case-insensitive, spaces and `/` written as `-`); `is:` unread, read,
  starred, important; `in:` inbox, sent, drafts, trash, spam, starred, important, anywhere; `category:`;
- `has:attachment`, `filename:` (a name or an extension), `larger:`/`smaller:` (`10K`, `2M`);
- `after:`/`before:` a date (`2024/01/31`, `2024-01-31`), read as midnight Pacific time as Google's filtering
  guide says, or epoch seconds (exact); `newer_than:`/`older_than:` `Nd`,
  `Nm` (30 days) or `Ny` (365 days), relative to the emulator's clock; `rfc822msgid:`.

Trash and spam are left out unless the query names them (`in:trash`, `in:anywhere`, ...) or the caller asks with
`includeSpamTrash`: `named_spam_trash` tells the caller which of the two the query names (each on its own, so
`-in:trash` does not bring spam back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from aide_sandbox.gmail.mime import Summary

# -- AST ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class Op:
    name: str
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Text | Op | Not | And | Or

OPERATORS = frozenset(
    {
        "from", "to", "cc", "bcc", "subject", "label", "is", "in", "has", "filename", "after", "before",
        "newer_than", "older_than", "newer", "older", "larger", "smaller", "size", "rfc822msgid", "category",
        "deliveredto", "list",
    }
)  # fmt: skip

# -- tokenizer ------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<open>\() | (?P<close>\)) | (?P<lbrace>\{) | (?P<rbrace>\})
  | (?P<minus>-(?=[^\s)]))
  | (?P<quoted>"[^"]*"?)
  | (?P<word>[^\s(){}"]+)
    """,
    re.X,
)


@dataclass
class _Token:
    kind: str
    text: str


def tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "word"
        if kind == "space":
            continue
        text = match.group()
        if kind == "quoted":
            text = text.strip('"')
        tokens.append(_Token(kind, text))
    return tokens


# -- parser ---------------------------------------------------------------------------------------------------------


@dataclass
class _Parser:
    tokens: list[_Token]
    position: int = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def query(self, closing: str | None = None) -> Node | None:
        nodes: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind in ("close", "rbrace"):
                if token.kind == closing:
                    break
                self.next()  # a stray closer is ignored, as Gmail does
                continue
            if token.kind == "word" and token.text in ("AND", "OR"):
                self.next()  # an explicit AND means nothing; a dangling OR has nothing on its left
                continue
            node = self.or_expr(closing)
            if node is not None:
                nodes.append(node)
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def or_expr(self, closing: str | None) -> Node | None:
        branches: list[Node] = []
        node = self.unary()
        if node is not None:
            branches.append(node)
        while (token := self.peek()) is not None and token.kind == "word" and token.text == "OR":
            self.next()
            following = self.peek()
            if following is None or following.kind in ("close", "rbrace") or following.text in ("AND", "OR"):
                break
            node = self.unary()
            if node is not None:
                branches.append(node)
        if not branches:
            return None
        return branches[0] if len(branches) == 1 else Or(tuple(branches))

    def unary(self) -> Node | None:
        token = self.next()
        if token.kind == "minus":
            if self.peek() is None:
                return None
            inner = self.unary()
            return Not(inner) if inner is not None else None
        if token.kind == "open":
            inner = self.query("close")
            self._expect("close")
            return inner
        if token.kind == "lbrace":
            nodes: list[Node] = []
            while (peeked := self.peek()) is not None and peeked.kind != "rbrace":
                node = self.unary()
                if node is not None:
                    nodes.append(node)
            self._expect("rbrace")
            return Or(tuple(nodes)) if len(nodes) > 1 else (nodes[0] if nodes else None)
        if token.kind == "quoted":
            return Text(token.text.lower(), phrase=True)
        return self.term(token.text)

    def term(self, word: str) -> Node:
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in OPERATORS:
            return Text(word.lower())
        if value:
            return Op(name, value.lower())
        following = self.peek()
        if following is None:
            return Text(word.lower())
        if following.kind == "quoted":
            self.next()
            return Op(name, following.text.lower(), phrase=True)
        if following.kind == "open":  # subject:(a b) means subject:a subject:b
            self.next()
            values: list[Node] = []
            while (peeked := self.peek()) is not None and peeked.kind != "close":
                inner = self.next()
                if inner.kind in ("word", "quoted"):
                    values.append(Op(name, inner.text.lower(), phrase=inner.kind == "quoted"))
            self._expect("close")
            return And(tuple(values)) if len(values) != 1 else values[0]
        return Text(word.lower())

    def _expect(self, kind: str) -> None:
        token = self.peek()
        if token is not None and token.kind == kind:
            self.next()


def parse(query: str) -> Node | None:
    """The query's tree; None for an empty query (which matches everything)."""
    return _Parser(tokenize(query)).query()


def named_spam_trash(node: Node | None) -> set[str]:
    """Which of TRASH and SPAM the query names (so they are not hidden from it): `in:anywhere` names both."""
    match node:
        case Op(name="in" | "label", value=value):
            return {"anywhere": {"TRASH", "SPAM"}, "trash": {"TRASH"}, "spam": {"SPAM"}}.get(value, set())
        case Not(node=inner):
            return named_spam_trash(inner)
        case And(nodes=nodes) | Or(nodes=nodes):
            return set().union(*(named_spam_trash(n) for n in nodes))
        case _:
            return set()


# -- evaluation -----------------------------------------------------------------------------------------------------


@dataclass
class Document:
    """One message as search sees it (all text already lower-cased by the caller or here)."""

    sender: str
    to: str
    cc: str
    bcc: str
    subject: str
    text: str
    labels: set[str]
    filenames: list[str]
    internal_ms: int
    size: int
    message_id: str = ""
    delivered_to: str = ""
    list_id: str = ""
    _words: str | None = field(default=None, repr=False)

    def words(self) -> str:
        if self._words is None:
            self._words = _words(" ".join([self.sender, self.to, self.cc, self.subject, self.text]))
        return self._words


def document_of(summary: Summary, labels: set[str], internal_ms: int, size: int) -> Document:
    """A message not stored yet as search sees it (what filters match arriving mail against)."""
    return Document(
        sender=summary.sender,
        to=summary.to,
        cc=summary.cc,
        bcc=summary.bcc,
        subject=summary.subject,
        text=summary.text,
        labels=labels,
        filenames=summary.filenames,
        internal_ms=internal_ms,
        size=size,
        message_id=summary.message_id,
        delivered_to=summary.delivered_to,
        list_id=summary.list_id,
    )


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _contains_words(haystack_words: str, needle: str) -> bool:
    needle_words = _words(needle)
    if needle_words.strip() == "":
        return needle.strip().lower() in haystack_words
    return needle_words in haystack_words


_IN_LABELS = {
    "inbox": "INBOX",
    "sent": "SENT",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "trash": "TRASH",
    "spam": "SPAM",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "chats": "CHAT",
}
_DAY_MS = 86_400_000
#: Google's filtering guide: dates in after:/before: are "interpreted as midnight PST".
_DATE_ZONE = ZoneInfo("America/Los_Angeles")
_CATEGORIES = {"primary": "CATEGORY_PERSONAL"}


def _date_ms(value: str) -> int | None:
    if value.isdigit() and len(value) > 8:
        return int(value) * 1000
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return int(datetime(year, month, day, tzinfo=_DATE_ZONE).timestamp() * 1000)
    except ValueError:
        return None


def _age_ms(value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([dmy])", value)
    if not match:
        return None
    unit = {"d": 1, "m": 30, "y": 365}[match.group(2)]
    return int(match.group(1)) * unit * _DAY_MS


def _size(value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([km]?)", value)
    if not match:
        return None
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]


def _slug(name: str) -> str:
    return re.sub(r"[\s/]+", "-", name.strip().lower())


@dataclass
class Matcher:
    """Evaluates a tree against documents; `label_ids` maps a `label:` value to the ids it can mean, `me` is the
    account's own address (what `from:me` and `to:me` stand for)."""

    now_ms: int
    label_ids: Callable[[str], set[str]]
    me: str = ""

    def __call__(self, node: Node | None, doc: Document) -> bool:
        match node:
            case None:
                return True
            case Text(value=value):
                return _contains_words(doc.words(), value)
            case Not(node=inner):
                return not self(inner, doc)
            case And(nodes=nodes):
                return all(self(n, doc) for n in nodes)
            case Or(nodes=nodes):
                return any(self(n, doc) for n in nodes)
            case Op():
                return self.operator(node, doc)

    def operator(self, op: Op, doc: Document) -> bool:
        name, value = op.name, op.value
        if name in ("from", "to", "cc", "bcc", "deliveredto", "list"):
            field_value = {
                "from": doc.sender,
                "to": doc.to,
                "cc": doc.cc,
                "bcc": doc.bcc,
                "deliveredto": doc.delivered_to,
                "list": doc.list_id,
            }[name]
            if value == "me" and self.me:
                value = self.me.lower()
            return value in field_value.lower()
        if name == "subject":
            return _contains_words(_words(doc.subject), value)
        if name == "label":
            return bool(doc.labels & self.label_ids(value))
        if name == "category":
            return _CATEGORIES.get(value, f"CATEGORY_{value.upper()}") in doc.labels
        if name == "is":
            return {
                "unread": "UNREAD" in doc.labels,
                "read": "UNREAD" not in doc.labels,
                "starred": "STARRED" in doc.labels,
                "important": "IMPORTANT" in doc.labels,
            }.get(value, False)
        if name == "in":
            if value == "anywhere":
                return True
            return _IN_LABELS.get(value, value.upper()) in doc.labels
        if name == "has":
            return value == "attachment" and bool(doc.filenames)
        if name == "filename":
            return any(value == f.lower().rsplit(".", 1)[-1] or value in f.lower() for f in doc.filenames)
        if name in ("after", "before", "newer", "older"):
            moment = _date_ms(value)
            if moment is None:
                return False
            return doc.internal_ms >= moment if name in ("after", "newer") else doc.internal_ms < moment
        if name in ("newer_than", "older_than"):
            age = _age_ms(value)
            if age is None:
                return False
            cutoff = self.now_ms - age
            return doc.internal_ms >= cutoff if name == "newer_than" else doc.internal_ms < cutoff
        if name in ("larger", "smaller", "size"):
            size = _size(value)
            if size is None:
                return False
            return doc.size > size if name in ("larger", "size") else doc.size < size
        if name == "rfc822msgid":
            return value.strip("<>") == doc.message_id.lower().strip("<>")
        return False


def label_resolver(labels: dict[str, str]) -> Callable[[str], set[str]]:
    """For `label:`: the ids whose id or name (slugged) equals the value; `labels` maps id to name."""

    def resolve(value: str) -> set[str]:
        wanted = _slug(value)
        return {label_id for label_id, name in labels.items() if wanted in (_slug(label_id), _slug(name))}

    return resolve
