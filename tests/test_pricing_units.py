"""Every billed unit of SPEC §3 priced as genai-prices prices it: parts of a whole (1-hour cache writes,
modalities, cached audio, reasoning where the data prices it), web searches, service tiers, proxied
model names; through the price, the fold, the day-price store and the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import GENAI_USAGE_KEYS
from vaultledger.cli import app
from vaultledger.errors import PriceError
from vaultledger.ledger.fold import fold_log_file
from vaultledger.ledger.usage import merge_days
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.pricing.price import Call, tier_note
from vaultledger.record import COUNT_FIELDS, make_record

BEFORE_TIERS = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)  # the data's batch/flex/priority prices start in Oct 2026
AFTER_TIERS = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
REAL_WORLD = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-world"
real_world = pytest.mark.skipif(not REAL_WORLD.is_dir(),
                                reason=f"{REAL_WORLD} is absent (a bare clone has no ../shared)")



def genai_total(provider_id: str, model: str, ts: dt.datetime, counts: dict[str, int],
                context: dict[str, str] | None = None) -> Decimal:
    """genai-prices' own price for the same counts. Cached image and video reads are none of ours
    (the record has no field for them), which genai-prices must be told when it prices them apart."""
    usage = {GENAI_USAGE_KEYS[name]: value for name, value in counts.items()}
    usage |= {"cache_image_read_tokens": 0, "cache_video_read_tokens": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = calc_price(Usage(**usage), model, provider_id=provider_id, genai_request_timestamp=ts,
                            price_context=context)
    return result.total_price


def our_cost(provider: str, model: str, ts: dt.datetime, counts: dict[str, int], tier: str | None = None,
             book: PriceBook | None = None) -> Decimal | None:
    record = make_record(ts=ts, provider=provider, model=model, service_tier=tier, **counts)
    return (book or PriceBook([], "UTC")).cost_of(record).cost


# --------------------------------------------------------------------------- one unit at a time

UNITS = [  # (count field, provider, model, genai provider, a call that carries the unit)
    ("cache_write_1h_tokens", "anthropic", "claude-sonnet-4-5", "anthropic",
     {"input_tokens": 5000, "output_tokens": 100, "cache_write_tokens": 3000, "cache_write_1h_tokens": 2000}),
    ("web_search_requests", "anthropic", "claude-sonnet-4-5", "anthropic",
     {"input_tokens": 7744, "output_tokens": 353, "reasoning_tokens": 80, "web_search_requests": 1}),
    ("input_audio_tokens", "gcp.gemini", "gemini-2.5-flash", "google",
     {"input_tokens": 2000, "output_tokens": 50, "input_audio_tokens": 1500}),
    ("cache_read_audio_tokens", "gcp.gemini", "gemini-2.5-flash", "google",
     {"input_tokens": 3297, "output_tokens": 150, "cache_read_tokens": 2918, "input_audio_tokens": 321,
      "cache_read_audio_tokens": 284}),
    ("input_image_tokens", "openai", "gpt-image-1", "openai",
     {"input_tokens": 1200, "output_tokens": 4000, "input_image_tokens": 1000}),
    ("input_video_tokens", "gcp.gemini", "gemini-live-2.5-flash", "google",
     {"input_tokens": 9000, "output_tokens": 10, "input_video_tokens": 8000}),
    ("output_audio_tokens", "openai", "gpt-4o-realtime-preview", "openai",
     {"input_tokens": 100, "output_tokens": 900, "output_audio_tokens": 800}),
    ("output_image_tokens", "gcp.gemini", "gemini-2.5-flash-image", "google",
     {"input_tokens": 20, "output_tokens": 1300, "output_image_tokens": 1290}),
    ("reasoning_tokens", "perplexity", "sonar-deep-research", "perplexity",
     {"input_tokens": 500, "output_tokens": 9000, "reasoning_tokens": 7000}),
]


@pytest.mark.parametrize(("unit", "provider", "model", "genai_provider", "counts"), UNITS, ids=[u[0] for u in UNITS])
def test_each_unit_is_priced_at_its_own_rate_as_genai_prices_prices_it(
    unit: str, provider: str, model: str, genai_provider: str, counts: dict[str, int]
) -> None:
    cost = our_cost(provider, model, BEFORE_TIERS, counts)
    assert cost == genai_total(genai_provider, model, BEFORE_TIERS, counts)
    without = our_cost(provider, model, BEFORE_TIERS, {**counts, unit: 0})
    assert cost != without  # the unit changes what the call costs


def test_a_one_hour_cache_write_costs_twice_input_not_the_five_minute_rate() -> None:
    price = PriceBook([], "UTC").price_for("anthropic", "claude-sonnet-4-5", BEFORE_TIERS)
    assert (price.input, price.cache_write, price.cache_write_1h) == (Decimal(3), Decimal("3.75"), Decimal(6))
    one_hour = price.cost(100_000, 0, 0, 100_000, cache_write_1h_tokens=100_000)
    five_minutes = price.cost(100_000, 0, 0, 100_000)
    assert (one_hour, five_minutes) == (Decimal("0.6"), Decimal("0.375"))


def test_a_part_is_never_charged_twice() -> None:
    # 100 input tokens: 10 cached audio, 20 cached text, 10 uncached audio, 60 uncached text.
    price = PriceBook([], "UTC").price_for("gcp.gemini", "gemini-2.5-flash", BEFORE_TIERS)
    cost = price.cost(100, 0, 30, 0, input_audio_tokens=20, cache_read_audio_tokens=10)
    by_hand = 10 * price.cache_read_audio + 20 * price.cache_read + 10 * price.input_audio + 60 * price.input
    assert cost == by_hand / 1_000_000


def test_every_bundled_model_and_variant_prices_a_call_with_every_part_as_genai_prices_does() -> None:
    from genai_prices.data_snapshot import get_snapshot

    from vaultledger.pricing.bundled import price_from_genai

    counts = {"input_tokens": 300_000, "output_tokens": 9000, "cache_read_tokens": 20_000, "cache_write_tokens": 3000,
              "cache_write_1h_tokens": 1000, "input_audio_tokens": 5000, "input_image_tokens": 700,
              "input_video_tokens": 300, "cache_read_audio_tokens": 2000, "output_audio_tokens": 100,
              "output_image_tokens": 50, "reasoning_tokens": 400, "web_search_requests": 3}
    usage = {GENAI_USAGE_KEYS[name]: value for name, value in counts.items()}
    usage |= {"cache_image_read_tokens": 0, "cache_video_read_tokens": 0}
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for provider in get_snapshot().providers:
            for model in provider.models:
                for context in [None, *(variant.when for variant in model.price_variants or ())]:
                    model_price = model.get_prices(AFTER_TIERS, context)
                    expected = model_price.calc_price(Usage(**usage))["total_price"]
                    price = price_from_genai(model_price, "test", model.id)
                    assert price.cost_of(Call(**counts)) == expected, (provider.id, model.id, context)
                    checked += 1
    assert checked > 2500


# --------------------------------------------------------------------------- generated usages

MODELS = [  # (provider as logged, model, genai-prices provider): every part rate and tier kind the data has
    ("anthropic", "claude-sonnet-4-5", "anthropic"),
    ("anthropic", "claude-opus-4-6", "anthropic"),
    ("gcp.gemini", "gemini-2.5-flash", "google"),
    ("gcp.gemini", "gemini-2.5-pro", "google"),
    ("gcp.gemini", "gemini-2.5-flash-image", "google"),
    ("gcp.gemini", "gemini-live-2.5-flash", "google"),
    ("openai", "gpt-5", "openai"),
    ("openai", "gpt-realtime", "openai"),
    ("openai", "gpt-4o-realtime-preview", "openai"),
    ("openai", "gpt-image-1", "openai"),
    ("perplexity", "sonar-deep-research", "perplexity"),
    ("deepseek", "deepseek-chat", "deepseek"),
    ("aws.bedrock", "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0", "aws"),
]
TIERS = {None: None, "batch": {"processing": "batch"}, "flex": {"service_tier": "flex"},
         "priority": {"service_tier": "priority"}}
small = st.integers(0, 5_000)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, int]:
    """Valid counts built from disjoint pieces, so every part genai-prices prices apart is consistent."""
    text, cached_text, cached_audio, audio, image, video = (draw(small) for _ in range(6))
    write_5m, write_1h = draw(small), draw(small)
    text_out, audio_out, image_out = draw(small), draw(small), draw(small)
    counts = {
        "input_tokens": text + cached_text + cached_audio + audio + image + video + write_5m + write_1h
        + draw(st.sampled_from([0, 150_000, 250_000])),  # below and above the data's 200k tiers
        "output_tokens": text_out + audio_out + image_out,
        "cache_read_tokens": cached_text + cached_audio,
        "cache_write_tokens": write_5m + write_1h,
        "cache_write_1h_tokens": write_1h,
        "input_audio_tokens": cached_audio + audio,
        "cache_read_audio_tokens": cached_audio,
        "input_image_tokens": image,
        "input_video_tokens": video,
        "output_audio_tokens": audio_out,
        "output_image_tokens": image_out,
        "reasoning_tokens": draw(st.integers(0, text_out)),
        "web_search_requests": draw(st.integers(0, 20)),
    }
    return counts


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(MODELS), counts=calls(), tier=st.sampled_from(sorted(TIERS, key=str)),
       ts=st.sampled_from([BEFORE_TIERS, AFTER_TIERS, AFTER_TIERS.replace(hour=20)]))
def test_any_call_costs_exactly_what_genai_prices_says(
    model: tuple[str, str, str], counts: dict[str, int], tier: str | None, ts: dt.datetime
) -> None:
    provider, name, genai_provider = model
    expected = genai_total(genai_provider, name, ts, counts, TIERS[tier])
    assert abs(our_cost(provider, name, ts, counts, tier) - expected) <= Decimal("1e-9")


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(MODELS), batch=st.lists(calls(), min_size=1, max_size=8))
def test_a_folded_group_costs_the_sum_of_its_calls(model: tuple[str, str, str], batch: list[dict[str, int]]) -> None:
    provider, name, _ = model
    book = PriceBook([], "UTC")
    records = [make_record(ts=BEFORE_TIERS + dt.timedelta(minutes=n), provider=provider, model=name, **counts)
               for n, counts in enumerate(batch)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2026-03-01.jsonl"
        path.write_text("".join(json.dumps(record_dict(record)) + "\n" for record in records))
        totals = merge_days(fold_log_file(path, book, "UTC").days.values()).totals()
    assert totals.cost == sum(book.cost_of(record).cost for record in records)
    assert [getattr(totals, name) for name in COUNT_FIELDS] == [
        sum(getattr(record, name) for record in records) for name in COUNT_FIELDS]


def record_dict(record) -> dict:
    import msgspec

    return json.loads(msgspec.json.encode(record))


# --------------------------------------------------------------------------- service tiers


def test_a_tier_without_a_price_at_the_calls_date_is_priced_standard_and_says_so() -> None:
    book = PriceBook([], "UTC")
    early = book.price_for("openai", "gpt-5", BEFORE_TIERS, "batch")
    standard = book.price_for("openai", "gpt-5", BEFORE_TIERS)
    assert early.input == standard.input == Decimal("1.25")
    assert early.fallback_tier == "batch" and standard.fallback_tier is None
    assert tier_note(early) == "the price data has no batch price before 2026-10-14"
    late = book.price_for("openai", "gpt-5", AFTER_TIERS, "batch")
    assert late.input == Decimal("0.625") and late.fallback_tier is None
    never = book.price_for("anthropic", "claude-sonnet-4-5", AFTER_TIERS, "priority")
    assert tier_note(never) == "the price data has no priority price for claude-sonnet-4-5"


@pytest.mark.parametrize("word", ["default", "auto", "on_demand", "", "Standard", None])
def test_the_providers_words_for_standard_are_standard(word: str | None) -> None:
    price = PriceBook([], "UTC").price_for("openai", "gpt-5", BEFORE_TIERS, word)
    assert price.fallback_tier is None and price.input == Decimal("1.25")


def test_an_unknown_tier_is_priced_standard_and_left_to_the_unknown_tier_count() -> None:
    price = PriceBook([], "UTC").price_for("openai", "gpt-4o", BEFORE_TIERS, "provisioned")
    assert price.fallback_tier is None and price.input == Decimal("2.5")


def test_fast_mode_is_priced_where_the_data_has_it() -> None:
    book = PriceBook([], "UTC")
    fast = book.price_for("anthropic", "claude-opus-4-8", BEFORE_TIERS, "fast")  # Claude Code's speed: fast
    assert fast.source.endswith("(fast)") and fast.input == 2 * book.price_for("anthropic", "claude-opus-4-8",
                                                                               BEFORE_TIERS).input
    counts = {"input_tokens": 1000, "output_tokens": 10}
    assert our_cost("anthropic", "claude-opus-4-8", BEFORE_TIERS, counts, "fast") == genai_total(
        "anthropic", "claude-opus-4-8", BEFORE_TIERS, counts, {"speed": "fast"})
    codex = book.price_for("openai", "gpt-5", BEFORE_TIERS, "fast")  # before the data's fast price starts
    assert codex.fallback_tier == "fast" and tier_note(codex) == "the price data has no fast price before 2026-10-12"
    opus = book.price_for("anthropic", "claude-opus-4-6", BEFORE_TIERS, "fast")  # fast mode the data does not price
    assert tier_note(opus) == "the price data has no fast price for claude-opus-4-6"


def test_tier_fallbacks_are_counted_per_model_and_tier_in_the_fold(tmp_path: Path) -> None:
    lines = [{"ts": ts, "provider": "openai", "model": "gpt-5", "input_tokens": 1_000_000, "output_tokens": 0,
              "service_tier": tier} for ts, tier in [
                  ("2026-03-01T10:00:00Z", "batch"), ("2026-03-01T11:00:00Z", "batch"),
                  ("2026-03-01T12:00:00Z", "Flex"), ("2026-03-01T13:00:00Z", "default"),
                  ("2026-03-01T14:00:00Z", "batch")]]
    lines[-1]["cost_usd"] = 0.5  # its own cost: no price was used, so no fallback
    path = tmp_path / "2026-03-01.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    usage = merge_days(fold_log_file(path, PriceBook([], "UTC"), "UTC").days.values())
    assert usage.tier_fallbacks() == [("openai/gpt-5", "batch", 2), ("openai/gpt-5", "flex", 1)]
    totals = usage.totals()
    assert totals.tier_fallback_calls == 3 and totals.cost == Decimal("1.25") * 4 + Decimal("0.5")


# --------------------------------------------------------------------------- proxied model names

PROXIED = [  # (provider as logged, model as logged, genai provider, model genai-prices names it by)
    ("anthropic", "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0", "aws",
     "jp.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ("anthropic", "bedrock/converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws",
     "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("anthropic", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws",
     "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("anthropic", "global.anthropic.claude-haiku-4-5-20251001-v1:0", "aws",
     "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ("anthropic", "anthropic/claude-sonnet-4.5", "anthropic", "claude-sonnet-4.5"),
    ("anthropic", "litellm_proxy/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
    ("litellm", "vertex_ai/claude-sonnet-4-5", "google", "claude-sonnet-4-5"),
    ("litellm", "openai/gpt-4o", "openai", "gpt-4o"),
    ("openai", "azure/gpt-4o", "azure", "gpt-4o"),
    ("gcp.gemini", "models/gemini-2.5-pro", "google", "gemini-2.5-pro"),
    ("cerebras", "openai/gpt-oss-120b", "cerebras", "gpt-oss-120b"),
    ("openrouter", "openrouter/anthropic/claude-sonnet-4.5", "openrouter", "anthropic/claude-sonnet-4.5"),
]


@pytest.mark.parametrize(("provider", "model", "genai_provider", "genai_model"), PROXIED, ids=[p[1] for p in PROXIED])
def test_a_proxied_model_name_is_priced_as_the_host_that_served_it(
    provider: str, model: str, genai_provider: str, genai_model: str
) -> None:
    counts = {"input_tokens": 16_878, "output_tokens": 237, "cache_read_tokens": 1000}
    assert our_cost(provider, model, BEFORE_TIERS, counts) == genai_total(genai_provider, genai_model, BEFORE_TIERS,
                                                                          counts)


def test_the_claude_code_bedrock_proxy_line_costs_what_ccusage_charged() -> None:
    counts = {"input_tokens": 16_878, "output_tokens": 237}
    ts = dt.datetime(2025, 12, 10, 19, 37, tzinfo=dt.UTC)
    assert our_cost("anthropic", "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0", ts, counts) == Decimal(
        "0.0198693")


def test_a_vendor_prefix_never_moves_a_call_to_another_known_host() -> None:
    # Groq and Cerebras name OpenAI's open model openai/gpt-oss-…: their call, at their price.
    book = PriceBook([], "UTC")
    groq = book.price_for("groq", "openai/gpt-oss-120b", BEFORE_TIERS)
    assert groq is not None and groq.source.split(": ")[1].startswith("Groq")
    assert book.price_for("acme-host", "meta-llama/llama-imaginary", BEFORE_TIERS) is None


@real_world
def test_every_model_in_the_claude_code_bedrock_proxy_transcripts_is_priced() -> None:
    folder = REAL_WORLD / "claude-code" / "codemie-tmp-private"
    models = set()
    for path in folder.rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            message = json.loads(line).get("message") if line.strip() else None
            if isinstance(message, dict) and message.get("usage") and message.get("model") != "<synthetic>":
                models.add(message["model"])
    assert "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0" in models
    book = PriceBook([], "UTC")
    assert {model: book.price_for("anthropic", model, BEFORE_TIERS) is not None for model in models} == dict.fromkeys(
        models, True)


@real_world
def test_the_one_hour_claude_code_day_costs_what_ccusage_charged() -> None:
    """The DERIVED set's day (every cache write 1-hour, one model): its expected tokens at our price
    cost its expected cost (ccusage's), where the 5-minute rate came out 23 % low."""
    folder = REAL_WORLD / "claude-code" / "DERIVED-1h-cache-from-claude-code-viewer"
    day = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["days"]["2025-09-03"]
    ts = dt.datetime(2025, 9, 3, tzinfo=dt.UTC)
    price = PriceBook([], "UTC").price_for("anthropic", "claude-sonnet-4-20250514", ts)
    writes = day["cache_write"]
    counts = Call(day["uncached_input"] + day["cache_read"] + writes, day["output"], day["cache_read"], writes,
                  cache_write_1h_tokens=writes)
    assert abs(price.linear_cost_of(counts, 1) - Decimal(str(day["cost_usd"]))) < Decimal("1e-6")
    assert price.linear_cost_of(counts._replace(cache_write_1h_tokens=0), 1) < Decimal("0.094")


# --------------------------------------------------------------------------- the real bodies' usages

# genai-prices' usage keys a record need not hold: text and tool breakdowns no model prices apart,
# 5-minute writes (the rest of cache_write_tokens), and cached image/video reads, which the data
# prices apart only for OpenAI's image and realtime models (absent from the corpus).
NOT_RECORDED = {"input_text_tokens", "output_text_tokens", "cache_text_read_tokens", "input_tool_tokens",
                "input_text_tool_tokens", "cache_write_5m_tokens", "cache_image_read_tokens",
                "cache_video_read_tokens"}
# genai-prices priced HuggingFace's router bodies as served by Together (`huggingface_together`),
# which the bodies do not say; capture records the host where the caller names it.
HOST_NOT_IN_BODY = {"huggingface": "huggingface_together"}


@real_world
def test_every_real_bodys_usage_costs_what_genai_prices_charged_for_it() -> None:
    """The 1,990 recorded provider bodies: wherever genai-prices priced the usage it extracted, the same
    counts in a record cost the same, to 1e-9 USD (every unit: cache, 1-hour writes, modalities, web
    searches, reasoning, long-context tiers)."""
    keys = {genai: ours for ours, genai in GENAI_USAGE_KEYS.items()}
    book, checked, parts = PriceBook([], "UTC"), 0, 0
    for line in (REAL_WORLD / "sdk-bodies.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        reference = case["genai_prices"]
        if reference["price_usd"] is None:
            continue
        counts = {keys[key]: value for key, value in reference["usage"].items() if key not in NOT_RECORDED}
        counts = {"input_tokens": 0, "output_tokens": 0, **counts}
        provider = HOST_NOT_IN_BODY.get(case["expected"]["provider"], case["expected"]["provider"])
        record = make_record(ts=case["record_response_kwargs"]["ts"], provider=provider,
                             model=case["expected"]["model"], **counts)
        cost = book.cost_of(record).cost
        assert cost is not None and abs(cost - Decimal(reference["price_usd"])) <= Decimal("1e-9"), case["case_id"]
        checked += 1
        parts += any(counts.get(name) for name in COUNT_FIELDS[5:])
    assert checked >= 1870 and parts >= 100


# --------------------------------------------------------------------------- [[prices]] overrides

BASE = {"provider": "anthropic", "model": "claude-sonnet-4-5*", "input": 3, "output": 15, "cache_read": 0.3,
        "cache_write": 3.75}
OVERRIDE_UNITS = [  # (key, its value, the count it prices, a call, what that count adds beyond its whole's rate)
    ("cache_write_1h", 6, {"cache_write_tokens": 1000, "cache_write_1h_tokens": 1000}, Decimal("0.00225")),
    ("input_audio", 9, {"input_audio_tokens": 1000}, Decimal("0.006")),
    ("input_image", 4, {"input_image_tokens": 1000}, Decimal("0.001")),
    ("input_video", 5, {"input_video_tokens": 1000}, Decimal("0.002")),
    ("output_audio", 25, {"output_audio_tokens": 1000}, Decimal("0.010")),
    ("output_image", 30, {"output_image_tokens": 1000}, Decimal("0.015")),
    ("web_search", 10, {"web_search_requests": 3}, Decimal("0.03")),
]


@pytest.mark.parametrize(("key", "value", "part", "extra"), OVERRIDE_UNITS, ids=[u[0] for u in OVERRIDE_UNITS])
def test_each_override_unit_prices_its_part(key: str, value: int, part: dict[str, int], extra: Decimal) -> None:
    book = PriceBook(parse_price_overrides([{**BASE, key: value}], "vaultledger.toml"), "UTC")
    counts = {"input_tokens": 2000, "output_tokens": 2000, **part}
    without = PriceBook(parse_price_overrides([BASE], "vaultledger.toml"), "UTC")
    assert our_cost("anthropic", "claude-sonnet-4-5", BEFORE_TIERS, counts, book=book) == our_cost(
        "anthropic", "claude-sonnet-4-5", BEFORE_TIERS, counts, book=without) + extra


def test_an_override_naming_a_tier_prices_only_that_tier_and_wins_over_one_for_every_tier() -> None:
    entries = [{**BASE, "model": "claude-sonnet-4-5-2025*", "input": 2.9},
               {**BASE, "model": "claude-*", "service_tier": "batch", "input": 1.5, "cache_write_1h": 3},
               {**BASE, "model": "claude-*", "service_tier": "default", "input": 2.8}]
    book = PriceBook(parse_price_overrides(entries, "vaultledger.toml"), "UTC")
    model = "claude-sonnet-4-5-20250929"
    assert book.price_for("anthropic", model, BEFORE_TIERS, "batch").input == Decimal("1.5")
    assert book.price_for("anthropic", model, BEFORE_TIERS, "BATCH").cache_write_1h == Decimal(3)
    assert book.price_for("anthropic", model, BEFORE_TIERS, "standard").input == Decimal("2.8")  # "default" = standard
    assert book.price_for("anthropic", model, BEFORE_TIERS, "priority").input == Decimal("2.9")
    assert book.price_for("anthropic", "claude-opus-4-6", BEFORE_TIERS, "flex").source.startswith("genai-prices")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"cache_write_1h": -1}, "'cache_write_1h' must be a number >= 0 (USD per million tokens)"),
        ({"input_audio": "loud"}, "'input_audio' must be a number >= 0"),
        ({"output_image": True}, "'output_image' must be a number >= 0"),
        ({"input_video": float("inf")}, "'input_video' must be a number >= 0"),
        ({"web_search": -10}, "'web_search' must be a number >= 0 (USD per 1,000 web searches)"),
        ({"service_tier": 2}, "'service_tier' must be a non-empty string"),
        ({"service_tier": " "}, "'service_tier' must be a non-empty string"),
        ({"cache_write_2h": 1}, "unknown key 'cache_write_2h' (allowed: provider, model, service_tier, "),
        ({"cache_read_audio": 1}, "unknown key 'cache_read_audio'"),
    ],
)
def test_a_bad_unit_or_tier_in_an_override_is_one_line_naming_file_and_entry(bad: dict, message: str) -> None:
    with pytest.raises(PriceError) as raised:
        parse_price_overrides([BASE, {**BASE, **bad}], "vaultledger.toml")
    assert str(raised.value).startswith("vaultledger.toml: [[prices]] #2: " + message)
    assert "\n" not in str(raised.value)


