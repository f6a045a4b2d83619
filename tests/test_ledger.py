"""Folding a year fast must give exactly what folding call by call gives; the cache never goes stale."""

from __future__ import annotations

import datetime as dt
import json
import os
import multiprocessing
import random
import sys
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import same_days, slow_fold, write_lines
from fresh import printed
from vaultledger.ledger.usage import Usage
from vaultledger.ledger import Ledger
from vaultledger.ledger.duplicates import counted_ids
from vaultledger.ledger.fold import fold_log_file
from vaultledger.periods import Period, date_range
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.ledger import batches as reader

MODELS = [
    ("anthropic", "claude-sonnet-4-5-20250929"),  # long-context tier above 200k input
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-5"),
    ("deepseek", "deepseek-chat"),  # off-peak prices change within a day
    ("ollama", "llama3.1:8b"),
    ("acme", "nothing-1"),  # unpriced
    ("mistral_ai", "mistral-small-latest"),
]
OVERRIDES = parse_price_overrides(
    [{"provider": "openai", "model": "gpt-5*", "input": 1, "output": 2, "valid_from": dt.date(2026, 3, 14)}],
    "test",
)


def random_call(rng: random.Random, day: dt.date) -> dict:
    provider, model = rng.choice(MODELS)
    offset = rng.choice(["Z", "+01:00", "-08:00", "+09:30"])
    ts = f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00{offset}"
    input_tokens = rng.choice([rng.randrange(1, 5000), rng.randrange(190_000, 260_000)])
    cache_read = rng.randrange(0, input_tokens // 2 + 1)
    output = rng.randrange(1, 3000)
    call = {"ts": ts, "provider": provider, "model": model, "input_tokens": input_tokens,
            "output_tokens": output, "cache_read_tokens": cache_read,
            "project": rng.choice([None, "poetry", "orbis"]), "use_case": rng.choice([None, "poem", "code"]),
            "unit_id": rng.choice([None, "u1", "u2", "u3"]), "tags": rng.choice([[], ["a"], ["a", "b"]]),
            "service_tier": rng.choice([None, None, "batch"])}
    if rng.random() < 0.1:
        call["cost_usd"] = round(rng.random(), 6)
    if rng.random() < 0.5:
        call["id"] = f"r{rng.randrange(400)}"  # collisions make duplicates
    return {key: value for key, value in call.items() if value is not None and value != []}


def days_of_calls_with_ids(logs_dir: Path, seed: int, days: int, calls: int) -> random.Random:
    """A file a day from 2026-01-01, each of `calls` random calls with ids of their own; returns the
    random source, for more calls like them."""
    rng = random.Random(seed)
    for offset in range(days):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
        write_lines(logs_dir / f"{day}.jsonl", *[{**random_call(rng, day), "id": f"{day}-{n}"} for n in range(calls)])
    return rng


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_duplicates", [False, True])
def test_batch_fold_equals_call_by_call_fold(logs_dir: Path, seed: int, with_duplicates: bool) -> None:
    rng = random.Random(seed)
    day = dt.date(2026, 3, 14)
    calls = [random_call(rng, day) for _ in range(600)]
    if not with_duplicates:
        for index, call in enumerate(calls):
            call.pop("id", None) if index % 2 else call.update(id=f"unique-{index}")
    for call in rng.sample(calls, 40):  # optional counts and attrs, in a few calls of a batch
        call.update(web_search_requests=rng.randrange(1, 4), input_audio_tokens=rng.randrange(call["input_tokens"] + 1))
        if rng.random() < 0.5:
            call["attrs"] = {"provider_guessed": True}
    lines = [json.dumps(call) for call in calls]
    lines.insert(rng.randrange(len(lines)), '{"broken": ')
    path = write_lines(logs_dir / f"{day}.jsonl", *lines)
    tz = rng.choice(["UTC", "Europe/Berlin", "Asia/Tokyo"])
    book = PriceBook(OVERRIDES, tz)
    fast = fold_log_file(path, book, tz)
    days, stats = slow_fold(path, PriceBook(OVERRIDES, tz), tz)
    same_days(fast.days, days)
    assert (fast.stats.invalid_lines, fast.stats.duplicates) == (stats.invalid_lines, stats.duplicates)
    assert [str(p) for p in fast.stats.problems] == [str(p) for p in stats.problems]


@pytest.mark.parametrize("seed", range(6))
def test_batches_of_plain_calls_fold_as_call_by_call(logs_dir: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls with no tier, tags or cost, as most logs hold: after the first batch the learned
    decoder vouches for those, and cache writes or reasoning appear in some batches only."""
    rng = random.Random(seed)
    day = dt.date(2026, 3, 14)
    calls = []
    for index in range(500):
        call = random_call(rng, day)
        for name in ("tags", "service_tier", "cost_usd"):
            call.pop(name, None)
        if index > 250 and rng.random() < 0.2:
            call["cache_write_tokens"] = rng.randrange(0, call["input_tokens"] - call["cache_read_tokens"] + 1)
        if index > 350 and rng.random() < 0.2:
            call["reasoning_tokens"] = rng.randrange(0, call["output_tokens"] + 1)
        call.pop("id", None) if index % 2 else call.update(id=f"unique-{index}")
        calls.append(call)
    path = write_lines(logs_dir / f"{day}.jsonl", *calls)
    monkeypatch.setattr(reader, "BATCH_BYTES", rng.choice([4096, 20_000]))
    tz = rng.choice(["UTC", "Europe/Berlin", "Asia/Tokyo"])
    import vaultledger.ledger.fold as fold_module

    def not_carefully(*args: object) -> None:
        raise AssertionError("a clean file with unique ids should be folded batch by batch")

    monkeypatch.setattr(fold_module, "_fold_carefully", not_carefully)
    fast = fold_log_file(path, PriceBook(OVERRIDES, tz), tz)
    days, stats = slow_fold(path, PriceBook(OVERRIDES, tz), tz)
    same_days(fast.days, days)
    assert (fast.stats.lines, fast.stats.invalid_lines) == (500, 0)


# Days on which a zone's offset changes (a 30-minute change for Lord Howe), and two where none does.
OFFSET_CHANGES = [
    (dt.date(2026, 3, 29), "Europe/Berlin"), (dt.date(2026, 10, 25), "Europe/Berlin"),
    (dt.date(2026, 4, 5), "America/Santiago"), (dt.date(2026, 9, 6), "America/Santiago"),
    (dt.date(2026, 4, 5), "Australia/Lord_Howe"), (dt.date(2026, 10, 4), "Australia/Lord_Howe"),
    (dt.date(2026, 11, 1), "America/New_York"), (dt.date(2026, 3, 14), "Asia/Kolkata"), (dt.date(2026, 3, 14), "UTC"),
]


@pytest.mark.parametrize("seed", range(2 * len(OFFSET_CHANGES)))
def test_fast_fold_equals_call_by_call_fold_across_offset_changes_and_batch_edges(
    logs_dir: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean files take the fast path whole: calls split at local midnights (offsets changing or
    not), written in several offsets and out of order, with batches cut anywhere in a line."""
    rng = random.Random(seed)
    day, tz = OFFSET_CHANGES[seed % len(OFFSET_CHANGES)]
    calls = [random_call(rng, day) for _ in range(400)]
    for index, call in enumerate(calls):
        call.pop("id", None) if index % 3 else call.update(id=f"unique-{index}")
    path = write_lines(logs_dir / f"{day}.jsonl", *calls)
    monkeypatch.setattr(reader, "BATCH_BYTES", rng.choice([reader.BATCH_BYTES, 4096, 700, 100]))
    fast = fold_log_file(path, PriceBook(OVERRIDES, tz), tz)
    days, stats = slow_fold(path, PriceBook(OVERRIDES, tz), tz)
    same_days(fast.days, days)
    assert len(days) >= 2, "the calls should span local days"
    assert (fast.stats.lines, fast.stats.invalid_lines, fast.stats.duplicates) == (400, 0, 0)


def year_of_logs(logs_dir: Path, days: int = 20) -> None:
    """Days of random calls; ids repeat within a file but never across files."""
    rng = random.Random(1)
    start = dt.date(2026, 3, 1)
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        calls = [random_call(rng, day) for _ in range(50)]
        for call in calls:
            if "id" in call:
                call["id"] = f"{day}-{call['id']}"
        write_lines(logs_dir / f"{day}.jsonl", *calls)


def totals(ledger: Ledger) -> Usage:
    return ledger.usage(date_range(dt.date(2026, 2, 20), dt.date(2026, 4, 1)))


def test_cache_gives_the_same_numbers_and_never_serves_a_changed_file(logs_dir: Path, tmp_path: Path) -> None:
    year_of_logs(logs_dir)
    cache = tmp_path / "cache"
    book = lambda: PriceBook(OVERRIDES, "UTC")  # noqa: E731
    uncached = totals(Ledger(logs_dir, "UTC", book()))
    cold = totals(Ledger(logs_dir, "UTC", book(), cache))
    warm = totals(Ledger(logs_dir, "UTC", book(), cache))
    assert cold.groups == uncached.groups == warm.groups and cold.units == warm.units
    # The newest days' folds in files of their own, the month's others in its pack.
    assert len(list((cache / "folds").rglob("*.jsonl.msgpack"))) == 5
    assert len(list((cache / "folds").rglob("folds-2026-03.msgpack"))) == 1
    assert len(list((cache / "folds").rglob("month-2026-03.msgpack"))) == 1

    grown = logs_dir / "2026-03-05.jsonl"
    write_lines(grown, {"ts": "2026-03-05T12:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
                        "input_tokens": 1000, "output_tokens": 500})
    after_append = totals(Ledger(logs_dir, "UTC", book(), cache)).totals()
    assert after_append.calls == uncached.totals().calls + 1
    assert after_append.cost == uncached.totals().cost + Decimal("0.00045")

    replacement = logs_dir / "replacement"
    replacement.write_bytes(b"")
    os.replace(replacement, grown)
    after_replace = totals(Ledger(logs_dir, "UTC", book(), cache)).totals()
    assert after_replace.calls == uncached.totals().calls - 50

    (logs_dir / "2026-03-06.jsonl").unlink()
    assert totals(Ledger(logs_dir, "UTC", book(), cache)).totals().calls == after_replace.calls - 50
    write_lines(logs_dir / "2026-03-30.jsonl", {"ts": "2026-03-30T12:00:00Z", "provider": "openai",
                                                "model": "gpt-4o-mini", "input_tokens": 1, "output_tokens": 1})
    assert totals(Ledger(logs_dir, "UTC", book(), cache)).totals().calls == after_replace.calls - 49
    assert totals(Ledger(logs_dir, "UTC", book())).groups == totals(Ledger(logs_dir, "UTC", book(), cache)).groups


def test_neighbours_compared_in_an_earlier_run_are_not_compared_again_until_one_changes(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps whether two neighbouring files share an id, for as long as both are as
    they were: a warm run compares only the pairs a changed file is in, and a line that makes
    a changed file share an id with an unchanged one is still found."""
    from vaultledger.ledger.duplicates import Seen

    year_of_logs(logs_dir)
    cache = tmp_path / "cache"
    compared = []
    shares = Seen.shares_an_id_with
    monkeypatch.setattr(Seen, "shares_an_id_with",
                        lambda seen, other, counters: compared.append({seen.log.path.name, other.log.path.name})
                        or shares(seen, other, counters))
    cold = totals(Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache))
    assert len(compared) > 30
    compared.clear()
    assert totals(Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)).groups == cold.groups
    assert compared == []

    repeated = {"ts": "2026-03-10T23:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
                "input_tokens": 1000, "output_tokens": 500, "id": "logged-twice"}
    write_lines(logs_dir / "2026-03-10.jsonl", repeated)
    totals(Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache))
    # The newest day's file is being logged to: its pairs are compared again rather than kept.
    newest = max(path.name for path in logs_dir.glob("*.jsonl"))
    assert compared and all("2026-03-10.jsonl" in pair or newest in pair for pair in compared)
    assert any("2026-03-10.jsonl" in pair for pair in compared)
    compared.clear()
    write_lines(logs_dir / "2026-03-11.jsonl", {**repeated, "output_tokens": 7})  # the same call, logged again
    warm, uncached = (Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), folder) for folder in (cache, None))
    assert totals(warm).groups == totals(uncached).groups
    assert {"2026-03-10.jsonl", "2026-03-11.jsonl"} in compared
    assert warm.stats.duplicates == uncached.stats.duplicates
    assert {path.name for path in warm.joined_files(dt.date(2026, 3, 10), dt.date(2026, 3, 11))} >= {
        "2026-03-10.jsonl", "2026-03-11.jsonl"}


@pytest.mark.slow
def test_a_cold_quarter_with_a_cache_starts_workers_once_not_once_a_month(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Months missing from the cache are read together: one pool of workers for a cold quarter,
    and after a change in one month, that month alone is read again."""
    import vaultledger.ledger.parallel as parallel_module

    days_of_calls_with_ids(logs_dir, seed=5, days=90, calls=20)
    monkeypatch.setattr(parallel_module, "PARALLEL_MIN_BYTES", 0)
    quarter = date_range(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    cache = tmp_path / "cache"
    uncached = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False).usage(quarter)
    cold = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)
    assert cold.usage(quarter).groups == uncached.groups
    assert cold.counters["pools_started"] == 1
    write_lines(logs_dir / "2026-02-14.jsonl", {"ts": "2026-02-14T12:00:00Z", "provider": "openai",
                                                "model": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 1})
    read = []
    read_days = Ledger._read_days
    monkeypatch.setattr(Ledger, "_read_days",
                        lambda self, first, last, *merge: read.append((first, last)) or read_days(self, first, last, *merge))
    again = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache).usage(quarter)
    assert again.totals().calls == uncached.totals().calls + 1
    # Only the blocks of February whose files can hold calls of the 14th (9-16 and 17-24) are read again.
    assert read[0] == (dt.date(2026, 2, 9), dt.date(2026, 2, 24))


def test_a_cold_read_merges_each_block_of_days_while_later_files_are_still_being_read(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold read merges a block of days as soon as the files that can hold its calls are read (the
    parent does it between workers' results), not all after the last file: the same figures."""
    import vaultledger.ledger.reading as reading

    days_of_calls_with_ids(logs_dir, seed=5, days=31, calls=20)
    ledger = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), tmp_path / "cache", parallel=False)
    folded_by_then = []
    merge = reading.merge_days
    monkeypatch.setattr(reading, "merge_days", lambda parts: folded_by_then.append(len(ledger._read._folded)) or merge(parts))
    january = date_range(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert ledger.usage(january) == Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False).usage(january)
    # Blocks 1-8, 9-16 and 17-24 are merged once the files up to two days past them are read; 25-31
    # has no later file, and is merged when asked for.
    assert folded_by_then == [11, 19, 27]


def test_worker_folds_carry_id_digests_for_the_newest_days_and_older_neighbours_compare_on_ids(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Digests are kept for the files a new one will be compared with; an old file that changes
    later is compared with its cached neighbours on their ids, and finds the call they share."""
    import vaultledger.ledger.parallel as parallel_module
    from vaultledger.ledger.cache import FoldCache, file_signature, fingerprint

    rng = days_of_calls_with_ids(logs_dir, seed=8, days=30, calls=20)
    monkeypatch.setattr(parallel_module, "PARALLEL_MIN_BYTES", 0)
    month = date_range(dt.date(2026, 1, 1), dt.date(2026, 1, 30))
    cache = tmp_path / "cache"
    cold = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)
    calls = cold.usage(month).totals().calls
    assert cold.counters["pools_started"] == 1
    folds = FoldCache(cache, fingerprint("UTC", OVERRIDES))
    digested = {path.name[:10] for path in sorted(logs_dir.glob("*.jsonl"))
                if folds.load(path, file_signature(path)).encoded_digests}  # type: ignore[union-attr]
    assert digested == {f"2026-01-{day}" for day in range(26, 31)}
    # The 10th logs again a call of the 9th (the later line counts): found on the ids of the 9th's cached fold.
    again = {**random_call(rng, dt.date(2026, 1, 9)), "id": "2026-01-09-3", "ts": "2026-01-09T23:00:00Z"}
    with (logs_dir / "2026-01-10.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(again) + "\n")
    warm = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)
    assert warm.usage(month).totals().calls == calls
    assert warm.stats.duplicates == 1
    uncached = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False)
    assert warm.usage(month).groups == uncached.usage(month).groups


@pytest.mark.parametrize("mapped", [False, True], ids=["read", "mapped"])
def test_a_bulk_read_packs_older_folds_by_month_and_each_still_stands_for_its_file(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapped: bool
) -> None:
    """Creating hundreds of entry files cost a cold year a tenth of its time: folds read in workers
    are kept in one pack per month, without their ids, but the newest days', which later runs
    continue. A packed fold is served, folded whole again when its file grows (it has no ids to tell
    a repeated one by), missed when it is damaged or its file replaced; read whole or mapped (as
    short-lived commands read entries)."""
    import vaultledger.ledger.parallel as parallel_module
    from vaultledger.ledger import entries

    if mapped and os.name == "nt":
        pytest.skip("Windows reads entries whole: it cannot replace a mapped file")
    monkeypatch.setattr(entries, "_map_entries", mapped)
    from vaultledger.ledger.cache import FoldCache, file_signature, fingerprint

    rng = days_of_calls_with_ids(logs_dir, seed=9, days=70, calls=12)
    monkeypatch.setattr(parallel_module, "PARALLEL_MIN_BYTES", 0)
    span = date_range(dt.date(2026, 1, 1), dt.date(2026, 3, 11))
    cache = tmp_path / "cache"

    def check() -> Ledger:
        ledger = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)
        uncached = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False)
        assert ledger.usage(span) == uncached.usage(span)
        assert ledger.stats.duplicates == uncached.stats.duplicates
        return ledger

    check()
    (folder,) = (cache / "folds").iterdir()
    assert sorted(entry.name for entry in folder.glob("folds-*")) == [f"folds-2026-0{month}.msgpack" for month in (1, 2, 3)]
    assert sorted(entry.name[:10] for entry in folder.glob("*.jsonl.msgpack")) == [f"2026-03-{day:02d}" for day in range(7, 12)]
    folds = FoldCache(cache, fingerprint("UTC", OVERRIDES))
    packed = logs_dir / "2026-01-15.jsonl"
    kept, fresh = folds.load(packed, file_signature(packed)), fold_log_file(packed, PriceBook(OVERRIDES, "UTC"), "UTC")
    assert kept is not None and (kept.days, kept.stats, kept.resume) == (fresh.days, fresh.stats, fresh.resume)
    assert not kept.has_ids and kept.encoded_digests == b"" and fresh.has_ids
    assert counted_ids(packed, dt.timezone.utc) == fresh.id_strings()  # what a run that must compare it reads
    warm = check()
    assert warm.counters["files_folded"] == 0
    with packed.open("a", encoding="utf-8") as handle:  # late lines in an old day
        handle.writelines(json.dumps(random_call(rng, dt.date(2026, 1, 15))) + "\n" for _ in range(3))
    grown = check()
    assert (grown.counters["files_continued"], grown.counters["files_folded"]) == (0, 1)
    assert (folder / f"{packed.name}.msgpack").exists()
    assert check().counters["files_folded"] == 0  # now kept with its ids, in an entry of its own
    # Then edited in place (same inode and first bytes, longer than the pack's fold read, shorter than
    # its own entry's): folded whole, never read on from the pack's older resume point.
    lines = packed.read_bytes().splitlines(keepends=True)
    del lines[5]
    with packed.open("r+b") as handle:
        handle.write(b"".join(lines))
        handle.truncate()
    assert check().counters["files_folded"] == 1
    replaced = logs_dir / "2026-02-03.jsonl"
    replaced.unlink()
    write_lines(replaced, random_call(rng, dt.date(2026, 2, 3)))
    check()
    (folder / "folds-2026-01.msgpack").write_bytes(b"\x00garbage")
    check()


def test_a_new_neighbour_of_a_packed_day_is_compared_with_its_ids_read_again(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packs keep no ids: a host file that turns up later for an old day, holding a call of the day
    before again, is compared with its packed neighbours by reading their files again, and the call
    counts once; a neighbour that shares nothing stays apart, and a warm run reads nothing again."""
    import vaultledger.ledger.parallel as parallel_module

    rng = days_of_calls_with_ids(logs_dir, seed=4, days=60, calls=8)
    monkeypatch.setattr(parallel_module, "PARALLEL_MIN_BYTES", 0)
    span = date_range(dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    cache = tmp_path / "cache"

    def check(duplicates: int) -> Ledger:
        ledger = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache)
        uncached = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False)
        assert ledger.usage(span) == uncached.usage(span)
        assert ledger.stats_between(span.start, span.end) == uncached.stats_between(span.start, span.end)
        assert ledger.stats.duplicates == uncached.stats.duplicates == duplicates
        return ledger

    assert check(0).counters["pools_started"] == 1
    again = {**json.loads((logs_dir / "2026-01-10.jsonl").read_text().splitlines()[3]), "output_tokens": 7}
    write_lines(logs_dir / "2026-01-11.hostb.jsonl", again, {**random_call(rng, dt.date(2026, 1, 11)), "id": "own"})
    joined = check(duplicates=1)
    assert joined.counters["files_read_for_ids"] >= 2  # the 10th and the 11th, at least: both packed
    assert check(duplicates=1).counters["files_read_for_ids"] == 0  # its verdicts are kept


def cached_stats_match_a_full_read(logs_dir: Path, cache: Path, period: Period, duplicates: int) -> None:
    """A cached Ledger's usage and read stats over `period` are an uncached one's, with `duplicates`."""
    cached, uncached = (Ledger(logs_dir, "UTC", PriceBook([], "UTC"), folder, parallel=False) for folder in (cache, None))
    assert cached.usage(period) == uncached.usage(period)
    assert cached.stats_between(period.start, period.end) == uncached.stats_between(period.start, period.end)
    assert cached.stats_between(period.start, period.end).duplicates == duplicates


def test_a_join_kept_in_a_cached_month_keeps_its_duplicate_when_a_neighbouring_block_is_read(
    logs_dir: Path, tmp_path: Path
) -> None:
    """A host file of the 28th logs a call of the 27th again: January is kept with the two files'
    joint stats. A change in early February reads the 28th again (as a neighbour of that block),
    alone; the duplicate the join found must still count."""
    rng = days_of_calls_with_ids(logs_dir, seed=5, days=41, calls=6)
    write_lines(logs_dir / "2026-01-28.hostb.jsonl", {**random_call(rng, dt.date(2026, 1, 27)), "id": "2026-01-27-1",
                                                       "ts": "2026-01-27T23:30:00Z"})
    period = date_range(dt.date(2026, 1, 1), dt.date(2026, 2, 10))
    cached_stats_match_a_full_read(logs_dir, tmp_path / "cache", period, duplicates=1)
    write_lines(logs_dir / "2026-02-06.jsonl", {**random_call(rng, dt.date(2026, 2, 6)), "id": "new"})
    cached_stats_match_a_full_read(logs_dir, tmp_path / "cache", period, duplicates=1)


def test_a_joint_fold_of_part_of_a_chain_keeps_the_duplicates_a_cached_block_knows(logs_dir: Path, tmp_path: Path) -> None:
    """X is logged on the 4th and again on the 5th, Y on the 5th and again on the 6th. A change on the
    14th reads the block of the 9th to the 16th again, whose files reach back to the 5th: the 5th and
    6th are folded jointly, the 4th is not read, and the 5th's stats from that fold alone lack X's
    duplicate, which the cached first block still knows."""
    def call(ts: str, call_id: str) -> dict:
        return {"ts": ts, "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 100, "output_tokens": 10,
                "id": call_id}

    for day in range(1, 29):
        write_lines(logs_dir / f"2026-02-{day:02d}.jsonl", call(f"2026-02-{day:02d}T10:00:00Z", f"own-{day}"))
    write_lines(logs_dir / "2026-02-04.jsonl", call("2026-02-04T11:00:00Z", "X"))
    write_lines(logs_dir / "2026-02-05.jsonl", call("2026-02-04T11:00:00Z", "X"), call("2026-02-05T12:00:00Z", "Y"))
    write_lines(logs_dir / "2026-02-06.jsonl", call("2026-02-05T12:00:00Z", "Y"))
    february = date_range(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    cached_stats_match_a_full_read(logs_dir, tmp_path / "cache", february, duplicates=2)
    write_lines(logs_dir / "2026-02-14.jsonl", call("2026-02-14T10:30:00Z", "late"))
    cached_stats_match_a_full_read(logs_dir, tmp_path / "cache", february, duplicates=2)


def test_a_cache_made_under_other_prices_or_zone_is_not_used(logs_dir: Path, tmp_path: Path) -> None:
    year_of_logs(logs_dir, days=3)
    cache = tmp_path / "cache"
    totals(Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache))
    with_override = totals(Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), cache))
    assert with_override.groups == totals(Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"))).groups
    tokyo = totals(Ledger(logs_dir, "Asia/Tokyo", PriceBook([], "Asia/Tokyo"), cache))
    assert tokyo.groups == totals(Ledger(logs_dir, "Asia/Tokyo", PriceBook([], "Asia/Tokyo"))).groups
    assert len(list((cache / "folds").iterdir())) == 3


def test_a_damaged_cache_entry_is_a_miss(logs_dir: Path, tmp_path: Path) -> None:
    year_of_logs(logs_dir, days=2)
    cache = tmp_path / "cache"
    expected = totals(Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)).groups
    for entry in (cache / "folds").rglob("*.msgpack"):
        entry.write_bytes(b"\x00garbage")
    assert totals(Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)).groups == expected


