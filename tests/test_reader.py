"""Reading logs: every invalid kind is skipped and located, partial lines wait, duplicates count once."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from conftest import call, same_days, slow_fold, write_lines
from vaultledger.ledger import Ledger
from vaultledger.ledger.fold import fold_log_file
from vaultledger.periods import day_of
from vaultledger.pricing import PriceBook
from vaultledger.record import RecordFields, has_parts, normalise_provider
from vaultledger.record.batch import _BatchDecoder
from vaultledger.ledger.files import BOM, ReadStats, files_for_days, list_log_files, read_file

INVALID_LINES = [
    ("not json at all", "not JSON"),
    ('["an", "array"]', "not a JSON object"),
    ('"a string"', "not a JSON object"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "input_tokens": 1, "output_tokens": 1}', "model"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": "12", "output_tokens": 1}',
     "input_tokens"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": -5, "output_tokens": 1}',
     "input_tokens"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": true, "output_tokens": 1}',
     "input_tokens"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 1.5, "output_tokens": 1}',
     "input_tokens"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1, '
     '"cache_read_tokens": 8, "cache_write_tokens": 3}', "cache_read_tokens + cache_write_tokens"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1, '
     '"reasoning_tokens": 2}', "reasoning_tokens"),
    ('{"ts": "yesterday", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1}', "ts"),
    ('{"ts": "2026-03-14T09:00:00", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1}',
     "offset"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1, '
     '"cost_usd": NaN}', "not JSON"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1, '
     '"cost_usd": "NaN"}', "cost_usd"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 10, "output_tokens": 1, '
     '"cost_usd": -1}', "cost_usd"),
    ('{"ts": "2026-03-14T09:00:00Z", "provider": "", "model": "m", "input_tokens": 10, "output_tokens": 1}',
     "provider"),
]


@pytest.mark.parametrize(("line", "reason"), INVALID_LINES, ids=[reason for _, reason in INVALID_LINES])
def test_every_invalid_kind_is_skipped_and_located(logs_dir: Path, line: str, reason: str) -> None:
    path = write_lines(logs_dir / "2026-03-14.jsonl", call(), line, call(input_tokens=7))
    stats = ReadStats()
    records = list(read_file(path, stats))
    assert [r.input_tokens for r in records] == [1000, 7]
    assert stats.invalid_lines == 1
    problem = str(stats.problems[0])
    assert problem.startswith(f"{path}:2: ")
    assert reason in problem
    assert "\n" not in problem


GOOD = json.dumps(call()).encode()
# Line layouts a reader of whole batches could get wrong: each must give what reading line by line gives.
LAYOUTS = {
    "blank line": GOOD + b"\n\n" + GOOD + b"\n",
    "blank last line": GOOD + b"\n" + GOOD + b"\n\n",
    "spaces only": GOOD + b"\n   \n" + GOOD + b"\n",
    "CRLF": GOOD + b"\r\n" + GOOD + b"\r\n",
    "two objects on a line": GOOD + b"\n" + GOOD + b"," + GOOD + b"\n" + GOOD + b"\n",
    "two objects, no comma": GOOD + b"\n" + GOOD + GOOD + b"\n",
    "object over two lines": GOOD + b"\n" + GOOD[:30] + b"\n" + GOOD[30:] + b"\n",
    "two objects, a space between": GOOD + b"\n" + GOOD + b" " + GOOD + b"\n",
    # A line short and a line over: the count of records alone would not tell.
    "two objects on a line, and a blank line": GOOD + b"\n" + GOOD + b"," + GOOD + b"\n\n" + GOOD + b"\n",
    "two objects on a line, and one over two": GOOD + b"," + GOOD + b"\n" + GOOD[:30] + b"\n" + GOOD[30:] + b"\n",
    # Split inside a string, where a comma alone in place of the newline would make a valid record:
    # read as one array, the three lines would give three records.
    "two objects on a line, and one split inside a string":
        GOOD + b"," + GOOD + b"\n" + json.dumps(call(project="orbis")).encode().replace(b"orbis", b"or\nbis") + b"\n",
    "byte order mark": BOM + GOOD + b"\n" + GOOD + b"\n",
    "unfinished last line": GOOD + b"\n" + GOOD[:40],
    "empty file": b"",
}
LAYOUTS.update({f"invalid: {reason}": GOOD + b"\n" + line.encode() + b"\n" + GOOD + b"\n" for line, reason in INVALID_LINES})
# A batch of nothing but one kind of bad line: every check must hold without a good line beside it.
LAYOUTS.update({f"only invalid: {reason}": (line.encode() + b"\n") * 2 for line, reason in INVALID_LINES})


@pytest.mark.parametrize("name", LAYOUTS)
def test_fast_fold_reads_every_layout_as_line_by_line_reading_does(logs_dir: Path, name: str) -> None:
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "2026-03-14.jsonl"
    path.write_bytes(LAYOUTS[name])
    fast = fold_log_file(path, PriceBook([], "UTC"), "UTC")
    days, stats = slow_fold(path, PriceBook([], "UTC"), "UTC")
    same_days(fast.days, days)
    assert [str(problem) for problem in fast.stats.problems] == [str(problem) for problem in stats.problems]
    assert (fast.stats.lines, fast.stats.partial_lines) == (stats.lines, stats.partial_lines)


@pytest.mark.xfail(strict=True, reason="known gap: a batch decodes as one array; checking where each line starts "
                   "and ends would cost about 4 % of the fold (see README, Speed)")
def test_a_record_split_between_two_values_beside_a_line_of_two_records_is_read_as_line_by_line(
        logs_dir: Path) -> None:
    """Only hand-made lines get here: a record broken exactly between two tags, with no comma lost, and
    in the same batch a line holding two records with a comma between them."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "2026-03-14.jsonl"
    split = json.dumps(call(tags=["a", "b"])).encode().replace(b'", "b', b'"\n"b')
    path.write_bytes(GOOD + b", " + GOOD + b"\n" + split + b"\n")
    fast = fold_log_file(path, PriceBook([], "UTC"), "UTC")
    days, stats = slow_fold(path, PriceBook([], "UTC"), "UTC")
    assert fast.stats.invalid_lines == stats.invalid_lines == 3
    same_days(fast.days, days)


