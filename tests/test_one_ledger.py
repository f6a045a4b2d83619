"""One number, one definition: watch's live ledger, the nightly rollup's ledger (cold and warm
cache), `export`'s records and `report --format json` agree on any log folder (SPEC §2)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vaultledger.ledger import Ledger
from vaultledger.ledger import entries as ledger_entries
from vaultledger.ledger.live import LiveLedger
from vaultledger.periods import Period, date_range, month_of
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.record import MAX_LINE_BYTES
from vaultledger.reports.report import report_json

FIRST = dt.date(2026, 3, 12)
SPAN = date_range(FIRST - dt.timedelta(days=4), FIRST + dt.timedelta(days=8))
OVERRIDES = parse_price_overrides(
    [{"provider": "openai", "model": "gpt-*", "input": 2.5, "output": 10, "cache_read": 1.25}], "test"
)


def line(ts: str, output: int, *, call_id: str | None = None, provider: str = "openai", void: bool = False,
         model: str = "gpt-4o", cache_write_1h: int = 0) -> bytes:
    record: dict[str, object] = {"ts": ts, "provider": provider, "model": model, "input_tokens": 1000,
                                 "output_tokens": output}
    if call_id:
        record["id"] = call_id
    if void:
        record["void"] = True
    if cache_write_1h:
        record |= {"cache_write_tokens": cache_write_1h, "cache_write_1h_tokens": cache_write_1h}
    return json.dumps(record).encode() + b"\n"


def one_call_a_day(logs: Path, span: Period) -> None:
    """A file per day of `span`, each with one call of its own id."""
    logs.mkdir()
    for day in span.days():
        (logs / f"{day}.jsonl").write_bytes(line(f"{day}T10:00:00Z", day.day, call_id=f"{day}-a"))


def cold(logs: Path, cache: Path | None = None) -> Ledger:
    return Ledger(logs, "UTC", PriceBook(OVERRIDES, "UTC"), cache, parallel=False)


def figures(ledger: Ledger | LiveLedger) -> tuple[object, ...]:
    usage = ledger.usage(SPAN)
    stats = ledger.stats_between(SPAN.start - dt.timedelta(days=2), SPAN.end + dt.timedelta(days=2))
    return json.dumps(report_json(SPAN, usage, stats), default=str), ledger.days(SPAN.start, SPAN.end)


def test_the_issue_repro_counts_one_call_on_the_15th_one_duplicate_one_located_problem(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2026-03-14.jsonl").write_bytes(line("2026-03-14T23:59:58Z", 1, call_id="msg_1"))
    (logs / "2026-03-15.jsonl").write_bytes(line("2026-03-15T00:00:03Z", 500, call_id="msg_1"))
    (logs / "2026-03-13.jsonl").write_bytes(line("2026-03-16T12:00:00Z", 1))
    for ledger in (cold(logs), cold(logs, tmp_path / "cache"), cold(logs, tmp_path / "cache"), live_over(logs)):
        days = ledger.days(dt.date(2026, 3, 13), dt.date(2026, 3, 16))
        assert {day.day: (u.totals().calls, u.totals().output_tokens) for day, u in days.items()} == {15: (1, 500)}
        stats = ledger.stats_between(dt.date(2026, 3, 11), dt.date(2026, 3, 18))
        assert (stats.duplicates, stats.invalid_lines, stats.stray_lines) == (1, 1, 1)


def live_over(logs: Path) -> LiveLedger:
    live = LiveLedger(logs, "UTC", PriceBook(OVERRIDES, "UTC"))
    live.watch_around(FIRST)
    live.refresh()
    return live


def test_a_void_line_cancels_its_call_in_the_same_file_and_from_a_later_day(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2026-03-12.jsonl").write_bytes(
        line("2026-03-12T10:00:00Z", 10, call_id="a") + line("2026-03-12T10:01:00Z", 20, call_id="b")
        + line("2026-03-12T10:02:00Z", 0, call_id="a", void=True) + line("2026-03-12T10:03:00Z", 30, call_id="c"))
    (logs / "2026-03-13.jsonl").write_bytes(line("2026-03-13T00:10:00Z", 0, call_id="c", void=True))
    ledger = cold(logs)
    assert ledger.usage(SPAN).totals().output_tokens == 20
    assert [record.id for _, record in ledger.records(SPAN.start, SPAN.end)] == ["b"]
    (logs / "2026-03-14.jsonl").write_bytes(line("2026-03-14T08:00:00Z", 33, call_id="c"))  # a corrected line
    assert cold(logs).usage(SPAN).totals().output_tokens == 53


def test_host_files_of_one_day_keep_the_latest_then_the_larger_line(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2026-03-12.laptop.jsonl").write_bytes(line("2026-03-12T10:00:05Z", 7, call_id="x")
                                                   + line("2026-03-12T11:00:00Z", 3, call_id="y"))
    (logs / "2026-03-12.desk.jsonl").write_bytes(line("2026-03-12T10:00:00Z", 9, call_id="x")
                                                 + line("2026-03-12T11:00:00Z", 4, call_id="y"))
    usage = cold(logs).usage(SPAN).totals()
    assert (usage.calls, usage.output_tokens) == (2, 7 + 4)


def test_a_line_over_the_record_limit_is_invalid_on_read_on_every_path(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    long = json.loads(line("2026-03-12T10:00:00Z", 5))
    long["attrs"] = {"note": "x" * MAX_LINE_BYTES}
    lines = [line("2026-03-12T09:00:00Z", 1)] * 3000 + [json.dumps(long).encode() + b"\n", line("2026-03-12T11:00:00Z", 2)]
    (logs / "2026-03-12.jsonl").write_bytes(b"".join(lines))
    for ledger in (cold(logs), live_over(logs)):
        assert ledger.usage(SPAN).totals().calls == 3001
        problems = [str(problem) for problem in ledger.stats_between(SPAN.start, SPAN.end).problems]
        assert len(problems) == 1 and ":3001: line is " in problems[0] and "record limit" in problems[0]


def test_new_counts_reach_the_report_json(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2026-03-12.jsonl").write_bytes(line("2026-03-12T10:00:00Z", 5, cache_write_1h=300)
                                            + line("2026-03-12T10:00:01Z", 5))
    ledger = cold(logs)
    document = report_json(SPAN, ledger.usage(SPAN), ledger.stats)
    assert document["totals"]["cache_write_1h_tokens"] == 300 and document["totals"]["web_search_requests"] == 0
    assert document["by_model"][0]["cache_write_1h_tokens"] == 300
    assert set(document["problems"]) >= {"invalid_lines", "duplicates", "stray_lines", "truncated_files", "unknown_tiers"}


# ---------------------------------------------------------------- the property

IDS = ["a", "b", "c", "d"]


@st.composite
def log_lines(draw: st.DrawFn, day: dt.date) -> bytes:
    offset = draw(st.sampled_from([0, 0, 0, -1, 1, 3]))  # 3 days away: a stray line
    when = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(draw(st.sampled_from([0, 12, 23])), 30),
                               dt.timezone.utc)
    kind = draw(st.sampled_from(["plain", "id", "id", "void", "bad", "blank"]))
    if kind == "bad":
        return b'{"ts": "nonsense"}\n'
    if kind == "blank":
        return b"\n"
    call_id = draw(st.sampled_from(IDS)) if kind in ("id", "void") else None
    return line(when.isoformat(), draw(st.integers(0, 900)), call_id=call_id, void=kind == "void",
                model=draw(st.sampled_from(["gpt-4o", "mystery-model"])))


@st.composite
def log_folders(draw: st.DrawFn) -> dict[str, list[bytes]]:
    names = draw(st.lists(st.sampled_from(["2026-03-11", "2026-03-12", "2026-03-13", "2026-03-14", "2026-03-16",
                                            "2026-03-12.laptop"]), min_size=1, max_size=4, unique=True))
    return {name: draw(st.lists(log_lines(dt.date.fromisoformat(name[:10])), min_size=1, max_size=8))
            for name in names}


REPRO = {
    "2026-03-14": [line("2026-03-14T23:59:58Z", 1, call_id="msg_1")],
    "2026-03-15": [line("2026-03-15T00:00:03Z", 500, call_id="msg_1")],
    "2026-03-13": [line("2026-03-16T12:00:00Z", 1)],
}


@settings(max_examples=200, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@example(folder=REPRO, cuts=[1, 2, 3], partial=False)
@given(folder=log_folders(), cuts=st.lists(st.integers(1, 40), max_size=4), partial=st.booleans())
def test_watch_equals_rollup_equals_export_equals_report(
    folder: dict[str, list[bytes]], cuts: list[int], partial: bool
) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        logs, cache = root / "logs", root / "cache"
        logs.mkdir()
        live = LiveLedger(logs, "UTC", PriceBook(OVERRIDES, "UTC"))
        live.watch_around(FIRST)
        # Appends arrive in pieces, cut anywhere (inside a line too), read by the same incremental fold watch uses.
        whole = {name: b"".join(lines) for name, lines in folder.items()}
        if partial:
            whole[next(iter(whole))] += b'{"ts": "2026-03-12T'  # a last line still being written
        written = dict.fromkeys(whole, 0)
        for step, cut in enumerate([*cuts, 10**6]):
            for name, data in whole.items():
                upto = min(len(data), written[name] + cut * (step + 1))
                with (logs / f"{name}.jsonl").open("ab") as handle:
                    handle.write(data[written[name]:upto])
                written[name] = upto
            live.refresh()
            assert figures(live) == figures(cold(logs)), f"after piece {step}"
        nightly = figures(cold(logs))
        assert figures(cold(logs, cache)) == nightly, "cold cache"
        assert figures(cold(logs, cache)) == nightly, "warm cache"
        ledger = cold(logs)
        usage = ledger.usage(SPAN).totals()
        exported = list(ledger.records(SPAN.start, SPAN.end))
        costs = [ledger.book.cost_of(record).cost for _, record in exported]
        assert len(exported) == usage.calls
        assert sum(record.output_tokens for _, record in exported) == usage.output_tokens
        assert sum((cost for cost in costs if cost is not None), Decimal(0)) == usage.cost
        assert sum(cost is None for cost in costs) == usage.unpriced_calls
    finally:
        shutil.rmtree(root)


def test_the_live_fold_reads_only_what_was_appended(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "2026-03-12.jsonl"
    path.write_bytes(b"".join(line("2026-03-12T10:00:00Z", 1, call_id=f"id-{n}") for n in range(2000)))
    live = live_over(logs)
    with path.open("ab") as handle:
        handle.write(line("2026-03-12T11:00:00Z", 7, call_id="new"))
    before = live.folds.held(path)
    assert before is not None and before.resume is not None
    folded = dict(live.folds.counters)
    assert live.refresh().touched == {dt.date(2026, 3, 12)}
    after = live.folds.held(path)
    assert after is not None and after.resume is not None and after.resume.offset > before.resume.offset
    assert live.folds.counters["continued"] == folded.get("continued", 0) + 1, "the fold went on"
    assert live.folds.counters["whole"] == folded.get("whole", 0), "not again from the start"
    assert live.usage(SPAN).totals().calls == 2001


def test_a_warm_cache_folds_only_the_lines_appended_since(tmp_path: Path) -> None:
    """A file that only grew since its fold was cached is read on from where that fold stopped: the
    numbers are a cold read's, and a replaced, cut or repeated-id file is folded whole again."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    path = logs / "2026-03-12.jsonl"
    path.write_bytes(b"".join(line("2026-03-12T10:00:00Z", 1, call_id=f"id-{n}") for n in range(500)))
    figures(cold(logs, cache))

    def warm_matches_cold() -> Ledger:
        warm = cold(logs, cache)
        assert figures(warm) == figures(cold(logs))
        return warm

    steps: list[tuple[bytes, str]] = [
        (line("2026-03-12T11:00:00Z", 7, call_id="new"), "files_continued"),
        (b'{"ts": "2026-03-12T12:00:00Z", "provider": "openai", "mod', "files_continued"),  # a half line
        (b'el": "gpt-4o", "input_tokens": 5, "output_tokens": 5}\n', "files_continued"),  # ... finished
        (line("2026-03-12T13:00:00Z", 9, call_id="id-3"), "files_folded"),  # a repeated id: the careful fold
        (line("2026-03-12T14:00:00Z", 9, call_id="after"), "files_folded"),  # careful folds are not continued
    ]
    for appended, how in steps:
        with path.open("ab") as handle:
            handle.write(appended)
        warm = warm_matches_cold()
        assert warm.counters[how] == 1 and warm.counters["files_continued" if how == "files_folded" else
                                                          "files_folded"] == 0, appended
    path.write_bytes(b"".join(line("2026-03-12T10:00:00Z", 2, call_id=f"fresh-{n}") for n in range(600)))
    figures(cold(logs, cache))
    with path.open("r+b") as handle:  # rewritten in place, longer: the same inode, other first bytes
        handle.write(line("2026-03-12T10:30:00Z", 3, call_id="other-0")[:40])
    warm = warm_matches_cold()
    assert warm.counters["files_folded"] == 1 and warm.counters["files_continued"] == 0
    figures(cold(logs, cache))
    path.write_bytes(path.read_bytes()[:300])  # cut shorter than the cached fold read
    warm = warm_matches_cold()
    assert warm.counters["files_folded"] == 1 and warm.counters["files_continued"] == 0


