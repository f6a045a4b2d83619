"""vaultledger.litellm through real LiteLLM calls answered by its own `mock_response` (no network; its
price map read from the package, `LITELLM_LOCAL_MODEL_COST_MAP=True`): sync and async, streamed or not,
failures, per-call attribution, and never a prompt or response text in the ledger."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from extras import needs
from vaultledger.capture.logger import UsageLog
from vaultledger.record import UsageRecord, parse_line

pytestmark = needs("litellm")

MESSAGES = [{"role": "user", "content": "a prompt that must never be logged"}]
ANSWER = "an answer that must never be logged"
WAIT = 10.0  # seconds LiteLLM may take to run a sync callback on its worker thread


@pytest.fixture
def litellm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm as module

    callbacks = module.callbacks
    yield module
    module.callbacks = callbacks


@pytest.fixture
def ledger(tmp_path: Path, litellm: Any) -> Iterator[Path]:
    """A logs folder every LiteLLM call of the test is logged into."""
    with logged_into(litellm, tmp_path / "logs", app="bot"):
        yield tmp_path / "logs"


@contextmanager
def logged_into(litellm: Any, logs: Path, **options: Any) -> Iterator[Any]:
    """A VaultledgerLogger in LiteLLM's callbacks while the block runs. LiteLLM keeps one logger per
    class once a call has run, so each test's logger is taken out of every list afterwards."""
    import vaultledger.litellm

    usage_log = UsageLog(logs, "UTC")
    logger = vaultledger.litellm.install(usage_log=usage_log, **options)
    try:
        yield logger
    finally:
        litellm.logging_callback_manager.remove_callback_from_all_lists(logger)
        litellm.callbacks = [callback for callback in litellm.callbacks if callback is not logger]
        usage_log.close()


def records(logs: Path, wanted: int = 1) -> list[UsageRecord]:
    """The records in `logs` once `wanted` are there (LiteLLM runs sync callbacks on a worker thread)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = [parse_line(line) for path in sorted(logs.glob("*.jsonl")) for line in path.read_bytes().splitlines()]
        if len(found) >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def chat_body(usage: dict[str, Any], model: str = "gpt-4o-2024-08-06") -> dict[str, Any]:
    return {"id": "chatcmpl-usage-1", "object": "chat.completion", "created": 1772366400, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": ANSWER}}],
            "usage": usage}


def test_a_sync_call_is_logged_with_its_cache_and_reasoning(litellm: Any, ledger: Path) -> None:
    usage = {"prompt_tokens": 4020, "completion_tokens": 40, "total_tokens": 4060,
             "prompt_tokens_details": {"cached_tokens": 4012}, "completion_tokens_details": {"reasoning_tokens": 32}}
    litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=chat_body(usage))
    [made] = records(ledger)
    assert (made.provider, made.model, made.id, made.app) == ("openai", "gpt-4o-2024-08-06", "chatcmpl-usage-1", "bot")
    assert (made.input_tokens, made.cache_read_tokens, made.output_tokens, made.reasoning_tokens) == (4020, 4012, 40, 32)
    assert made.cost_usd is None  # vaultledger prices it, not LiteLLM's map


def test_anthropic_cache_writes_and_one_hour_writes_are_kept(litellm: Any, ledger: Path) -> None:
    """LiteLLM's usage for Anthropic: prompt_tokens holds cache reads and writes, as SPEC §1 counts them."""
    usage = {"prompt_tokens": 8855, "completion_tokens": 193, "total_tokens": 9048, "cache_read_input_tokens": 8845,
             "cache_creation_input_tokens": 6,
             "prompt_tokens_details": {"cached_tokens": 8845, "cache_creation_tokens": 6,
                                       "cache_creation_token_details": {"ephemeral_1h_input_tokens": 6}},
             "server_tool_use": {"web_search_requests": 2}}
    litellm.completion(model="anthropic/claude-sonnet-4-6", messages=MESSAGES,
                       mock_response=chat_body(usage, "claude-sonnet-4-6"))
    [made] = records(ledger)
    assert (made.provider, made.input_tokens, made.cache_read_tokens, made.cache_write_tokens,
            made.cache_write_1h_tokens, made.web_search_requests) == ("anthropic", 8855, 8845, 6, 6, 2)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_an_async_call_is_logged_once(litellm: Any, ledger: Path, stream: bool) -> None:
    async def call() -> None:
        response = await litellm.acompletion(model="openai/gpt-4o-mini", messages=MESSAGES, mock_response=ANSWER,
                                             stream=stream)
        if stream:
            async for _ in response:
                pass
        await asyncio.sleep(0.2)  # LiteLLM's async callbacks are tasks on this loop

    asyncio.run(call())
    made = records(ledger)
    assert len(made) == 1 and made[0].model == "gpt-4o-mini" and made[0].input_tokens > 0 and made[0].output_tokens > 0
    time.sleep(0.3)
    assert len(records(ledger)) == 1  # not also through the sync callback


def test_a_sync_stream_is_logged_once_when_it_ends(litellm: Any, ledger: Path) -> None:
    for _ in litellm.completion(model="anthropic/claude-sonnet-4-5", messages=MESSAGES, mock_response=ANSWER,
                                stream=True):
        pass
    made = records(ledger)
    assert [(r.provider, r.model) for r in made] == [("anthropic", "claude-sonnet-4-5")]
    assert made[0].output_tokens > 0


def test_a_failed_call_without_usage_logs_nothing_and_the_app_sees_its_error(litellm: Any, ledger: Path) -> None:
    with pytest.raises(Exception, match="boom"):
        litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=Exception("boom"))
    litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=ANSWER)  # a marker after it
    assert [r.model for r in records(ledger)] == ["gpt-4o"]
    assert not (ledger / ".dropped.jsonl").exists()


def test_the_context_and_litellm_tags_attribute_each_call(litellm: Any, ledger: Path) -> None:
    import vaultledger

    with vaultledger.context(project="orbis", use_case="poem"):
        litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=ANSWER, metadata={"tags": ["nightly"]})
    [made] = records(ledger)
    assert (made.project, made.use_case, made.app, made.tags) == ("orbis", "poem", "bot", ("nightly",))


def test_litellms_price_is_used_only_when_asked(litellm: Any, tmp_path: Path) -> None:
    with logged_into(litellm, tmp_path / "logs", cost_from_litellm=True):
        litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=ANSWER)
        [made] = records(tmp_path / "logs")
    assert made.cost_usd is not None and made.cost_usd > 0


def test_no_prompt_or_response_text_reaches_the_ledger(litellm: Any, ledger: Path) -> None:
    litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response=ANSWER)
    records(ledger)
    written = "".join(path.read_text() for path in ledger.glob("*.jsonl"))
    assert written and "never be logged" not in written


def test_a_payload_it_cannot_read_is_warned_about_never_raised(ledger: Path) -> None:
    import vaultledger.litellm

    logger = vaultledger.litellm.VaultledgerLogger(usage_log=UsageLog(ledger, "UTC"))
    with pytest.warns(RuntimeWarning, match="standard_logging_object"):
        assert logger.log_call({"standard_logging_object": None}, None) is None
    assert logger.log_call("not even a dict", None) is None

