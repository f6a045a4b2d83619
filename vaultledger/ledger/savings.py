"""What prompt caching saved: cache reads priced at the input rate instead of the cache-read rate,
less what cache writes cost above the input rate, at the list price of each call's day (the price
book's, overrides included, whatever a record's own cost_usd said); and how many calls ran on local
models. One definition for notes and the dashboard.

A group whose price changes within its day, or that has no price, is left out and counted, so a
saving is never guessed (SPEC §3: never a silent $0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from vaultledger.ledger.usage import Sums, Usage
from vaultledger.pricing import LOCAL_PROVIDERS, MTOK, Price, PriceBook


@dataclass(frozen=True)
class CacheSavings:
    """Cache reads' saving and cache writes' extra cost, both in USD; the net is what caching saved."""

    read_tokens: int = 0
    write_tokens: int = 0
    saved_on_reads: Decimal = Decimal(0)
    paid_for_writes: Decimal = Decimal(0)
    calls_not_valued: int = 0  # calls with cache tokens but no single price for their day
    local_calls: int = 0  # calls on local models (SPEC §3: $0), which caching is no question for
    calls: int = 0

    @property
    def net(self) -> Decimal:
        return self.saved_on_reads - self.paid_for_writes

    def __add__(self, other: CacheSavings) -> CacheSavings:
        return CacheSavings(self.read_tokens + other.read_tokens, self.write_tokens + other.write_tokens,
                            self.saved_on_reads + other.saved_on_reads, self.paid_for_writes + other.paid_for_writes,
                            self.calls_not_valued + other.calls_not_valued, self.local_calls + other.local_calls,
                            self.calls + other.calls)


def cache_savings(days: Mapping[dt.date, Usage], book: PriceBook) -> CacheSavings:
    """The savings of every day's groups, each at its day's price from `book`."""
    total = CacheSavings()
    for day, usage in days.items():
        for key, sums in usage.groups.items():
            local = sums.calls if key.provider in LOCAL_PROVIDERS else 0
            total += CacheSavings(local_calls=local, calls=sums.calls)
            if sums.cache_read_tokens or sums.cache_write_tokens:
                total += group_savings(sums, book.price_for_day(key.provider, key.model, key.service_tier, day))
    return total


def group_savings(sums: Sums, price: object) -> CacheSavings:
    """One group's savings under `price` (a Price, None for unpriced, or VARIES)."""
    reads, writes = sums.cache_read_tokens, sums.cache_write_tokens
    if not isinstance(price, Price):
        return CacheSavings(reads, writes, calls_not_valued=sums.calls)
    hour_writes = sums.cache_write_1h_tokens
    saved = reads * (price.input - price.cache_read) / MTOK
    extra = ((writes - hour_writes) * (price.cache_write - price.input)
             + hour_writes * ((price.cache_write_1h or price.cache_write) - price.input)) / MTOK
    return CacheSavings(reads, writes, saved, extra)
