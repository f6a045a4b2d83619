"""Whether pairs of neighbouring log files share a record id, kept in the fold cache by month, so a
warm run compares only the pairs a new or changed file is in."""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

from collections.abc import Iterable, Set
from pathlib import Path

import msgspec

from vaultledger._fs import atomic_write_bytes

Signature = tuple[int, int, int, int]  # a log file's size, mtime, ctime and inode (cache.file_signature)


class _CachedVerdict(msgspec.Struct, array_like=True, frozen=True, order=True, gc=False):
    """Whether two neighbouring log files share a record id, valid while both are unchanged."""

    first: str
    first_signature: Signature
    second: str
    second_signature: Signature
    shared: bool


_decode_verdicts = msgspec.msgpack.Decoder(list[_CachedVerdict]).decode
_encode_verdicts = msgspec.msgpack.Encoder().encode


class VerdictCache:
    """Verdicts under `folder/verdicts-YYYY-MM.msgpack`, a pair in the month of its earlier file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, signatures: dict[Path, Signature | None]) -> dict[frozenset[Path], bool]:
        """Whether pairs of these files share a record id, as found when both were as they are now."""
        known = _known_signatures(signatures)
        by_name = {str(path): path for path in known}
        found: dict[frozenset[Path], bool] = {}
        for month in _months_of(known):
            for entry in self._load(month):
                first, second = by_name.get(entry.first), by_name.get(entry.second)
                if (first is not None and second is not None and known[first] == entry.first_signature
                        and known[second] == entry.second_signature):
                    found[frozenset((first, second))] = entry.shared
        return found

    def store(self, signatures: dict[Path, Signature | None], verdicts: dict[frozenset[Path], bool],
              changing: Set[Path] = frozenset()) -> None:
        """Keep the verdicts on pairs of these files (as they are now); those on other files stay.

        A pair is kept in the file of its earlier file's month, so a run that changed this month's
        files rewrites this month's verdicts only. Pairs with a file in `changing` (being logged to:
        grown on this run, or of the folder's newest day) are not kept: it will have changed again by
        the next run, and comparing it again then costs less than rewriting the month's verdicts."""
        mine = {str(path) for path in signatures}
        known = _known_signatures(signatures)
        fresh: dict[str, set[_CachedVerdict]] = {}
        for pair, shared in verdicts.items():
            if pair <= known.keys() and pair.isdisjoint(changing):
                first, second = sorted(pair)
                fresh.setdefault(first.name[:7], set()).add(
                    _CachedVerdict(str(first), known[first], str(second), known[second], shared))
        for month in _months_of(signatures):
            kept = set(self._load(month))
            entries = {entry for entry in kept if entry.first not in mine or entry.second not in mine}
            entries |= fresh.get(month, set())
            if entries == kept:
                continue
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(self.folder / f"verdicts-{month}.msgpack", _encode_verdicts(sorted(entries)),
                                   durable=False)
            except OSError:
                pass

    def _load(self, month: str) -> list[_CachedVerdict]:
        try:
            return _decode_verdicts((self.folder / f"verdicts-{month}.msgpack").read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return []


def _months_of(paths: Iterable[Path]) -> list[str]:
    """`YYYY-MM` of log files (their names start with their day), each once, in order."""
    return sorted({path.name[:7] for path in paths})


def _known_signatures(signatures: dict[Path, Signature | None]) -> dict[Path, Signature]:
    return {path: signature for path, signature in signatures.items() if signature is not None}