def test_partial_last_line_is_waited_for_not_reported(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-14.jsonl", call())
    with path.open("a") as handle:
        handle.write('{"v":1,"ts":"2026-03-14T10:00:00Z","provider":"op')
    stats = ReadStats()
    assert len(list(read_file(path, stats))) == 1
    assert (stats.invalid_lines, stats.partial_lines) == (0, 1)


def test_duplicate_ids_count_once_and_the_last_line_wins(logs_dir: Path) -> None:
    path = write_lines(
        logs_dir / "2026-03-14.jsonl",
        call(id="r1", output_tokens=8),
        call(id="r1", provider="anthropic", model="claude-sonnet-4-5"),  # same id, other provider: distinct
        call(id="r1", output_tokens=412),
        call(),
        call(),  # no id: two separate calls
    )
    stats = ReadStats()
    records = list(read_file(path, stats))
    assert stats.duplicates == 1
    assert len(records) == 4
    openai_r1 = [r for r in records if r.id == "r1" and r.provider == "openai"]
    assert [r.output_tokens for r in openai_r1] == [412]


def test_provider_aliases_are_normalised_on_read(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-14.jsonl", call(provider="Gemini"), call(provider="bedrock"))
    assert [r.provider for r in read_file(path, ReadStats())] == ["gcp.gemini", "aws.bedrock"]


def test_unknown_keys_are_ignored(logs_dir: Path) -> None:
    path = write_lines(logs_dir / "2026-03-14.jsonl", call(extra={"nested": [1, 2]}, v=1))
    assert len(list(read_file(path, ReadStats()))) == 1


def test_gzip_archives_are_read_like_plain_files(logs_dir: Path) -> None:
    plain = write_lines(logs_dir / "2026-03-13.jsonl", call(ts="2026-03-13T10:00:00Z"))
    (logs_dir / "2026-03-13.jsonl.gz").write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    stats = ReadStats()
    assert [r.input_tokens for r in read_file(logs_dir / "2026-03-13.jsonl.gz", stats)] == [1000]


def test_only_day_files_are_listed(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call())
    write_lines(logs_dir / "notes.jsonl", call())
    write_lines(logs_dir / "2026-02-30.jsonl", call())
    (logs_dir / "2026-03-12.jsonl.gz").write_bytes(gzip.compress(b""))
    assert [log.path.name for log in list_log_files(logs_dir)] == ["2026-03-12.jsonl.gz", "2026-03-14.jsonl"]
    assert [log.day for log in files_for_days(list_log_files(logs_dir), dt.date(2026, 3, 16), dt.date(2026, 3, 16))] == [
        dt.date(2026, 3, 14)
    ]


def ledger(logs_dir: Path, tz: str) -> Ledger:
    return Ledger(logs_dir, tz, PriceBook([], tz))


def test_records_bucket_by_ts_in_the_configured_zone_not_by_file(logs_dir: Path) -> None:
    # Written by an app in Berlin: 00:30 local on the 15th is still the 14th in New York.
    write_lines(logs_dir / "2026-03-15.jsonl", call(ts="2026-03-15T00:30:00+01:00", input_tokens=1))
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T23:30:00+01:00", input_tokens=10))
    berlin = ledger(logs_dir, "Europe/Berlin")
    assert berlin.usage(day_of(dt.date(2026, 3, 15))).totals().input_tokens == 1
    assert berlin.usage(day_of(dt.date(2026, 3, 14))).totals().input_tokens == 10
    new_york = ledger(logs_dir, "America/New_York")
    assert new_york.usage(day_of(dt.date(2026, 3, 14))).totals().input_tokens == 11
    assert new_york.usage(day_of(dt.date(2026, 3, 15))).totals().calls == 0
    tokyo = ledger(logs_dir, "Asia/Tokyo")
    assert tokyo.usage(day_of(dt.date(2026, 3, 15))).totals().input_tokens == 11


def test_cross_midnight_in_utc_record_moves_to_the_next_local_day(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T23:59:59Z", input_tokens=5))
    sydney = ledger(logs_dir, "Australia/Sydney")
    assert sydney.usage(day_of(dt.date(2026, 3, 15))).totals().input_tokens == 5
    assert sydney.usage(day_of(dt.date(2026, 3, 14))).totals().calls == 0


def test_day_totals_are_priced_exactly_and_unpriced_models_named(logs_dir: Path) -> None:
    write_lines(
        logs_dir / "2026-03-14.jsonl",
        *[call(id=f"r{i}") for i in range(3)],
        call(provider="ollama", model="llama3.1:8b"),
        call(provider="acme", model="mystery-1"),
        call(cost_usd=0.25),
    )
    usage = ledger(logs_dir, "UTC").usage(day_of(dt.date(2026, 3, 14)))
    total = usage.totals()
    assert total.calls == 6
    assert total.cost == Decimal("0.00045") * 3 + Decimal("0.25")
    assert total.unpriced_calls == 1
    assert usage.unpriced_models() == {"acme/mystery-1": 1}


def test_a_call_far_from_its_files_day_is_a_located_problem_not_a_moving_total(
    logs_dir: Path, tmp_path: Path
) -> None:
    from vaultledger.periods import month_of, quarter_of

    write_lines(logs_dir / "2026-03-10.jsonl", call(ts="2026-03-10T09:00:00Z"))
    stray = write_lines(logs_dir / "2026-01-15.jsonl", call(ts="2026-01-15T09:00:00Z"),
                        call(ts="2026-03-10T12:00:00Z"))
    for cache in (None, tmp_path / "cache-a", tmp_path / "cache-b"):
        quarter_first = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache)
        quarter = quarter_first.usage(quarter_of(dt.date(2026, 3, 1))).totals().calls
        march = quarter_first.usage(month_of(dt.date(2026, 3, 1))).totals().calls
        month_alone = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), cache).usage(month_of(dt.date(2026, 3, 1)))
        assert (quarter, march, month_alone.totals().calls) == (2, 1, 1)
        problems = [str(p) for p in quarter_first.stats.problems]
        assert problems == [f"{stray}:2: ts is on 2026-03-10, more than 2 days from this file's day; "
                            "move it to 2026-03-10.jsonl"]


