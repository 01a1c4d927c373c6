"""Ranking: paraphrase through vectors, exact keywords that still win, time ranges, and conversation neighbours."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

DISTRACTORS = [
    "My favourite food is pasta with pesto",
    "The dentist appointment is on Tuesday",
    "Anna's birthday present should be a book",
    "I keep my running shoes in the hall cupboard",
    "The car needs new tyres before winter",
]


async def test_vectors_find_a_fact_stated_in_other_words(memory_server, tmp_path) -> None:
    fact = "I get carsick on long bus rides"
    async with memory_server(embeddings="local") as hybrid:
        await hybrid.remember(fact, *DISTRACTORS, category="fact")
        found = await hybrid.recall("does travelling by coach make me feel sick?", limit=3)
    async with memory_server(embeddings="none", database=str(tmp_path / "lexical.db")) as lexical:
        await lexical.remember(fact, *DISTRACTORS, category="fact")
        missed = await lexical.recall("does travelling by coach make me feel sick?", limit=3)
    assert found[0]["content"] == fact and "meaning" in found[0]["why"]
    assert fact not in [hit["content"] for hit in missed]


async def test_an_exact_keyword_match_still_wins_over_meaning(memory_server) -> None:
    async with memory_server(embeddings="local") as memory:
        await memory.remember("The gym locker code for XJ-42 is 7731", *DISTRACTORS)
        await memory.remember("Locker combinations are stored in the password manager")
        results = await memory.recall("XJ-42")
    assert results[0]["content"] == "The gym locker code for XJ-42 is 7731"


async def test_a_question_naming_a_time_ranks_memories_from_then_first(memory_server) -> None:
    async with memory_server() as memory:
        await memory.remember("Went hiking with Tom", about_time="2023-04-20T10:00:00Z")
        await memory.remember("Went hiking with Tom", about_time="2023-05-13T10:00:00Z")
        await memory.remember("Went hiking with Tom", about_time="2023-06-02T10:00:00Z")
        results = await memory.recall("hiking in May 2023")
    assert results[0]["about_time"].startswith("2023-05-13")
    assert "in the time asked about" in results[0]["why"]


@pytest.mark.parametrize("embeddings", ["local", "none"])
async def test_a_question_that_only_names_a_period_finds_what_is_dated_in_it(memory_server, embeddings: str) -> None:
    async with memory_server(embeddings=embeddings) as memory:
        await memory.remember(*DISTRACTORS)
        await memory.remember("Picked up the new glasses from the optician", about_time="2025-09-10T16:00:00Z")
        await memory.remember("Dinner at the Kowalczyks' for their anniversary", about_time="2025-10-04T19:00:00Z")
        await memory.remember("Renewed the car insurance with Allianz", about_time="2025-10-21T09:00:00Z")
        await memory.remember("Went to the dentist about the broken tooth", about_time="2025-11-02T09:00:00Z")
        day = await memory.recall("What did I do on 2025-09-10?", limit=3)
        month = await memory.recall("what happened in October 2025?", limit=3)
    assert day[0]["content"] == "Picked up the new glasses from the optician"
    assert "in the time asked about" in day[0]["why"]
    assert {hit["content"] for hit in month[:2]} == {
        "Dinner at the Kowalczyks' for their anniversary",
        "Renewed the car insurance with Allianz",
    }


async def test_an_undated_memory_is_lifted_when_told_in_the_period_and_never_held_against_it(memory_server) -> None:
    from datetime import UTC, datetime

    async with memory_server(embeddings="none") as memory:
        (rome,) = await memory.remember("In 2019 I travelled to Rome with my sister")
        then = await memory.recall("where did I travel in 2019?")
        now = await memory.recall(f"where did I travel in {datetime.now(UTC).year}?")
    assert then[0]["id"] == rome and then[0]["why"] == "words: travel, 2019"  # not "outside the time asked about"
    assert now[0]["id"] == rome and now[0]["why"].endswith("; in the time asked about")  # told this year


async def test_a_time_given_by_an_event_is_dated_from_the_memories(memory_server) -> None:
    async with memory_server() as memory:
        await memory.remember(*DISTRACTORS)
        await memory.remember("Flew to Kyoto for the trip with Anna", about_time="2024-05-10T08:00:00Z")
        await memory.remember("Bought new hiking boots", about_time="2024-06-20T10:00:00Z")
        await memory.remember("Bought new hiking boots", about_time="2024-04-28T10:00:00Z")
        before = await memory.recall("which boots did I buy before the trip?", limit=2)
        after = await memory.recall("which boots did I buy after the trip?", limit=2)
    assert before[0]["about_time"].startswith("2024-04-28")
    assert "in the time asked about" in before[0]["why"]
    assert after[0]["about_time"].startswith("2024-06-20")


async def test_the_reply_to_a_matching_question_comes_up_with_it(memory_server) -> None:
    conversation = [
        "Caroline: How did the kids handle the accident?",
        "Melanie: They were scared but we reassured them. They're tough.",
        "Caroline: Glad to hear it. Want to go to the lake next week?",
    ]
    async with memory_server() as memory:
        await memory.call(
            "remember",
            items=[{"content": c, "source_ref": "chat/2023-07-01"} for c in conversation]
            + [{"content": "Melanie: The accident report is due Friday", "source_ref": "chat/2023-08-01"}],
        )
        results = await memory.recall("How did Melanie's kids handle the accident?", limit=3)
    contents = [hit["content"] for hit in results]
    assert conversation[1] in contents[:2]
    reply = results[contents.index(conversation[1])]
    assert "next to a match in the same conversation" in reply["why"]


async def test_a_vector_change_from_another_process_is_seen_without_restart(memory_server) -> None:
    async with memory_server(embeddings="local") as first, memory_server(embeddings="local") as second:
        await first.recall("warm up the index")
        await second.remember("I get carsick on long bus rides", category="fact")
        found = await first.recall("travel sickness on buses", limit=1)
    assert found and found[0]["content"] == "I get carsick on long bus rides"


async def test_by_default_a_preference_is_found_by_a_question_in_other_words(memory_server) -> None:
    """The default configuration embeds memories; a fact stored on its own is ranked by meaning first, and the one
    common word a question shares with an unrelated memory ("meeting", "time") does not put that memory first."""
    async with memory_server() as memory:
        await memory.remember(
            "I hate 9 AM meetings; nothing before 10 please",
            "Meeting notes from the budget review are in the shared drive",
            "The team offsite is at a time still to be decided",
            *DISTRACTORS,
        )
        found = await memory.recall("what time of day should I avoid when booking calls?", limit=3)
    assert found[0]["content"] == "I hate 9 AM meetings; nothing before 10 please"
