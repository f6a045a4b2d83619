"""Per-log-file fold results kept on disk, so a warm run re-reads only the files that changed.

An entry is valid only for the exact file it was made from (size, mtime, ctime, inode) and for the
exact pricing and time zone it was made with (the folder's fingerprint); anything else is a miss.
Deleting the cache never changes a result, it only costs the time to fold again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from vaultledger import __version__
from vaultledger.aggregate import GroupKey, Sums, Usage
from vaultledger.notes.write import atomic_write_bytes
from vaultledger.pricing import GENAI_PRICES_VERSION, PriceOverride
from vaultledger.reader import LineProblem, ReadStats

CACHE_FORMAT = 1
SUMS_FIELDS = Sums.__slots__

Signature = tuple[int, int, int, int]


@dataclass
class FileFold:
    """What one log file contributes: usage per local day, and what reading it saw."""

    days: dict[dt.date, Usage]
    stats: ReadStats


def file_signature(path: Path) -> Signature | None:
    """Changes whenever the file is appended to, rewritten, replaced or touched."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def fingerprint(tz: str, overrides: Sequence[PriceOverride]) -> str:
    """Everything besides the file itself that decides a fold's numbers."""
    material = repr((CACHE_FORMAT, __version__, GENAI_PRICES_VERSION, tz, sorted(map(repr, overrides))))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


class FoldCache:
    """Fold results under `cache_dir/folds/<fingerprint>/<log file name>.msgpack`."""

    def __init__(self, cache_dir: Path, print_: str) -> None:
        self.folder = cache_dir / "folds" / print_

    def load(self, path: Path, signature: Signature | None) -> FileFold | None:
        if signature is None:
            return None
        try:
            raw = msgspec.msgpack.decode((self.folder / f"{path.name}.msgpack").read_bytes())
            if tuple(raw["signature"]) != signature or raw["path"] != str(path):
                return None
            return _fold_from_plain(raw)
        except (OSError, ValueError, KeyError, TypeError, msgspec.DecodeError, ArithmeticError):
            return None  # a missing, old or damaged entry is just a miss

    def store(self, path: Path, signature: Signature | None, fold: FileFold) -> None:
        if signature is None:
            return
        plain = {"path": str(path), "signature": list(signature), **_fold_to_plain(fold)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"{path.name}.msgpack", msgspec.msgpack.encode(plain))
        except OSError:
            pass  # a read-only or full cache folder only makes the next run slower


def _fold_to_plain(fold: FileFold) -> dict[str, Any]:
    days = []
    for day, usage in sorted(fold.days.items()):
        groups = [[list(key), _sums_to_plain(sums)] for key, sums in usage.groups.items()]
        units = {use_case: sorted(ids) for use_case, ids in usage.units.items()}
        days.append([day.isoformat(), groups, units])
    stats = fold.stats
    problems = [[str(p.path), p.line, p.reason] for p in stats.problems]
    counts = [stats.lines, stats.invalid_lines, stats.duplicates, stats.partial_lines]
    return {"days": days, "stats": counts, "problems": problems}


def _fold_from_plain(raw: dict[str, Any]) -> FileFold:
    days = {}
    for iso_day, groups, units in raw["days"]:
        usage = Usage()
        for key, sums in groups:
            key[-1] = tuple(key[-1])
            usage.groups[GroupKey._make(key)] = _sums_from_plain(sums)
        usage.units = {use_case: set(ids) for use_case, ids in units.items()}
        days[dt.date.fromisoformat(iso_day)] = usage
    lines, invalid, duplicates, partial = raw["stats"]
    problems = [LineProblem(Path(path), line, reason) for path, line, reason in raw["problems"]]
    stats = ReadStats(lines, invalid, duplicates, partial, problems)
    return FileFold(days, stats)


def _sums_to_plain(sums: Sums) -> list[Any]:
    return [str(getattr(sums, name)) if name == "cost" else getattr(sums, name) for name in SUMS_FIELDS]


def _sums_from_plain(values: list[Any]) -> Sums:
    sums = Sums()
    for name, value in zip(SUMS_FIELDS, values):
        setattr(sums, name, Decimal(value) if name == "cost" else value)
    return sums
