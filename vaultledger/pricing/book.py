"""The price book: which price a call of (provider, model, service tier) gets at a time (SPEC §3).

Rules in order: the record's own `cost_usd`, the user's overrides, local models at $0, the bundled
genai-prices data, else unpriced. A book told `remember_in(cache_dir)` keeps the day prices it resolves
on disk, so a later run asks genai-prices nothing it asked before (and does not even import it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vaultledger.errors import ConfigError, PriceError
from vaultledger.pricing.overrides import PriceOverride
from vaultledger.pricing.price import VARIES, Call, Counts, Price, RecordCost, local_price, tier_note
from vaultledger.pricing.store import MISS, DayPriceStore
from vaultledger.record.tiers import tier_name
from vaultledger.record import UsageRecord, normalise_provider, subset_problem

if TYPE_CHECKING:
    from vaultledger.pricing.bundled import BundledModel

LOCAL_PROVIDERS = frozenset({"ollama", "lmstudio", "llamacpp", "vllm"})
"""Models running on your own machine: $0 unless a `[[prices]]` entry says otherwise."""


class _Lookup:
    """Everything about one (provider, model, service_tier) that does not depend on the time."""

    __slots__ = ("bundled", "dated", "fixed", "is_fixed")

    def __init__(self, dated: list[tuple[date | None, Price]], bundled: BundledModel | Price | None) -> None:
        self.dated = dated
        self.bundled = bundled
        self.fixed: Price | None = None
        self.is_fixed = False
        if dated and dated[0][0] is None:
            self.fixed, self.is_fixed = dated[0][1], True
        elif not dated and _plain(bundled):
            self.fixed, self.is_fixed = bundled, True  # type: ignore[assignment]
        elif not dated and not bundled.varies_with_time:  # type: ignore[union-attr]
            self.fixed, self.is_fixed = bundled.price_at(datetime.now(UTC)), True  # type: ignore[union-attr]

    def price_for_day(self, first: datetime, last: datetime, day: date) -> Price | None | object:
        """The one price of a whole local day ([first, last] in UTC), or VARIES when it changes within it."""
        if self.dated:
            for valid_from, price in self.dated:
                if valid_from is None or valid_from <= day:
                    return price
        if _plain(self.bundled):
            return self.bundled
        bundled: BundledModel = self.bundled  # type: ignore[assignment]
        if bundled.varies_within_day or bundled._state(first) != bundled._state(last):
            return VARIES
        return bundled.price_at(first)

    def price_at(self, ts: datetime, local_day: Callable[[datetime], date]) -> Price | None:
        if self.dated:
            day = local_day(ts)
            for valid_from, price in self.dated:
                if valid_from is None or valid_from <= day:
                    return price
        if _plain(self.bundled):
            return self.bundled  # type: ignore[return-value]
        return self.bundled.price_at(_aware(ts))  # type: ignore[union-attr]


def _plain(bundled: object) -> bool:
    """A fixed price or none, rather than a genai-prices model whose price depends on the time."""
    return bundled is None or isinstance(bundled, Price)


def bundled_prices_loaded() -> bool:
    """Whether genai-prices' price data is imported in this process (its import is most of loading it)."""
    return "vaultledger.pricing.bundled" in sys.modules


