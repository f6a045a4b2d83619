"""record_response(): every provider's body shape, as raw JSON and as the official SDK's object."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

import vaultledger.capture.logger
from vaultledger.capture import record_response, usage_from_response
from vaultledger.capture.context import context
from vaultledger.errors import InvalidRecord
from vaultledger.capture.logger import UsageLog
from vaultledger.record import parse_line, to_line

FIXTURES = Path(__file__).parent / "fixtures" / "sdk-responses"


def body(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())["body"]


# --- building the real SDK objects from JSON, as the SDKs do for an HTTP body (no validation) ---


def anthropic_message(raw: dict[str, Any]) -> Any:
    from anthropic._models import construct_type
    from anthropic.types import Message

    return construct_type(type_=Message, value=raw)


def anthropic_events(raw: list[dict[str, Any]]) -> list[Any]:
    from anthropic._models import construct_type
    from anthropic.types import RawMessageStreamEvent

    return [construct_type(type_=RawMessageStreamEvent, value=event) for event in raw]


def openai_chat(raw: dict[str, Any]) -> Any:
    from openai._models import construct_type
    from openai.types.chat import ChatCompletion

    return construct_type(type_=ChatCompletion, value=raw)


def openai_response(raw: dict[str, Any]) -> Any:
    from openai._models import construct_type
    from openai.types.responses import Response

    return construct_type(type_=Response, value=raw)


def gemini_response(raw: dict[str, Any]) -> Any:
    from google.genai.types import GenerateContentResponse

    return GenerateContentResponse.model_validate(raw)


class LiteLLMUsage(pydantic.BaseModel):
    """Shaped like litellm.Usage: OpenAI fields plus Anthropic cache counts as extras."""

    model_config = pydantic.ConfigDict(extra="allow")
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, Any] | None = None


class LiteLLMModelResponse(pydantic.BaseModel):
    """Shaped like litellm.ModelResponse (an OpenAI chat completion object)."""

    model_config = pydantic.ConfigDict(extra="allow")
    id: str
    created: int
    model: str
    object: str = "chat.completion"
    choices: list[dict[str, Any]]
    usage: LiteLLMUsage


def litellm_response(raw: dict[str, Any]) -> Any:
    return LiteLLMModelResponse.model_validate(raw)


# --- the bodies: fixture files from the providers' docs, and variants of them ---


def anthropic_1h_cache() -> dict[str, Any]:
    raw = copy.deepcopy(body("anthropic-messages.json"))
    raw["usage"].update(
        cache_creation_input_tokens=3000,
        cache_creation={"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
        output_tokens_details={"thinking_tokens": 200},
    )
    del raw["usage"]["server_tool_use"]
    return raw


def anthropic_stream() -> list[dict[str, Any]]:
    """Raw events of a streamed message: usage starts in message_start, grows in message_delta."""
    message = {k: v for k, v in body("anthropic-messages.json").items() if k != "content"}
    message = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    return [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello!"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 321}},
        {"type": "message_stop"},
    ]


def openai_chat_cache_write() -> dict[str, Any]:
    raw = copy.deepcopy(body("openai-chat.json"))
    raw["model"] = "o3-2025-04-16"
    raw["service_tier"] = "flex"
    raw["usage"]["prompt_tokens_details"]["cache_write_tokens"] = 500
    raw["usage"]["completion_tokens_details"]["reasoning_tokens"] = 400
    return raw


def gemini_snake_case_with_tools() -> dict[str, Any]:
    return {
        "model_version": "gemini-2.5-pro",
        "response_id": "abc123",
        "usage_metadata": {
            "prompt_token_count": 1000,
            "tool_use_prompt_token_count": 250,
            "candidates_token_count": 80,
            "thoughts_token_count": 20,
            "cached_content_token_count": 600,
            "total_token_count": 1350,
        },
    }


def litellm_anthropic(includes_cache_write: bool) -> dict[str, Any]:
    """LiteLLM's OpenAI-shaped usage for an Anthropic call; older versions left cache writes out."""
    prompt = 12 + 30000 + (2048 if includes_cache_write else 0)
    return {
        "id": "chatcmpl-7f0c", "created": 1763880000, "model": "claude-sonnet-4-5-20250929",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt, "completion_tokens": 321, "total_tokens": prompt + 321,
            "prompt_tokens_details": {"cached_tokens": 30000},
            "cache_creation_input_tokens": 2048, "cache_read_input_tokens": 30000,
        },
    }


