"""Decimal cost for a record (SPEC §3): the record's own `cost_usd`, then the user's `[[prices]]`
overrides, then local models at $0, then the bundled genai-prices data (offline), else unpriced.

Prices are USD per million tokens (MTok). Token counts follow OpenTelemetry: `input_tokens` includes
`cache_read_tokens` and `cache_write_tokens`, so uncached input = input - cache reads - cache writes.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import genai_prices
from genai_prices import data_snapshot
from genai_prices import types as gp

from vaultledger.errors import ConfigError, PriceError
from vaultledger.record import UsageRecord, normalise_provider

__all__ = [
    "GENAI_PROVIDER_IDS",
    "LOCAL_PROVIDERS",
    "Price",
    "PriceBook",
    "PriceOverride",
    "RecordCost",
    "cost_of",
    "default_book",
    "estimate",
    "find_genai_model",
    "format_usd",
    "parse_model_ref",
    "parse_price_overrides",
    "price_context",
]

GENAI_PRICES_VERSION: str = genai_prices.__version__
MTOK = Decimal(1_000_000)
ZERO = Decimal(0)

LOCAL_PROVIDERS = frozenset({"ollama", "lmstudio", "llamacpp", "vllm"})
"""Models running on your own machine: $0 unless a `[[prices]]` entry says otherwise."""

GENAI_PROVIDER_IDS: dict[str, tuple[str, ...]] = {
    "anthropic": ("anthropic",),
    "openai": ("openai",),
    "gcp.gemini": ("google",),
    "gcp.vertex_ai": ("google",),  # genai-prices' google falls back to anthropic for Claude on Vertex
    "gcp.gen_ai": ("google",),
    "aws.bedrock": ("aws",),
    "azure.ai.openai": ("azure", "openai"),
    "azure.ai.inference": ("azure",),
    "mistral_ai": ("mistral",),
    "groq": ("groq",),
    "deepseek": ("deepseek",),
    "x_ai": ("x-ai",),
    "cohere": ("cohere",),
    "perplexity": ("perplexity",),
}
"""OpenTelemetry provider name -> genai-prices provider ids, tried in order. A provider not listed here
is looked up by its own name in genai-prices (e.g. `openrouter`), else guessed from the model name."""

STANDARD_TIERS = frozenset({"standard", "default", "auto"})
_OVERRIDE_KEYS = ("provider", "model", "valid_from", "input", "output", "cache_read", "cache_write")


# --------------------------------------------------------------------------- overrides


@dataclass(frozen=True)
class PriceOverride:
    """One `[[prices]]` entry: USD per MTok for models of `provider` matching `model_glob`.

    `model_glob` is an fnmatch pattern, matched case-insensitively; `provider` is an OpenTelemetry
    name (or `*` for any). `valid_from` is a day in the configured time zone (from its midnight).
    `parse_price_overrides` defaults `cache_read` and `cache_write` to `input` when omitted.
    """

    provider: str
    model_glob: str
    valid_from: date | None
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    origin: str = ""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "provider", normalise_provider(self.provider))
        object.__setattr__(self, "_pattern", re.compile(fnmatch.translate(self.model_glob), re.IGNORECASE))

    @property
    def specificity(self) -> int:
        """Non-wildcard characters in the glob (a `[...]` class counts as one): more wins."""
        without_classes = re.sub(r"\[[^\]]*\]", "x", self.model_glob)
        return sum(1 for char in without_classes if char not in "*?")

    def matches(self, provider: str | None, model: str) -> bool:
        """Whether this entry prices `model` of (already normalised) `provider`."""
        provider_ok = self.provider == "*" or self.provider == provider
        return provider_ok and self._pattern.match(model) is not None

    def to_price(self) -> Price:
        """This entry as a flat (untiered) price."""
        since = f" from {self.valid_from.isoformat()}" if self.valid_from else ""
        return Price(
            input=self.input,
            output=self.output,
            cache_read=self.cache_read,
            cache_write=self.cache_write,
            source=f"your [[prices]] {self.provider}/{self.model_glob}{since}",
            model_id=self.model_glob,
        )


def parse_price_overrides(entries: Sequence[Mapping[str, Any]], source: str) -> list[PriceOverride]:
    """Validate the config's `[[prices]]` tables; entries are numbered from 1 in error messages.

    Raises PriceError like "vaultledger.toml: [[prices]] #2: 'output' must be a number >= 0".
    """
    if not isinstance(entries, list | tuple):
        raise PriceError(f"{source}: [[prices]] must be an array of tables")
    return [_parse_override(entry, f"{source}: [[prices]] #{number}") for number, entry in enumerate(entries, 1)]


def _parse_override(entry: Mapping[str, Any], where: str) -> PriceOverride:
    if not isinstance(entry, Mapping):
        raise PriceError(f"{where}: must be a table with provider, model, input and output")
    unknown = sorted(set(entry) - set(_OVERRIDE_KEYS))
    if unknown:
        raise PriceError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(_OVERRIDE_KEYS)})")
    input_price = _price_value(entry, "input", where)
    return PriceOverride(
        provider=_text_value(entry, "provider", where),
        model_glob=_text_value(entry, "model", where),
        valid_from=_date_value(entry.get("valid_from"), where),
        input=input_price,
        output=_price_value(entry, "output", where),
        cache_read=_price_value(entry, "cache_read", where, default=input_price),
        cache_write=_price_value(entry, "cache_write", where, default=input_price),
        origin=where,
    )


def _text_value(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PriceError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _price_value(entry: Mapping[str, Any], key: str, where: str, default: Decimal | None = None) -> Decimal:
    if key not in entry:
        if default is not None:
            return default
        raise PriceError(f"{where}: '{key}' is required (USD per million tokens)")
    price = _as_decimal(entry[key])
    if price is None or not price.is_finite() or price < 0:
        raise PriceError(f"{where}: '{key}' must be a number >= 0 (USD per million tokens), got {entry[key]!r}")
    return price


def _as_decimal(value: object) -> Decimal | None:
    """TOML numbers (floats via their shortest repr, so 2.70 stays 2.7) and numeric strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    try:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, str):
            return Decimal(value.strip())
    except InvalidOperation:
        return None
    return None