@pytest.mark.parametrize("content", [b"not gzip at all\n", gzip.compress(b'{"a": 1}\n' * 50, mtime=0)[:-20]],
                         ids=["not-gzip", "cut-short"])
def test_a_broken_gzip_archive_is_a_problem_not_a_crash(logs_dir: Path, content: bytes) -> None:
    from vaultledger.periods import month_of

    write_lines(logs_dir / "2026-03-10.jsonl", call(ts="2026-03-10T09:00:00Z"))
    logs_dir.joinpath("2026-03-04.jsonl.gz").write_bytes(content)
    ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"))
    assert ledger.usage(month_of(dt.date(2026, 3, 1))).totals().calls == 1
    assert any("unreadable from here on" in str(p) for p in ledger.stats.problems)
    stats = ReadStats()
    list(read_file(logs_dir / "2026-03-04.jsonl.gz", stats))
    assert "unreadable" in str(stats.problems[-1])


@pytest.mark.parametrize(("line", "reason"), [
    ('{"ts":"2026-03-14T09:00:00Z","provider":"openai","model":"m","input_tokens":99999999999999999999999,'
     '"output_tokens":1}', "input_tokens"),
    ('{"ts":"2026-03-14T09:00:00Z","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,'
     '"cost_usd":1e400}', "cost_usd"),
    ('{"ts":"0001-01-01T00:00:00+01:00","provider":"openai","model":"m","input_tokens":1,"output_tokens":1}', "ts"),
    ('{"ts":"9999-12-31T23:00:00-05:00","provider":"openai","model":"m","input_tokens":1,"output_tokens":1}', "ts"),
])
def test_absurd_values_are_invalid_lines_not_crashes_later(logs_dir: Path, line: str, reason: str) -> None:
    from vaultledger.periods import day_of

    path = write_lines(logs_dir / "2026-03-14.jsonl", call(), line)
    stats = ReadStats()
    assert len(list(read_file(path, stats))) == 1 and reason in str(stats.problems[0])
    ledger = Ledger(logs_dir, "UTC", PriceBook([], "UTC"), logs_dir.parent / "cache")
    assert ledger.usage(day_of(dt.date(2026, 3, 14))).totals().calls == 1
    assert ledger.stats.invalid_lines == 1


