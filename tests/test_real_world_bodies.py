"""record_response over 1,990 real provider response bodies, read in place from
`../shared/fixtures/real-world/sdk-bodies.jsonl` (its README gives their origin and the rulings behind
`expected`).

Each body is recorded as a caller who knows the provider that served it would record it
(`provider=`), and must come out with the expected provider, model and tokens; its priced units
(1-hour writes, modalities, web searches) must equal the usage genai-prices 0.2.5 read, where it read
the same usage; and its cost must equal what the router billed, else genai-prices' price. Recorded
without `provider=`, it must name that provider or say that it guessed.

Fast tier: the first rows of every body family (provider called, API) and every case the findings
name. Slow tier: every row, one test per family.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import GENAI_USAGE_KEYS
from vaultledger.capture import record_response, usage_from_response
from vaultledger.errors import InvalidRecord
from vaultledger.pricing import cost_of
from vaultledger.record import UsageRecord

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real-world" / "sdk-bodies.jsonl"
if not CORPUS.is_file():
    pytest.skip(f"{CORPUS} is absent (a bare clone has no ../shared): the real-world body corpus is not here",
                allow_module_level=True)

ROWS: list[dict[str, Any]] = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
FAMILIES: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
for _row in ROWS:
    FAMILIES[(_row["provider_called"], _row["api"])].append(_row)

SAMPLE_PER_FAMILY = 3
# The reproductions named in ../shared/reference/real-data-findings.md and issue 14.
FINDINGS_CASES = ("c00019", "c00179", "c00494", "c00757", "c00819", "c00846", "c00909", "c01545", "c01721",
                  "c01773", "c01786", "c01896", "c01962", "c00426", "c01811", "c00131", "c00077")

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
GENAI_UNITS = GENAI_USAGE_KEYS
# Units genai-prices 0.2.5 does not read from a body although the provider bills them.
GENAI_UNREAD = {("openai", "responses"): {"web_search_requests"}}  # Responses `tool_usage.web_search`

# genai-prices prices HuggingFace per backend (`huggingface_together` …); a body served through the
# router does not say which backend, so such a call is unpriced (counted and reported, never $0).
UNPRICED_PROVIDERS = frozenset({"huggingface"})


def top(row: dict[str, Any]) -> dict[str, Any]:
    """The body's top-level object; `{"events": …}` for an event list (none of which is an exception)."""
    return row["body"] if isinstance(row["body"], dict) else {"events": row["body"]}


def is_header_only_embedding(row: dict[str, Any]) -> bool:
    body = top(row)
    return row["api"] == "invoke" and "usage" not in body and "inputTextTokenCount" not in body


def is_unfinished_response(row: dict[str, Any]) -> bool:
    body = top(row)
    return body.get("status") in ("queued", "in_progress") and body.get("usage") is None


# The documented exceptions: bodies that carry no usage at all. Every other body must be recorded.
EXCEPTIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "embedding with usage only in HTTP headers": is_header_only_embedding,
    "background response still queued": is_unfinished_response,
    "model list": lambda row: top(row).get("object") == "list" and "usage" not in top(row),
    "error body": lambda row: set(top(row)) == {"error"},
    "empty stream chunk": lambda row: top(row) == {},
}
EXCEPTION_COUNTS = {"embedding with usage only in HTTP headers": 21, "background response still queued": 5,
                    "model list": 1, "error body": 1, "empty stream chunk": 1}


def exception_of(row: dict[str, Any]) -> str | None:
    return next((kind for kind, applies in EXCEPTIONS.items() if applies(row)), None)


def names_a_model(value: Any) -> bool:
    """Whether any `model`/`modelVersion` key anywhere in the body holds a model name."""
    if isinstance(value, dict):
        return any((key in ("model", "modelVersion", "model_version") and isinstance(item, str) and item)
                   or names_a_model(item) for key, item in value.items())
    return isinstance(value, list) and any(names_a_model(item) for item in value)


def expected_tokens(row: dict[str, Any]) -> dict[str, int]:
    """`expected`, except that Titan embeddings carry their count in the body (`inputTextTokenCount`):
    the corpus lists them as not recorded, but a body that carries usage is recorded."""
    expected = {name: row["expected"][name] for name in TOKENS}
    if "inputTextTokenCount" in top(row):
        expected["input_tokens"] = top(row)["inputTextTokenCount"]
    return expected


@dataclasses.dataclass
class Checked:
    problems: list[str] = dataclasses.field(default_factory=list)
    record: UsageRecord | None = None


