"""Pricing (SPEC §3) against the real bundled genai-prices data: no network, no mocks."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price
from genai_prices import types as gp
from genai_prices.data_snapshot import get_snapshot

from vaultledger import pricing
from vaultledger.errors import PriceError
from vaultledger.pricing import (
    PriceBook,
    PriceOverride,
    cost_of,
    estimate,
    format_usd,
    parse_model_ref,
    parse_price_overrides,
)
from vaultledger.record import make_record

SONNET = "claude-sonnet-4-5-20250929"
TS = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # after the data's batch/priority variants start


def override(
    model: str = "claude-sonnet-4-5*", valid_from: date | None = None, rate: str = "1", **kw: str
) -> PriceOverride:
    entry = {"provider": kw.pop("provider", "anthropic"), "model": model, "input": rate, "output": rate, **kw}
    if valid_from:
        entry["valid_from"] = valid_from
    return parse_price_overrides([entry], "test.toml")[0]


def record(**fields: object):
    base = {"ts": TS, "provider": "anthropic", "model": SONNET, "input_tokens": 100_000, "output_tokens": 0}
    return make_record(**{**base, **fields})


def genai_total(
    model: str, provider_id: str | None, ts: datetime = TS, context: dict[str, str] | None = None, **usage: int
) -> Decimal:
    """genai-prices' own total for one call: the reference every computed cost must equal."""
    when = {"genai_request_timestamp": ts, "price_context": context}
    result = calc_price(Usage(**usage), model, provider_id=provider_id, **when)
    return result.total_price


# --------------------------------------------------------------------------- rule order


def test_cost_usd_in_record_beats_everything() -> None:
    book = PriceBook([override(rate="100")], "UTC")
    result = book.cost_of(record(cost_usd=Decimal("0.5")))
    assert (result.cost, result.source, result.price) == (Decimal("0.5"), "cost_usd in record", None)


def test_override_beats_bundled_price() -> None:
    result = PriceBook([override(rate="2")], "UTC").cost_of(record())
    assert result.cost == Decimal("0.2")
    assert result.source == "your [[prices]] anthropic/claude-sonnet-4-5*"


def test_bundled_price_when_no_override_matches() -> None:
    result = PriceBook([override(model="claude-opus-*", rate="2")], "UTC").cost_of(record())
    assert result.cost == Decimal("0.3")
    assert result.source == f"genai-prices {pricing.GENAI_PRICES_VERSION}: Anthropic Claude Sonnet 4.5"


def test_unknown_model_is_unpriced_never_zero() -> None:
    book = PriceBook([], "UTC")
    assert book.price_for("anthropic", "claude-imaginary-9", TS) is None
    result = cost_of(record(model="claude-imaginary-9"))
    assert result.cost is None and result.price is None
    assert result.source == "unpriced: no price for anthropic/claude-imaginary-9"
    assert format_usd(result.cost) == "unpriced"


def test_known_provider_does_not_borrow_another_providers_model() -> None:
    assert PriceBook([], "UTC").price_for("openai", "claude-opus-4-1", TS) is None


# --------------------------------------------------------------------------- overrides


def test_most_specific_glob_wins_over_broader_one() -> None:
    book = PriceBook([override("claude-sonnet-4-5*", rate="5"), override("claude-*", rate="1")], "UTC")
    assert book.price_for("anthropic", SONNET, TS).input == Decimal("5")
    assert book.price_for("anthropic", "claude-opus-4-1", TS).input == Decimal("1")


def test_glob_is_case_insensitive_and_provider_is_normalised() -> None:
    book = PriceBook([override("CLAUDE-SONNET-*", rate="7", provider="Claude")], "UTC")
    assert book.price_for("anthropic", SONNET, TS).input == Decimal("7")


def test_latest_valid_from_not_after_record_day_wins() -> None:
    entries = [override(valid_from=date(2026, 1, 1), rate="1"), override(valid_from=date(2026, 6, 1), rate="2"),
               override(valid_from=date(2026, 12, 1), rate="3")]
    book = PriceBook(entries, "UTC")
    assert book.price_for("anthropic", SONNET, datetime(2026, 3, 1, tzinfo=UTC)).input == Decimal("1")
    assert book.price_for("anthropic", SONNET, datetime(2026, 6, 1, tzinfo=UTC)).input == Decimal("2")
    assert book.price_for("anthropic", SONNET, datetime(2026, 12, 24, tzinfo=UTC)).input == Decimal("3")
    before_all = book.price_for("anthropic", SONNET, datetime(2025, 12, 31, tzinfo=UTC))
    assert before_all.source.startswith("genai-prices")


