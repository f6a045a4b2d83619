"""Decimal cost for a record (SPEC §3): the record's own `cost_usd`, then the user's `[[prices]]`
overrides, then local models at $0, then the bundled genai-prices data (offline), else unpriced.

Prices are USD per million tokens (MTok), web searches USD per 1,000. Token counts follow OpenTelemetry:
`input_tokens` includes `cache_read_tokens` and `cache_write_tokens`, so uncached input = input - cache
reads - cache writes; SPEC §1's parts (1-hour writes within cache writes, modalities within input and
output) are priced at their own rates and their wholes' rates no longer apply to them, so nothing is
charged twice. A call at a service tier the data has no price for then gets the standard price, marked
(`Price.fallback_tier`) so reports can count it.

Importing this package does not import genai-prices: `bundled` does, on the first price it must look up.
"""

from __future__ import annotations

from typing import Any

from vaultledger.pricing.book import (
    LOCAL_PROVIDERS, PriceBook, bundled_prices_loaded, cost_of, default_book, estimate, parse_model_ref,
)
from vaultledger.pricing.overrides import PriceOverride, parse_price_overrides
from vaultledger.pricing.price import MTOK, VARIES, ZERO, Call, Counts, Price, RecordCost, format_share, format_usd
from vaultledger.record.tiers import PRICED_TIERS, STANDARD_WORDS, tier_name
from vaultledger.pricing.store import GENAI_PRICES_VERSION

__all__ = [
    "GENAI_PRICES_VERSION",
    "GENAI_PROVIDER_IDS",
    "LOCAL_PROVIDERS",
    "MTOK",
    "PRICED_TIERS",
    "STANDARD_WORDS",
    "VARIES",
    "ZERO",
    "Call",
    "Counts",
    "Price",
    "PriceBook",
    "PriceOverride",
    "RecordCost",
    "bundled_prices_loaded",
    "cost_of",
    "default_book",
    "estimate",
    "find_genai_model",
    "format_share",
    "format_usd",
    "load_bundled_prices",
    "parse_model_ref",
    "parse_price_overrides",
    "price_context",
    "tier_name",
]

_FROM_BUNDLED = {"GENAI_PROVIDER_IDS", "STANDARD_TIERS", "find_genai_model", "price_context"}
_RENAMED = {"_price_from_genai": "price_from_genai", "_BundledModel": "BundledModel"}


def load_bundled_prices() -> None:
    """Load genai-prices and its price data now (before forking workers that would each load it)."""
    from vaultledger.pricing import bundled

    bundled.load_bundled_prices()


def __getattr__(name: str) -> Any:
    """Names that live with the bundled data, imported (with genai-prices) only when asked for."""
    if name in _FROM_BUNDLED or name in _RENAMED:
        from vaultledger.pricing import bundled

        return getattr(bundled, _RENAMED.get(name, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
