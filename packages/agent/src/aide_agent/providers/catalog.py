"""The models people have, by name: `PREFIX:MODEL` for each provider aide speaks to, with its endpoint and where its
key comes from. Two wire formats cover them all: OpenAI's chat completions (OpenAI, Gemini's OpenAI-compatible
endpoint, Ollama, LM Studio, vLLM, Azure OpenAI) and Anthropic's messages (Anthropic, and Claude on Amazon Bedrock or
Google Vertex AI through the anthropic SDK's own clients). The README's model table is this table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from aide_agent.providers.base import MissingCredentials, Model

__all__ = ["PROVIDERS", "Provider", "build"]


@dataclass(frozen=True)
class Provider:
    """One way to reach a model. `base_url` is the endpoint when `--base-url` does not say otherwise; the key is
    read from the first of `keys` that is set, and a provider with `key_required` refuses to start without one."""

    prefix: str
    wire: Literal["openai", "anthropic", "azure", "bedrock", "vertex"]
    what: str
    base_url: str | None = None
    keys: tuple[str, ...] = ()
    key_required: bool = True
    example: str = ""


PROVIDERS: dict[str, Provider] = {
    p.prefix: p
    for p in (
        Provider("anthropic", "anthropic", "Anthropic", keys=("ANTHROPIC_API_KEY",), example="claude-sonnet-4-5"),
        Provider("openai", "openai", "OpenAI", keys=("OPENAI_API_KEY",), example="gpt-4o-mini"),
        Provider(
            "gemini",
            "openai",
            "Google Gemini (its OpenAI-compatible endpoint)",
            base_url="https://generativelanguage.googleapis.com/v1beta/openai/",
            keys=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            example="gemini-2.5-flash",
        ),
        Provider(
            "ollama", "openai", "Ollama on this machine", "http://127.0.0.1:11434/v1", key_required=False,
            example="llama3.2",
        ),
        Provider(
            "lmstudio", "openai", "LM Studio on this machine", "http://127.0.0.1:1234/v1", key_required=False,
            example="qwen2.5-7b-instruct",
        ),
        Provider(
            "vllm", "openai", "a vLLM server", "http://127.0.0.1:8000/v1", keys=("VLLM_API_KEY",),
            key_required=False, example="meta-llama/Llama-3.1-8B-Instruct",
        ),
        Provider(
            "azure", "azure", "Azure OpenAI (MODEL is your deployment's name)",
            keys=("AZURE_OPENAI_API_KEY",), example="my-gpt-4o",
        ),
        Provider(
            "bedrock", "bedrock", "Claude on Amazon Bedrock (AWS credentials as boto3 finds them)",
            key_required=False, example="anthropic.claude-sonnet-4-5-v1:0",
        ),
        Provider(
            "vertex", "vertex", "Claude on Google Vertex AI (Google application default credentials)",
            key_required=False, example="claude-sonnet-4-5@20250929",
        ),
    )
}  # fmt: skip


def _key(provider: Provider, given: str | None, *, required: bool | None = None) -> str | None:
    key = given or next((os.environ[name] for name in provider.keys if os.environ.get(name)), None)
    if key is None and (provider.key_required if required is None else required):
        names = " or ".join(provider.keys)
        raise MissingCredentials(f"set {names}, or choose another model with --model")
    return key


def _need(variable: str, provider: Provider) -> str:
    value = os.environ.get(variable)
    if not value:
        raise MissingCredentials(f"{provider.prefix}: set {variable}, or choose another model with --model")
    return value


def build(provider: Provider, model: str, *, base_url: str | None = None, api_key: str | None = None) -> Model:
    """The `Model` for `provider` and `model` (SDKs imported here, when used)."""
    if provider.wire == "openai":
        from aide_agent.providers.openai import OpenAIModel

        own = base_url or (os.environ.get("OPENAI_BASE_URL") if provider.prefix == "openai" else None)
        # OpenAI's SDK pointed at an endpoint of one's own (a proxy, a local server) may need no key.
        key = _key(provider, api_key, required=provider.key_required and not (provider.prefix == "openai" and own))
        built = OpenAIModel(model, base_url=own or provider.base_url, api_key=key or "not-needed")
    elif provider.wire == "anthropic":
        from aide_agent.providers.anthropic import AnthropicModel

        built = AnthropicModel(model, base_url=base_url, api_key=_key(provider, api_key))
    elif provider.wire == "azure":
        from openai import AsyncAzureOpenAI

        from aide_agent.providers.openai import OpenAIModel

        client = AsyncAzureOpenAI(
            azure_endpoint=base_url or _need("AZURE_OPENAI_ENDPOINT", provider),
            api_key=_key(provider, api_key),
            api_version=os.environ.get("OPENAI_API_VERSION", "2024-10-21"),
        )
        built = OpenAIModel(model, client=client)
    else:
        built = _claude_elsewhere(provider, model)
    built.name = f"{provider.prefix}:{model}"
    return built


def _claude_elsewhere(provider: Provider, model: str) -> Model:
    """Claude through the anthropic SDK's Bedrock or Vertex client; their extras are installed separately."""
    from aide_agent.providers.anthropic import AnthropicModel

    try:
        if provider.wire == "bedrock":
            region = os.environ.get("AWS_REGION") or _need("AWS_DEFAULT_REGION", provider)
            import boto3  # noqa: F401  # pyright: ignore[reportMissingImports, reportUnusedImport]  # used by the client
            from anthropic.lib.bedrock import AsyncAnthropicBedrock

            client = AsyncAnthropicBedrock(aws_region=region)
        else:
            from anthropic.lib.vertex import AsyncAnthropicVertex

            client = AsyncAnthropicVertex(
                region=os.environ.get("CLOUD_ML_REGION", "us-east5"),
                project_id=_need("ANTHROPIC_VERTEX_PROJECT_ID", provider),
            )
    except ImportError as exc:
        extra = "bedrock" if provider.wire == "bedrock" else "vertex"
        raise MissingCredentials(
            f"{provider.prefix}: install the anthropic SDK's {extra} support: uv pip install 'anthropic[{extra}]' "
            f"({exc.name} is missing)"
        ) from None
    return AnthropicModel(model, client=client)  # type: ignore[arg-type]  # the same messages API