@pytest.mark.slow
@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_workers_compare_several_machines_files_a_day_themselves(
    logs_dir: Path, monkeypatch: pytest.MonkeyPatch, start_method: str
) -> None:
    """With three machines' files a day, a file has a dozen neighbours within reach: the worker that
    folds them compares them, and the parent, comparing only pairs split between workers, has the
    ids it needs (it once read 800 files of a year again, when workers kept only their last four)."""
    import vaultledger.ledger.parallel as ledger_module

    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{start_method} is not available here")
    monkeypatch.setattr(ledger_module, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ledger_module, "RUNS_PER_WORKER", 1)  # long runs: most files' ids stay in their worker
    rng = random.Random(3)
    start = dt.date(2026, 3, 1)
    for offset in range(24):
        day = start + dt.timedelta(days=offset)
        for host in ("desk", "laptop", "server"):
            calls = [random_call(rng, day) for _ in range(30)]
            for number, call in enumerate(calls):
                call["id"] = f"{day}-{host}-{number}"
            write_lines(logs_dir / f"{day}.{host}.jsonl", *calls)
    shared = {"ts": "2026-03-10T23:30:00Z", "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
              "output_tokens": 1, "id": "logged-on-two-machines"}
    write_lines(logs_dir / "2026-03-10.desk.jsonl", shared)
    write_lines(logs_dir / "2026-03-12.server.jsonl", {**shared, "output_tokens": 7})
    span = date_range(dt.date(2026, 2, 20), dt.date(2026, 4, 1))
    parallel = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=True, start_method=start_method)
    serial = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), parallel=False)
    assert parallel.usage(span).groups == serial.usage(span).groups
    assert parallel.stats.duplicates == serial.stats.duplicates == 1
    assert {path.name for path in parallel.joined_files(span.start, span.end)} == {
        "2026-03-10.desk.jsonl", "2026-03-12.server.jsonl"}
    assert parallel.counters["files_read_for_ids"] == 0
    assert parallel.counters["pairs_compared"] < serial.counters["pairs_compared"]


