"""A fold cache entry pinned byte for byte in meaning: a change in what a fold holds or means
that does not bump CACHE_FORMAT would let old entries serve old numbers, so it fails here."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from vaultledger.ledger.cache import CACHE_FORMAT, decode_fold, encode_fold
from vaultledger.ledger.fold import continue_fold, fold_log_file
from vaultledger.pricing import PriceBook, parse_price_overrides

GOLDEN = Path(__file__).parent / "golden" / "cache"
OVERRIDES = parse_price_overrides([
    {"provider": "openai", "model": "gpt-4o*", "input": 2.5, "output": 10, "cache_read": 1.25},
    {"provider": "anthropic", "model": "claude-*", "input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
    {"provider": "anthropic", "model": "claude-*", "valid_from": "2026-03-13", "input": 2.7, "output": 13.5},
], "golden")
CALLS = [
    {"ts": "2026-03-12T09:00:00+01:00", "provider": "openai", "model": "gpt-4o", "input_tokens": 1200,
     "cache_read_tokens": 200, "output_tokens": 300, "app": "poet", "use_case": "poem", "unit_id": "p1", "id": "r1"},
    {"ts": "2026-03-12T23:30:00Z", "provider": "anthropic", "model": "claude-sonnet-4-5", "input_tokens": 5000,
     "cache_write_tokens": 1000, "cache_write_1h_tokens": 400, "output_tokens": 50, "tags": ["nightly"],
     "web_search_requests": 2, "id": "r2"},
    {"ts": "2026-03-12T10:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 1,
     "cost_usd": 0.5, "service_tier": "batch", "project": "orbis"},
    {"ts": "2026-03-12T11:00:00Z", "provider": "mistral", "model": "mystery", "input_tokens": 10, "output_tokens": 1,
     "input_audio_tokens": 4, "output_image_tokens": 1},
    {"ts": "2026-03-12T12:00:00Z", "provider": "ollama", "model": "llama3", "input_tokens": 99, "output_tokens": 9},
]
CAREFUL = [*CALLS, {**CALLS[0], "output_tokens": 301}, {**CALLS[1], "void": True},
           {**CALLS[2], "ts": "2026-03-20T10:00:00Z"}]


def canonical(entry: bytes) -> object:
    """The entry's content with set-ordered parts (ids, unit ids) sorted, so it is stable across runs."""
    plain = msgspec.msgpack.decode(entry)
    plain["problems"] = [[Path(path).name, line, reason] for path, line, reason in plain["problems"]]
    if plain["ids"] is not None:  # None: a packed entry, which keeps no ids
        plain["ids"] = sorted(msgspec.msgpack.decode(plain["ids"])) if plain["ids"] else []
    plain["digests"] = sorted(plain["digests"][at:at + 8].hex() for at in range(0, len(plain["digests"]), 8))
    for day in plain["days"]:
        units: dict[str, set[str]] = {}
        for blob in day[2]:  # the blobs' union: how many blobs hold them is no part of the meaning
            for use_case, ids in msgspec.msgpack.decode(blob).items():
                units.setdefault(use_case, set()).update(ids)
        day[2] = {use_case: sorted(ids) for use_case, ids in sorted(units.items())}
        day[1] = sorted(day[1], key=json.dumps)
    return json.loads(json.dumps(plain, default=str))


def folds(tmp_path: Path) -> dict[str, object]:
    out = {}
    for name, calls in (("fast", CALLS), ("careful", CAREFUL)):
        path = tmp_path / "2026-03-12.jsonl"
        path.write_text("".join(json.dumps(call) + "\n" for call in calls) + "not json\n")
        fold = fold_log_file(path, PriceBook(OVERRIDES, "Europe/Berlin"), "Europe/Berlin")
        out[name] = canonical(encode_fold(Path("2026-03-12.jsonl"), (1, 2, 3, 4), fold))
        if name == "fast":
            out["packed"] = canonical(encode_fold(Path("2026-03-12.jsonl"), (1, 2, 3, 4), fold, keep_ids=False))
    return out


def test_a_fold_entry_means_what_it_meant_when_the_cache_format_was_set(tmp_path: Path) -> None:
    golden = GOLDEN / f"fold-format-{CACHE_FORMAT}.json"
    made = folds(tmp_path)
    if os.environ.get("VAULTLEDGER_WRITE_GOLDEN"):
        golden.write_text(json.dumps(made, indent=1, sort_keys=True) + "\n")
    assert golden.exists(), (f"no golden entry for CACHE_FORMAT {CACHE_FORMAT}: after bumping it, write one with "
                             "VAULTLEDGER_WRITE_GOLDEN=1 and review it")
    assert made == json.loads(golden.read_text()), (
        "a fold entry changed without a CACHE_FORMAT bump: bump it in ledger/cache.py, then write a new golden "
        "with VAULTLEDGER_WRITE_GOLDEN=1")


def test_id_digests_are_the_same_in_another_process() -> None:
    """Digests stored by one process are compared by another (workers under spawn, a later run)."""
    import subprocess
    import sys

    from vaultledger.ledger.ids import id_digests

    ids = ["msg_01", "chatcmpl-Ab9", "résumé-中", ""]
    probe = "import sys; from vaultledger.ledger.ids import id_digests; sys.stdout.write(id_digests(sys.argv[1:]).hex())"
    other = subprocess.run([sys.executable, "-c", probe, *ids], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=60)
    assert other.stdout == id_digests(ids).hex()
    assert len(id_digests(ids)) == 8 * len(ids)


