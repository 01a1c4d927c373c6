"""Scripted fakes of the OpenAI (chat completions, responses) and Anthropic (messages) APIs, for testing agents with
the real SDKs: each endpoint answers from a queue of canned replies and records the requests it got."""

from aide_sandbox.llm.script import ENDPOINTS, Recorded, Reply, Script, ToolCall

__all__ = ["ENDPOINTS", "Recorded", "Reply", "Script", "ToolCall"]
