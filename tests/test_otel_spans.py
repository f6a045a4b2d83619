"""What is read of a GenAI span (`capture/spans.py`), OTLP JSON lines no span could come from, and the
optional integrations' absence: everything here runs without the extras (fast tier). Real spans from
real instrumentations are in test_otel_real_spans.py and test_import_otlp.py."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vaultledger.capture.spans import Span, fields_from_span
from vaultledger.cli import app
from vaultledger.record import make_record, parse_line

END_NS = 1_772_366_400_123_456_789  # 2026-03-01T12:00:00.123456789Z
TRACE, SPAN = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"


def span(**attributes: Any) -> Span:
    base = {"gen_ai.provider.name": "openai", "gen_ai.response.model": "gpt-4o", "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10}
    return Span({**base, **attributes}, END_NS, END_NS - 2_500_000_000, TRACE, SPAN, {"service.name": "poet"})


def fields(**attributes: Any) -> dict[str, Any]:
    made = fields_from_span(span(**attributes))
    assert made is not None
    make_record(**made)  # every reading is a valid record
    return made


def test_a_span_becomes_a_record_with_its_time_duration_app_and_trace() -> None:
    made = fields(**{"gen_ai.response.id": "chatcmpl-1", "gen_ai.conversation.id": "conv-9"})
    assert made["ts"].isoformat() == "2026-03-01T12:00:00.123456+00:00"
    assert (made["duration_ms"], made["app"], made["id"], made["session"]) == (2500, "poet", "chatcmpl-1", "conv-9")
    assert made["attrs"] == {"trace_id": TRACE}


def test_a_span_without_a_response_id_is_named_by_its_trace_and_span() -> None:
    assert fields()["id"] == f"otel:{TRACE}:{SPAN}"


@pytest.mark.parametrize("attributes", [
    {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None},  # an HTTP or database span
    {"gen_ai.operation.name": "invoke_agent"},  # an agent's run adds up its calls
    {"gen_ai.operation.name": "execute_tool"},
    {"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 5},
    {"openinference.span.kind": "AGENT"},
], ids=["no-usage", "agent", "tool", "openinference-chain", "openinference-agent"])
def test_spans_that_are_not_one_model_call_make_no_record(attributes: dict[str, Any]) -> None:
    given = span(**attributes)
    cleaned = Span({key: value for key, value in given.attributes.items() if value is not None}, END_NS)
    assert fields_from_span(cleaned) is None


def test_openinference_counts_are_read_like_the_conventions() -> None:
    made = fields_from_span(Span({
        "openinference.span.kind": "LLM", "llm.provider": "anthropic", "llm.model_name": "claude-sonnet-4-6",
        "llm.token_count.prompt": 8855, "llm.token_count.completion": 193,
        "llm.token_count.prompt_details.cache_read": 8845, "llm.token_count.prompt_details.cache_write": 6,
        "llm.token_count.completion_details.reasoning": 77, "llm.input_messages.0.message.content": "secret",
    }, END_NS))
    assert made is not None and "secret" not in json.dumps(made, default=str)
    assert {key: made[key] for key in ("provider", "model", "input_tokens", "cache_read_tokens",
                                       "cache_write_tokens", "output_tokens", "reasoning_tokens")} == {
        "provider": "anthropic", "model": "claude-sonnet-4-6", "input_tokens": 8855, "cache_read_tokens": 8845,
        "cache_write_tokens": 6, "output_tokens": 193, "reasoning_tokens": 77}


@pytest.mark.parametrize("key", ["gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens",
                                 "gen_ai.usage.cache_creation_input_tokens"])
def test_every_spelling_of_cache_writes_is_read(key: str) -> None:
    assert fields(**{key: 40, "gen_ai.usage.cache_read.input_tokens": 50})["cache_write_tokens"] == 40


def test_cache_that_does_not_fit_in_the_input_count_was_counted_outside_it() -> None:
    made = fields(**{"gen_ai.usage.input_tokens": 4, "gen_ai.usage.cache_read.input_tokens": 8845,
                     "gen_ai.usage.cache_creation.input_tokens": 6})
    assert (made["input_tokens"], made["attrs"]["input_excluded_cache"]) == (8855, True)


def test_reasoning_beyond_the_output_is_capped_with_a_note() -> None:
    made = fields(**{"gen_ai.usage.reasoning.output_tokens": 50})
    assert made["reasoning_tokens"] == 10 and "counts_adjusted" in made["attrs"]


@pytest.mark.parametrize(("attributes", "cost"), [
    ({"gen_ai.usage.cost": 0.0145}, Decimal("0.0145")),
    ({"gen_ai.usage.cost.total": "0.5"}, Decimal("0.5")),
    ({"gen_ai.usage.cost.input": 0.25, "gen_ai.usage.cost.output": 0.5}, Decimal("0.75")),
    ({"gen_ai.usage.cost.input": 0.25}, None),  # half a cost is no cost
    ({"llm.cost.total": 1}, Decimal("1")),
    ({"gen_ai.usage.cost": -1}, None),
    ({"gen_ai.usage.cost": "NaN"}, None),
    ({"gen_ai.usage.cost": True}, None),
])
def test_a_cost_on_the_span_is_the_calls_cost(attributes: dict[str, Any], cost: Decimal | None) -> None:
    assert fields(**attributes).get("cost_usd") == cost


@pytest.mark.parametrize(("attributes", "provider"), [
    ({"gen_ai.openai.api_base": "https://api.cerebras.ai/v1/"}, "cerebras"),  # OpenAI's SDK serves many hosts
    ({"server.address": "api.groq.com"}, "groq"),
    ({"gen_ai.openai.api_base": "http://llm.internal:8000/v1"}, "openai"),  # an unknown host: the span's name
    ({"gen_ai.provider.name": None, "gen_ai.system": "az.ai.openai"}, "azure.ai.openai"),
    ({"gen_ai.provider.name": "Anthropic"}, "anthropic"),
    ({"gen_ai.provider.name": None, "llm.provider": "google"}, "gcp.gemini"),
])
def test_the_provider_is_the_host_called_else_the_spans_name(attributes: dict[str, Any], provider: str) -> None:
    given = {key: value for key, value in {**span().attributes, **attributes}.items() if value is not None}
    made = fields_from_span(Span(given, END_NS))
    assert made is not None and made["provider"] == provider and "provider_guessed" not in made.get("attrs", {})


def test_a_span_naming_no_provider_gets_a_flagged_guess() -> None:
    made = fields_from_span(Span({"gen_ai.response.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 3,
                                  "gen_ai.usage.output_tokens": 1}, END_NS))
    assert made is not None and (made["provider"], made["attrs"]) == ("anthropic", {"provider_guessed": True})


@pytest.mark.parametrize(("value", "read"), [("48", 48), (48.0, 48), (-5, 0), (True, 0), ("many", 0), (None, 0)])
def test_counts_are_whole_non_negative_numbers_or_zero(value: Any, read: int) -> None:
    assert fields(**{"gen_ai.usage.cache_read.input_tokens": value})["cache_read_tokens"] == read


# --- OTLP JSON files, hand-written where no span could produce the line ---

def otlp_line(end: str | None = "1772366400123456789", **attributes: Any) -> str:
    pairs = [{"key": key, "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}}
             for key, value in {"gen_ai.provider.name": "anthropic", "gen_ai.response.model": "claude-sonnet-4-6",
                                "gen_ai.usage.input_tokens": 48, "gen_ai.usage.output_tokens": 42,
                                **attributes}.items() if value is not None]
    one = {"traceId": TRACE, "spanId": SPAN, "name": "anthropic.chat", "attributes": pairs}
    if end:
        one["endTimeUnixNano"] = end
    return json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [one]}]}]})


def import_otlp(path: Path, logs: Path) -> Any:
    return CliRunner().invoke(app, ["import", "otlp", str(path), "--logs", str(logs), "--tz", "UTC"])


def test_bad_lines_are_skipped_and_named_in_the_summary(tmp_path: Path) -> None:
    traces = tmp_path / "traces.json"
    traces.write_text("\n".join([
        otlp_line(), "not json {", json.dumps({"resourceMetrics": []}), json.dumps([1, 2]),
        otlp_line(end=None, **{"gen_ai.response.id": "msg_2"}), "",
        otlp_line(**{"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None, "http.method": "POST"}),
    ]) + "\n" + otlp_line(**{"gen_ai.response.id": "msg_3"})[:40])  # the Collector still writing its last line
    result = import_otlp(traces, tmp_path / "logs")
    assert result.exit_code == 0, result.output
    written = [parse_line(line) for path in (tmp_path / "logs").glob("*.jsonl") for line in path.read_bytes().splitlines()]
    assert [(r.id, r.input_tokens, r.ts.isoformat()) for r in written] == [
        (f"otel:{TRACE}:{SPAN}", 48, "2026-03-01T12:00:00.123456+00:00")]
    assert "skipped 6 lines" in result.output
    for reason in ("2 not JSON", "not OTLP trace data (found resourceMetrics)", "not OTLP trace data (found list)",
                   "model-call span without an end time", "spans without GenAI usage"):
        assert reason in result.output


def test_import_otlp_needs_a_file_and_says_so(tmp_path: Path) -> None:
    missing = import_otlp(tmp_path / "nowhere.json", tmp_path / "logs")
    assert missing.exit_code == 1 and "nowhere.json" in missing.output
    assert CliRunner().invoke(app, ["import", "otlp"]).exit_code == 2
    assert "Example: vaultledger import otlp" in CliRunner().invoke(app, ["import", "otlp", "--help"]).output


@pytest.mark.parametrize(("module", "extra"), [("vaultledger.otel", "otel"), ("vaultledger.litellm", "litellm")])
def test_an_integration_without_its_extra_says_how_to_install_it(module: str, extra: str) -> None:
    blocked = "opentelemetry" if extra == "otel" else "litellm"
    code = (f"import sys; sys.modules[{blocked!r}] = None\n"
            "import vaultledger, vaultledger.capture.importers.otlp, vaultledger.capture.spans\n"
            f"try:\n    import {module}\nexcept ImportError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"pip install 'vaultledger[{extra}]'" in done.stdout