def test_a_warm_year_after_new_lines_reads_the_files_of_one_block_of_days(tmp_path: Path) -> None:
    """Unchanged months come from their cached totals; in the month that changed, only the block of
    days (25th to the end) holding the change is rebuilt: from the part its older files hold, kept
    apart, and the folds of the newest day's file and of the files that may share an id with it."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    year = date_range(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    one_call_a_day(logs, year)
    assert cold(logs, cache).usage(year) == cold(logs).usage(year)

    def kept(span: str) -> bytes | None:
        return next((entry.read_bytes() for entry in cache.glob(f"folds/*/month-{span}.msgpack")), None)

    last_block = kept("2025-12-25..2025-12-31")
    with (logs / "2025-12-31.jsonl").open("ab") as handle:
        handle.write(line("2025-12-31T11:00:00Z", 5, call_id="late"))
    warm = cold(logs, cache)
    assert warm.usage(year) == cold(logs).usage(year)
    assert warm.counters["files_continued"] == 1 and warm.counters["files_folded"] == 0
    # The 29th and 30th, which may share an id with the 31st: the block's other files (from the 21st:
    # those that may hold its calls or a later line of one) are its older part, kept by the cold run.
    assert warm.counters["files_loaded"] == 2
    assert kept("2025-12-25..2025-12-31~older")
    # December holds the newest file: it is logged to, so only its blocks are kept while they change,
    # and not the block whose file grew on this run (it will have grown again by the next one); a run
    # that finds nothing grown keeps that block. The months and blocks no file being logged to can
    # change (to the 24th) are kept as one settled span, which later runs read instead of them.
    assert kept("2025-11") and kept("2025-12-17..2025-12-24") and not kept("2025-12")
    assert kept("2025-10-01..2025-12-24"), "the settled span: October, November and December to the 24th"
    assert kept("2025-12-25..2025-12-31") == last_block, "not rewritten on a run whose file grew"
    again = cold(logs, cache)
    assert again.usage(year) == warm.usage(year)
    assert again.counters["files_loaded"] == 3 and again.counters["files_continued"] == 0
    assert kept("2025-12-25..2025-12-31") != last_block and not kept("2025-12")
    settled = cold(logs, cache)
    assert settled.usage(year) == warm.usage(year)
    assert settled.counters["files_loaded"] == 0, "the settled span and the newest block come whole from the cache"
    assert not kept("2025-12"), "December is kept whole once it is settled: until then its entry would not last"


@pytest.mark.parametrize("change", [
    "a new line whose id a neighbour holds",  # the 31st and the 30th join: the block is read whole
    "a late line in an older file of the block",  # the older part no longer stands
    "a bad line in the newest file",
    "a second machine's file for the newest day",
    "nothing",
])
def test_the_newest_block_from_its_older_part_counts_as_a_cold_read(tmp_path: Path, change: str) -> None:
    """A block holding the newest day is answered from its older files' kept part and the newest
    day's files (with their neighbours) read now: whatever changed, the figures, duplicates and
    located problems are a cold read's, run after run."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    span = date_range(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    one_call_a_day(logs, span)
    (logs / "2025-12-27.jsonl").open("ab").write(b"not json\n")
    (logs / "2025-12-30.jsonl").open("ab").write(line("2025-12-30T23:00:00Z", 3, call_id="shared"))

    def same_as_cold() -> Ledger:
        warm, fresh = cold(logs, cache), cold(logs)
        assert warm.usage(span) == fresh.usage(span), change
        assert warm.stats_between(span.start, span.end) == fresh.stats_between(span.start, span.end), change
        return warm

    same_as_cold()  # cold: keeps the block's older part apart
    with (logs / "2025-12-31.jsonl").open("ab") as handle:
        handle.write(line("2025-12-31T09:00:00Z", 7, call_id="grown"))
    assert same_as_cold().counters["files_loaded"] == 2, "the older part stood for the 21st to the 28th"
    if change == "a new line whose id a neighbour holds":
        with (logs / "2025-12-31.jsonl").open("ab") as handle:
            handle.write(line("2025-12-30T23:00:00Z", 4, call_id="shared"))
    elif change == "a late line in an older file of the block":
        with (logs / "2025-12-26.jsonl").open("ab") as handle:
            handle.write(line("2025-12-26T22:00:00Z", 9, call_id="late"))
    elif change == "a bad line in the newest file":
        with (logs / "2025-12-31.jsonl").open("ab") as handle:
            handle.write(b'{"ts": "2025-12-31T12:00:00Z"}\n')
    elif change == "a second machine's file for the newest day":
        (logs / "2025-12-31.laptop.jsonl").write_bytes(line("2025-12-31T13:00:00Z", 2, call_id="laptop"))
    for _ in range(3):  # the change, then runs that keep what it left
        warm = same_as_cold()
        with (logs / "2025-12-31.jsonl").open("ab") as handle:
            handle.write(line("2025-12-31T15:00:00Z", 1))
    if change == "a new line whose id a neighbour holds":
        assert {path.name for path in warm.joined_files(span.start, span.end)} == {"2025-12-30.jsonl", "2025-12-31.jsonl"}
        assert warm.stats_between(span.start, span.end).duplicates == 1


