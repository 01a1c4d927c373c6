"""What can be known wrong before asking is refused before asking: the user is never asked to confirm a send that
would then fail (issue 16, finding 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from aide_core.testing import Answers

pytestmark = pytest.mark.anyio


async def test_a_bad_address_is_refused_before_any_confirmation_is_asked(gmail_server: Any) -> None:
    answers = Answers()  # no answer scripted: being asked at all fails the test
    async with gmail_server(confirm="elicit", elicitation=answers) as gmail:
        refused = await gmail.error("send_email", to=["not-an-address"], subject="s", body="b")
    assert answers.questions == []
    assert refused.startswith("Error executing tool send_email: ") and "not-an-address" in refused


async def test_with_no_signed_in_account_a_send_says_how_to_sign_in_before_asking(server: Callable[..., Any]) -> None:
    answers = Answers()
    async with Client(server(confirm="elicit"), elicitation_callback=answers) as client:
        result = await client.call_tool("send_email", {"to": ["ann@example.com"], "subject": "s", "body": "b"})
    assert answers.questions == []
    assert result.is_error
    assert "Gmail has no signed-in account. Ask the user to run: aide auth google" in result.content[0].text  # type: ignore[union-attr]
