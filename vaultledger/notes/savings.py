"""What caching saved and what ran locally, said in words for the review sections (the figures are
ledger/savings.py's, the dashboard's too)."""

from __future__ import annotations

from vaultledger.ledger.savings import CacheSavings
from vaultledger.pricing import format_share, format_usd


def savings_words(savings: CacheSavings) -> str:
    """One short paragraph; empty when there was neither caching nor local use."""
    parts = []
    if savings.read_tokens:
        sentence = (f"{savings.read_tokens:,} input tokens read from a prompt cache saved "
                    f"{format_usd(savings.saved_on_reads)} at list price")
        if savings.paid_for_writes > 0:
            sentence += (f"; writing {savings.write_tokens:,} tokens to a cache cost "
                         f"{format_usd(savings.paid_for_writes)} more than plain input, so caching saved "
                         f"{format_usd(savings.net)} in all")
        parts.append(sentence + ".")
    if savings.calls_not_valued:
        parts.append(f"{savings.calls_not_valued:,} calls with cache tokens are left out: their model has no single "
                     "price for their day.")
    if savings.local_calls:
        calls = "call" if savings.local_calls == 1 else "calls"
        parts.append(f"{savings.local_calls:,} {calls} ({format_share(savings.local_calls, savings.calls)}) ran on "
                     "local models, at no cost.")
    return " ".join(parts)