@pytest.mark.parametrize("retried", [False, True], ids=["new calls", "a retried call (read whole)"])
def test_a_file_being_logged_to_has_its_pairs_compared_again_rather_than_kept(tmp_path: Path, retried: bool) -> None:
    """Whether the newest file shares an id with its neighbours is worked out again on each run in
    which it changed (from the ids' digests), not rewritten into the month's verdicts every time;
    also when a line repeating one of its ids makes it read whole rather than read on."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    span = date_range(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    one_call_a_day(logs, span)
    if retried:
        with (logs / "2025-12-31.jsonl").open("ab") as handle:
            handle.write(line("2025-12-31T10:00:00Z", 4, call_id="retried"))
    cold(logs, cache).usage(span)
    kept = []
    for n in range(3):
        with (logs / "2025-12-31.jsonl").open("ab") as handle:
            handle.write(line("2025-12-31T11:00:00Z", 5 + n, call_id="retried" if retried else f"late-{n}"))
        warm = cold(logs, cache)
        assert warm.usage(span) == cold(logs).usage(span)
        assert warm.counters["files_folded" if retried else "files_continued"] == 1
        assert warm.counters["pairs_compared"] == 2
        kept.append(next(cache.glob("folds/*/verdicts-2025-12.msgpack")).read_bytes())
    assert kept[0] == kept[1] == kept[2]


def test_unit_ids_from_cached_months_and_blocks_count_as_when_read(tmp_path: Path) -> None:
    """Cached spans keep unit ids undecoded; a report that needs them (cost per unit) must count each
    distinct id once across months, blocks and files, cold, warm and after an append."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    span = date_range(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    day = span.start
    while day <= span.end:
        calls = [{"ts": f"{day}T10:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 10,
                  "output_tokens": 1, "use_case": "poem", "unit_id": f"u{day.toordinal() // 3}"},
                 {"ts": f"{day}T11:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 10,
                  "output_tokens": 1, "use_case": "essay", "unit_id": "same-every-day"}]
        (logs / f"{day}.jsonl").write_text("".join(json.dumps(call) + "\n" for call in calls))
        day += dt.timedelta(days=1)
    want = cold(logs).usage(span).cost_per_unit()
    assert [(use_case, units) for use_case, units, _ in want] == [("essay", 1), ("poem", 21)]
    assert cold(logs, cache).usage(span).cost_per_unit() == want
    assert cold(logs, cache).usage(span).cost_per_unit() == want  # months and blocks from the cache
    with (logs / "2025-12-31.jsonl").open("a") as handle:
        handle.write(json.dumps({"ts": "2025-12-31T12:00:00Z", "provider": "openai", "model": "gpt-4o",
                                 "input_tokens": 10, "output_tokens": 1, "use_case": "poem",
                                 "unit_id": "late"}) + "\n")
    warm = cold(logs, cache).usage(span)
    assert warm.units == cold(logs).usage(span).units and len(warm.units["poem"]) == 22
    assert cold(logs, cache).usage(span).units == warm.units


