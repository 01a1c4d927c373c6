"""The prompts, as package data: edit the `.md` files, not code. `load("system", today=...)` fills `$names`."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from string import Template


@cache
def _text(name: str) -> str:
    return (files(__name__) / f"{name}.md").read_text(encoding="utf-8").strip()


def load(name: str, **values: str) -> str:
    """The prompt `name`, with `$placeholders` filled from `values` (unknown ones are left as they are)."""
    text = _text(name)
    return Template(text).safe_substitute(values) if values else text