# --------------------------------------------------------------------------- estimates and the CLI


def test_an_estimate_refuses_parts_larger_than_their_whole() -> None:
    book = PriceBook([], "UTC")
    with pytest.raises(PriceError, match="cache_write_1h_tokens exceed cache_write_tokens"):
        book.estimate("anthropic", "claude-sonnet-4-5", 100, 10, cache_write_1h_tokens=5)
    assert book.estimate("anthropic", "claude-sonnet-4-5", 100, 0, web_search_requests=1).cost == Decimal("0.0103")


def test_prices_says_which_tier_the_data_cannot_price_at_a_date() -> None:
    result = CliRunner().invoke(app, ["prices", "openai/gpt-5", "--service-tier", "batch", "--at", "2026-03-01",
                                      "--input-tokens", "1000000"])
    assert result.exit_code == 0, result.output
    assert ("batch calls then are priced at the standard rate: the price data has no batch price before 2026-10-14"
            in result.output)
    assert "$1.25" in result.output
    later = CliRunner().invoke(app, ["prices", "openai/gpt-5", "--service-tier", "batch", "--at", "2026-11-01"])
    assert "(batch)" in later.output and "standard rate" not in later.output


def test_prices_shows_every_unit_the_model_prices_apart_and_estimates_with_them() -> None:
    result = CliRunner().invoke(app, ["prices", "anthropic/claude-sonnet-4-5", "--at", "2026-03-01",
                                      "--input-tokens", "200000", "--output-tokens", "0", "--cache-write-tokens",
                                      "100000", "--cache-write-1h-tokens", "100000", "--web-search-requests", "100"])
    assert result.exit_code == 0, result.output
    assert "1-hour cache write $6" in result.output and "per 1,000 web searches: $10" in result.output
    assert "estimate for 200,000 in / 0 out: $1.90" in result.output  # $0.30 + $0.60 + 100 searches × $0.01