def test_a_byte_order_mark_does_not_spoil_the_first_line(logs_dir: Path) -> None:
    path = logs_dir / "2026-03-14.jsonl"
    logs_dir.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(call()).encode() + b"\n")
    stats = ReadStats()
    assert len(list(read_file(path, stats))) == 1 and stats.invalid_lines == 0
    assert fold_log_file(path, PriceBook([], "UTC"), "UTC").stats.invalid_lines == 0


def test_batches_decode_the_same_after_the_key_values_are_learned() -> None:
    """The learned decoder (group-key fields as Literals, unseen fields as their one value) must
    give exactly what plain decoding gives, as values come and go: new ones, escaped ones, empty
    ones, nulls, a cost of 0; and what it says it knows must hold of every record."""
    decoder, plain = _BatchDecoder(learn_from=1), msgspec.json.Decoder(list[RecordFields])
    rng = random.Random(3)
    pools = {"provider": ["openai", "anthropic", "open\\u0061i"], "model": ["a", "b", "c\\u00e9"],
             "app": ["x", "y", "", None], "project": ["p", None], "use_case": ["u", "v", None], "service_tier": [None]}
    extras = {  # round from which each turns up now and then
        ',"cost_usd":null': 2, ',"cost_usd":0': 12, ',"cost_usd":0.25': 14,
        ',"cache_write_tokens":0': 3, ',"cache_write_tokens":2': 17, ',"reasoning_tokens":1': 21,
        ',"attrs":null': 4, ',"web_search_requests":0': 5, ',"attrs":{"k":1}': 19, ',"web_search_requests":2': 27,
        ',"input_audio_tokens":3': 33,
    }
    learned = 0
    for round_ in range(40):
        if round_ % 8 == 7:  # new values turn up now and then
            pools["model"].append(f"m{round_}")
            pools["service_tier"].append(f"tier{round_}")
        if round_ == 25:
            pools["provider"].append("Anthropic")  # not in its normal form
        lines = []
        for _ in range(50):
            fields = {name: rng.choice(values) for name, values in pools.items()}
            body = ",".join(f'"{name}":"{value}"' for name, value in fields.items() if value is not None)
            tags = ',"tags":["a"]' if round_ >= 30 and rng.random() < 0.2 else ',"tags":[]' * (rng.random() < 0.5)
            extra = "".join(text for text, since in extras.items() if round_ >= since and rng.random() < 0.1)
            lines.append('{"ts":"2026-03-14T09:00:00Z","input_tokens":5,"output_tokens":1,' + body + tags + extra + "}")
        text = ("[" + ",".join(lines) + "]").encode()
        (got, known), want = decoder.decode(text), plain.decode(text)
        assert [msgspec.structs.asdict(record) for record in got] == [msgspec.structs.asdict(record) for record in want]
        learned += type(got[0]) is not RecordFields
        if 1 <= round_ < 7:  # learned, and neither a tier, a tag, a cost, attrs nor an optional count seen yet
            assert known.no_costs and known.normal_providers and known.named_models
            assert known.no_extras and known.no_attrs
        if known.no_costs:
            assert all(record.cost_usd is None for record in want)
        if known.no_extras:
            assert not any(has_parts(record) or record.web_search_requests for record in want)
        if known.no_attrs:
            assert all(record.attrs is None for record in want)
        if known.normal_providers:
            assert all(normalise_provider(record.provider) == record.provider for record in want)
        if known.named_models:
            assert all(record.model.strip() for record in want)
    assert learned >= 25, "most batches should have come from the learned decoder"


