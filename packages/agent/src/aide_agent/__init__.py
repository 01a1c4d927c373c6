"""aide_agent: compose any set of MCP servers with any LLM provider, talking MCP only.

    from aide_agent import Assistant, aide_server

    async with Assistant(servers=[aide_server("memory")], model="openai:gpt-4o-mini") as assistant:
        print((await assistant.run("What do I like for breakfast?")).text)

Tests use `ScriptedModel` (`aide_agent.providers.scripted`) instead of a real model.

The names below are the public API. Public modules, where they are defined: `assistant`, `servers`, `messages`,
`events`, `approval`, `store`, `usage`, `ledger`, `inbound`, `action_memory` (what an action that happened leaves
in memory), `schedule` (the scheduler runner) and `providers` (`providers.scripted`, `providers.openai`,
`providers.anthropic`, and the interface in `providers.base`). The others (`cli`, `context`, `memory`, `names`,
`schema`, `toolbox`) are implementation. Importing the package does no work: no files, no threads, no logging
configuration (`aide chat`, the command, configures logging; the library never does).
"""

from aide_agent.approval import ApprovalCallback, ApprovalRequest, ask_on_terminal
from aide_agent.assistant import Assistant, RunResult
from aide_agent.events import Learned, Notice, TextChunk, ToolFinished, ToolStarted
from aide_agent.ledger import UsageLedger
from aide_agent.messages import Message, ModelResponse, ToolCall, ToolSpec, Usage
from aide_agent.providers import Model, ModelError, infer_model
from aide_agent.providers.scripted import ScriptedModel, call
from aide_agent.servers import ServerConfig, aide_server, load_mcp_servers, stdio, url
from aide_agent.store import Conversations, ConversationStore
from aide_agent.usage import Limits, UsageLimitExceeded

__all__ = [
    "ApprovalCallback",
    "ApprovalRequest",
    "Assistant",
    "ConversationStore",
    "Conversations",
    "Learned",
    "Limits",
    "Message",
    "Model",
    "ModelError",
    "ModelResponse",
    "Notice",
    "RunResult",
    "ScriptedModel",
    "ServerConfig",
    "TextChunk",
    "ToolCall",
    "ToolFinished",
    "ToolSpec",
    "ToolStarted",
    "Usage",
    "UsageLedger",
    "UsageLimitExceeded",
    "aide_server",
    "ask_on_terminal",
    "call",
    "infer_model",
    "load_mcp_servers",
    "stdio",
    "url",
]