def test_valid_from_starts_at_local_midnight_in_configured_zone() -> None:
    book = PriceBook([override(valid_from=date(2026, 3, 1), rate="9")], "Europe/Berlin")
    evening_before = datetime(2026, 2, 28, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    berlin_midnight_in_utc = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert book.price_for("anthropic", SONNET, evening_before).source.startswith("genai-prices")
    assert book.price_for("anthropic", SONNET, evening_before + timedelta(minutes=30)).input == Decimal("9")
    assert book.price_for("anthropic", SONNET, berlin_midnight_in_utc).input == Decimal("9")
    assert book.price_for("anthropic", SONNET, berlin_midnight_in_utc - timedelta(seconds=1)).input == Decimal("3")


def test_specific_glob_not_yet_valid_falls_back_to_broader_glob() -> None:
    book = PriceBook([override("claude-sonnet-4-5*", date(2026, 6, 1), "5"), override("claude-*", rate="1")], "UTC")
    assert book.price_for("anthropic", SONNET, datetime(2026, 5, 31, tzinfo=UTC)).input == Decimal("1")
    assert book.price_for("anthropic", SONNET, datetime(2026, 6, 1, tzinfo=UTC)).input == Decimal("5")


def test_override_cache_prices_default_to_input() -> None:
    parsed = override(rate="2.70", cache_read="0.27")
    assert (parsed.input, parsed.cache_read, parsed.cache_write) == (Decimal("2.70"), Decimal("0.27"), Decimal("2.70"))
    assert override("claude-sonnet-4-5*").specificity == 17
    assert override("claude-[so]onnet-?").specificity == 14


def test_toml_floats_become_exact_decimals() -> None:
    [parsed] = parse_price_overrides(
        [{"provider": "anthropic", "model": "x*", "valid_from": date(2026, 1, 1), "input": 2.70, "output": 13.5,
          "cache_read": 0.27, "cache_write": 3}], "vaultledger.toml")
    assert (parsed.input, parsed.output, parsed.cache_read, parsed.cache_write) == (
        Decimal("2.7"), Decimal("13.5"), Decimal("0.27"), Decimal("3"))
    assert parsed.valid_from == date(2026, 1, 1)


GOOD = {"provider": "anthropic", "model": "claude-*", "input": 1, "output": 2}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"output": -1}, "'output' must be a number >= 0"),
        ({"output": True}, "'output' must be a number >= 0"),
        ({"output": "cheap"}, "'output' must be a number >= 0"),
        ({"cache_read": float("nan")}, "'cache_read' must be a number >= 0"),
        ({"output": None}, "'output' must be a number >= 0"),
        ({"model": ""}, "'model' must be a non-empty string"),
        ({"provider": 3}, "'provider' must be a non-empty string"),
        ({"valid_from": "March"}, "'valid_from' must be a date like 2026-01-01"),
        ({"valid_from": datetime(2026, 1, 1, tzinfo=UTC)}, "'valid_from' must be a date like 2026-01-01"),
        ({"cache_reads": 1}, "unknown key 'cache_reads'"),
    ],
)
def test_bad_override_entry_names_index_and_field(bad: dict[str, object], message: str) -> None:
    with pytest.raises(PriceError, match="^vaultledger.toml: \\[\\[prices\\]\\] #2: " + message.replace("(", "\\(")):
        parse_price_overrides([GOOD, {**GOOD, **bad}], "vaultledger.toml")


def test_missing_output_and_non_table_entries_are_rejected() -> None:
    with pytest.raises(PriceError, match=r"#1: 'output' is required"):
        parse_price_overrides([{"provider": "openai", "model": "gpt-*", "input": 1}], "c.toml")
    with pytest.raises(PriceError, match=r"#1: must be a table"):
        parse_price_overrides(["gpt-4o"], "c.toml")  # type: ignore[list-item]


# --------------------------------------------------------------------------- bundled data


def test_cache_read_and_write_match_genai_prices_exactly() -> None:
    # Anthropic body: input_tokens 32 raw + cache_read 30000 + cache_creation 2048 -> OTel input 32060.
    usage = {"input_tokens": 32060, "output_tokens": 321, "cache_read_tokens": 30000, "cache_write_tokens": 2048}
    result = cost_of(record(input_tokens=32060, output_tokens=321, cache_read_tokens=30000, cache_write_tokens=2048))
    assert result.cost == genai_total(SONNET, "anthropic", **usage) == Decimal("0.021531")


