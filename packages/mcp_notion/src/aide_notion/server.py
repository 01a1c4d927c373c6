"""`aide-notion`: Notion for an assistant, across several workspaces.

One concern a module: the declaration and shared helpers `app.py`, page tools `tools.py`, database tools
`databases.py`, the API `client.py` (pacing in `pacing.py`), Markdown both ways `markdown.py`, `render.py` and
`richtext.py`, the where-language `filters.py`, plain values `values.py`, accounts `accounts.py`, settings and
clients `state.py`, the output models `models.py`. Deleting a block, updating a page (which can trash it) and
commenting (which notifies people) go through the side-effect guard and are confirmed; creating pages, appending and
adding database items go through it without asking, for idempotency; page text comes back fenced as untrusted
content.
"""

from __future__ import annotations

from typing import Any

from aide_notion import databases, tools
from aide_notion.app import spec
from aide_notion.state import NotionState

__all__ = ["databases", "main", "spec", "tools"]


@spec.configure_check
def _signed_in(runtime: Any) -> str | None:
    from aide_notion.accounts import listed, sign_in_command

    if listed(runtime.settings):
        return None
    # Quoted: in `aide doctor`'s narrow column the bare command wraps "notion" onto a line of its own, where it
    # reads as a second row of the server (core's doctor test counts rows by the name).
    return f"`{sign_in_command()}`"


@spec.reachability_check
def _reachable(runtime: Any) -> str:
    if _signed_in(runtime) is not None:
        return "not checked"
    state = NotionState(runtime)
    try:
        me = state.client(None).me()
        return f"ok ({(me.get('bot') or {}).get('workspace_name') or me.get('name')})"
    finally:
        state.close()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