def test_a_few_lines_are_decoded_plainly_and_teach_the_decoder_nothing() -> None:
    """The lines a warm run reads on from where a growing file was left are too few to pay for a
    learned decoder; a file's batches are not."""
    decoder = _BatchDecoder()
    line = b'{"ts":"2026-03-14T09:00:00Z","provider":"openai","model":"m","input_tokens":5,"output_tokens":1}'
    for _ in range(3):
        records, _ = decoder.decode(b"[" + b",".join([line] * 100) + b"]")
    assert type(records[0]) is RecordFields
    for _ in range(2):
        records, known = decoder.decode(b"[" + b",".join([line] * 600) + b"]")
    assert type(records[0]) is not RecordFields and known.no_costs


def test_a_cost_of_zero_is_learned_as_a_cost() -> None:
    """A cost_usd of 0 is falsy but set: were it not learned, every batch holding one would fail
    the learned decoder and be decoded twice."""
    decoder = _BatchDecoder(learn_from=1)
    text = b'[{"ts":"2026-03-14T09:00:00Z","provider":"openai","model":"m","input_tokens":5,"output_tokens":1,"cost_usd":0}]'
    for _ in range(3):
        records, known = decoder.decode(text)
    assert type(records[0]) is not RecordFields and not known.no_costs


@pytest.mark.parametrize(("fields", "why"), [
    ({"model": " "}, "blank model"),
    ({"provider": " "}, "blank provider"),
    ({"provider": "OpenAI"}, "provider not in its normal form, normalised rather than refused"),
    ({"cost_usd": -1}, "negative cost"),
    ({"cache_write_tokens": 600, "cache_read_tokens": 500}, "cache reads and writes above input"),
    ({"reasoning_tokens": 9}, "reasoning above output"),
    ({"input_audio_tokens": 2000}, "a part above its whole"),
])
def test_what_the_learned_decoder_vouches_for_is_still_checked_when_it_stops_holding(
    fields: dict, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches decoded by a learned decoder skip the checks its types make needless; a batch it
    cannot decode must get every one of them again."""
    from vaultledger.record.batch import parse_batch

    decoder = _BatchDecoder(learn_from=1)
    good = {"ts": "2026-03-14T09:00:00Z", "provider": "openai", "model": "m", "input_tokens": 1000, "output_tokens": 5}
    lines = (json.dumps(good) + "\n").encode() * 3
    for _ in range(2):
        records, known = decoder.decode(b"[" + lines[:-1].replace(b"\n", b",") + b"]")
    assert known.no_costs and known.normal_providers and known.named_models
    monkeypatch.setattr("vaultledger.record.batch._batch_decoder", decoder)
    odd = json.dumps({**good, **fields}).encode()
    batch = parse_batch(b"[" + odd + b"," + odd + b"]")
    if fields == {"provider": "OpenAI"}:
        assert batch is not None and {record.provider for record in batch.records} == {"openai"}, why
    else:
        assert batch is None, why