def test_long_context_calls_are_priced_at_the_tier_rate() -> None:
    price = PriceBook([], "UTC").price_for("gcp.gemini", "gemini-2.5-pro", TS)
    assert price.tiered_from == 200_000
    expected = genai_total("gemini-2.5-pro", "google", input_tokens=250_000, output_tokens=1000)
    assert price.cost(250_000, 1000) == expected
    assert price.cost(250_000, 1000) == Decimal("0.640")  # 250k x $2.50 + 1k x $15, not the $1.25/$10 base
    for edge in (200_000, 200_001):  # the tier applies strictly above its start, as in genai-prices
        assert price.cost(edge, 10) == genai_total("gemini-2.5-pro", "google", input_tokens=edge, output_tokens=10)
    assert price.cost(200_000, 0) == Decimal("0.25") and price.cost(200_001, 0) == Decimal("0.5000025")
    sonnet = PriceBook([], "UTC").price_for("anthropic", SONNET, TS)
    assert sonnet.cost(300_000, 0, 100_000, 0) == Decimal("1.2") + Decimal("0.06")  # 200k x $6 + 100k reads x $0.60


def test_linear_cost_of_summed_sub_tier_calls_equals_sum_of_costs() -> None:
    price = PriceBook([], "UTC").price_for("anthropic", SONNET, TS)
    calls = [(150_000, 800, 100_000, 20_000), (199_000, 50, 0, 199_000), (120_000, 4000, 0, 0)]
    summed = [sum(column) for column in zip(*calls, strict=True)]
    assert summed[0] > price.tiered_from
    assert price.linear_cost(*summed, calls=len(calls)) == sum(price.cost(*call) for call in calls)


@pytest.mark.parametrize("provider", ["ollama", "lmstudio", "llamacpp", "vllm", "lm-studio"])
def test_local_providers_cost_nothing(provider: str) -> None:
    result = cost_of(record(provider=provider, model="llama3.1:8b"))
    assert result.cost == 0 and result.source == "local model: $0"
    assert format_usd(result.cost) == "$0.00"


def test_override_prices_a_local_model() -> None:
    book = PriceBook([override("llama*", rate="0.1", provider="ollama")], "UTC")
    assert book.cost_of(record(provider="ollama", model="llama3.1:8b")).cost == Decimal("0.01")


@pytest.mark.parametrize(
    ("provider", "model", "genai_provider", "model_id"),
    [
        ("gcp.gemini", "gemini-2.5-flash", "google", "gemini-2.5-flash"),
        ("google", "gemini-2.5-flash", "google", "gemini-2.5-flash"),
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws", None),
        ("gcp.vertex_ai", "claude-sonnet-4-5@20250929", "google", "claude-sonnet-4-5"),
        ("azure.ai.openai", "gpt-4o", "azure", "gpt-4o"),
        ("mistral_ai", "mistral-large-latest", "mistral", None),
        ("x_ai", "grok-4", "x-ai", None),
        ("some-proxy", "gpt-4o-mini", None, "gpt-4o-mini"),
    ],
)
def test_otel_provider_names_map_to_genai_prices(
    provider: str, model: str, genai_provider: str | None, model_id: str | None
) -> None:
    price = PriceBook([], "UTC").price_for(provider, model, TS)
    assert price is not None
    if model_id:
        assert price.model_id == model_id
    usage = {"input_tokens": 10_000, "output_tokens": 2_000, "cache_read_tokens": 4_000}
    assert price.cost(10_000, 2_000, 4_000) == genai_total(model, genai_provider, **usage)


@pytest.mark.parametrize(
    ("tier", "context"),
    [
        ("batch", {"processing": "batch"}),
        ("flex", {"service_tier": "flex"}),
        ("priority", {"service_tier": "priority"}),
    ],
)
def test_service_tier_selects_the_datas_variant(tier: str, context: dict[str, str]) -> None:
    book = PriceBook([], "UTC")
    standard = book.price_for("openai", "gpt-5", TS, "standard")
    variant = book.price_for("openai", "gpt-5", TS, tier)
    assert variant.input != standard.input and variant.source.endswith(f"({tier})")
    assert variant.cost(50_000, 5_000, 10_000) == genai_total(
        "gpt-5", "openai", context=context, input_tokens=50_000, output_tokens=5_000, cache_read_tokens=10_000)
    assert standard == book.price_for("openai", "gpt-5", TS) and standard.input == Decimal("1.25")


