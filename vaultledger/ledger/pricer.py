"""The cost of groups of calls, priced as cheaply as their prices allow.

Calls below a price's first tier cost counts × base rates (every unit: tokens, their parts, web
searches), so their counts are summed per (day, group, price) and priced once at the end; calls
that carry their own cost, or whose price changes within the day, are priced one by one. Calls
whose price stands in for a tier the price data has no price for are counted as tier fallbacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial

from vaultledger.ledger.usage import GroupKey, Sums, Usage
from vaultledger.pricing import VARIES, Price, PriceBook
from vaultledger.record import RecordFields, cost_usd_of, input_tokens_of

_UNKNOWN = object()


Members = Callable[[], Sequence[RecordFields]]  # a group's calls, sorted out only when a price needs them


class GroupPricer:
    """Prices each group a DayFolder adds; `finish` applies what was summed for linear prices."""

    def __init__(self, book: PriceBook) -> None:
        self.book = book
        # Keyed by the price's identity: the book hands out one object per price, and hashing a
        # price's Decimals for every group would cost more than the pricing itself.
        self._linear: dict[tuple[dt.date, GroupKey, int], tuple[Price, Sums]] = {}
        # One price per (provider, model, tier, day): looking it up costs more than a small group.
        self._day_prices: dict[tuple[str, str, str | None, dt.date], object] = {}

    def price(
        self, day: dt.date, key: GroupKey, sums: Sums, members: Members, added: Sums, has_costs: bool, largest: int,
    ) -> None:
        """Add the cost of a group's calls (whose sums are `added`, already in `sums`) to `sums`, now or at
        `finish`. `largest` bounds their input tokens: below a price's first tier, the calls themselves are
        never asked for."""
        price_key = (key.provider, key.model, key.service_tier, day)
        price = self._day_prices.get(price_key, _UNKNOWN)
        if price is _UNKNOWN:
            price = self._day_prices[price_key] = self.book.price_for_day(*price_key)
        if has_costs or price is VARIES:
            self._price_mixed(day, key, sums, members(), price, added, has_costs)
        elif price is None:
            sums.unpriced_calls += added.calls
        else:
            self._price_records(day, key, sums, members, price, added, largest)  # type: ignore[arg-type]

    def finish(self, days: dict[dt.date, Usage]) -> None:
        for (day, key, _), (price, counts) in self._linear.items():
            days[day].groups[key].cost += price.linear_cost_of(counts, counts.calls)
        self._linear.clear()

    def _price_mixed(
        self, day: dt.date, key: GroupKey, sums: Sums, records: Sequence[RecordFields], price: object, added: Sums,
        has_costs: bool,
    ) -> None:
        """Calls that carry their own cost_usd, or whose price changes within the day."""
        if has_costs:
            costs = list(map(cost_usd_of, records))
            sums.cost += sum((cost for cost in costs if cost is not None), Decimal(0))
            records = [record for record in records if record.cost_usd is None]
        if not records:
            return
        if price is VARIES:
            for record in records:
                price_now = self.book.price_for(record.provider, record.model, record.ts, record.service_tier)
                self._price_records(day, key, sums, partial(list, (record,)), price_now, None, record.input_tokens)
        else:
            whole = added if len(records) == added.calls else None
            largest = max(map(input_tokens_of, records))
            self._price_records(day, key, sums, partial(list, records), price, whole, largest)  # type: ignore[arg-type]

    def _price_records(
        self, day: dt.date, key: GroupKey, sums: Sums, members: Members, price: Price | None, summed: Sums | None,
        largest: int,
    ) -> None:
        """Price calls under one price; `summed` holds their token sums when already computed."""
        if price is None:
            sums.unpriced_calls += len(members())
            return
        records: Sequence[RecordFields] | None = None
        if price.fallback_tier is not None:
            sums.tier_fallback_calls += summed.calls if summed is not None else len(records := members())
        tier = price.tiered_from
        if tier is not None and largest >= tier and max(map(input_tokens_of, records := members())) >= tier:
            for record in records:
                if record.input_tokens >= tier:
                    sums.cost += price.cost_of(record)
            records, summed = [record for record in records if record.input_tokens < tier], None
        pending = self._linear.get((day, key, id(price)))
        if pending is None:
            tokens = summed.copy() if summed is not None else Sums()
            if summed is None:
                tokens.add_records(records if records is not None else members())
            self._linear[(day, key, id(price))] = (price, tokens)
        elif summed is None:
            pending[1].add_records(records if records is not None else members())
        else:
            pending[1].add(summed)  # only its tokens and calls are used


class LaterPricer:
    """Prices nothing, for a fold made before the price data is loaded (fold.fold_unpriced): notes
    what pricing its groups later needs, the largest call a group may hold, and whether some group
    needs its calls one by one (calls with a cost_usd of their own), which only a fold with prices can
    price."""

    def __init__(self) -> None:
        self.largest = 0  # input + output tokens of the biggest call (a bound: a batch's biggest)
        self.needs_calls = False

    def price(
        self, day: dt.date, key: GroupKey, sums: Sums, members: Members, added: Sums, has_costs: bool, largest: int,
    ) -> None:
        if has_costs:
            self.needs_calls = True
        elif largest > self.largest:
            self.largest = largest

    def finish(self, days: dict[dt.date, Usage]) -> None:
        pass


def price_groups(days: dict[dt.date, Usage], book: PriceBook, largest: int) -> bool:
    """Price the groups of a fold made with a LaterPricer as GroupPricer prices them, given the
    bound on its calls LaterPricer noted. False where that needs the calls themselves (a price that
    changes within the day, or tiers a call may reach): the days are then part priced, to be thrown
    away for a fold with prices."""
    for day, usage in days.items():
        for key, sums in usage.groups.items():
            price = book.price_for_day(key.provider, key.model, key.service_tier, day)
            if price is VARIES:
                return False
            if price is None:
                sums.unpriced_calls += sums.calls
                continue
            assert isinstance(price, Price)
            if price.tiered_from is not None and largest >= price.tiered_from:
                return False
            if price.fallback_tier is not None:
                sums.tier_fallback_calls += sums.calls
            sums.cost += price.linear_cost_of(sums, sums.calls)
    return True