def deepseek_chat() -> dict[str, Any]:
    return {
        "id": "930c60df", "object": "chat.completion", "created": 1763880000, "model": "deepseek-chat",
        "choices": [],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 60, "total_tokens": 1260,
                  "prompt_cache_hit_tokens": 1024, "prompt_cache_miss_tokens": 176},
    }


def groq_chat() -> dict[str, Any]:
    return {
        "id": "chatcmpl-g1", "object": "chat.completion", "created": 1763880000,
        "model": "llama-3.3-70b-versatile", "choices": [], "x_groq": {"id": "req_01j"},
        "usage": {"prompt_tokens": 40, "completion_tokens": 10, "total_tokens": 50, "queue_time": 0.02},
    }


def ollama_prompt_cached() -> dict[str, Any]:
    raw = copy.deepcopy(body("ollama-chat.json"))
    del raw["prompt_eval_count"]
    return raw


def openai_response_completed_event() -> dict[str, Any]:
    return {"type": "response.completed", "sequence_number": 42,
            "response": {**body("openai-responses.json"), "completed_at": 1763880012}}


def bedrock_stream_metadata() -> dict[str, Any]:
    raw = body("bedrock-converse.json")
    return {"metadata": {"usage": raw["usage"], "metrics": raw["metrics"]}}


BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"