def _date_value(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PriceError(f"{where}: 'valid_from' must be a date like 2026-01-01, got {value!r}")


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class Price:
    """USD per MTok for one model (base tier), where it came from, and how to cost a call with it."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    source: str
    model_id: str
    tiered_from: int | None = None
    """Input-token count above which a call is priced at a higher tier (genai-prices' cliff model)."""
    per_call: Decimal = ZERO
    """Flat USD per request some providers add (e.g. Perplexity's request fee)."""
    _genai_price: gp.ModelPrice | None = field(default=None, repr=False, compare=False)

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0, cache_write_tokens: int = 0
    ) -> Decimal:
        """Exact USD for ONE call; calls above `tiered_from` are delegated to genai-prices so tiers match it."""
        if self._genai_price is None or self.tiered_from is None or input_tokens <= self.tiered_from:
            return self.linear_cost(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        usage = gp.Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
        )
        try:
            return self._genai_price.calc_price(usage)["total_price"]
        except ValueError as error:
            raise PriceError(f"cannot price {self.model_id}: {error}") from None

    def linear_cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        calls: int = 1,
    ) -> Decimal:
        """Base-rate USD; valid for token sums of many calls when each call stayed <= `tiered_from`."""
        uncached = input_tokens - cache_read_tokens - cache_write_tokens
        if uncached < 0:
            raise PriceError("cache_read_tokens + cache_write_tokens exceed input_tokens")
        per_mtok = (
            uncached * self.input
            + output_tokens * self.output
            + cache_read_tokens * self.cache_read
            + cache_write_tokens * self.cache_write
        )
        return per_mtok / MTOK + calls * self.per_call

    def summary(self) -> str:
        """One line for humans, e.g. "$3 input, $15 output, $0.3 cache read, $3.75 cache write per MTok"."""
        rates = (
            f"${self.input} input, ${self.output} output, "
            f"${self.cache_read} cache read, ${self.cache_write} cache write per MTok"
        )
        if self.per_call:
            rates += f", ${self.per_call} per call"
        if self.tiered_from is not None:
            rates += f" (higher tier above {self.tiered_from:,} input tokens)"
        return rates


def _price_from_genai(model_price: gp.ModelPrice, source: str, model_id: str) -> Price:
    """Our Price for a genai-prices ModelPrice; missing cache rates fall back to input, as genai-prices does."""
    values = {key: value for key, value in vars(model_price).items() if value is not None and key[0] != "_"}
    tiered = [value for value in values.values() if isinstance(value, gp.TieredPrices)]
    input_rate = _base_rate(values.get("input_mtok")) or ZERO
    requests = _base_rate(values.get("requests_kcount"))
    return Price(
        input=input_rate,
        output=_base_rate(values.get("output_mtok")) or ZERO,
        cache_read=_base_rate(values.get("cache_read_mtok")) or input_rate,
        cache_write=_base_rate(values.get("cache_write_mtok")) or input_rate,
        source=source,
        model_id=model_id,
        tiered_from=min((tier.start for value in tiered for tier in value.tiers), default=None),
        per_call=requests / 1000 if requests else ZERO,
        _genai_price=model_price if tiered else None,
    )