def test_equal_digests_are_confirmed_on_the_ids_themselves(tmp_path: Path) -> None:
    """A digest collision must cost a comparison, never a call: two cached folds whose digests meet
    but whose ids differ do not share an id."""
    from vaultledger.ledger.cache import FileFold
    from vaultledger.ledger.ids import id_digests
    from vaultledger.ledger.duplicates import Seen
    from vaultledger.ledger.files import LogFile, ReadStats

    def cached(name: str, ids: set[str], digests: bytes) -> Seen:
        fold = FileFold({}, ReadStats(), ids)
        fold = FileFold(fold.days, fold.stats, None, None, fold.ids, digests)  # as decoded from the cache: no id_set
        return Seen(LogFile(__import__("datetime").date(2026, 3, 12), tmp_path / name, name, str(tmp_path / name)), fold,
                    None, not_read_again)

    def not_read_again(path: Path) -> set[str]:
        raise AssertionError(f"{path.name}'s fold keeps its ids: its file is not read again")

    colliding = id_digests(["a"])
    counters: Counter[str] = Counter()
    first, second = cached("2026-03-12.jsonl", {"a"}, colliding), cached("2026-03-13.jsonl", {"b"}, colliding)
    assert not first.shares_an_id_with(second, counters)
    third = cached("2026-03-14.jsonl", {"a"}, colliding)
    assert first.shares_an_id_with(third, counters)
    unrelated = cached("2026-03-14.jsonl", {"a"}, id_digests(["zzz"]))
    assert not first.shares_an_id_with(unrelated, counters), "different digests rule a pair out without reading ids"
    assert counters["pairs_compared"] == 3


@pytest.mark.parametrize("once", [False, True])
def test_a_continued_fold_carries_the_digests_a_whole_fold_would(tmp_path: Path, once: bool) -> None:
    """A grown file's fold keeps its ids' digests and adds the new ids' only; the set must be the
    whole fold's, or neighbours would be compared on the wrong ids. Continued once (a command), its
    old ids stay encoded, the new ones added to them as they are; the entry means what a whole
    fold's means."""
    path, book = tmp_path / "2026-03-12.jsonl", PriceBook([], "UTC")
    lines = [json.dumps({**CALLS[0], "id": f"call-{number}"}) + "\n" for number in range(50)]
    path.write_text("".join(lines[:30]))
    cached = decode_fold(encode_fold(path, (1, 2, 3, 4), fold_log_file(path, book, "UTC")))
    path.write_text("".join(lines))
    continued = continue_fold(path, cached, book, "UTC", once)
    assert continued is not None
    assert (continued.id_set is None) is once, "continued once, the old ids are not decoded"
    whole = fold_log_file(path, book, "UTC")
    assert continued.digest_set() == whole.digest_set() and len(continued.digest_set() or ()) == 50
    assert decode_fold(encode_fold(path, (1, 2, 3, 5), continued)).id_strings() == whole.id_strings()
    assert canonical(encode_fold(path, (1, 2, 3, 4), continued)) == canonical(encode_fold(path, (1, 2, 3, 4), whole))


@pytest.mark.parametrize("count", [3, 20, 70_000])  # each msgpack array header: fix, 16-bit, 32-bit
def test_ids_added_to_encoded_ones_decode_as_all_of_them(count: int) -> None:
    from vaultledger.ledger.cache import FileFold
    from vaultledger.ledger.ids import extended_ids
    from vaultledger.ledger.files import ReadStats

    old = {f"old-{number}" for number in range(count)}
    encoded = FileFold({}, ReadStats(), old).ids
    assert decode_fold_ids(extended_ids(encoded, ["new-1", "new-2"])) == old | {"new-1", "new-2"}
    assert decode_fold_ids(extended_ids(b"", ["new-1"])) == {"new-1"}
    assert decode_fold_ids(extended_ids(encoded, [f"new-{n}" for n in range(65_530)])) == \
        old | {f"new-{n}" for n in range(65_530)}


def decode_fold_ids(encoded: bytes) -> set[str]:
    return set(msgspec.msgpack.decode(encoded))


def test_a_new_line_continued_once_is_told_apart_from_an_old_one_by_its_id_not_its_digest(tmp_path: Path) -> None:
    """An id the fold holds, logged again: the careful fold decides (None). An id whose digest the
    fold holds but which is another: confirmed on the ids, then continued, the ids decoded."""
    from vaultledger.ledger.cache import FileFold
    from vaultledger.ledger.ids import id_digests

    path, book = tmp_path / "2026-03-12.jsonl", PriceBook([], "UTC")
    path.write_text(json.dumps({**CALLS[0], "id": "a"}) + "\n")
    made = fold_log_file(path, book, "UTC")

    def cached(digests: bytes) -> FileFold:
        return FileFold(made.days, made.stats, None, made.resume, made.ids, digests)  # as from the cache

    with path.open("a") as handle:
        handle.write(json.dumps({**CALLS[0], "id": "b"}) + "\n")
    continued = continue_fold(path, cached(id_digests(["b"])), book, "UTC", once=True)  # b's digest, a's id
    assert continued is not None and continued.id_strings() == {"a", "b"}
    assert continue_fold(path, cached(id_digests(["a"])), book, "UTC", once=True) is not None
    with path.open("a") as handle:
        handle.write(json.dumps({**CALLS[0], "id": "a", "output_tokens": 7}) + "\n")
    assert continue_fold(path, cached(id_digests(["a"])), book, "UTC", once=True) is None
