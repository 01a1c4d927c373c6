"""Mail triage: "what needs my answer today?" Important unread mail summarised, replies proposed as drafts.

    uv run python examples/mail_triage.py --sandbox                      # a real model, the sandbox's seed mailbox
    uv run python examples/mail_triage.py --sandbox --model scripted     # no key needed: a scripted model
    uv run python examples/mail_triage.py --model openai:gpt-4o-mini     # your own mailbox (after `aide auth google`)

The assistant is aide's Gmail and memory servers and a model. It searches the inbox, reads what matters, and saves
a draft reply for each message that needs one; `draft_email` changes the mailbox, so each draft is shown to you for
approval first (y/n on the terminal). Nothing is sent: the drafts wait in Gmail for you to edit and send. Memory
lets it know whose mail matters to you. With a real model, a key is read from ANTHROPIC_API_KEY or OPENAI_API_KEY.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import anyio

from aide_agent import (
    ApprovalCallback,
    Assistant,
    Message,
    Model,
    RunResult,
    ScriptedModel,
    ToolSpec,
    aide_server,
    ask_on_terminal,
    call,
    infer_model,
)
from aide_agent.providers import MissingCredentials
from aide_agent.providers.scripted import Turn
from aide_agent.servers import sandbox_settings
from aide_core.settings import AideSettings

QUESTION = (
    "What needs my answer today? Look at my important unread mail (skip newsletters, promotions and updates), "
    "summarise each message in one line, and for each one that needs a reply from me save a short draft reply "
    "for me to review. Do not send anything."
)
#: What the scripted model searches for; a real model picks its own query.
IMPORTANT_UNREAD = "is:unread in:inbox -category:promotions -category:updates -category:social"


def _rows(message: Message) -> list[dict[str, str]]:
    return json.loads(message.text)["emails"]


def _draft_replies(messages: list[Message], _: list[ToolSpec]) -> Turn:
    """Invitations need an answer; the rest is summarised only."""
    rows = _rows(messages[-1])
    return [
        call("gmail__draft_email", reply_to_id=row["id"], body="Thanks for the invitation: I will be there.")
        for row in rows
        if row["subject"].startswith("Invitation:")
    ]


def _summary(messages: list[Message], _: list[ToolSpec]) -> str:
    (search,) = [m for m in messages if m.role == "tool" and m.tool_name == "gmail__search_emails"]
    drafted = {m.tool_call_id for m in messages if m.role == "tool" and m.tool_name == "gmail__draft_email"}
    calls = {c.id: c for m in messages for c in m.tool_calls if c.id in drafted}
    saved = {
        calls[m.tool_call_id].arguments["reply_to_id"]
        for m in messages
        if m.role == "tool" and m.tool_call_id in drafted and not m.is_error
    }
    lines = [
        f"- {row['sender']}: {row['subject']}" + (" (draft reply saved)" if row["id"] in saved else "")
        for row in _rows(search)
    ]
    return "Unread mail that matters:\n" + "\n".join(lines)


def scripted_model() -> ScriptedModel:
    """A model double that triages the way a real one would: search, draft replies, summarise, learn nothing."""
    return ScriptedModel(
        [[call("gmail__search_emails", query=IMPORTANT_UNREAD, limit=20)], _draft_replies, _summary, "[]"]
    )


async def triage(
    model: Model, *, settings: AideSettings | None = None, approve: ApprovalCallback | None = None
) -> RunResult:
    """One run of the triage question with Gmail and memory (settings: the sandbox's, or the user's own)."""
    servers = [aide_server("gmail", settings=settings), aide_server("memory", settings=settings)]
    async with Assistant(servers, model, approve=approve) as assistant:
        return await assistant.run(QUESTION)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("AIDE_AGENT_MODEL", "anthropic:claude-sonnet-4-5"))
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible endpoint (Ollama, vLLM, LM Studio)")
    parser.add_argument("--sandbox", action="store_true", help="use the local emulators and their seed mailbox")
    parser.add_argument("--yes", action="store_true", help="approve every draft without asking")
    args = parser.parse_args()
    if args.sandbox and "AIDE_HOME" not in os.environ:
        os.environ["AIDE_HOME"] = tempfile.mkdtemp(prefix="aide-triage-")  # a fresh seed mailbox and memory
    settings = sandbox_settings() if args.sandbox else None
    try:
        model = scripted_model() if args.model == "scripted" else infer_model(args.model, base_url=args.base_url)
    except MissingCredentials as exc:
        raise SystemExit(f"mail_triage: {exc}") from None  # one line and exit code 1, not a traceback
    approve: ApprovalCallback = (lambda _: True) if args.yes else ask_on_terminal
    result = anyio.run(lambda: triage(model, settings=settings, approve=approve))
    print(result.text)
    print(f"\n({result.usage.model.requests} model requests, ${result.usage.cost:.4f})")


if __name__ == "__main__":
    main()