def _base_rate(value: Decimal | gp.TieredPrices | None) -> Decimal | None:
    return value.base if isinstance(value, gp.TieredPrices) else value


def _local_price(model: str) -> Price:
    return Price(ZERO, ZERO, ZERO, ZERO, source="local model: $0", model_id=model)


# --------------------------------------------------------------------------- bundled data


def price_context(service_tier: str | None) -> dict[str, str] | None:
    """genai-prices' price_context for a record's service tier (`batch` is a processing mode there)."""
    tier = (service_tier or "").strip().lower()
    if not tier or tier in STANDARD_TIERS:
        return None
    if tier == "batch":
        return {"processing": "batch"}
    return {"service_tier": tier}


def load_bundled_prices() -> None:
    """Load genai-prices' price data now (it loads on first use, in tens of milliseconds)."""
    data_snapshot.get_snapshot()


def find_genai_model(provider: str | None, model: str) -> tuple[gp.Provider, gp.ModelInfo] | None:
    """The genai-prices provider and model for an OpenTelemetry provider name and a model, if any."""
    snapshot = data_snapshot.get_snapshot()
    for provider_id in _genai_provider_ids(provider):
        try:
            return snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
    return None


def _genai_provider_ids(provider: str | None) -> tuple[str | None, ...]:
    """Mapped ids; an unmapped name genai-prices knows itself; else None (guess from the model)."""
    if provider in GENAI_PROVIDER_IDS:
        return GENAI_PROVIDER_IDS[provider]
    if provider and data_snapshot.find_provider_by_id(data_snapshot.get_snapshot().providers, provider):
        return (provider,)
    return (None,)


class _BundledModel:
    """A genai-prices model with the variants matching one service tier; Prices cached per price state."""

    def __init__(self, provider: gp.Provider, model: gp.ModelInfo, context: dict[str, str] | None) -> None:
        self.model = model
        own_model = any(model is candidate for candidate in provider.models)
        # genai-prices ignores price_context for models borrowed from a fallback provider; so do we.
        self.context = context if own_model else None
        self.variants = [
            (index, variant)
            for index, variant in enumerate(model.price_variants or ())
            if self.context and all(self.context.get(key) == value for key, value in variant.when.items())
        ]
        self.label = f"genai-prices {GENAI_PRICES_VERSION}: {provider.name} {model.name or model.id}"
        self.varies_with_time = isinstance(model.prices, list) or any(v.constraint for _, v in self.variants)
        constraints = [price.constraint for price in model.prices] if isinstance(model.prices, list) else []
        constraints += [variant.constraint for _, variant in self.variants]
        # Start dates change a price at most once at a known instant; time-of-day windows (off-peak
        # rates) change it within every day, so only the former can be priced per day.
        self.varies_within_day = any(
            constraint is not None and not isinstance(constraint, gp.StartDateConstraint) for constraint in constraints
        )
        self._by_state: dict[tuple[int, tuple[int, ...]], Price] = {}

    def price_at(self, ts: datetime) -> Price:
        state = self._state(ts)
        price = self._by_state.get(state)
        if price is None:
            price = self._by_state[state] = self._build(ts, bool(state[1]))
        return price

    def _state(self, ts: datetime) -> tuple[int, tuple[int, ...]]:
        """Which conditional price and which variants apply at `ts` (genai-prices' own rules)."""
        chosen = 0
        if isinstance(self.model.prices, list):
            for index in reversed(range(len(self.model.prices))):
                constraint = self.model.prices[index].constraint
                if constraint is None or constraint.active(ts):
                    chosen = index
                    break
        active = tuple(i for i, v in self.variants if v.constraint is None or v.constraint.active(ts))
        return chosen, active

    def _build(self, ts: datetime, variant_applies: bool) -> Price:
        model_price = self.model.get_prices(ts, self.context)
        tier = next(iter(self.context.values())) if variant_applies and self.context else None
        source = f"{self.label} ({tier})" if tier else self.label
        return _price_from_genai(model_price, source, self.model.id)


# --------------------------------------------------------------------------- the price book


VARIES = object()  # price_for_day's answer when a day holds more than one price


