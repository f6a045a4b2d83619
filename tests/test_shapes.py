"""The response shapes, units and hosts of issue 14, one behaviour per test.

Bodies go through the official SDK's own types where the SDK is a test extra (anthropic, openai,
google-genai); xai-sdk, cohere and groq are not, so theirs are given as the JSON those SDKs parse.
The numbers are made up in each provider's documented shape (the real bodies are swept in
test_real_world_bodies.py, which reads the shared corpus in place).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vaultledger.capture.logger
from vaultledger.capture import record_response, usage_from_response
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.hosts import provider_for_url
from vaultledger.capture.shapes.settle import settle_counts
from vaultledger.record import UsageRecord, make_record, parse_line

TS = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vaultledger.capture.logger, "_warned", set())


def anthropic_message(raw: dict[str, Any]) -> Any:
    from anthropic._models import construct_type
    from anthropic.types import Message

    return construct_type(type_=Message, value=raw)


def openai_object(kind: str, raw: dict[str, Any]) -> Any:
    from openai._models import construct_type
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from openai.types.responses import Response

    types = {"chat": ChatCompletion, "chunk": ChatCompletionChunk, "response": Response}
    return construct_type(type_=types[kind], value=raw)


def gemini_response(raw: dict[str, Any]) -> Any:
    from google.genai.types import GenerateContentResponse

    return GenerateContentResponse.model_validate(raw)


def record(response: Any, **kwargs: Any) -> UsageRecord:
    made = record_response(response, log=False, ts=TS, **kwargs)
    assert made is not None
    return made


def chat(model: str, usage: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1772366400, "model": model,
            "choices": [], "usage": usage, **top}


# --- Anthropic: 1-hour cache writes and web searches are record fields ---


def anthropic_body(usage: dict[str, Any], *, message_id: str = "msg_01A", model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    return {"id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": "end_turn", "usage": {"input_tokens": 10, "output_tokens": 50, **usage}}


def test_anthropic_one_hour_writes_and_web_searches_become_record_fields() -> None:
    raw = anthropic_body({
        "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 500,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
        "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 2},
    })
    made = record(anthropic_message(raw))
    assert (made.input_tokens, made.cache_write_tokens, made.cache_write_1h_tokens) == (3510, 3000, 2000)
    assert made.web_search_requests == 3
    assert made.attrs == {"web_fetch_requests": 2}  # free tools stay informational


def test_anthropic_stream_takes_web_searches_from_the_last_message_delta() -> None:
    start = anthropic_body({"cache_read_input_tokens": 0})
    events = [{"type": "message_start", "message": start},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
               "usage": {"output_tokens": 637, "server_tool_use": {"web_search_requests": 2}}},
              {"type": "message_stop"}]
    made = record(events)
    assert (made.output_tokens, made.web_search_requests) == (637, 2)


@pytest.mark.parametrize(("message_id", "provider"), [("msg_bdrk_01H8tV", "aws.bedrock"),
                                                      ("msg_vrtx_01Qx", "gcp.vertex_ai"),
                                                      ("msg_01XFDUDY", "anthropic")])
def test_claude_message_ids_name_the_cloud_that_served_them(message_id: str, provider: str) -> None:
    made = record(anthropic_message(anthropic_body({}, message_id=message_id)))
    assert (made.provider, made.attrs) == (provider, None)


def test_anthropic_shaped_body_of_another_model_is_a_flagged_guess() -> None:
    raw = anthropic_body({}, model="glm-4.6")
    assert (record(raw).provider, record(raw).attrs) == ("zai", {"provider_guessed": True})
    assert (record(raw, provider="zai").provider, record(raw, provider="zai").attrs) == ("zai", None)


def test_bedrock_converse_cache_details_split_out_one_hour_writes() -> None:
    raw = {"usage": {"inputTokens": 3, "outputTokens": 20, "cacheReadInputTokens": 100, "cacheWriteInputTokens": 700,
                     "cacheDetails": [{"inputTokens": 500, "ttl": "1h"}, {"inputTokens": 200, "ttl": "5m"}]}}
    made = record(raw, model="us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert (made.input_tokens, made.cache_write_tokens, made.cache_write_1h_tokens) == (803, 700, 500)


# --- Gemini: modality parts, and Vertex AI told apart from the Gemini API ---


def gemini_body(usage: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"modelVersion": "gemini-2.5-flash", "responseId": "r-1", "usageMetadata": usage, **top}


def test_gemini_modalities_are_kept_as_priced_parts() -> None:
    raw = gemini_body({
        "promptTokenCount": 3000, "cachedContentTokenCount": 1200, "candidatesTokenCount": 1300,
        "thoughtsTokenCount": 100, "toolUsePromptTokenCount": 40,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}, {"modality": "AUDIO", "tokenCount": 600},
                                {"modality": "VIDEO", "tokenCount": 1500}, {"modality": "DOCUMENT", "tokenCount": 800}],
        "toolUsePromptTokensDetails": [{"modality": "IMAGE", "tokenCount": 40}],
        "cacheTokensDetails": [{"modality": "AUDIO", "tokenCount": 300}, {"modality": "VIDEO", "tokenCount": 900}],
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}, {"modality": "TEXT", "tokenCount": 10}],
    })
    made = record(gemini_response(raw))
    assert (made.input_tokens, made.output_tokens, made.reasoning_tokens) == (3040, 1400, 100)
    assert (made.input_audio_tokens, made.input_video_tokens, made.input_image_tokens) == (600, 1500, 840)
    assert (made.cache_read_tokens, made.cache_read_audio_tokens, made.output_image_tokens) == (1200, 300, 1290)


def test_vertex_bodies_are_told_apart_by_create_time_and_traffic_type() -> None:
    vertex = gemini_body({"promptTokenCount": 9, "candidatesTokenCount": 5, "trafficType": "ON_DEMAND"},
                         createTime="2026-03-01T12:00:00.000000Z")
    assert record(gemini_response(vertex)).provider == "gcp.vertex_ai"
    assert record(vertex).provider == "gcp.vertex_ai"
    assert record(gemini_body({"promptTokenCount": 9, "candidatesTokenCount": 5})).provider == "gcp.gemini"


# --- OpenAI-shaped bodies that mean something else ---


def test_xai_native_body_counts_reasoning_outside_completion_and_reads_cached_tokens() -> None:
    raw = {"id": "3a32", "model": "grok-4-fast-reasoning", "created": "2026-02-17T02:54:39.902611260Z",
           "usage": {"completion_tokens": 52, "prompt_tokens": 1889, "total_tokens": 2102, "prompt_text_tokens": 1889,
                     "reasoning_tokens": 161, "cached_prompt_text_tokens": 1347}}
    for form in (raw, json.dumps(raw)):
        made = record(form)
        assert (made.provider, made.input_tokens, made.cache_read_tokens) == ("x_ai", 1889, 1347)
        assert (made.output_tokens, made.reasoning_tokens) == (213, 161)


def test_xai_cached_tokens_beyond_the_prompt_are_capped_and_noted() -> None:
    raw = {"id": "5cb3", "model": "grok-4-1-fast-non-reasoning",
           "usage": {"completion_tokens": 63, "prompt_tokens": 676, "prompt_text_tokens": 420,
                     "prompt_image_tokens": 256, "cached_prompt_text_tokens": 960}}
    made = record(raw)
    assert (made.input_tokens, made.cache_read_tokens) == (676, 676)
    assert made.attrs == {"counts_adjusted": "cache_read_tokens 960 exceed input_tokens 676: capped at input_tokens"}


@pytest.mark.parametrize("kwargs", [{}, {"provider": "xai"}, {"base_url": "https://api.x.ai/v1"}])
@pytest.mark.parametrize("total", [{"total_tokens": 245}, {}], ids=["with-total", "without-total"])
def test_xai_rest_chat_counts_reasoning_outside_completion(kwargs: dict[str, Any], total: dict[str, int]) -> None:
    usage = {"prompt_tokens": 30, "completion_tokens": 15, "completion_tokens_details": {"reasoning_tokens": 200},
             **total}
    made = record(openai_object("chat", chat("grok-4", usage)), **kwargs)
    assert (made.provider, made.output_tokens, made.reasoning_tokens) == ("x_ai", 215, 200)


def test_xai_rest_chat_whose_total_shows_reasoning_inside_is_not_counted_twice() -> None:
    usage = {"prompt_tokens": 30, "completion_tokens": 215, "total_tokens": 245,
             "completion_tokens_details": {"reasoning_tokens": 200}}
    assert record(chat("grok-4", usage), provider="x_ai").output_tokens == 215


def test_reasoning_outside_completion_is_proved_by_the_total_for_any_host() -> None:
    usage = {"prompt_tokens": 30, "completion_tokens": 15, "total_tokens": 245,
             "completion_tokens_details": {"reasoning_tokens": 200}}
    assert record(chat("some-model", usage), base_url="https://api.example-host.com/v1").output_tokens == 215
    inside = {**usage, "completion_tokens": 215}
    assert record(chat("some-model", inside)).output_tokens == 215


def test_groq_final_stream_chunk_with_usage_only_in_x_groq() -> None:
    chunk = {"id": "chatcmpl-4ef9", "object": "chat.completion.chunk", "created": 1758144599,
             "model": "deepseek-r1-distill-llama-70b",
             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
             "x_groq": {"id": "req_01k5", "usage": {"queue_time": 0.05, "prompt_tokens": 21,
                                                    "completion_tokens": 988, "total_tokens": 1009}}}
    made = record(openai_object("chunk", chunk))
    assert (made.provider, made.input_tokens, made.output_tokens, made.attrs) == ("groq", 21, 988, None)


def test_gemini_openai_compatible_endpoint_bills_unreported_thinking_as_output() -> None:
    body = chat("gemini-2.5-pro", {"completion_tokens": 12, "prompt_tokens": 35, "total_tokens": 109})
    made = record(openai_object("chat", body), base_url="https://generativelanguage.googleapis.com/v1beta/openai/")
    assert (made.provider, made.output_tokens, made.reasoning_tokens, made.attrs) == ("gcp.gemini", 74, 62, None)


def openrouter_body(usage: dict[str, Any], model: str = "anthropic/claude-4.5-sonnet-20250929") -> dict[str, Any]:
    return chat(model, {"is_byok": False, **usage}, id="gen-1779760224-sMJGzTLJPgeLJ7PAeyJ7", provider="Amazon Bedrock")


def test_openrouter_body_is_openrouters_and_its_billed_cost_is_the_calls_cost() -> None:
    body = openrouter_body({"prompt_tokens": 550, "completion_tokens": 12, "total_tokens": 562, "cost": 0.00183})
    made = record(openai_object("chat", body))
    assert (made.provider, made.model, made.attrs) == ("openrouter", "anthropic/claude-4.5-sonnet-20250929", None)
    assert made.cost_usd == Decimal("0.00183")
    assert record(body, cost_usd=Decimal("0.002")).cost_usd == Decimal("0.002")  # the caller's word wins


def test_openrouter_free_call_costs_zero_not_unknown() -> None:
    body = openrouter_body({"prompt_tokens": 8, "completion_tokens": 17, "cost": 0}, "google/gemini-2.0-flash-exp:free")
    assert record(body).cost_usd == Decimal(0)


def test_openrouter_cached_tokens_reported_as_read_and_written_count_once() -> None:
    body = openrouter_body({"prompt_tokens": 2168, "completion_tokens": 100, "cost": 0.000497,
                            "prompt_tokens_details": {"cached_tokens": 2161, "cache_write_tokens": 2161}},
                           "google/gemini-2.5-flash")
    made = record(body)
    assert (made.input_tokens, made.cache_read_tokens, made.cache_write_tokens) == (2168, 2161, 0)
    assert "cache_write_tokens 2161 dropped" in str(made.attrs)


def test_reasoning_beyond_output_is_logged_with_valid_counts_and_a_note(tmp_path: Path) -> None:
    body = openrouter_body({"prompt_tokens": 43, "completion_tokens": 10, "cost": 0,
                            "completion_tokens_details": {"reasoning_tokens": 11}}, "minimax/minimax-m2:free")
    usage_log = UsageLog(tmp_path / "logs", "UTC")
    assert record_response(openai_object("chunk", {**body, "object": "chat.completion.chunk"}), ts=TS,
                           usage_log=usage_log) is not None
    [line] = (tmp_path / "logs" / "2026-03-01.jsonl").read_bytes().splitlines()
    written = parse_line(line)
    assert (written.output_tokens, written.reasoning_tokens) == (10, 10)
    assert written.attrs == {"counts_adjusted": "reasoning_tokens 11 exceed output_tokens 10: capped at output_tokens"}


def test_cohere_v2_counts_billed_units_and_needs_the_model() -> None:
    raw = {"id": "02069ccc", "finish_reason": "COMPLETE", "message": {"role": "assistant"},
           "usage": {"billed_units": {"input_tokens": 2406, "output_tokens": 2},
                     "tokens": {"input_tokens": 2935, "output_tokens": 4}, "cached_tokens": 2928}}
    made = record(raw, model="command-r7b-12-2024")
    assert (made.provider, made.input_tokens, made.output_tokens, made.cache_read_tokens) == ("cohere", 2406, 2, 0)
    with pytest.warns(RuntimeWarning, match="Cohere chat responses do not name the model: pass model="):
        assert record_response(raw, log=False) is None


def test_openai_chat_audio_input_and_output_are_parts() -> None:
    usage = {"prompt_tokens": 64, "completion_tokens": 90, "total_tokens": 154,
             "prompt_tokens_details": {"audio_tokens": 44, "cached_tokens": 0, "text_tokens": 20},
             "completion_tokens_details": {"audio_tokens": 81, "reasoning_tokens": 0, "text_tokens": 9}}
    made = record(openai_object("chat", chat("gpt-4o-audio-preview", usage)), provider="openai")
    assert (made.input_audio_tokens, made.output_audio_tokens) == (44, 81)


def responses_body(**top: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 1772366400, "model": "gpt-5", "output": [],
            "usage": {"input_tokens": 8576, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 52,
                      "output_tokens_details": {"reasoning_tokens": 32}, "total_tokens": 8628}, **top}


def test_openai_responses_web_searches_come_from_tool_usage() -> None:
    raw = responses_body(status="completed", tool_usage={"web_search": {"num_requests": 2}})
    assert record(openai_object("response", raw)).web_search_requests == 2


def test_background_response_still_queued_is_refused_with_its_reason() -> None:
    raw = {**responses_body(status="queued", background=True), "usage": None}
    with pytest.warns(RuntimeWarning, match="still queued"):
        assert record_response(openai_object("response", raw), log=False) is None


# --- Who served the call: told, from the host, or a flagged guess ---


@pytest.mark.parametrize(("url", "provider"), [
    ("https://api.cerebras.ai/v1", "cerebras"),
    ("https://api.z.ai/api/paas/v4", "zai"),
    ("https://router.huggingface.co/v1", "huggingface"),
    ("https://router.huggingface.co/together/v1", "huggingface_together"),
    ("https://bedrock-mantle.us-east-1.api.aws/v1", "aws.bedrock"),
    ("https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1", "aws.bedrock"),
    ("https://ollama.com/v1", "ollama"),
    ("http://localhost:11434/v1", "ollama"),
    ("https://myorg-myaccount.snowflakecomputing.com/api/v2/cortex/v1", "snowflake"),
    ("https://api.inference.crusoecloud.com/v1", "crusoe"),
    ("https://openrouter.ai/api/v1", "openrouter"),
    ("https://my-resource.openai.azure.com/openai/deployments/gpt-5", "azure.ai.openai"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/", "gcp.gemini"),
    ("https://us-central1-aiplatform.googleapis.com/v1", "gcp.vertex_ai"),
    ("api.groq.com", "groq"),
    ("https://api.cloudflare.com/client/v4/accounts/abc/ai/v1", "cloudflare"),
    ("https://llm.internal.example.com/v1", None),
    ("http://localhost:8080/v1", None),
    ("", None),
])
def test_base_url_names_the_host(url: str, provider: str | None) -> None:
    assert provider_for_url(url) == provider


def glm_body() -> dict[str, Any]:
    """A body with no mark of its host: Z.ai, Cerebras and Crusoe all answer like this."""
    return chat("glm-4.7", {"prompt_tokens": 13, "completion_tokens": 369, "total_tokens": 382,
                            "completion_tokens_details": {"reasoning_tokens": 366}})


def test_without_a_host_the_provider_is_a_flagged_guess() -> None:
    assert (record(glm_body()).provider, record(glm_body()).attrs) == ("zai", {"provider_guessed": True})
    plain = chat("gpt-4o", {"prompt_tokens": 5, "completion_tokens": 1})
    assert (record(plain).provider, record(plain).attrs) == ("openai", {"provider_guessed": True})
    assert record(plain, provider="openai").attrs is None


def test_base_url_beats_the_model_name_and_an_unknown_host_leaves_a_flagged_guess() -> None:
    made = record(glm_body(), base_url="https://api.cerebras.ai/v1")
    assert (made.provider, made.attrs) == ("cerebras", None)
    made = record(glm_body(), base_url="https://llm.internal.example.com/v1")
    assert (made.provider, made.attrs) == ("zai", {"provider_guessed": True})
    assert record(glm_body(), provider="crusoe", base_url="https://api.cerebras.ai/v1").provider == "crusoe"


def mock_openai_client(base_url: str, body: dict[str, Any]) -> openai.OpenAI:
    """A real SDK client whose HTTP layer answers `body` locally (nothing leaves the machine)."""
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
    return openai.OpenAI(base_url=base_url, api_key="test-key", http_client=httpx2.Client(transport=transport))


def test_the_sdk_client_or_its_raw_response_names_the_host() -> None:
    client = mock_openai_client("https://api.inference.crusoecloud.com/v1", glm_body())
    arguments = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hi"}]}
    parsed = client.chat.completions.create(**arguments)
    assert (record(parsed, client=client).provider, record(parsed, client=client).attrs) == ("crusoe", None)
    raw = client.chat.completions.with_raw_response.create(**arguments)
    assert (record(raw).provider, record(raw).output_tokens) == ("crusoe", 369)


def test_an_http_response_names_the_host_it_came_from() -> None:
    request = httpx2.Request("POST", "https://api.z.ai/api/paas/v4/chat/completions")
    response = httpx2.Response(200, json=glm_body(), request=request)
    assert (record(response).provider, record(response).attrs) == ("zai", None)


def test_usage_from_response_takes_the_same_host_arguments() -> None:
    usage = usage_from_response(glm_body(), base_url="https://router.huggingface.co/novita/v3/openai")
    assert usage["provider"] == "huggingface_novita" and "attrs" not in usage


# --- Counts no record could hold are made valid, never dropped ---

COUNT_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
                "cache_write_1h_tokens", "input_audio_tokens", "input_image_tokens", "input_video_tokens",
                "cache_read_audio_tokens", "output_audio_tokens", "output_image_tokens")


@given(st.fixed_dictionaries({}, optional={name: st.integers(0, 5000) for name in COUNT_FIELDS}))
@settings(max_examples=200, deadline=None)
def test_settled_counts_always_make_a_valid_record(counts: dict[str, int]) -> None:
    fields = settle_counts({"provider": "openai", "model": "gpt-5", "input_tokens": 0, "output_tokens": 0, **counts})
    made = make_record(ts=TS, **fields)
    changed = {name for name, value in counts.items() if getattr(made, name) != value}
    assert bool(changed) == ("counts_adjusted" in (made.attrs or {}))


def test_a_modality_split_larger_than_its_whole_is_dropped_with_a_note() -> None:
    raw = gemini_body({"promptTokenCount": 100, "candidatesTokenCount": 5,
                       "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 90},
                                               {"modality": "VIDEO", "tokenCount": 30}]})
    made = record(raw)
    assert (made.input_tokens, made.input_audio_tokens, made.input_video_tokens) == (100, 0, 0)
    assert "modality split dropped" in str(made.attrs)