def test_settled_months_are_read_as_one_entry_until_one_of_their_files_changes(tmp_path: Path) -> None:
    """A year's report keeps its months that no file being logged to can change as one span; a late
    line in one of them (or a removed file) is still counted, and the span is rebuilt."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    year = date_range(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    one_call_a_day(logs, year)
    settled = "folds/*/month-2025-01-01..2025-06-24.msgpack"  # June 30th is the newest file: its block stays apart
    assert cold(logs, cache).usage(year) == cold(logs).usage(year)
    assert not any(cache.glob(settled)), "a cold run keeps each day's data once: files and blocks"
    assert cold(logs, cache).usage(year) == cold(logs).usage(year)
    assert any(cache.glob(settled)), "then the months and the settled span, made of cached parts"
    again = cold(logs, cache)
    assert again.usage(year) == cold(logs).usage(year) and again.counters["files_loaded"] == 0
    with (logs / "2025-03-10.jsonl").open("ab") as handle:  # a line arriving late in a settled month
        handle.write(line("2025-03-10T11:00:00Z", 7, call_id="late"))
    (logs / "2025-02-02.jsonl").unlink()
    late = cold(logs, cache).usage(year)
    assert late == cold(logs).usage(year)
    assert late.totals().calls == 181 - 1 + 1
    assert cold(logs, cache).usage(year) == late


def test_a_settled_span_ending_inside_a_month_kept_whole_is_not_made_of_the_months_before(tmp_path: Path) -> None:
    """With the newest file on the 1st, the settled span ends on December 24th; a run that finds
    December whole in the cache cannot make that span of its parts (they reach past it), and keeps none."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    span = date_range(dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    one_call_a_day(logs, span)

    def kept(name: str) -> bool:
        return any(cache.glob(f"folds/*/month-{name}.msgpack"))

    for _ in range(2):  # files and blocks; then the months and the settled span, made of them
        assert cold(logs, cache).usage(span) == cold(logs).usage(span)
    assert kept("2025-12") and kept("2025-10-01..2025-12-24")
    with (logs / "2025-10-10.jsonl").open("ab") as handle:  # a late line: the settled span no longer stands
        handle.write(line("2025-10-10T11:00:00Z", 7, call_id="late"))
    for run in range(3):  # October read again, then kept whole; December still comes whole
        assert cold(logs, cache).usage(span) == cold(logs).usage(span), f"run {run}"
    assert kept("2025-10") and kept("2025-12")
    assert cold(logs, cache).usage(span).totals().calls == 94  # a call a day and the late one