class _Lookup:
    """Everything about one (provider, model, service_tier) that does not depend on the time."""

    __slots__ = ("bundled", "dated", "fixed", "is_fixed")

    def __init__(self, dated: list[tuple[date | None, Price]], bundled: _BundledModel | Price | None) -> None:
        self.dated = dated
        self.bundled = bundled
        self.fixed: Price | None = None
        self.is_fixed = False
        if dated and dated[0][0] is None:
            self.fixed, self.is_fixed = dated[0][1], True
        elif not dated and not isinstance(bundled, _BundledModel):
            self.fixed, self.is_fixed = bundled, True
        elif not dated and isinstance(bundled, _BundledModel) and not bundled.varies_with_time:
            self.fixed, self.is_fixed = bundled.price_at(datetime.now(UTC)), True

    def price_for_day(self, first: datetime, last: datetime, day: date) -> Price | None | object:
        """The one price of a whole local day ([first, last] in UTC), or VARIES when it changes within it."""
        if self.dated:
            for valid_from, price in self.dated:
                if valid_from is None or valid_from <= day:
                    return price
        if not isinstance(self.bundled, _BundledModel):
            return self.bundled
        if self.bundled.varies_within_day or self.bundled._state(first) != self.bundled._state(last):
            return VARIES
        return self.bundled.price_at(first)

    def price_at(self, ts: datetime, local_day: Callable[[datetime], date]) -> Price | None:
        if self.dated:
            day = local_day(ts)
            for valid_from, price in self.dated:
                if valid_from is None or valid_from <= day:
                    return price
        if isinstance(self.bundled, _BundledModel):
            return self.bundled.price_at(_aware(ts))
        return self.bundled


class PriceBook:
    """Resolves the price of (provider, model) at a time, per SPEC §3; memoised for millions of calls."""

    def __init__(self, overrides: Sequence[PriceOverride] = (), tz: str | tzinfo = "UTC") -> None:
        self.overrides = list(overrides)
        self.tz = _zone(tz)
        self._lookups: dict[tuple[str | None, str, str | None], _Lookup] = {}

    def price_for(
        self, provider: str | None, model: str, ts: datetime, service_tier: str | None = None
    ) -> Price | None:
        """The price for a call completed at `ts`, or None when nothing prices it (unpriced)."""
        lookup = self._lookups.get((provider, model, service_tier))
        if lookup is None:
            lookup = self._lookups[(provider, model, service_tier)] = self._resolve(provider, model, service_tier)
        if lookup.is_fixed:
            return lookup.fixed
        return lookup.price_at(ts, self._local_day)

    def price_for_day(
        self, provider: str | None, model: str, service_tier: str | None, day: date
    ) -> Price | None | object:
        """The price of every call on a local day, or VARIES: lets a day's calls be priced as one group."""
        lookup = self._lookups.get((provider, model, service_tier))
        if lookup is None:
            lookup = self._lookups[(provider, model, service_tier)] = self._resolve(provider, model, service_tier)
        if lookup.is_fixed:
            return lookup.fixed
        first = datetime.combine(day, time.min, self.tz)
        last = datetime.combine(day, time.max, self.tz)
        return lookup.price_for_day(first.astimezone(UTC), last.astimezone(UTC), day)

    def cost_of(self, record: UsageRecord) -> RecordCost:
        """Cost of one record: its own cost_usd, else its price at its ts, else unpriced."""
        if record.cost_usd is not None:
            return RecordCost(record.cost_usd, "cost_usd in record", None)
        price = self.price_for(record.provider, record.model, record.ts, record.service_tier)
        tokens = (record.input_tokens, record.output_tokens, record.cache_read_tokens, record.cache_write_tokens)
        return _priced(price, record.provider, record.model, *tokens)

    def estimate(
        self,
        provider: str | None,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        ts: datetime | None = None,
        service_tier: str | None = None,
    ) -> RecordCost:
        """What one call would cost (for `vaultledger prices`); `ts` defaults to now."""
        price = self.price_for(provider, model, ts or datetime.now(UTC), service_tier)
        return _priced(price, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)

    def _resolve(self, provider: str | None, model: str, service_tier: str | None) -> _Lookup:
        normalised = normalise_provider(provider) if provider else None
        return _Lookup(self._override_chain(normalised, model), self._bundled(normalised, model, service_tier))

    def _override_chain(self, provider: str | None, model: str) -> list[tuple[date | None, Price]]:
        """Matching overrides in preference order, cut after the first one that always applies."""
        ranked = sorted(
            ((o, index) for index, o in enumerate(self.overrides) if o.matches(provider, model)),
            key=lambda pair: (pair[0].specificity, pair[0].valid_from or date.min, pair[1]),
            reverse=True,
        )
        chain: list[tuple[date | None, Price]] = []
        for override, _ in ranked:
            chain.append((override.valid_from, override.to_price()))
            if override.valid_from is None:
                break
        return chain

    @staticmethod
    def _bundled(provider: str | None, model: str, service_tier: str | None) -> _BundledModel | Price | None:
        if provider in LOCAL_PROVIDERS:
            return _local_price(model)
        found = find_genai_model(provider, model)
        return _BundledModel(*found, price_context(service_tier)) if found else None

    def _local_day(self, ts: datetime) -> date:
        return _aware(ts).astimezone(self.tz).date()


