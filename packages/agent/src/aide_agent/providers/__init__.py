"""Model providers, one module each: `scripted` (a double for tests), `openai`, `anthropic`; `catalog` names every
provider reached through them (Gemini, Ollama, LM Studio, vLLM, Azure OpenAI, Bedrock, Vertex).

`infer_model("openai:gpt-4o-mini")` turns a model string into a `Model`; the SDK modules are imported only when used,
so the optional extras stay optional.
"""

from __future__ import annotations

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
    from aide_agent.providers.catalog import PROVIDERS, build

    if provider in PROVIDERS:
        return build(PROVIDERS[provider], name, base_url=base_url, api_key=api_key)
    known = ", ".join(f"{prefix}:<model>" for prefix in PROVIDERS)
    raise ValueError(f"unknown provider {provider!r}: use {known} or scripted:<file.json>")
