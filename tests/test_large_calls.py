"""Outliers (SPEC §8) are found by the fold itself: every path that folds a call finds it, the cache
keeps it, and a warm report names it without reading any day's calls again."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import LargeCall
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.reports.problems import find_outliers

YEAR = date_range(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
PRICES = [{"provider": "openai", "model": "gpt-*", "input": 2.5, "output": 10}]


def write_quarter(logs: Path, extra: dict[str, dict]) -> None:
    logs.mkdir(exist_ok=True)
    day = YEAR.start
    while day <= YEAR.end:
        calls = [{"ts": f"{day}T10:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 900_000,
                  "output_tokens": 90_000, "id": f"{day}-a"}]
        if str(day) in extra:
            calls.append({"ts": f"{day}T11:00:00Z", "provider": "openai", "model": "gpt-4o", **extra[str(day)]})
        (logs / f"{day}.jsonl").write_text("".join(json.dumps(call) + "\n" for call in calls))
        day += dt.timedelta(days=1)


def ledger(logs: Path, cache: Path | None, prices: list[dict] = PRICES) -> Ledger:
    overrides = parse_price_overrides(prices, "test")
    return Ledger(logs, "UTC", PriceBook(overrides, "UTC"), cache, parallel=False)


def test_large_calls_come_from_the_fold_cold_and_warm(tmp_path: Path) -> None:
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    write_quarter(logs, {
        "2026-02-10": {"input_tokens": 2 * 10**9, "output_tokens": 1, "id": "huge"},
        "2026-03-05": {"input_tokens": 10, "output_tokens": 1, "cost_usd": 1500, "id": "dear"},
        "2026-03-06": {"input_tokens": 10, "output_tokens": 1, "cost_usd": 999, "id": "fine"},
    })
    expected = [("huge", dt.date(2026, 2, 10)), ("dear", dt.date(2026, 3, 5))]
    uncached = [(o.id, o.day) for o in find_outliers(ledger(logs, None), YEAR)]
    assert uncached == expected
    assert [(o.id, o.day) for o in find_outliers(ledger(logs, cache), YEAR)] == expected
    warm = ledger(logs, cache)
    assert [(o.id, o.day) for o in find_outliers(warm, YEAR)] == expected
    assert warm.counters["files_loaded"] == 0, "months and their outliers come whole from the cache"
    # Many ordinary calls add up to more than $1,000 and 10⁹ tokens: that is no outlier.
    assert warm.usage(YEAR).totals().input_tokens > 10**9 and len(warm.usage(YEAR).large_calls) == 2


def test_a_price_dearer_than_1000_dollars_a_million_tokens_checks_every_call(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_quarter(logs, {"2026-01-05": {"input_tokens": 500_000, "output_tokens": 1, "model": "gpt-4o", "id": "x"}})
    dear = [{"provider": "openai", "model": "gpt-*", "input": 2500, "output": 10}]
    found = find_outliers(ledger(logs, None, dear), date_range(dt.date(2026, 1, 5), dt.date(2026, 1, 5)))
    assert [(o.id, o.cost) for o in found] == [("2026-01-05-a", Decimal("2250.9")), ("x", Decimal("1250.00001"))]


def test_a_large_call_replaced_by_a_later_line_of_its_id_is_gone(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_quarter(logs, {"2026-01-05": {"input_tokens": 2 * 10**9, "output_tokens": 1, "id": "typo"},
                         "2026-01-06": {"input_tokens": 2000, "output_tokens": 1, "id": "typo"}})
    assert find_outliers(ledger(logs, None), YEAR) == []
    assert ledger(logs, None).usage(YEAR).large_calls == []
    assert LargeCall("p", None, dt.date(2026, 1, 1), "m", 5, None).order() < LargeCall(
        "p", None, dt.date(2026, 1, 1), "m", 4, None).order(), "the bigger first"