def quietly(call: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def check_row(row: dict[str, Any]) -> Checked:
    """Everything that must hold of one row; an empty `problems` list means it does."""
    checked = Checked()
    kwargs = dict(row["record_response_kwargs"])
    told = {**kwargs, "provider": row["provider_called"]}
    exception = exception_of(row)
    if exception:
        checked.problems += refusal_problems(row, told, exception)
        return checked
    if "model" not in kwargs and not names_a_model(row["body"]):
        checked.problems += refusal_problems(row, told, "pass model=")
        told["model"] = kwargs["model"] = row["expected"]["model"]  # as a caller who reads the message does
    record = quietly(lambda: record_response(row["body"], log=False, **told))
    if record is None:
        checked.problems.append("not recorded")
        return checked
    checked.record = record
    checked.problems += token_problems(row, record) + unit_problems(row, record)
    checked.problems += guess_problems(row, kwargs)
    checked.problems += cost_check(row, record)
    return checked


def refusal_problems(row: dict[str, Any], kwargs: dict[str, Any], reason: str) -> list[str]:
    """A body that cannot be recorded is refused (None, never an exception) with a reason."""
    if quietly(lambda: record_response(row["body"], log=False, **kwargs)) is not None:
        return [f"recorded although: {reason}"]
    try:
        usage_from_response(row["body"], provider=kwargs["provider"], model=kwargs.get("model"))
    except InvalidRecord as error:
        return [] if reason != "pass model=" or "pass model=" in str(error) else [f"refused for: {error}"]
    return ["usage_from_response did not refuse"]


def token_problems(row: dict[str, Any], record: UsageRecord) -> list[str]:
    expected = row["expected"]
    problems = [f"{name} {getattr(record, name)} != {expected[name]}" for name in ("provider", "model")
                if getattr(record, name) != expected[name]]
    if expected.get("ambiguous"):
        # No documented rule: any counts valid under SPEC §1 (the record validated them), and a note.
        if "counts_adjusted" not in (record.attrs or {}):
            problems.append("ambiguous counts recorded without attrs.counts_adjusted")
        return problems
    return problems + [f"{name} {getattr(record, name)} != {want}" for name, want in expected_tokens(row).items()
                       if getattr(record, name) != want]


def genai_read_the_same_usage(row: dict[str, Any]) -> bool:
    usage = row["genai_prices"]["usage"]
    if usage is None or row["expected"].get("ambiguous"):
        return False
    return all(usage.get(name, 0) == row["expected"][name] for name in TOKENS if name != "reasoning_tokens")


def unit_problems(row: dict[str, Any], record: UsageRecord) -> list[str]:
    if not genai_read_the_same_usage(row):
        return []
    usage, unread = row["genai_prices"]["usage"], GENAI_UNREAD.get((row["provider_called"], row["api"]), set())
    return [f"{field} {getattr(record, field)} != genai-prices {key} {usage.get(key, 0)}"
            for field, key in GENAI_UNITS.items()
            if field not in unread and getattr(record, field) != usage.get(key, 0)]


def guess_problems(row: dict[str, Any], kwargs: dict[str, Any]) -> list[str]:
    """Not told the provider, vaultledger names the right one or says that it guessed."""
    record = quietly(lambda: record_response(row["body"], log=False, **kwargs))
    if record is None:
        return ["not recorded without provider="]
    if record.provider == row["expected"]["provider"] or (record.attrs or {}).get("provider_guessed") is True:
        return []
    return [f"attributed to {record.provider} without provider_guessed"]


def reference_cost(row: dict[str, Any], record: UsageRecord) -> Decimal | None:
    """What the router billed; else genai-prices' price, where it read every unit the record holds."""
    if row["expected"].get("provider_cost") is not None:
        return Decimal(str(row["expected"]["provider_cost"]))
    price = row["genai_prices"]["price_usd"]
    usage = row["genai_prices"]["usage"]
    if price is None or not genai_read_the_same_usage(row):
        return None
    if any(getattr(record, field) != usage.get(key, 0) for field, key in GENAI_UNITS.items()):
        return None
    return Decimal(price)


def cost_check(row: dict[str, Any], record: UsageRecord) -> list[str]:
    """The row's cost against what the router billed or genai-prices charged, to 1e-9 USD."""
    reference = reference_cost(row, record)
    if reference is None:
        return []
    cost = cost_of(record).cost
    if record.provider in UNPRICED_PROVIDERS:
        return [] if cost is None else [f"{record.provider} priced at {cost} without knowing its backend"]
    if cost is None or abs(cost - reference) > Decimal("1e-9"):
        return [f"cost {cost} != {reference}"]
    return []


def fast_rows() -> list[Any]:
    chosen = {row["case_id"] for rows in FAMILIES.values() for row in rows[:SAMPLE_PER_FAMILY]}
    chosen |= set(FINDINGS_CASES) | {row["case_id"] for row in ROWS if row["expected"].get("ambiguous")}
    return [pytest.param(row, id=f"{row['case_id']}-{row['provider_called']}-{row['api']}")
            for row in ROWS if row["case_id"] in chosen]


@pytest.mark.parametrize("row", fast_rows())
def test_sampled_body_is_recorded_exactly(row: dict[str, Any]) -> None:
    assert check_row(row).problems == []


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES), ids=lambda family: "-".join(family))
def test_every_body_of_the_family_is_recorded_exactly(family: tuple[str, str]) -> None:
    failures = {row["case_id"]: problems for row in FAMILIES[family] if (problems := check_row(row).problems)}
    assert failures == {}


@pytest.mark.slow
def test_only_the_documented_exceptions_go_unrecorded() -> None:
    kinds = Counter(kind for row in ROWS if (kind := exception_of(row)))
    assert kinds == EXCEPTION_COUNTS
    recorded = sum(check_row(row).record is not None for row in ROWS)
    assert recorded == len(ROWS) - sum(EXCEPTION_COUNTS.values())


def test_corpus_is_the_one_the_rulings_describe() -> None:
    """The expectations above are about these 1,990 rows; a changed corpus needs a fresh look."""
    assert len(ROWS) == 1990
    assert sum(bool(row["expected"].get("ambiguous")) for row in ROWS) == 4
