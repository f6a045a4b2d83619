"""A price (USD per million tokens) and what one call or many cost under it, in Decimal; money for humans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vaultledger.errors import PriceError

MTOK = Decimal(1_000_000)
ZERO = Decimal(0)

VARIES = object()  # price_for_day's answer when a day holds more than one price


@dataclass(frozen=True)
class BundledRef:
    """Where a tiered price restored from the cache folder lives in genai-prices; it is loaded only
    when a call crosses the tier."""

    provider: str | None
    model: str
    service_tier: str | None
    at: datetime


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
    _genai_price: Any = field(default=None, repr=False, compare=False)
    """genai-prices' ModelPrice for tiered prices, or a BundledRef to load it by when a call needs it."""

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0, cache_write_tokens: int = 0
    ) -> Decimal:
        """Exact USD for ONE call; calls above `tiered_from` are delegated to genai-prices so tiers match it."""
        if self._genai_price is None or self.tiered_from is None or input_tokens <= self.tiered_from:
            return self.linear_cost(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        from vaultledger.pricing.bundled import tiered_cost

        return tiered_cost(self._genai_price, self.model_id, input_tokens, output_tokens, cache_read_tokens,
                           cache_write_tokens)

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


def local_price(model: str) -> Price:
    """Models on your own machine: $0."""
    return Price(ZERO, ZERO, ZERO, ZERO, source="local model: $0", model_id=model)


@dataclass(frozen=True)
class RecordCost:
    """A record's cost (None = unpriced), a human note on where it came from, and the price used."""

    cost: Decimal | None
    source: str
    price: Price | None


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