# (case id, raw body, SDK object builder or None, extra arguments, expected record fields)
CASES: list[tuple[str, Callable[[], Any], Callable[[Any], Any] | None, dict[str, Any], dict[str, Any]]] = [
    ("anthropic", lambda: body("anthropic-messages.json"), anthropic_message, {}, dict(
        provider="anthropic", model="claude-sonnet-4-5-20250929", id="msg_01XFDUDYJgAACzvnptvVoYEL",
        input_tokens=32060, cache_read_tokens=30000, cache_write_tokens=2048, output_tokens=321,
        reasoning_tokens=0, service_tier="standard", web_search_requests=1, attrs=None)),
    ("anthropic-1h-cache", anthropic_1h_cache, anthropic_message, {}, dict(
        input_tokens=33012, cache_read_tokens=30000, cache_write_tokens=3000, output_tokens=321,
        reasoning_tokens=200, cache_write_1h_tokens=2000, attrs=None)),
    ("anthropic-stream", anthropic_stream, anthropic_events, {}, dict(
        provider="anthropic", model="claude-sonnet-4-5-20250929", id="msg_01XFDUDYJgAACzvnptvVoYEL",
        input_tokens=32060, cache_read_tokens=30000, cache_write_tokens=2048, output_tokens=321)),
    ("openai-chat", lambda: body("openai-chat.json"), openai_chat, {}, dict(
        provider="openai", model="gpt-4o-mini-2024-07-18", id="chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        input_tokens=2500, cache_read_tokens=1024, cache_write_tokens=0, output_tokens=620, reasoning_tokens=0)),
    ("openai-chat-cache-write", openai_chat_cache_write, openai_chat, {}, dict(
        provider="openai", model="o3-2025-04-16", input_tokens=2500, cache_read_tokens=1024,
        cache_write_tokens=500, output_tokens=620, reasoning_tokens=400, service_tier="flex")),
    ("openai-responses", lambda: body("openai-responses.json"), openai_response, {}, dict(
        provider="openai", model="o4-mini-2025-04-16", id="resp_67ccd2bed1ec8190b14f964abc054267",
        input_tokens=3200, cache_read_tokens=1536, output_tokens=1800, reasoning_tokens=1344)),
    ("openai-response-completed-event", openai_response_completed_event, None, {}, dict(
        input_tokens=3200, reasoning_tokens=1344,
        ts=dt.datetime.fromtimestamp(1763880012, dt.timezone.utc))),
    ("gemini", lambda: body("gemini-generate-content.json"), gemini_response, {}, dict(
        provider="gcp.gemini", model="gemini-2.5-flash", id="mOlkaN6uC8a1nvgP6eWi4QY",
        input_tokens=4100, cache_read_tokens=2048, output_tokens=1412, reasoning_tokens=900)),
    ("gemini-snake-case-tools", gemini_snake_case_with_tools, gemini_response, {}, dict(
        provider="gcp.gemini", model="gemini-2.5-pro", input_tokens=1250, cache_read_tokens=600,
        output_tokens=100, reasoning_tokens=20)),
    ("vertex", lambda: body("gemini-generate-content.json"), gemini_response, {"provider": "vertex_ai"},
     dict(provider="gcp.vertex_ai", output_tokens=1412)),
    ("mistral", lambda: body("mistral-chat.json"), openai_chat, {}, dict(
        provider="mistral_ai", model="mistral-small-latest", id="cmpl-e5cc70bb28c444948073e77776eb30ef",
        input_tokens=16, output_tokens=34)),
    ("deepseek", deepseek_chat, openai_chat, {}, dict(
        provider="deepseek", input_tokens=1200, cache_read_tokens=1024, output_tokens=60)),
    ("groq", groq_chat, openai_chat, {}, dict(provider="groq", input_tokens=40, output_tokens=10)),
    ("litellm", lambda: litellm_anthropic(includes_cache_write=True), litellm_response, {}, dict(
        provider="anthropic", model="claude-sonnet-4-5-20250929", input_tokens=32060,
        cache_read_tokens=30000, cache_write_tokens=2048, output_tokens=321)),
    ("litellm-old", lambda: litellm_anthropic(includes_cache_write=False), litellm_response, {}, dict(
        input_tokens=32060, cache_read_tokens=30000, cache_write_tokens=2048)),
    ("ollama", lambda: body("ollama-chat.json"), None, {}, dict(
        provider="ollama", model="llama3.1:8b", input_tokens=26, output_tokens=282, duration_ms=4883,
        ts=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc), attrs=None)),
    ("ollama-prompt-cached", ollama_prompt_cached, None, {}, dict(
        provider="ollama", input_tokens=0, output_tokens=282, attrs={"input_tokens_unknown": True})),
    ("bedrock", lambda: body("bedrock-converse.json"), None, {"model": BEDROCK_MODEL}, dict(
        provider="aws.bedrock", model=BEDROCK_MODEL, input_tokens=5150, cache_read_tokens=4000,
        cache_write_tokens=1000, output_tokens=90, duration_ms=812)),
    ("bedrock-stream", bedrock_stream_metadata, None, {"model": BEDROCK_MODEL}, dict(
        provider="aws.bedrock", input_tokens=5150, output_tokens=90)),
    ("anthropic-on-bedrock", lambda: body("anthropic-messages.json"), anthropic_message,
     {"provider": "bedrock"}, dict(provider="aws.bedrock", input_tokens=32060)),
]


def forms() -> list[Any]:
    """Each case as a raw dict, as JSON text, and (where an SDK exists) as the SDK's object."""
    params = []
    for name, raw, build, kwargs, expected in CASES:
        params.append(pytest.param(raw, kwargs, expected, id=f"{name}-dict"))
        if build is None:
            params.append(pytest.param(lambda raw=raw: json.dumps(raw()), kwargs, expected, id=f"{name}-json"))
        else:
            params.append(pytest.param(lambda raw=raw, build=build: build(raw()), kwargs, expected, id=f"{name}-sdk"))
    return params


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process-wide logger writes into tmp_path; every warning is shown again."""
    logs = tmp_path / "logs"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("VAULTLEDGER_CONFIG", raising=False)
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(logs))
    monkeypatch.setenv("VAULTLEDGER_TZ", "UTC")
    monkeypatch.setattr(vaultledger.capture.logger, "_warned", set())
    return logs


def fields_of(record: Any, names: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


@pytest.mark.parametrize(("response", "kwargs", "expected"), forms())
def test_record_response_extracts_exact_usage(response: Callable[[], Any], kwargs: dict[str, Any],
                                              expected: dict[str, Any]) -> None:
    record = record_response(response(), log=False, **kwargs)
    assert record is not None
    assert fields_of(record, expected) == expected


@pytest.mark.parametrize(("response", "kwargs", "expected"), forms())
def test_usage_from_response_is_the_pure_extraction(response: Callable[[], Any], kwargs: dict[str, Any],
                                                    expected: dict[str, Any]) -> None:
    usage = usage_from_response(response(), **kwargs)
    tokens = {k: v for k, v in expected.items() if k.endswith("_tokens") and v}
    assert {k: usage.get(k) for k in tokens} == tokens


def test_record_lands_in_the_days_log_file(isolated: Path) -> None:
    record = record_response(body("anthropic-messages.json"), project="orbis",
                             ts=dt.datetime(2026, 3, 14, 9, 12, 3, tzinfo=dt.timezone.utc))
    assert record is not None
    lines = (isolated / "2026-03-14.jsonl").read_bytes().splitlines()
    assert len(lines) == 1
    written = parse_line(lines[0])
    assert (written.input_tokens, written.cache_read_tokens, written.project) == (32060, 30000, "orbis")


def test_usage_log_argument_is_used_instead_of_the_process_log(tmp_path: Path) -> None:
    usage_log = UsageLog(tmp_path / "elsewhere", "UTC")
    record = record_response(body("openai-chat.json"), usage_log=usage_log)
    assert record is not None
    [written] = list((tmp_path / "elsewhere").glob("*.jsonl"))
    assert parse_line(written.read_bytes()).id == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"


def test_ts_defaults_to_now_with_an_offset() -> None:
    before = dt.datetime.now(dt.timezone.utc)
    record = record_response(body("openai-chat.json"), log=False)
    assert record is not None and record.ts.tzinfo is not None
    assert before <= record.ts <= dt.datetime.now(dt.timezone.utc)


def test_context_defaults_fill_what_the_call_does_not_say() -> None:
    with context(project="orbis", use_case="code", app="poet", tags=["nightly"]):
        record = record_response(body("gemini-generate-content.json"), log=False, use_case="poem",
                                 unit_id="poem-0042", tags=["draft"])
    assert record is not None
    assert fields_of(record, ["project", "use_case", "app", "unit_id", "tags"]) == {
        "project": "orbis", "use_case": "poem", "app": "poet", "unit_id": "poem-0042",
        "tags": ("nightly", "draft")}


def test_caller_fields_win_over_the_response_except_the_model() -> None:
    raw = body("anthropic-messages.json")
    raw["usage"]["speed"] = "fast"
    record = record_response(raw, log=False, model="claude-other", id="my-id", service_tier="batch",
                             attrs={"run": "r-17"})
    assert record is not None
    assert (record.model, record.id, record.service_tier) == ("claude-sonnet-4-5-20250929", "my-id", "batch")
    assert record.attrs == {"speed": "fast", "run": "r-17"}


def test_prompts_and_completions_never_reach_the_log() -> None:
    raw = body("anthropic-messages.json")
    raw["content"][0]["text"] = "SECRET COMPLETION TEXT"
    record = record_response(anthropic_message(raw), log=False)
    assert record is not None and b"SECRET" not in to_line(record)


def test_bedrock_without_model_warns_and_returns_none(isolated: Path) -> None:
    with pytest.warns(RuntimeWarning, match="pass model="):
        assert record_response(body("bedrock-converse.json")) is None
    assert not isolated.exists()


@pytest.mark.parametrize("garbage", [None, 42, {}, [], "not json", b"{}", {"usage": "lots"}, object(),
                                     {"usage": {"prompt_tokens": -5, "completion_tokens": 1}, "model": "gpt-4o"}],
                         ids=lambda value: type(value).__name__ if type(value) is object else repr(value))
def test_garbage_never_raises_it_warns_once_and_returns_none(garbage: Any, isolated: Path) -> None:
    with pytest.warns(RuntimeWarning, match="usage not logged"):
        assert record_response(garbage) is None
    assert not isolated.exists()


@pytest.mark.parametrize("garbage", [None, 42, {}, {"model": "x"}])
def test_usage_from_response_raises_invalid_record_on_unknown_shapes(garbage: Any) -> None:
    with pytest.raises(InvalidRecord):
        usage_from_response(garbage)


def test_unknown_fields_are_refused_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="unknown field 'projekt'"):
        assert record_response(body("openai-chat.json"), log=False, projekt="orbis") is None


def test_capture_modules_do_not_import_the_sdks() -> None:
    """The SDKs are test extras only: capture reads objects by duck typing."""
    import ast

    import vaultledger.capture

    sdks = {"anthropic", "openai", "google", "mistralai", "litellm", "ollama", "boto3", "botocore", "cohere",
            "groq", "xai_sdk", "httpx", "httpx2", "requests", "genai_prices"}
    plugins = {"litellm.py"}  # an optional integration subclasses its library's logger: vaultledger[litellm]
    for path in Path(vaultledger.capture.__file__).parent.rglob("*.py"):
        if path.name in plugins:
            continue
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0}
        assert not imported & sdks, path.name
