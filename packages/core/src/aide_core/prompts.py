"""Prompts a server offers (the MCP prompts primitive): templates a host shows as slash commands, kept in files.

A server keeps its prompts as Markdown files in a `prompts/` folder of its package, one file a prompt, named by the
file (`triage_inbox.md` is the prompt `triage_inbox`), and declares them with one line:
`spec.prompts_from("aide_gmail")`. A file is a front matter in TOML between `+++` lines, then the text the user
message will carry:

    +++
    title = "Draft a reply"
    description = "Read a message and draft a reply that says what you want to say."
    tools = ["read_email", "draft_email"]

    [arguments.message_id]
    description = "The message to answer (an id from search_emails)."
    required = true

    [arguments.intent]
    description = "What the reply should say."
    required = false
    default = "whatever the message needs"
    +++
    Read the message $message_id, then draft a reply that says: $intent.

Why these choices:

- **TOML front matter, read with the standard library's `tomllib`**: no new dependency (aide's settings are TOML
  already, so the module is loaded anyway), and TOML has no implicit typing surprises (YAML's `no` is false). The
  `+++` fence is Hugo's convention for TOML front matter.
- **`string.Template`**, `$name` placeholders, filled with `substitute` on a mapping of exactly the declared
  arguments. Substitution is one pass: a caller's value is inserted as it is and never read again as a template, so
  an argument that contains `$intent` or `${x}` stays that text. `str.format_map` is one pass too, but its fields
  reach into objects (`{x.__class__}`, `{x[0]}`) and every `{` of a JSON example in a prompt would need doubling;
  `$` is rare in prose and `$$` writes one. The agent keeps its prompts the same way (`aide_agent.prompts`).
- **Checked when declared**: an unknown front-matter key, a placeholder that is not an argument, an argument the
  text never uses, an optional argument without a default, an invalid name: each raises `PromptFileError` naming the
  file, at import, so a bad file fails the server's tests, not a user. `tools` are checked against the server's
  declared tools when it is built (a renamed tool fails there).
- **Listed only where they can work**: a prompt that names tools is listed only when all of them are, for this
  configuration (tier, read-only switch) and for this caller (a server's `tool_visibility`: Gmail lists what the
  signed-in accounts' scopes allow). A prompt asking for a draft where drafting is not allowed would only lead the
  model to a refusal. Prompts are filtered again on every `prompts/list`, and when the listed tools change clients
  are told the prompts list changed too (`aide_core.visibility.ListChanged`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template
from typing import Any, cast

__all__ = [
    "MAX_ARGUMENT_CHARS",
    "PromptArgumentDecl",
    "PromptDecl",
    "PromptFileError",
    "check_tools",
    "load_prompts",
    "parse_prompt",
]

#: What one argument may carry: a message id, a few sentences of intent. Longer is refused, not cut.
MAX_ARGUMENT_CHARS = 2000
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FENCE = "+++"
_KEYS = {"title", "description", "tools", "arguments"}
_ARGUMENT_KEYS = {"description", "required", "default"}


class PromptFileError(ValueError):
    """A prompt file that cannot be offered: what is wrong and in which file."""


@dataclass(frozen=True)
class PromptArgumentDecl:
    name: str
    description: str
    required: bool
    #: What the text says when an optional argument is not given.
    default: str | None = None


@dataclass(frozen=True)
class PromptDecl:
    """One prompt, as its file declares it."""

    name: str
    title: str
    description: str
    arguments: tuple[PromptArgumentDecl, ...]
    #: The server's tools the text asks the model to use: the prompt is listed only where they all are.
    tools: tuple[str, ...]
    text: str
    where: str = ""

    def render(self, given: Mapping[str, Any] | None) -> str:
        """The text with the caller's arguments filled in. A caller's value is data: inserted once, never read as a
        template (see the module docstring). Raises `ValueError` saying what is wrong with the arguments."""
        given = dict(given or {})
        declared = {argument.name: argument for argument in self.arguments}
        if unknown := sorted(set(given) - set(declared)):
            takes = ", ".join(declared) or "no arguments"
            raise ValueError(f"{self.name} has no argument {', '.join(unknown)} (it takes {takes})")
        values: dict[str, str] = {}
        for name, argument in declared.items():
            value = given.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if argument.required:
                    raise ValueError(f"{self.name} needs {name}: {argument.description}")
                value = argument.default or ""
            if not isinstance(value, str):
                raise ValueError(f"{self.name}: {name} is text")
            if len(value) > MAX_ARGUMENT_CHARS:
                raise ValueError(f"{self.name}: {name} is longer than {MAX_ARGUMENT_CHARS} characters")
            values[name] = value.strip()
        return Template(self.text).substitute(values)


def parse_prompt(name: str, source: str, where: str = "") -> PromptDecl:
    """A prompt file's content read and checked (see the module docstring for the format)."""
    where = where or f"{name}.md"

    def fail(problem: str) -> PromptFileError:
        return PromptFileError(f"prompt file {where}: {problem}")

    if not _NAME.fullmatch(name):
        raise fail("a prompt's name is lowercase letters, digits and '_' (at most 64), from its file name")
    lines = source.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FENCE or _FENCE not in (line.strip() for line in lines[1:]):
        raise fail(f"it starts with a front matter between '{_FENCE}' lines")
    end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE)
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"the front matter is not TOML ({exc})") from None
    if extra := sorted(set(meta) - _KEYS):
        raise fail(f"unknown front-matter key {', '.join(extra)} (keys: {', '.join(sorted(_KEYS))})")
    title, description = meta.get("title"), meta.get("description")
    if not isinstance(title, str) or not title.strip() or not isinstance(description, str) or not description.strip():
        raise fail("title and description are required, as text")
    tools = _strings(meta.get("tools", []), fail)
    text = "\n".join(lines[end + 1 :]).strip()
    if not text:
        raise fail("the prompt's text after the front matter is empty")
    arguments = _arguments(meta.get("arguments", {}), fail)
    template = Template(text)
    if not template.is_valid():
        raise fail("a '$' that is not a placeholder: write '$$' for a dollar sign")
    used = set(template.get_identifiers())
    declared = [argument.name for argument in arguments]
    if unknown := sorted(used - set(declared)):
        raise fail(f"placeholder {', '.join('$' + n for n in unknown)} is not a declared argument")
    if unused := [n for n in declared if n not in used]:
        raise fail(f"argument {', '.join(unused)} is declared but the text never uses it")
    return PromptDecl(name, title.strip(), description.strip(), arguments, tools, text, where)