@pytest.mark.slow
@pytest.mark.parametrize(("tz", "start_method", "runs_per_worker"), [
    ("UTC", "fork", 16), ("Pacific/Kiritimati", "fork", 2), ("UTC", "spawn", 16), ("UTC", "spawn", 2),
    ("UTC", "forkserver", 16),  # Linux's choice in a process running threads (default_start_method)
])
def test_parallel_folding_equals_serial(
    logs_dir: Path, monkeypatch: pytest.MonkeyPatch, tz: str, start_method: str, runs_per_worker: int, tmp_path: Path
) -> None:
    """Workers compare neighbouring files' ids themselves and the parent compares the pairs split
    between workers: shared ids, ids whose CRC-32s collide, and pairs split between workers must
    all come out as folding in one process does, under fork and under spawn (macOS's default,
    where workers share no hash seed with the parent)."""
    import vaultledger.ledger.parallel as ledger_module

    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{start_method} is not available here")
    monkeypatch.setattr(ledger_module, "RUNS_PER_WORKER", runs_per_worker)
    year_of_logs(logs_dir, days=24)
    call = {"ts": "2026-03-05T23:30:00Z", "provider": "openai", "model": "gpt-4o-mini",
            "input_tokens": 1000, "output_tokens": 1}
    for day, other_day, first_id, second_id in [
        ("2026-03-05", "2026-03-06", "shared-1", "shared-1"),  # the same call logged twice
        ("2026-03-11", "2026-03-13", "shared-2", "shared-2"),
        ("2026-03-17", "2026-03-18", "req-8289912", "req-20060600"),  # same CRC-32, different calls
    ]:
        write_lines(logs_dir / f"{day}.jsonl", {**call, "ts": f"{day}T23:30:00Z", "id": first_id})
        write_lines(logs_dir / f"{other_day}.jsonl", {**call, "ts": f"{day}T23:30:00Z", "id": second_id,
                                                      "output_tokens": 7})
    monkeypatch.setattr(ledger_module, "PARALLEL_MIN_BYTES", 0)
    span = date_range(dt.date(2026, 2, 20), dt.date(2026, 4, 1))
    parallel = Ledger(logs_dir, tz, PriceBook(OVERRIDES, tz), parallel=True, start_method=start_method)
    serial = Ledger(logs_dir, tz, PriceBook(OVERRIDES, tz), parallel=False)
    left = parallel.usage(span)
    right = serial.usage(span)
    assert left.groups == right.groups and left.units == right.units
    assert parallel.stats.duplicates == serial.stats.duplicates
    joined = parallel.joined_files(span.start, span.end)
    assert joined == serial.joined_files(span.start, span.end)
    assert {path.name for path in joined} == {"2026-03-05.jsonl", "2026-03-06.jsonl", "2026-03-11.jsonl", "2026-03-13.jsonl"}
    assert parallel.counters["pools_started"] == 1
    assert parallel.counters["pairs_compared"] < serial.counters["pairs_compared"], "the workers should have compared neighbours"
    # Every pair the parent compared had the ids it needed sent along (only near the runs' edges).
    assert parallel.counters["files_read_for_ids"] == 0
    # With a cache, folds travel with their id digests (without one they carry none): the same answer.
    cached = Ledger(logs_dir, tz, PriceBook(OVERRIDES, tz), tmp_path / "cache", parallel=True,
                    start_method=start_method)
    assert cached.usage(span).groups == right.groups and cached.joined_files(span.start, span.end) == joined
    assert cached.counters["files_read_for_ids"] == 0
    import gc

    assert gc.get_freeze_count() == 0, "objects frozen out of collections for the workers' sake must be let go"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked by default on Linux only")
