"""The models people have, by name: each provider of the catalog builds the right client for its endpoint, says in
one line what is missing, and (where the wire format is OpenAI's or Anthropic's) talks to the sandbox's fakes."""

from __future__ import annotations

import pytest

from aide_agent.messages import Message
from aide_agent.providers import MissingCredentials, infer_model
from aide_agent.providers.catalog import PROVIDERS
from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply

CREDENTIALS = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "VLLM_API_KEY",
    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION", "ANTHROPIC_VERTEX_PROJECT_ID",
)  # fmt: skip


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("model", "endpoint"),
    [
        ("ollama:llama3.2", "http://127.0.0.1:11434/v1/"),
        ("lmstudio:qwen2.5-7b-instruct", "http://127.0.0.1:1234/v1/"),
        ("vllm:meta-llama/Llama-3.1-8B-Instruct", "http://127.0.0.1:8000/v1/"),
    ],
)
def test_a_local_server_by_name_needs_no_key_and_uses_its_usual_endpoint(model: str, endpoint: str) -> None:
    built = infer_model(model)
    assert built.name == model
    assert str(built.client.base_url) == endpoint  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "line"),
    [
        ("gemini:gemini-2.5-flash", "set GEMINI_API_KEY or GOOGLE_API_KEY, or choose another model with --model"),
        ("azure:my-gpt-4o", "azure: set AZURE_OPENAI_ENDPOINT, or choose another model with --model"),
        (
            "vertex:claude-sonnet-4-5@20250929",
            "vertex: set ANTHROPIC_VERTEX_PROJECT_ID, or choose another model with --model",
        ),
        ("anthropic:claude-sonnet-4-5", "set ANTHROPIC_API_KEY, or choose another model with --model"),
        ("openai:gpt-4o-mini", "set OPENAI_API_KEY, or choose another model with --model"),
    ],
)
def test_what_a_provider_is_missing_is_one_line_naming_the_variable(model: str, line: str) -> None:
    with pytest.raises(MissingCredentials) as missing:
        infer_model(model)
    assert str(missing.value) == line


def test_azure_and_vertex_build_their_own_clients_once_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "my-project")
    azure, vertex = infer_model("azure:my-gpt-4o"), infer_model("vertex:claude-sonnet-4-5@20250929")
    assert (azure.name, type(azure.client).__name__) == ("azure:my-gpt-4o", "AsyncAzureOpenAI")  # type: ignore[attr-defined]
    assert (vertex.name, type(vertex.client).__name__) == ("vertex:claude-sonnet-4-5@20250929", "AsyncAnthropicVertex")  # type: ignore[attr-defined]


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown provider 'nope': use anthropic:<model>, openai:<model>, gemini:"):
        infer_model("nope:x")
    assert set(PROVIDERS) == {
        "anthropic",
        "openai",
        "gemini",
        "ollama",
        "lmstudio",
        "vllm",
        "azure",
        "bedrock",
        "vertex",
    }


@pytest.mark.anyio
async def test_gemini_speaks_openais_wire_format_with_its_own_key(
    fakes: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    fakes.llm.queue("openai.chat", Reply(text="Hello from Gemini.", input_tokens=9, output_tokens=4))
    model = infer_model("gemini:gemini-2.5-flash", base_url=fakes.urls["openai"])
    try:
        response = await model.request([Message.user("Hi?")], [])
    finally:
        await model.aclose()
    (request,) = fakes.llm.requests("openai.chat")
    assert (response.text, model.name) == ("Hello from Gemini.", "gemini:gemini-2.5-flash")
    assert request.body["model"] == "gemini-2.5-flash"
    assert request.headers.get("authorization") == "Bearer gemini-key"


def test_the_readmes_model_table_has_a_row_for_every_provider_with_its_example() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    table = readme.split("<!-- models:start -->")[1].split("<!-- models:end -->")[0]
    rows = [line.strip() for line in table.splitlines() if line.strip().startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [f"{p.prefix}:{p.example}" for p in PROVIDERS.values()]


def test_bedrock_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingCredentials, match=r"^bedrock: set AWS_DEFAULT_REGION"):
        infer_model("bedrock:anthropic.claude-sonnet-4-5-v1:0")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(MissingCredentials) as missing:
        infer_model("bedrock:anthropic.claude-sonnet-4-5-v1:0")  # boto3 is not in this workspace's lock
    assert str(missing.value) == (
        "bedrock: install the anthropic SDK's bedrock support: uv pip install 'anthropic[bedrock]' (boto3 is missing)"
    )