def test_problems_of_files_inside_cached_months_are_reported_as_when_read(tmp_path: Path) -> None:
    """A month or settled span from the cache still says which line of which file was bad, and why."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    year = date_range(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    one_call_a_day(logs, year)
    with (logs / "2025-02-10.jsonl").open("ab") as handle:
        handle.write(b'{"not a record": true}\n')
    with (logs / "2025-03-05.jsonl").open("ab") as handle:
        handle.write(line("2025-03-20T10:00:00Z", 3))  # further from its file's day than allowed

    def problems(ledger: Ledger) -> tuple[object, ...]:
        ledger.usage(year)
        stats = ledger.stats_between(year.start, year.end)
        return stats.counts(), [(problem.path.name, problem.line, problem.reason) for problem in stats.problems]

    want = problems(cold(logs))
    assert want[0][1] == 2 and [name for name, _, _ in want[1]] == ["2025-02-10.jsonl", "2025-03-05.jsonl"]
    for run in range(3):  # files and blocks kept; then months and the settled span; then read from them
        ledger = cold(logs, cache)
        assert problems(ledger) == want, f"run {run}"
    assert ledger.counters["files_loaded"] == 0 and any(cache.glob("folds/*/month-2025-01-01..2025-06-24.msgpack"))


@pytest.mark.parametrize("mapped", [False, True], ids=["read", "mapped"])
@pytest.mark.parametrize("damage", ["empty", "garbage", "cut in half"])
def test_a_damaged_span_entry_is_a_miss(tmp_path: Path, damage: str, mapped: bool,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty, foreign or cut span entry is a miss, never a crash, read whole or mapped (as the
    short-lived commands read them)."""
    if mapped and os.name == "nt":
        pytest.skip("Windows reads entries whole: it cannot replace a mapped file")
    monkeypatch.setattr(ledger_entries, "_map_entries", mapped)
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    span = date_range(dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    one_call_a_day(logs, span)
    want = cold(logs).usage(span)
    assert cold(logs, cache).usage(span) == want
    assert cold(logs, cache).usage(span) == want  # now months and the settled span are kept too
    entries = list(cache.glob("folds/*/month-*.msgpack"))
    assert len(entries) > 12
    for entry in entries:
        data = entry.read_bytes()
        entry.write_bytes({"empty": b"", "garbage": b"\x00garbage", "cut in half": data[:len(data) // 2]}[damage])
    assert cold(logs, cache).usage(span) == want
    assert cold(logs, cache).usage(span) == want


def test_a_span_kept_after_an_earlier_question_holds_what_was_read_then(tmp_path: Path) -> None:
    """A ledger reads each file once: asking for today, then (after a line arrived) for the month, must
    not keep the month under the file's new signature with the data read before the line."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    month = date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 20))
    one_call_a_day(logs, month)
    today = date_range(month.end, month.end)
    for _ in range(2):
        cold(logs, cache).usage(month_of(month.end))
    ledger = cold(logs, cache)
    ledger.usage(today)
    with (logs / f"{month.end}.jsonl").open("ab") as handle:
        handle.write(line(f"{month.end}T11:00:00Z", 7, call_id="late"))
    assert ledger.usage(month_of(month.end)).totals().calls == 20  # as this ledger read the files
    for _ in range(2):
        assert cold(logs, cache).usage(month_of(month.end)) == cold(logs).usage(month_of(month.end))
        assert cold(logs, cache).usage(month_of(month.end)).totals().calls == 21


def test_a_logs_folder_reached_by_another_path_keeps_its_cache(tmp_path: Path) -> None:
    """Cache entries name their files by name: the same folder through a symlink (a moved vault, a
    relative --logs) reads them, with no error and the same numbers."""
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    span = date_range(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    one_call_a_day(logs, span)
    for _ in range(2):
        cold(logs, cache).usage(span)
    alias = tmp_path / "alias"
    try:
        alias.symlink_to(logs, target_is_directory=True)
    except OSError as error:  # Windows without the privilege to make links
        pytest.skip(f"cannot make a symlink here: {error}")
    part = date_range(dt.date(2025, 2, 1), dt.date(2025, 6, 30))
    for _ in range(2):
        assert cold(alias, cache).usage(part) == cold(logs).usage(part)