# --------------------------------------------------------------------------- end to end


def report_cost(day: str) -> float:
    result = CliRunner().invoke(app, ["report", "--day", day, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["totals"]["cost_usd"]


def test_a_one_hour_cache_write_logged_by_log_usage_is_reported_at_twice_input(logs_dir: Path) -> None:
    from vaultledger import log_usage

    for ts in ("2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"):
        one_hour = ts.startswith("2026-03-01")
        log_usage(ts=ts, provider="anthropic", model="claude-sonnet-4-5", input_tokens=100_000, output_tokens=0,
                  cache_write_tokens=100_000, cache_write_1h_tokens=100_000 if one_hour else None)
    assert sorted(path.name for path in logs_dir.iterdir()) == ["2026-03-01.jsonl", "2026-03-02.jsonl"]
    assert report_cost("2026-03-01") == 0.6  # 2 × $3 input per MTok
    assert report_cost("2026-03-02") == 0.375  # the 5-minute rate, 1.25 × input


def test_a_config_override_with_a_tier_and_one_hour_writes_prices_the_report(logs_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "vaultledger.toml").write_text(
        '[[prices]]\nprovider = "anthropic"\nmodel = "claude-sonnet-4-5*"\nservice_tier = "batch"\n'
        "input = 1.5\noutput = 7.5\ncache_write = 1.875\ncache_write_1h = 3\n", encoding="utf-8")
    from vaultledger import log_usage

    counts = {"input_tokens": 200_000, "output_tokens": 0, "cache_write_tokens": 100_000,
              "cache_write_1h_tokens": 100_000}
    log_usage(ts="2026-03-01T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5", service_tier="batch",
              **counts)
    assert report_cost("2026-03-01") == 0.45  # $1.5 uncached + $3 one-hour writes per MTok: the user's batch price
    log_usage(ts="2026-03-01T11:00:00Z", provider="anthropic", model="claude-sonnet-4-5", **counts)
    assert report_cost("2026-03-01") == 0.45 + 0.9  # the standard call keeps genai-prices' $3 + $6 per MTok