@dataclass(frozen=True)
class RecordCost:
    """A record's cost (None = unpriced), a human note on where it came from, and the price used."""

    cost: Decimal | None
    source: str
    price: Price | None


def _priced(price: Price | None, provider: str | None, model: str, *tokens: int) -> RecordCost:
    if price is None:
        name = f"{provider}/{model}" if provider else model
        return RecordCost(None, f"unpriced: no price for {name}", None)
    return RecordCost(price.cost(*tokens), price.source, price)


_default_book: PriceBook | None = None


def default_book() -> PriceBook:
    """A PriceBook without overrides (bundled data only), shared by cost_of/estimate without a book."""
    global _default_book
    if _default_book is None:
        _default_book = PriceBook([], "UTC")
    return _default_book


def cost_of(record: UsageRecord, book: PriceBook | None = None) -> RecordCost:
    """Cost of one record with `book` (default: bundled prices only); see PriceBook.cost_of."""
    return (book or default_book()).cost_of(record)


def estimate(
    provider: str | None,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    ts: datetime | None = None,
    service_tier: str | None = None,
    book: PriceBook | None = None,
) -> RecordCost:
    """What one call would cost, e.g. estimate("openai", "gpt-4o-mini", 1000, 500).cost == 0.00045."""
    return (book or default_book()).estimate(
        provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, ts, service_tier
    )


def parse_model_ref(ref: str) -> tuple[str | None, str]:
    """`anthropic/claude-sonnet-4-5` -> ("anthropic", "claude-sonnet-4-5"); a bare model -> (None, model).

    `provider:model` (pydantic-ai style) is split only when the part before `:` is a known provider,
    so Ollama tags like `llama3:8b` stay whole.
    """
    ref = ref.strip()
    head, slash, tail = ref.partition("/")
    if slash and head and tail:
        return normalise_provider(head), tail.strip()
    head, colon, tail = ref.partition(":")
    if colon and head and tail and _known_provider(normalise_provider(head)):
        return normalise_provider(head), tail.strip()
    if not ref:
        raise PriceError("empty model reference (write it like anthropic/claude-sonnet-4-5)")
    return None, ref


def _known_provider(provider: str) -> bool:
    snapshot = data_snapshot.get_snapshot()
    return (
        provider in GENAI_PROVIDER_IDS
        or provider in LOCAL_PROVIDERS
        or data_snapshot.find_provider_by_id(snapshot.providers, provider) is not None
    )


# --------------------------------------------------------------------------- display


CENT = Decimal("0.01")
SMALLEST_SHOWN = Decimal("0.000001")


def format_usd(amount: Decimal | None) -> str:
    """Money for humans (SPEC §3): `$1,234.57`; under one cent two significant digits, at most 6 decimals.

    0 -> `$0.00`; 0.0045 -> `$0.0045`; 0.00045 -> `$0.00045`; 0.004512 -> `$0.0045` (trailing zeros
    stripped); a non-zero amount under $0.000001 -> `<$0.000001` (never a misleading $0); None ->
    `unpriced`. Rounding is ROUND_HALF_UP (as on an invoice), not banker's rounding.
    """
    if amount is None:
        return "unpriced"
    amount = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    sign, magnitude = ("-" if amount < 0 else ""), abs(amount)
    if magnitude == 0:
        return "$0.00"
    if magnitude >= CENT:
        return f"{sign}${magnitude.quantize(CENT, rounding=ROUND_HALF_UP):,}"
    if magnitude < SMALLEST_SHOWN:
        return f"{sign}<${SMALLEST_SHOWN}"
    return f"{sign}${_two_significant_digits(magnitude):f}"


def _two_significant_digits(amount: Decimal) -> Decimal:
    """0 < amount < 0.01 to two significant digits, at most 6 decimals, trailing zeros stripped."""
    step = max(Decimal(1).scaleb(amount.adjusted() - 1), SMALLEST_SHOWN)
    return amount.quantize(step, rounding=ROUND_HALF_UP).normalize()


# --------------------------------------------------------------------------- time


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {tz!r} (use an IANA name like Europe/Berlin)") from None


def _aware(ts: datetime) -> datetime:
    """Naive times are taken as UTC, as genai-prices does."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
