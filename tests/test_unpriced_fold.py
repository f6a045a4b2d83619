"""A cold read's first worker is forked before the price data loads and folds without prices; the
parent prices its folds once the data is loaded. What comes out must be exactly the fold made with
prices, or nothing (the file is then folded again with prices)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from conftest import write_lines
from fresh import printed
from test_ledger import OVERRIDES, random_call
from vaultledger.ledger.cache import decode_fold, encode_fold
from vaultledger.ledger.fold import fold_log_file, fold_unpriced, price_unpriced
from vaultledger.pricing import PriceBook

DAY = dt.date(2026, 3, 14)
SMALL = {"ts": f"{DAY}T10:00:00Z", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1200,
         "output_tokens": 300}


def priced_later(path: Path, tz: str = "UTC", overrides: list = []) -> bytes | None | str:
    """The cache entry of the fold made without prices and priced after a trip through its encoding
    (as the worker sends it); "unpriced" where the worker gives the file up, None where pricing does."""
    folded = fold_unpriced(path, PriceBook(overrides, tz), tz)
    if folded is None:
        return "unpriced"
    fold, largest = folded
    priced = price_unpriced(decode_fold(encode_fold(path, None, fold)), largest, PriceBook(overrides, tz))
    return None if priced is None else encode_fold(path, None, priced)


def plain_calls(calls: list[dict], day: dt.date) -> list[dict]:
    """The calls a price takes whole: ids of their own, no costs of their own, no long contexts, and
    none of the models whose prices change within a day (deepseek's hours, a mistral price change)."""
    return [{**call, "id": f"{day}-{number}", "input_tokens": min(call["input_tokens"], 9000),
             "cache_read_tokens": min(call["cache_read_tokens"], 4500)}
            for number, call in enumerate(calls)
            if "cost_usd" not in call and call["provider"] not in ("deepseek", "mistral_ai")]


def with_prices(path: Path, tz: str = "UTC", overrides: list = []) -> bytes:
    return encode_fold(path, None, fold_log_file(path, PriceBook(overrides, tz), tz))


def test_calls_of_every_kind_a_price_takes_whole_are_priced_later_exactly(logs_dir: Path) -> None:
    """Priced, unpriced, local, per-tier (with a tier the data lacks: a fallback), cache parts,
    modalities, web searches, tags and units: the same entry, byte for byte."""
    calls = [
        SMALL,
        {**SMALL, "model": "claude-sonnet-4-5-20250929", "provider": "anthropic", "cache_read_tokens": 800,
         "cache_write_tokens": 200, "cache_write_1h_tokens": 50, "web_search_requests": 2, "unit_id": "u1"},
        {**SMALL, "service_tier": "batch", "tags": ["a", "b"]},
        {**SMALL, "service_tier": "flex", "project": "orbis"},
        {**SMALL, "service_tier": "priority", "model": "claude-haiku-4-5-20251001", "provider": "anthropic"},
        {**SMALL, "provider": "ollama", "model": "llama3.1:8b"},
        {**SMALL, "provider": "acme", "model": "nothing-1"},
        {**SMALL, "provider": "gcp.gemini", "model": "gemini-2.5-flash", "input_audio_tokens": 400,
         "output_tokens": 300, "reasoning_tokens": 100},
        {**SMALL, "ts": f"{DAY}T23:59:00-03:00"},  # the next day in UTC
    ]
    path = write_lines(logs_dir / f"{DAY}.jsonl", *calls * 3)
    later = priced_later(path)
    assert later == with_prices(path)
    fold = decode_fold(later)  # type: ignore[arg-type]
    groups = [item for usage in fold.days.values() for item in usage.groups.items()]
    assert len(fold.days) == 2 and all(sums.cost > 0 for key, sums in groups if key.provider not in ("acme", "ollama"))
    assert sum(sums.unpriced_calls for _, sums in groups) == 3  # acme's, three times
    assert sum(sums.tier_fallback_calls for _, sums in groups) > 0, "a tier the data has no price for"


def test_overrides_price_later_as_they_price_now(logs_dir: Path) -> None:
    path = write_lines(logs_dir / f"{DAY}.jsonl", {**SMALL, "model": "gpt-5"}, {**SMALL, "model": "gpt-5-mini"})
    assert priced_later(path, "Europe/Berlin", OVERRIDES) == with_prices(path, "Europe/Berlin", OVERRIDES)


@pytest.mark.parametrize(("why", "lines", "expected"), [
    ("a call with its own cost", [SMALL, {**SMALL, "cost_usd": 0.5}], "unpriced"),
    ("a possibly large call (an outlier)", [SMALL, {**SMALL, "input_tokens": 1_200_000}], "unpriced"),
    ("the same id twice (the careful fold)", [{**SMALL, "id": "a"}, {**SMALL, "id": "a"}], "unpriced"),
    ("a void line", [{**SMALL, "id": "a"}, {**SMALL, "id": "a", "void": True}], "unpriced"),
    ("a call that may reach a price's tier",
     [{**SMALL, "provider": "anthropic", "model": "claude-sonnet-4-5-20250929", "input_tokens": 250_000}], None),
    ("a price that changes within the day", [{**SMALL, "provider": "deepseek", "model": "deepseek-chat"}], None),
])
def test_what_needs_the_calls_themselves_is_left_to_a_fold_with_prices(
    logs_dir: Path, why: str, lines: list[dict], expected: str | None
) -> None:
    path = write_lines(logs_dir / f"{DAY}.jsonl", *lines)
    assert priced_later(path) == expected, why


@pytest.mark.parametrize("seed", range(8))
def test_random_files_priced_later_are_the_folds_made_with_prices(logs_dir: Path, seed: int) -> None:
    """Whatever a file holds, pricing later gives the fold with prices or gives the file up."""
    rng = random.Random(seed)
    outcomes = []
    for offset in range(6):
        day = DAY + dt.timedelta(days=offset)
        calls = [random_call(rng, day) for _ in range(rng.choice([3, 40]))]
        if offset % 2:
            calls = plain_calls(calls, day)
        path = write_lines(logs_dir / f"{day}.jsonl", *calls)
        tz = rng.choice(["UTC", "Asia/Kolkata", "America/New_York"])
        later = priced_later(path, tz, OVERRIDES)
        if isinstance(later, bytes):
            assert later == with_prices(path, tz, OVERRIDES), (seed, offset)
        outcomes.append(type(later).__name__)
    assert "bytes" in outcomes, "some files should have been priced later"


def test_folding_without_prices_never_loads_the_price_data(logs_dir: Path) -> None:
    """The early worker's point: it folds while its parent loads the price data, never loading it."""
    path = write_lines(logs_dir / f"{DAY}.jsonl", SMALL, {**SMALL, "model": "claude-haiku-4-5-20251001",
                                                           "provider": "anthropic"})
    code = ("import sys; from pathlib import Path; from vaultledger.ledger.fold import fold_unpriced;"
            "from vaultledger.pricing import PriceBook; fold, _ = fold_unpriced(Path(sys.argv[1]), PriceBook([], 'UTC'), 'UTC');"
            "print(sum(s.calls for u in fold.days.values() for s in u.groups.values()), 'genai_prices' in sys.modules)")
    assert printed(code, str(path)) == ["2 False"]


COLD_READ = """
import datetime as dt, json, sys
from pathlib import Path
from vaultledger.ledger import Ledger, parallel
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook, bundled_prices_loaded

parallel.PARALLEL_MIN_BYTES, parallel.RUNS_PER_WORKER = 0, 1
priced, refolded = [], []
price_run, fold_file = parallel._priced, parallel.fold_log_file
parallel._priced = lambda task, item, *rest: priced.append(task[1].name) or price_run(task, item, *rest)
parallel.fold_log_file = lambda path, *rest: refolded.append(path.name) or fold_file(path, *rest)
logs, cache, tz = Path(sys.argv[1]), sys.argv[2] or None, sys.argv[3]
span = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
before = bundled_prices_loaded()
ledger = Ledger(logs, tz, PriceBook([], tz), Path(cache) if cache else None, start_method="fork")
cold = ledger.usage(span)
serial = Ledger(logs, tz, PriceBook([], tz), parallel=False).usage(span)
warm = Ledger(logs, tz, PriceBook([], tz), Path(cache) if cache else None, start_method="fork").usage(span)
print(json.dumps({"loaded before": before, "priced": priced, "refolded": refolded,
                  "read for ids": ledger.counters["files_read_for_ids"], "joined": sorted(p.name for p in ledger.joined_files(span.start, span.end)),
                  "same": cold == serial and warm == serial, "calls": serial.totals().calls}))
"""


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Kiritimati"])
@pytest.mark.parametrize("cached", [False, True])
def test_a_cold_read_started_before_the_price_data_loads_counts_as_a_serial_read(
    logs_dir: Path, tmp_path: Path, tz: str, cached: bool
) -> None:
    """In a fresh process (no price data loaded), the first run of files goes to the early worker:
    the parent prices its plain files and folds again those whose prices need the calls; a file that
    needs a fold with prices has the worker load them. A cache keeps the same folds. Duplicates
    inside the first run and across its edge count once."""
    rng = random.Random(3)
    for offset in range(24):
        day = dt.date(2026, 3, 1) + dt.timedelta(days=offset)
        calls = [{**random_call(rng, day), "id": f"{day}-{number}"} for number in range(30)]
        write_lines(logs_dir / f"{day}.jsonl", *(calls if offset in (1, 7) else plain_calls(calls, day)))
    # The first file: plain but for a price that changes within the day, which the parent cannot price
    # from the groups.
    write_lines(logs_dir / "2026-03-01.jsonl", {**SMALL, "ts": "2026-03-01T08:00:00Z", "provider": "deepseek",
                                                 "model": "deepseek-chat", "id": "hourly"})
    for day, next_day in [("2026-03-02", "2026-03-03"), ("2026-03-06", "2026-03-07")]:
        shared = {**SMALL, "ts": f"{day}T23:00:00Z", "id": f"twice-{day}"}
        write_lines(logs_dir / f"{day}.jsonl", shared)
        write_lines(logs_dir / f"{next_day}.jsonl", {**shared, "output_tokens": 9})
    [line] = printed(COLD_READ, str(logs_dir), str(tmp_path / "cache") if cached else "", tz)
    result = json.loads(line)
    assert result["loaded before"] is False and result["same"] is True
    # The first run: six files (24 files, two workers, runs shrinking to a quarter of what is left).
    assert result["priced"] == [f"2026-03-0{day}.jsonl" for day in range(1, 7)]
    # The first file is folded again here; the second, with costs of its own, had the early worker load
    # the price data and fold it and the rest of its run with prices.
    assert result["refolded"] == ["2026-03-01.jsonl"]
    assert result["read for ids"] == 0  # every pair of the run was compared in the worker or with ids sent
    assert result["joined"] == [f"2026-03-0{day}.jsonl" for day in (2, 3, 6, 7)]