def test_workers_are_forked_only_from_a_process_that_runs_no_other_thread() -> None:
    """watch, the dashboard and the MCP server run threads, one of which may hold a lock at the fork
    that a forked worker would wait on forever: their workers start from a fork server instead."""
    code = ("import threading; from vaultledger.ledger.parallel import default_start_method as method;"
            "alone = method(); done = threading.Event(); thread = threading.Thread(target=done.wait);"
            "thread.start(); beside = method(); done.set(); thread.join(); print(alone, beside, method())")
    assert printed(code) == ["fork forkserver fork"]


PROGRESS_BAR_RUN = """
import contextlib, sys, threading
from pathlib import Path
from vaultledger.ledger import Ledger, parallel
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook
import datetime as dt

parallel.PARALLEL_MIN_BYTES, parallel.PARALLEL_MIN_FILES = 0, 2
chosen = []
real = parallel.fold_in_workers
def spied(*args, **kwargs):
    def started():  # as the pool starts: inside the bar, as fold_in_workers would choose then
        chosen.append(args[4] or parallel.default_start_method())
        yield from real(*args, **kwargs)
    return started()
parallel.fold_in_workers = spied

@contextlib.contextmanager
def bar(total):  # as rich's bar, refreshed from a thread of its own
    done = threading.Event()
    refresher = threading.Thread(target=done.wait)
    refresher.start()
    try:
        yield lambda advanced: None
    finally:
        done.set()
        refresher.join()

ledger = Ledger(Path(sys.argv[1]), "UTC", PriceBook([], "UTC"), progress=bar)
ledger.usage(date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 6)))
print(*chosen)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked by default on Linux only")
def test_a_progress_bar_thread_does_not_keep_a_command_from_forking(logs_dir: Path) -> None:
    """The bar's own thread starts after the way of starting workers is chosen (a worker never meets
    it): a big read on a terminal forks as any command does."""
    year_of_logs(logs_dir, days=6)
    assert printed(PROGRESS_BAR_RUN, str(logs_dir)) == ["fork"]


def test_runs_shrink_at_the_end() -> None:
    """Workers take files in runs of equal length, then shrinking ones, so they finish together."""
    from vaultledger.ledger.parallel import _runs

    runs = _runs(365, 2)
    assert [index for run in runs for index in run] == list(range(365))
    assert len(runs[0]) == 22 and [len(run) for run in runs[-3:]] == [1, 1, 1], "equal runs, then shrinking ones"


def test_a_workers_ids_come_beside_its_packed_folds_only_where_the_parent_may_compare_them() -> None:
    """A worker compares the neighbours inside its run; the parent, those of files near a run's edge,
    next to a day no file of the read holds, or sharing a day with a file of another run."""
    from vaultledger.ledger.parallel import _ids_wanted_beside

    names = [f"2026-03-{day:02}.jsonl" for day in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14)] + ["2026-03-14.b.jsonl",
             "2026-03-15.jsonl", "2026-03-16.jsonl", "2026-03-17.jsonl"]
    paths = [Path(name) for name in names]
    runs = [range(0, 9), range(9, 14), range(14, 17)]  # 1-9 | 10, 12, 13, 14 | 14.b, 15, 16, 17
    keeping = [False] * len(paths)
    keeping[8] = True  # the 9th's entry keeps its ids: nothing comes beside it
    beside = dict(zip(names, _ids_wanted_beside(paths, runs, keeping)))
    # The 1st and 2nd border on days no file of the read holds (February's), the 8th on the next run.
    assert [name[8:10] for name, wanted in beside.items() if not wanted and not name.endswith("09.jsonl")] == [
        "03", "04", "05", "06", "07"], beside
    assert beside["2026-03-09.jsonl"] is False
    # The 10th borders the 8th's run and the 11th (no file), the 14th's days reach the third run.
    assert all(beside[f"2026-03-{day}.jsonl"] for day in ("08", "10", "12", "13", "14", "15", "16", "17"))
    assert beside["2026-03-14.b.jsonl"]


def test_objects_an_app_froze_stay_frozen_after_a_parallel_read(logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import vaultledger.ledger.parallel as ledger_module

    year_of_logs(logs_dir, days=12)
    monkeypatch.setattr(ledger_module, "PARALLEL_MIN_BYTES", 0)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), parallel=True)
        totals(ledger)
        assert ledger.counters["pools_started"] == 1
        # Frozen objects that die meanwhile leave the permanent generation on their own (a few dozen of
        # pytest's); an unfreeze would empty it.
        assert gc.get_freeze_count() > frozen * 0.9, "a library must not unfreeze what its host froze"
    finally:
        gc.unfreeze()


def test_doctor_notices_a_cache_entry_that_disagrees_with_its_log(logs_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vaultledger.cli import app
    from vaultledger.ledger.cache import FoldCache, file_signature, fingerprint

    write_lines(logs_dir / "2026-03-14.jsonl", {"ts": "2026-03-14T09:00:00Z", "provider": "openai",
                                                "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5})
    cache_dir = Path(os.environ["VAULTLEDGER_CACHE_DIR"])
    runner = CliRunner()
    assert runner.invoke(app, ["report", "--day", "2026-03-14"]).exit_code == 0
    healthy = runner.invoke(app, ["doctor"])
    assert healthy.exit_code == 0 and "newest 1 checked" in healthy.output
    cache = FoldCache(cache_dir, fingerprint("UTC", []))
    path = logs_dir / "2026-03-14.jsonl"
    fold = cache.load(path, file_signature(path))
    next(iter(next(iter(fold.days.values())).groups.values())).calls = 99
    cache.store(path, file_signature(path), fold)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1 and "cache entry for 2026-03-14.jsonl does not match" in result.output


def test_days_after_a_month_served_from_cache_are_still_read(logs_dir: Path, tmp_path: Path) -> None:
    year_of_logs(logs_dir, days=31)
    cache = tmp_path / "cache"
    march = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    from vaultledger.periods import month_of

    first = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
    expected = first.usage(month_of(dt.date(2026, 3, 1))).totals()
    again = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
    assert again.usage(month_of(dt.date(2026, 3, 1))).totals() == expected  # served by the month entry
    days = again.days(march.start, march.end)
    assert sum((usage.totals().calls for usage in days.values()), 0) == expected.calls


def test_the_same_id_in_neighbouring_files_counts_once_the_later_line_winning(logs_dir: Path, tmp_path: Path) -> None:
    first = {"ts": "2026-03-14T23:59:58+01:00", "provider": "anthropic", "model": "claude-sonnet-4-5",
             "input_tokens": 1000, "output_tokens": 1, "id": "msg_1"}
    write_lines(logs_dir / "2026-03-14.jsonl", first, {**first, "id": "msg_2"})
    write_lines(logs_dir / "2026-03-15.jsonl", {**first, "ts": "2026-03-15T00:00:03+01:00", "output_tokens": 500})
    span = date_range(dt.date(2026, 3, 14), dt.date(2026, 3, 15))
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):
        ledger = Ledger(logs_dir, "Europe/Berlin", PriceBook([], "Europe/Berlin"), cache)
        total = ledger.usage(span).totals()
        assert (total.calls, total.output_tokens) == (2, 501)
        assert ledger.stats.duplicates == 1
        assert ledger.days(span.start, span.start)[span.start].totals().calls == 1  # msg_2 only
    # Read one day at a time: the later file still replaces the earlier line.
    ledger = Ledger(logs_dir, "Europe/Berlin", PriceBook([], "Europe/Berlin"))
    assert ledger.days(span.start, span.start)[span.start].totals().calls == 1
    assert ledger.usage(span).totals().output_tokens == 501


def test_ids_whose_checksums_collide_are_not_taken_for_the_same_call(logs_dir: Path, tmp_path: Path) -> None:
    assert zlib.crc32(b"req-8289912") == zlib.crc32(b"req-20060600")
    call = {"ts": "2026-03-14T12:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
            "input_tokens": 1000, "output_tokens": 1}
    write_lines(logs_dir / "2026-03-14.jsonl", {**call, "id": "req-8289912"})
    write_lines(logs_dir / "2026-03-15.jsonl", {**call, "ts": "2026-03-15T12:00:00Z", "id": "req-20060600"})
    span = date_range(dt.date(2026, 3, 14), dt.date(2026, 3, 15))
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):
        ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
        assert ledger.usage(span).totals().calls == 2
        assert ledger.joined_files(span.start, span.end) == {}
        assert ledger.stats.duplicates == 0


def test_a_duplicate_across_files_is_found_whichever_part_is_read_first(logs_dir: Path, tmp_path: Path) -> None:
    first = {"ts": "2026-03-14T12:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
             "input_tokens": 1000, "output_tokens": 1, "id": "same"}
    write_lines(logs_dir / "2026-03-14.jsonl", first)
    write_lines(logs_dir / "2026-03-15.jsonl", {**first, "ts": "2026-03-15T00:10:00Z", "output_tokens": 9})
    for day in range(1, 30):
        if day not in (14, 15):
            write_lines(logs_dir / f"2026-03-{day:02d}.jsonl", {**first, "ts": f"2026-03-{day:02d}T12:00:00Z",
                                                               "id": f"other-{day}"})
    march = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    for cache in (None, tmp_path / "c"):
        ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
        ledger.days(dt.date(2026, 3, 20), dt.date(2026, 3, 31))  # a later part first
        ledger.days(dt.date(2026, 3, 1), dt.date(2026, 3, 10))   # then an earlier one
        ledger.days(dt.date(2026, 3, 15), dt.date(2026, 3, 15))  # the later duplicate
        total = ledger.usage(march).totals()
        assert (total.calls, total.output_tokens) == (28, 27 + 9)


def _line(day: str, ts: str, tokens: int, record_id: str = "X") -> tuple[str, dict]:
    return day, {"ts": f"{ts}T12:00:00Z", "provider": "anthropic", "model": "m", "input_tokens": tokens,
                 "output_tokens": 0, "id": record_id}


def _per_day(days: dict) -> dict:
    return {day.isoformat(): (usage.totals().calls, usage.totals().input_tokens) for day, usage in days.items()}


@pytest.mark.parametrize("cache_name", [None, "cache"])
def test_duplicate_chains_and_reads_in_any_order(logs_dir: Path, tmp_path: Path, cache_name: str | None) -> None:
    from vaultledger.periods import quarter_of

    lines = [_line("2026-03-01", "2026-03-03", 1), _line("2026-03-03", "2026-03-03", 10),
             _line("2026-03-04", "2026-03-03", 100),  # one call in three files: the last wins
             _line("2026-03-10", "2026-03-11", 1, "Y"), _line("2026-03-11", "2026-03-11", 10, "Y"),
             _line("2026-03-13", "2026-03-13", 100, "Z"), _line("2026-03-14", "2026-03-13", 1000, "Z"),
             _line("2026-04-02", "2026-03-31", 1, "W"), _line("2026-04-03", "2026-04-03", 10, "W")]
    for day, record in lines:
        write_lines(logs_dir / f"{day}.jsonl", record)
    cache = tmp_path / cache_name if cache_name else None
    for _ in range(2):  # cold, then warm when there is a cache
        ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
        ledger.days(dt.date(2026, 3, 10), dt.date(2026, 3, 10))
        ledger.days(dt.date(2026, 3, 14), dt.date(2026, 3, 14))
        assert _per_day(ledger.days(dt.date(2026, 3, 31), dt.date(2026, 3, 31))) == {}
        assert _per_day(ledger.days(dt.date(2026, 3, 1), dt.date(2026, 3, 31))) == {
            "2026-03-03": (1, 100), "2026-03-11": (1, 10), "2026-03-13": (1, 1000)}
        q1 = ledger.usage(quarter_of(dt.date(2026, 3, 1))).totals()
        q2 = ledger.usage(quarter_of(dt.date(2026, 4, 1))).totals()
        assert (q1.calls, q1.input_tokens, q2.calls, q2.input_tokens) == (3, 1110, 1, 10)
        assert ledger.stats.duplicates == 5


def test_workers_collect_even_when_the_process_that_forked_them_does_not(logs_dir: Path) -> None:
    """The console script's fast paths run without the cyclic collector (they exit at once); the
    workers they fork fold hundreds of files, so they turn it back on."""
    import gc

    from vaultledger.ledger.parallel import _start_worker

    gc.disable()
    try:
        _start_worker([], "UTC")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_first_run_looks_for_no_cache_entry_and_the_next_finds_them_all(
    logs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no cache folder yet, no file's entry is looked for (each would be a failed open); the run
    keeps them, and the next one answers from them, folding no file again."""
    from vaultledger.ledger.cache import FoldCache

    year_of_logs(logs_dir, days=6)
    looked: list[Path] = []
    own_entry = FoldCache._own_entry
    monkeypatch.setattr(FoldCache, "_own_entry", lambda self, path: looked.append(path) or own_entry(self, path))
    cold = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), tmp_path / "cache", parallel=False)
    calls = totals(cold).totals().calls
    assert looked == [] and cold.counters["files_missed"] == 6
    warm = Ledger(logs_dir, "UTC", PriceBook(OVERRIDES, "UTC"), tmp_path / "cache", parallel=False)
    assert totals(warm).totals().calls == calls
    assert looked and warm.counters["files_folded"] == 0 and warm.counters["files_missed"] == 0
