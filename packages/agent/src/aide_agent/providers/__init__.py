"""Model providers, one module each: `scripted` (a double for tests), `openai`, `anthropic`.

`infer_model("openai:gpt-4o-mini")` turns a model string into a `Model`; the SDK modules are imported only when used,
so the optional extras stay optional.
"""

from __future__ import annotations

import os

from aide_agent.providers.base import (
    MissingCredentials,
    Model,
    ModelError,
    ModelRequestsDisabled,
    check_allowed,
)

__all__ = ["MissingCredentials", "Model", "ModelError", "ModelRequestsDisabled", "check_allowed", "infer_model"]

#: What `aide chat` uses when neither --model nor AIDE_AGENT_MODEL says otherwise.
DEFAULT_MODEL = "anthropic:claude-sonnet-4-5"


def infer_model(model: str | Model, *, base_url: str | None = None, api_key: str | None = None) -> Model:
    """A model from its string: `openai:<model>`, `anthropic:<model>`, `scripted` or
    `scripted:<file.json>` (a script of turns, for demos and command-line tests). With `base_url`, `openai:`
    talks to any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio), where a key is optional."""
    if isinstance(model, Model):
        return model
    provider, _, name = model.partition(":")
    if provider == "scripted":
        from aide_agent.providers.scripted import ScriptedModel, load_script

        return ScriptedModel(load_script(name) if name else [])
    if not name:
        raise ValueError(f"model {model!r}: expected 'provider:model', e.g. 'openai:gpt-4o-mini'")
    if provider == "openai":
        from aide_agent.providers.openai import OpenAIModel

        key = api_key or os.environ.get("OPENAI_API_KEY")
        if key is None and base_url is None and not os.environ.get("OPENAI_BASE_URL"):
            raise MissingCredentials("set OPENAI_API_KEY, or choose another model with --model")
        return OpenAIModel(name, base_url=base_url, api_key=key or "not-needed")
    if provider == "anthropic":
        from aide_agent.providers.anthropic import AnthropicModel

        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if key is None:
            raise MissingCredentials("set ANTHROPIC_API_KEY, or choose another model with --model")
        return AnthropicModel(name, base_url=base_url, api_key=key)
    raise ValueError(f"unknown provider {provider!r}: use openai:<model>, anthropic:<model> or scripted")