class PriceBook:
    """Resolves the price of (provider, model) at a time, per SPEC §3; memoised for millions of calls."""

    def __init__(self, overrides: Sequence[PriceOverride] = (), tz: str | tzinfo = "UTC") -> None:
        self.overrides = list(overrides)
        self.tz = _zone(tz)
        self._lookups: dict[tuple[str | None, str, str | None], _Lookup] = {}
        self._store: DayPriceStore | None = None

    def remember_in(self, cache_dir: Path) -> None:
        """Keep resolved day prices in `cache_dir`, and answer from there what was resolved before."""
        self._store = DayPriceStore.for_book(cache_dir, str(self.tz), self.overrides)

    def price_for(
        self, provider: str | None, model: str, ts: datetime, service_tier: str | None = None
    ) -> Price | None:
        """The price for a call completed at `ts`, or None when nothing prices it (unpriced)."""
        lookup = self._lookup(provider, model, service_tier)
        if lookup.is_fixed:
            return lookup.fixed
        return lookup.price_at(ts, self._local_day)

    def price_for_day(
        self, provider: str | None, model: str, service_tier: str | None, day: date
    ) -> Price | None | object:
        """The price of every call on a local day, or VARIES: lets a day's calls be priced as one group."""
        lookup = self._lookups.get((provider, model, service_tier))
        if lookup is None and self._store is not None:
            known = self._store.get((provider, model, service_tier, day.isoformat()))
            if known is not MISS:
                return known
        lookup = lookup or self._lookup(provider, model, service_tier)
        first = datetime.combine(day, time.min, self.tz).astimezone(UTC)
        if lookup.is_fixed:
            answer: Any = lookup.fixed
        else:
            answer = lookup.price_for_day(first, datetime.combine(day, time.max, self.tz).astimezone(UTC), day)
        if self._store is not None:
            key = (provider, model, service_tier, "*" if lookup.is_fixed else day.isoformat())
            self._store.remember(key, answer, first)
        return answer

    def keep_day_prices(self, keys: Iterable[tuple[str | None, str, str | None]], day: date) -> None:
        """Remember the day prices of these (provider, model, service tier) on `day`, where this process
        has the price data loaded already but resolved nothing itself: it forked the workers that
        priced the calls, and their answers died with them. A warm run pricing new lines of that day
        then finds them on disk instead of loading genai-prices (about 100 ms, once)."""
        if self._store is None or not bundled_prices_loaded():
            return
        for provider, model, service_tier in keys:
            self.price_for_day(provider, model, service_tier, day)

    def cost_of(self, record: UsageRecord) -> RecordCost:
        """Cost of one record: its own cost_usd, else its price at its ts, else unpriced."""
        if record.cost_usd is not None:
            return RecordCost(record.cost_usd, "cost_usd in record", None)
        price = self.price_for(record.provider, record.model, record.ts, record.service_tier)
        return _priced(price, record.provider, record.model, record)

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
        **parts: int,
    ) -> RecordCost:
        """What one call would cost (for `vaultledger prices`); `ts` defaults to now; `parts` are further
        count fields of SPEC §1 (cache_write_1h_tokens=…, web_search_requests=…)."""
        price = self.price_for(provider, model, ts or datetime.now(UTC), service_tier)
        call = Call(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, **parts)
        problem = subset_problem(call)
        if call.reasoning_tokens > output_tokens:
            problem = "reasoning_tokens exceed output_tokens"
        if problem:
            raise PriceError(f"cannot estimate: {problem}")
        return _priced(price, provider, model, call)

    def tier_note(self, provider: str | None, model: str, service_tier: str | None, ts: datetime) -> str | None:
        """Why calls at `service_tier` are priced at the standard rate at `ts` ("the price data has no
        batch price before 2026-10-14"), or None when they are not (for reports' tier fallbacks)."""
        price = self.price_for(provider, model, ts, service_tier)
        return None if price is None else tier_note(price)

    def _lookup(self, provider: str | None, model: str, service_tier: str | None) -> _Lookup:
        lookup = self._lookups.get((provider, model, service_tier))
        if lookup is None:
            lookup = self._lookups[(provider, model, service_tier)] = self._resolve(provider, model, service_tier)
        return lookup

    def _resolve(self, provider: str | None, model: str, service_tier: str | None) -> _Lookup:
        normalised = normalise_provider(provider) if provider else None
        chain = self._override_chain(normalised, model, tier_name(service_tier))
        return _Lookup(chain, self._bundled(normalised, model, service_tier))

    def _override_chain(self, provider: str | None, model: str, tier: str) -> list[tuple[date | None, Price]]:
        """Matching overrides in preference order, cut after the first one that always applies: an entry
        naming the call's tier before one for every tier, then the most specific glob, then the latest day."""
        ranked = sorted(
            ((o, index) for index, o in enumerate(self.overrides) if o.matches(provider, model, tier)),
            key=lambda pair: (pair[0].service_tier is not None, pair[0].specificity, pair[0].valid_from or date.min,
                              pair[1]),
            reverse=True,
        )
        chain: list[tuple[date | None, Price]] = []
        for override, _ in ranked:
            chain.append((override.valid_from, override.to_price()))
            if override.valid_from is None:
                break
        return chain

    @staticmethod
    def _bundled(provider: str | None, model: str, service_tier: str | None) -> BundledModel | Price | None:
        if provider in LOCAL_PROVIDERS:
            return local_price(model)
        from vaultledger.pricing.bundled import BundledModel, find_genai_model

        found = find_genai_model(provider, model)
        return BundledModel(*found, service_tier) if found else None

    def _local_day(self, ts: datetime) -> date:
        return _aware(ts).astimezone(self.tz).date()


def _priced(price: Price | None, provider: str | None, model: str, call: Counts) -> RecordCost:
    if price is None:
        name = f"{provider}/{model}" if provider else model
        return RecordCost(None, f"unpriced: no price for {name}", None)
    return RecordCost(price.cost_of(call), price.source, price)


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
    **parts: int,
) -> RecordCost:
    """What one call would cost, e.g. estimate("openai", "gpt-4o-mini", 1000, 500).cost == 0.00045."""
    return (book or default_book()).estimate(
        provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, ts, service_tier, **parts
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
    from vaultledger.pricing.bundled import GENAI_PROVIDER_IDS, known_provider_id

    return provider in GENAI_PROVIDER_IDS or provider in LOCAL_PROVIDERS or known_provider_id(provider)


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
