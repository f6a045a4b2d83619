"""`vaultledger import otlp FILE` over files the Python SDK's OTLP encoder wrote from real spans (the
real anthropic and openai SDKs answered locally with corpus bodies, instrumented by OpenLLMetry), in
the Collector's spelling (hex ids) and in protobuf's own (base64 ids), through the real CLI.
Hostile lines need no extra and run in the fast tier (`tests/test_otel_spans.py`)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extras import needs
from vaultledger.cli import app
from vaultledger.record import UsageRecord, parse_line

pytestmark = needs("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.common",
                   "opentelemetry.instrumentation.anthropic", "opentelemetry.instrumentation.openai")

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real-world" / "sdk-bodies.jsonl"
if not CORPUS.is_file():
    pytest.skip(f"{CORPUS} is absent (a bare clone has no ../shared): no real bodies to replay",
                allow_module_level=True)

CASES = ("c00021", "c00023", "c00010", "c01612", "c00178", "c00135")  # cache, thinking, tools, reasoning


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], list[UsageRecord], Path]:
    """Real spans of six real calls, the records the live exporter made of them, and its logs folder."""
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import vaultledger.otel
    from test_otel_real_spans import ROWS, LogTail, replay
    from vaultledger.capture.logger import UsageLog

    logs = tmp_path_factory.mktemp("live")
    provider = TracerProvider(resource=Resource.create({"service.name": "poet"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    vaultledger.otel.install(provider, usage_log=UsageLog(logs, "UTC"))
    rows = {row["case_id"]: row for family in ROWS.values() for row in family}
    instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=provider)
    try:
        for case in CASES:
            replay(rows[case])
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
    return list(memory.get_finished_spans()), LogTail(logs).new(), logs


def otlp_lines(spans: list[Any], collector: bool) -> list[str]:
    """One ExportTraceServiceRequest per span batch, as JSON lines. The Collector writes ids in hex;
    protobuf's json_format writes them base64."""
    from google.protobuf import json_format
    from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import encode_spans

    lines = []
    for batch in (spans[:3], spans[3:]):
        request = json.loads(json_format.MessageToJson(encode_spans(batch), indent=None))
        if collector:
            for resource in request["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        span["traceId"] = base64.b64decode(span["traceId"]).hex()
                        span["spanId"] = base64.b64decode(span["spanId"]).hex()
                        span.pop("parentSpanId", None)
        lines.append(json.dumps(request))
    return lines


def run_import(path: Path, logs: Path) -> Any:
    return CliRunner().invoke(app, ["import", "otlp", str(path), "--logs", str(logs), "--tz", "UTC"])


def records_in(logs: Path) -> list[UsageRecord]:
    return [parse_line(line) for path in sorted(logs.glob("*.jsonl")) for line in path.read_bytes().splitlines()]


@pytest.mark.parametrize("collector", [True, False], ids=["collector-hex-ids", "json_format-base64-ids"])
def test_imported_spans_are_the_records_the_live_exporter_wrote(exported: tuple, tmp_path: Path,
                                                                 collector: bool) -> None:
    spans, live, _ = exported
    traces = tmp_path / "traces.json"
    traces.write_text("\n".join(otlp_lines(spans, collector)) + "\n")
    result = run_import(traces, tmp_path / "logs")
    assert result.exit_code == 0, result.output
    imported = records_in(tmp_path / "logs")
    assert len(live) == len(CASES) and [r.app for r in live] == ["poet"] * len(CASES)
    assert sorted(imported, key=lambda r: r.id or "") == sorted(live, key=lambda r: r.id or "")
    assert f"{len(CASES)} appended" in result.output


def test_a_second_import_and_an_import_into_the_live_folder_append_nothing(exported: tuple, tmp_path: Path) -> None:
    spans, _, live_logs = exported
    traces = tmp_path / "traces.json"
    traces.write_text("\n".join(otlp_lines(spans, collector=True)) + "\n")
    shutil.copytree(live_logs, tmp_path / "live")
    into_live = run_import(traces, tmp_path / "live")
    assert into_live.exit_code == 0 and "0 appended" in into_live.output and "6 already imported" in into_live.output
    assert run_import(traces, tmp_path / "logs").exit_code == 0
    before = records_in(tmp_path / "logs")
    traces.write_text(traces.read_text())  # touched: read again, still nothing new
    again = run_import(traces, tmp_path / "logs")
    assert again.exit_code == 0 and "0 appended" in again.output
    assert records_in(tmp_path / "logs") == before


def test_a_folder_of_rotated_files_is_read_whole(exported: tuple, tmp_path: Path) -> None:
    spans = exported[0]
    first, second = otlp_lines(spans, collector=True)
    (tmp_path / "otel").mkdir()
    (tmp_path / "otel" / "traces-2026-03-01T10-00-00.000.json").write_text(first + "\n")
    (tmp_path / "otel" / "traces.json").write_text(second + "\n")
    assert run_import(tmp_path / "otel", tmp_path / "logs").exit_code == 0
    assert len(records_in(tmp_path / "logs")) == len(CASES)


def test_prompts_and_completions_on_the_spans_never_reach_the_ledger(exported: tuple, tmp_path: Path) -> None:
    spans = exported[0]
    assert any("gen_ai.input.messages" in span.attributes for span in spans)  # OpenLLMetry records them
    traces = tmp_path / "traces.json"
    traces.write_text("\n".join(otlp_lines(spans, collector=True)) + "\n")
    run_import(traces, tmp_path / "logs")
    written = "".join(path.read_text() for path in (tmp_path / "logs").glob("*.jsonl"))
    assert '"hi"' not in written and "messages" not in written and "get_weather" not in written
