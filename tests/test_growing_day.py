"""A day being logged to, read by one short command after another: only the ids its new lines bring are
compared with its neighbours', and its cache entry is rewritten only when that pays (sources.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from vaultledger.ledger import Ledger
from vaultledger.ledger.sources import KEEP_AFTER_BYTES
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook

SPAN = date_range(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
TODAY = "2025-12-31.jsonl"


def line(day: str, call_id: str, output: int = 5) -> bytes:
    return json.dumps({"ts": f"{day}T12:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 100,
                       "output_tokens": output, "id": call_id}).encode() + b"\n"


def ledger(logs: Path, cache: Path | None) -> Ledger:
    return Ledger(logs, "UTC", PriceBook([], "UTC"), cache, parallel=False)


def month_of_logs(tmp_path: Path, today_calls: int = 3000) -> tuple[Path, Path]:
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    for day in SPAN.days():
        calls = today_calls if day == SPAN.end else 20
        (logs / f"{day}.jsonl").write_bytes(b"".join(line(str(day), f"{day}-{n}") for n in range(calls)))
    return logs, cache


def append(logs: Path, *lines: bytes) -> None:
    with (logs / TODAY).open("ab") as handle:
        handle.write(b"".join(lines))


def warm_run(logs: Path, cache: Path) -> Ledger:
    reader, cold = ledger(logs, cache), ledger(logs, None)
    assert reader.usage(SPAN) == cold.usage(SPAN)
    assert reader.stats_between(SPAN.start, SPAN.end).counts() == cold.stats_between(SPAN.start, SPAN.end).counts()
    return reader


def entry(cache: Path) -> bytes:
    return next(cache.glob(f"folds/*/{TODAY}.msgpack")).read_bytes()


def test_a_grown_day_compares_only_its_new_ids_with_its_neighbours(tmp_path: Path) -> None:
    logs, cache = month_of_logs(tmp_path)
    warm_run(logs, cache)
    append(logs, line("2025-12-31", "new-0"))
    first = warm_run(logs, cache)  # the kept fold came from a cold run: it knows no neighbour yet
    assert first.counters["pairs_compared"] == 2 and first.counters["pairs_compared_by_new_ids"] == 0
    for n in range(1, 4):
        append(logs, line("2025-12-31", f"new-{n}"))
        later = warm_run(logs, cache)
        assert later.counters["files_continued"] == 1
        assert later.counters["pairs_compared"] == later.counters["pairs_compared_by_new_ids"] == 2


def test_a_new_line_whose_id_a_neighbour_holds_is_still_found(tmp_path: Path) -> None:
    """Its digest meets the neighbour's: the ids decide, the two files are read together, the id
    counts once (as its later line)."""
    logs, cache = month_of_logs(tmp_path)
    warm_run(logs, cache)
    append(logs, line("2025-12-31", "new-0"))
    warm_run(logs, cache)
    append(logs, line("2025-12-31", "new-1"), line("2025-12-30", "2025-12-30-7", output=900))
    joined = warm_run(logs, cache)
    assert {path.name for path in joined.joined_files(SPAN.start, SPAN.end)} == {"2025-12-30.jsonl", TODAY}
    assert joined.stats_between(SPAN.start, SPAN.end).duplicates == 1
    append(logs, line("2025-12-31", "new-2"))
    warm_run(logs, cache)


def test_a_neighbour_changed_since_is_compared_on_every_id(tmp_path: Path) -> None:
    logs, cache = month_of_logs(tmp_path)
    warm_run(logs, cache)
    append(logs, line("2025-12-31", "new-0"))
    warm_run(logs, cache)
    with (logs / "2025-12-30.jsonl").open("ab") as handle:  # a late line from another machine's sync
        handle.write(line("2025-12-30", "2025-12-31-5"))  # ... an id today's file held all along
    append(logs, line("2025-12-31", "new-1"))
    changed = warm_run(logs, cache)
    assert changed.counters["pairs_compared_by_new_ids"] == 1, "only the unchanged neighbour's pair"
    assert changed.stats_between(SPAN.start, SPAN.end).duplicates == 1


def test_the_entry_of_a_grown_day_is_rewritten_only_when_that_pays(tmp_path: Path) -> None:
    """Once it knows its neighbours, a few new lines leave the kept entry as it is (the next run reads
    them again); as many bytes as KEEP_AFTER_BYTES get it rewritten. Every run counts as a cold one."""
    logs, cache = month_of_logs(tmp_path)
    warm_run(logs, cache)
    append(logs, line("2025-12-31", "new-0"))
    assert warm_run(logs, cache).counters["continued_kept"] == 1, "it learned of its neighbours"
    kept = entry(cache)
    for n in range(1, 4):
        append(logs, line("2025-12-31", f"new-{n}"))
        assert warm_run(logs, cache).counters["continued_kept"] == 0
        assert entry(cache) == kept
    big = line("2025-12-31", "filler")
    count = KEEP_AFTER_BYTES // len(big) + 1
    append(logs, *(line("2025-12-31", f"filler-{n}") for n in range(count)))
    assert warm_run(logs, cache).counters["continued_kept"] == 1
    assert entry(cache) != kept
    append(logs, line("2025-12-31", "new-x"))
    assert warm_run(logs, cache).counters["continued_kept"] == 0
