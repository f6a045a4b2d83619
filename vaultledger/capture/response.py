"""Turn an SDK response (or its JSON body) into a record and hand it to the logger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Protocol

from vaultledger.capture.shapes import anthropic, bedrock, cohere, gemini, ollama, openai, xai
from vaultledger.capture.shapes.hosts import client_base_url, provider_for_url
from vaultledger.capture.shapes.providers import GUESSED
from vaultledger.capture.shapes.settle import settle_counts
from vaultledger.capture.context import with_context_defaults
from vaultledger.errors import InvalidRecord
from vaultledger.capture.logger import UsageLog, log_record, not_logged
from vaultledger.record import UsageRecord, make_record, normalise_provider

__all__ = ["record_response", "usage_from_response"]


class Shape(Protocol):
    def matches(self, body: Mapping[str, Any]) -> bool: ...
    def extract(self, body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]: ...


# Order matters: xAI's native usage also has `prompt_tokens`, so xAI is asked before OpenAI; the
# Responses API's usage also has `input_tokens`, so OpenAI is asked before Anthropic.
SHAPES: tuple[Shape, ...] = (xai, cohere, openai, anthropic, gemini, bedrock, ollama)

# Top-level attributes worth dumping from an SDK object; the rest (content, choices…) is never read.
USAGE_KEYS = frozenset({
    "id", "model", "type", "object", "usage", "service_tier", "created_at", "completed_at", "x_groq",
    "usage_metadata", "usageMetadata", "model_version", "modelVersion", "response_id", "responseId",
    "done", "prompt_eval_count", "eval_count", "total_duration", "metrics", "ResponseMetadata",
    "message", "response", "metadata", "createTime", "create_time", "status", "tool_usage", "time_info",
    "system_fingerprint", "meta", "generation_id", "provider",
})
# Statuses of a Responses API call that has not finished: its usage is still null.
UNFINISHED = frozenset({"queued", "in_progress"})


def usage_from_response(
    response: Any,
    provider: str | None = None,
    model: str | None = None,
    *,
    base_url: str | None = None,
    client: Any = None,
) -> dict[str, Any]:
    """SPEC §1 fields read from `response` (SDK object, JSON dict/text, or an Anthropic event list).

    The response's model wins over `model=`. The provider is `provider=` when given, else the host of
    `base_url=`, of `client=`'s base URL or of the URL a raw SDK response was fetched from; without
    any of them it is read from the body, and where that is a guess `attrs.provider_guessed` says so.
    Raises InvalidRecord when the shape is unknown or no model is known.
    """
    raw, fetched_from = body_and_url(response)
    told = normalise_provider(provider) if provider else provider_for_url(
        base_url or client_base_url(client) or fetched_from)
    body = unwrap(raw)
    fields = shape_for(body).extract(body, told)
    if told:
        name_provider(fields, told)
    fields["model"] = fields.get("model") or model
    if not fields["model"]:
        raise InvalidRecord(missing_model_reason(fields["provider"]))
    return settle_counts(fields)


def name_provider(fields: dict[str, Any], provider: str) -> None:
    """The provider the caller (or its base URL) named replaces whatever the body suggested."""
    fields["provider"] = provider
    attrs = {key: value for key, value in fields.pop("attrs", {}).items() if key != GUESSED}
    if attrs:
        fields["attrs"] = attrs


def record_response(
    response: Any,
    *,
    provider: str | None = None,
    model: str | None = None,
    ts: dt.datetime | str | None = None,
    log: bool = True,
    usage_log: UsageLog | None = None,
    base_url: str | None = None,
    client: Any = None,
    **fields: Any,
) -> UsageRecord | None:
    """Log one call from its response: `record_response(resp, project="orbis", use_case="poem")`.

    `base_url=` (or `client=`, the SDK client that made the call) names the host that served it, which
    matters for OpenAI-compatible hosts whose bodies look like OpenAI's. Extra keyword arguments are
    SPEC §1 fields (`app`, `project`, `use_case`, `unit_id`, `session`, `tags`, `attrs`, `id`,
    `service_tier`, `duration_ms`, `cost_usd`…) and win over what the response says (except the
    model); `vaultledger.capture.context()` fills what is still missing.
    Returns the record (written unless `log=False`), or None after one warning: never raises.
    """
    try:
        record = build_record(response, provider=provider, model=model, ts=ts, fields=fields,
                              base_url=base_url, client=client)
    except Exception as error:  # a surprising object must never break the app that called us
        return not_logged(error, usage_log, counted=log)  # warns, never raising; counts a lost call
    return log_record(record, usage_log) if log else record


def build_record(
    response: Any, *, provider: str | None, model: str | None, ts: Any, fields: Mapping[str, Any],
    base_url: str | None = None, client: Any = None,
) -> UsageRecord:
    """Merge extracted usage, the caller's fields and the context's defaults into a valid record."""
    usage = usage_from_response(response, provider=provider, model=model, base_url=base_url, client=client)
    given = {key: value for key, value in fields.items() if value is not None}
    merged = {**usage, **given, "model": usage["model"]}
    if usage.get("attrs") and given.get("attrs"):
        merged["attrs"] = {**usage["attrs"], **given["attrs"]}
    merged = with_context_defaults(merged)
    merged["ts"] = ts or usage.get("ts") or dt.datetime.now(dt.timezone.utc).astimezone()
    return make_record(**merged)


def body_and_url(response: Any) -> tuple[Any, str | None]:
    """The body, and the URL it came from when the object knows it: the SDKs' raw responses
    (`client.chat.completions.with_raw_response.create(...)`) and httpx/requests responses do."""
    if isinstance(response, (Mapping, str, bytes, bytearray, list, tuple)):
        return as_body(response), None
    if getattr(response, "http_request", None) is not None and callable(getattr(response, "parse", None)):
        return as_body(response.parse()), str(response.url)
    if hasattr(response, "status_code") and hasattr(response, "url") and callable(getattr(response, "json", None)):
        return as_body(response.json()), str(response.url)
    return as_body(response), None


def as_body(response: Any) -> Any:
    """A plain JSON value for `response`: dicts as they are, SDK objects dumped (usage keys only)."""
    if isinstance(response, Mapping):
        return response
    if isinstance(response, (str, bytes, bytearray)):
        return parse_json(response)
    if isinstance(response, (list, tuple)):
        return [as_body(item) for item in response]
    return dump_object(response)


def dump_object(response: Any) -> Mapping[str, Any]:
    """Duck-typed: pydantic v2 (`model_dump`), then `to_dict()` / `dict()` as older SDKs offer."""
    dump = getattr(response, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", include=USAGE_KEYS, warnings=False)
        except TypeError:  # not pydantic v2's signature
            return dump()
    for name in ("to_dict", "dict"):
        method = getattr(response, name, None)
        if callable(method):
            value = method()
            if isinstance(value, Mapping):
                return value
    raise InvalidRecord(f"cannot read usage from a {type(response).__name__} (no usage found)")


def parse_json(raw: str | bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidRecord("response text is not JSON") from None


def unwrap(body: Any) -> Mapping[str, Any]:
    """The message inside stream events and wrappers: Anthropic event lists, OpenAI
    `response.completed`, Bedrock ConverseStream `metadata`."""
    if isinstance(body, list) and all(isinstance(event, Mapping) for event in body) and anthropic.is_stream(body):
        return anthropic.fold_stream(body)
    if not isinstance(body, Mapping):
        raise InvalidRecord(f"expected a response object or JSON object, got {type(body).__name__}")
    if str(body.get("type", "")).startswith("response.") and isinstance(body.get("response"), Mapping):
        return body["response"]
    if body.get("type") == "message_start" and isinstance(body.get("message"), Mapping):
        return body["message"]
    if isinstance(body.get("metadata"), Mapping) and "usage" in body["metadata"]:
        return body["metadata"]
    return body


def shape_for(body: Mapping[str, Any]) -> Shape:
    for shape in SHAPES:
        if shape.matches(body):
            return shape
    if body.get("status") in UNFINISHED:
        raise InvalidRecord(f"the response is still {body['status']} (background mode): its usage comes "
                            "with the completed response; record that one")
    keys = ", ".join(sorted(map(str, body))[:8]) or "none"
    raise InvalidRecord(f"no usage found in the response (top-level keys: {keys})")


def missing_model_reason(provider: str) -> str:
    if provider == bedrock.PROVIDER:
        return "Bedrock Converse responses do not name the model: pass model='<model id you called>'"
    if provider == cohere.PROVIDER:
        return "Cohere chat responses do not name the model: pass model='<model you called>'"
    return "the response names no model: pass model='...'"