Fail = Callable[[str], PromptFileError]


def _strings(value: Any, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in cast(list[Any], value)):
        raise fail("tools is a list of tool names")
    return tuple(cast(list[str], value))


def _arguments(value: Any, fail: Fail) -> tuple[PromptArgumentDecl, ...]:
    if not isinstance(value, dict):
        raise fail("arguments is a table of [arguments.<name>] tables")
    found: list[PromptArgumentDecl] = []
    for name, raw in cast(dict[str, Any], value).items():
        if not _NAME.fullmatch(name):
            raise fail(f"argument name {name!r} is not lowercase letters, digits and '_'")
        if not isinstance(raw, dict):
            raise fail(f"arguments.{name} is a table (description, required, default)")
        spec = cast(dict[str, Any], raw)
        if extra := sorted(set(spec) - _ARGUMENT_KEYS):
            raise fail(f"arguments.{name}: unknown key {', '.join(extra)} (keys: description, required, default)")
        description, required, default = spec.get("description"), spec.get("required", False), spec.get("default")
        if not isinstance(description, str) or not description.strip():
            raise fail(f"arguments.{name} needs a description: hosts show it to the user")
        if not isinstance(required, bool) or (default is not None and not isinstance(default, str)):
            raise fail(f"arguments.{name}: required is true or false, default is text")
        if required and default is not None:
            raise fail(f"arguments.{name} is required, so it has no default")
        if not required and default is None:
            raise fail(f"arguments.{name} is optional: give the default the text says when it is not given")
        found.append(PromptArgumentDecl(name, description.strip(), required, default))
    return tuple(found)


def load_prompts(source: str | Path) -> list[PromptDecl]:
    """Every `*.md` prompt file in `source`: a package name (its `prompts/` folder, read as package data) or a
    folder. Sorted by name, so a server lists its prompts in a stable order."""
    folder: Traversable = Path(source) if isinstance(source, Path) else files(source) / "prompts"
    if not folder.is_dir():
        raise PromptFileError(f"no prompts folder at {folder}")
    entries = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".md")), key=lambda e: e.name)
    return [_read(entry) for entry in entries]


def _read(entry: Traversable) -> PromptDecl:
    return parse_prompt(entry.name.removesuffix(".md"), entry.read_text(encoding="utf-8"), str(entry))


def check_tools(prompts: Iterable[PromptDecl], tools: Iterable[str], server: str) -> None:
    """Raise `PromptFileError` when a prompt names a tool the server does not declare (a tool renamed since)."""
    known = set(tools)
    for prompt in prompts:
        if missing := [tool for tool in prompt.tools if tool not in known]:
            tools = ", ".join(sorted(known))
            raise PromptFileError(
                f"prompt file {prompt.where}: {server} has no tool {', '.join(missing)} (tools: {tools})"
            )