def test_batch_variant_only_from_its_start_date() -> None:
    book = PriceBook([], "UTC")
    assert book.price_for("openai", "gpt-5", datetime(2026, 10, 13, tzinfo=UTC), "batch").input == Decimal("1.25")
    assert book.price_for("openai", "gpt-5", datetime(2026, 10, 14, tzinfo=UTC), "batch").input == Decimal("0.625")


def test_time_of_day_prices_follow_the_records_instant() -> None:
    book = PriceBook([], "UTC")
    for hour in (3, 20):
        ts = datetime(2026, 11, 2, hour, tzinfo=UTC)
        cost = book.price_for("deepseek", "deepseek-chat", ts).cost(10_000, 1_000, 2_000)
        usage = {"input_tokens": 10_000, "output_tokens": 1_000, "cache_read_tokens": 2_000}
        assert cost == genai_total("deepseek-chat", "deepseek", ts, **usage)
    day, night = (book.price_for("deepseek", "deepseek-chat", datetime(2026, 11, 2, h, tzinfo=UTC)) for h in (3, 20))
    assert day.input > night.input


def test_flat_prices_agree_with_genai_prices_for_every_bundled_model() -> None:
    usage = {"input_tokens": 123_456, "output_tokens": 7_890, "cache_read_tokens": 20_000, "cache_write_tokens": 3_000}
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for provider in get_snapshot().providers:
            for model in provider.models:
                model_price = model.get_prices(TS)
                try:
                    expected = model_price.calc_price(Usage(**usage))["total_price"]
                except ValueError:
                    continue
                price = pricing._price_from_genai(model_price, "test", model.id)
                assert price.cost(*usage.values()) == expected, (provider.id, model.id)
                checked += 1
    assert checked > 1000


def test_lookups_are_memoised_and_prices_hashable() -> None:
    book = PriceBook([], "UTC")
    first = book.price_for("anthropic", SONNET, TS)
    assert book.price_for("anthropic", SONNET, TS + timedelta(days=3)) is first
    assert {first: 1}[book.price_for("anthropic", SONNET, TS)] == 1


# --------------------------------------------------------------------------- estimate, refs, display


def test_estimate_for_the_prices_command() -> None:
    result = estimate("openai", "gpt-4o-mini", 1000, 500)
    assert result.cost == Decimal("0.00045")
    assert format_usd(result.cost) == "$0.00045"
    assert estimate(*parse_model_ref("gpt-4o-mini"), 1000, 500).cost == Decimal("0.00045")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("anthropic/claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("google/gemini-2.5-pro", ("gcp.gemini", "gemini-2.5-pro")),
        ("openai:gpt-4o", ("openai", "gpt-4o")),
        ("llama3:8b", (None, "llama3:8b")),
        ("gpt-4o-mini", (None, "gpt-4o-mini")),
    ],
)
def test_parse_model_ref(ref: str, expected: tuple[str | None, str]) -> None:
    assert parse_model_ref(ref) == expected


def test_empty_model_ref_is_an_error() -> None:
    with pytest.raises(PriceError):
        parse_model_ref("  ")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal(0), "$0.00"),
        (Decimal("0.00045"), "$0.00045"),
        (Decimal("0.0045"), "$0.0045"),
        (Decimal("0.004512"), "$0.0045"),
        (Decimal("0.0040"), "$0.004"),
        (Decimal("0.009996"), "$0.01"),
        (Decimal("0.015"), "$0.02"),
        (Decimal("1234.5678"), "$1,234.57"),
        (Decimal("0.0000015"), "$0.0000015"),  # SPEC §3's own example
        (Decimal("1E-7"), "$0.0000001"),
        (Decimal("5E-8"), "<$0.0000001"),
        (Decimal("-2.5"), "-$2.50"),
        (None, "unpriced"),
    ],
)
def test_format_usd(amount: Decimal | None, shown: str) -> None:
    assert format_usd(amount) == shown


def test_unknown_time_zone_is_a_config_error() -> None:
    from vaultledger.errors import ConfigError

    with pytest.raises(ConfigError):
        PriceBook([], "Mars/Olympus")


def test_model_price_types_are_what_we_expect() -> None:
    # Guards the genai-prices internals Price relies on (ModelPrice attributes, TieredPrices.base).
    model = get_snapshot().find_provider_model("gemini-2.5-pro", None, "google", None)[1]
    assert isinstance(model.get_prices(TS).input_mtok, gp.TieredPrices)
