"""An OpenTelemetry SDK span exporter that logs one record per GenAI model-call span.

    import vaultledger.otel
    vaultledger.otel.install(app="mybot")   # then instrument your SDK as usual, e.g. OpenAIInstrumentor().instrument()

Spans of OpenLLMetry (`opentelemetry-instrumentation-openai`, `-anthropic`), OpenInference
(`openinference-instrumentation-openai`, `-anthropic`) and anything else that follows the GenAI
conventions are read by `capture/spans.py`; every other span is passed over. Prompts and completions
that an instrumentation puts on its spans are never read. Like `log_usage()`, exporting never raises
into the app and never blocks it: a span that cannot be logged is warned about and counted as dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
except ImportError as error:  # the optional extra is not installed
    raise ImportError("vaultledger.otel needs the OpenTelemetry SDK: pip install 'vaultledger[otel]'") from error

from vaultledger.capture.context import with_context_defaults
from vaultledger.capture.logger import UsageLog, log_record, not_logged
from vaultledger.capture.spans import Span, fields_from_span
from vaultledger.record import UsageRecord, make_record

__all__ = ["VaultledgerSpanExporter", "install", "record_of_span"]


class VaultledgerSpanExporter(SpanExporter):
    """Logs each model-call span as a SPEC §1 record; every other span is ignored.

    Keyword fields (`app`, `project`, `use_case`, `tags`, `attrs` …) win over what the span says;
    a `vaultledger.capture.context()` block around the call fills what is still missing when the
    exporter runs on the thread that ended the span (as `SimpleSpanProcessor` and `install` do).
    """

    def __init__(self, *, usage_log: UsageLog | None = None, **fields: Any) -> None:
        self.usage_log = usage_log
        self.fields = {key: value for key, value in fields.items() if value is not None}

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self.log_span(span)
        return SpanExportResult.SUCCESS  # a lost record is counted by the logger; retrying would only repeat it

    def log_span(self, span: ReadableSpan) -> UsageRecord | None:
        """The record logged for `span`, or None (not a model call, or not logged: warned and counted)."""
        try:
            record = record_of_span(span, self.fields)
        except Exception as error:  # a surprising span must never break the app that ended it
            return not_logged(error, self.usage_log)
        return None if record is None else log_record(record, self.usage_log)

    def shutdown(self) -> None:
        if self.usage_log is not None:
            self.usage_log.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every record was written (or queued for the call holding the log) in export()


def record_of_span(span: ReadableSpan, given: dict[str, Any] | None = None) -> UsageRecord | None:
    """The record for an SDK span, `given` fields winning over the span's; None when it is no model call."""
    fields = fields_from_span(span_of(span))
    if fields is None:
        return None
    given = given or {}
    merged = {**fields, **given}
    if fields.get("attrs") and given.get("attrs"):
        merged["attrs"] = {**fields["attrs"], **given["attrs"]}
    return make_record(**with_context_defaults(merged))


def span_of(span: ReadableSpan) -> Span:
    context = span.get_span_context()
    return Span(
        attributes=span.attributes or {},
        end_ns=span.end_time or 0,
        start_ns=span.start_time or 0,
        trace_id=format(context.trace_id, "032x") if context else "",
        span_id=format(context.span_id, "016x") if context else "",
        resource=span.resource.attributes if span.resource else {},
    )


def install(tracer_provider: TracerProvider | None = None, *, usage_log: UsageLog | None = None,
            **fields: Any) -> TracerProvider:
    """Log every GenAI span of `tracer_provider` (default: the global one, made an SDK provider if
    the app set none yet). Returns the provider. The exporter runs as each span ends, on its thread:
    writing a line is cheap and never waits, and a record is never lost in a batch at exit."""
    provider = tracer_provider or trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the API's placeholder: nothing set up yet
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(VaultledgerSpanExporter(usage_log=usage_log, **fields)))
    return provider
