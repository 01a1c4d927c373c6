from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_search_and_read(gmail_server) -> None:
    async with gmail_server() as gmail:
        found = await gmail.call("search_emails", query="subject:offsite", limit=5)
        print(found)
        first = found["emails"][0]
        email = await gmail.call("read_email", id=first["id"])
        print(email)
        thread = await gmail.call("read_thread", thread_id=first["thread_id"])
        print(thread)
