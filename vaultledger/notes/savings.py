"""What prompt caching saved at list price, and what local models ran for free.

Saved = cache-read tokens × (input rate − cache-read rate); writing to a cache costs more than plain input
on some providers, and that premium is counted apart. Both use the list price of each model on each day
(the price book's, overrides included), whatever a record's own cost_usd said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from vaultledger.ledger.usage import GroupKey, Sums, Usage
from vaultledger.notes.render import format_share
from vaultledger.pricing import LOCAL_PROVIDERS, MTOK, Price, PriceBook, format_usd


@dataclass(frozen=True)
class CacheSavings:
    read_tokens: int = 0
    written_tokens: int = 0
    saved: Decimal = Decimal(0)
    write_premium: Decimal = Decimal(0)
    local_calls: int = 0
    calls: int = 0

    @property
    def net(self) -> Decimal:
        return self.saved - self.write_premium

    @property
    def words(self) -> str:
        """What caching saved and what ran locally, as one short paragraph."""
        parts = []
        if self.read_tokens:
            sentence = f"{self.read_tokens:,} input tokens read from a prompt cache saved {format_usd(self.saved)} at list price"
            if self.write_premium:
                sentence += (f"; writing {self.written_tokens:,} tokens to a cache cost {format_usd(self.write_premium)} "
                             f"more than plain input, so caching saved {format_usd(self.net)} in all")
            parts.append(sentence + ".")
        if self.local_calls:
            calls = "call" if self.local_calls == 1 else "calls"
            parts.append(f"{self.local_calls:,} {calls} ({format_share(self.local_calls, self.calls)}) ran on local "
                         "models, at no cost.")
        return " ".join(parts)


def cache_savings(days: dict[dt.date, Usage], book: PriceBook) -> CacheSavings:
    """Savings over the days' calls (groups without a price save nothing that can be told)."""
    read = written = local = calls = 0
    saved = premium = Decimal(0)
    for day, usage in days.items():
        for key, sums in usage.groups.items():
            calls += sums.calls
            local += sums.calls if key.provider in LOCAL_PROVIDERS else 0
            if not (sums.cache_read_tokens or sums.cache_write_tokens):
                continue
            read, written = read + sums.cache_read_tokens, written + sums.cache_write_tokens
            price = _list_price(book, key, day)
            if price is not None:
                saved += sums.cache_read_tokens * (price.input - price.cache_read) / MTOK
                premium += _write_premium(price, sums)
    return CacheSavings(read, written, saved, max(premium, Decimal(0)), local, calls)


def _write_premium(price: Price, sums: Sums) -> Decimal:
    one_hour = sums.cache_write_1h_tokens
    five_minutes = sums.cache_write_tokens - one_hour
    cache_write_1h = price.cache_write_1h if price.cache_write_1h is not None else price.cache_write
    paid = five_minutes * price.cache_write + one_hour * cache_write_1h
    return (paid - sums.cache_write_tokens * price.input) / MTOK


def _list_price(book: PriceBook, key: GroupKey, day: dt.date) -> Price | None:
    price = book.price_for_day(key.provider, key.model, key.service_tier, day)
    if isinstance(price, Price):
        return price
    if price is None:
        return None
    # The price changed during the day: the price at noon stands for the day's calls.
    noon = dt.datetime.combine(day, dt.time(12), book.tz)
    return book.price_for(key.provider, key.model, noon, key.service_tier)
