"""Which neighbouring log files hold the same record id, and so must be folded together (SPEC §2)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from vaultledger.ledger.cache import FileFold, Signature
from vaultledger.ledger.files import NEIGHBOUR_DAYS, LogFile, counted_records
from vaultledger.ledger.ids import digests_of


class DuplicateScan:
    """Finds neighbouring files that hold the same record id, fed files in day order.

    Each file is checked against the files of the NEIGHBOUR_DAYS days before it: pairs already in
    `verdicts` (compared by a worker process, or by an earlier run while both files were as they
    are) are taken as found; the others compare their id sets, one set operation per pair in C,
    and join `verdicts`; a fold that holds none of a neighbour's ids learns so (FileFold.clear_of),
    and a fold continued since needs only its new ids compared. Memory holds only those days. A
    file whose every possible neighbour has been seen lets go of its fold, unless it lies near the
    edge of what has been read, where a later read may still bring one. A fold kept without its ids (an old day's) that
    must be compared reads its file again for them (`counted_ids`, in `zone`).
    """

    def __init__(
        self, pending: Sequence[LogFile], kept: dict[Path, tuple[LogFile, FileFold]],
        verdicts: dict[frozenset[Path], bool], counters: Counter[str], zone: dt.tzinfo,
        signatures: Mapping[Path, Signature | None],
    ) -> None:
        self.fresh = {log.path for log in pending}
        self.signatures = signatures  # each file's as it was read
        self.counters = counters
        self.zone = zone
        self.kept = kept
        self.verdicts = verdicts
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        first, last = min(log.day for log in pending), max(log.day for log in pending)
        self.inner_first, self.inner_last = first + margin, last - margin
        self.links: dict[Path, set[Path]] = {}
        self._window: deque[Seen] = deque()

    def add(self, log: LogFile, fold: FileFold) -> None:
        while self._window and self._window[0].log.day < log.day - dt.timedelta(days=NEIGHBOUR_DAYS):
            self._leave(self._window.popleft().log)
        mine = Seen(log, fold, self.signatures.get(log.path), self.ids_read_again)
        for other in self._window:
            if log.path not in self.fresh and other.log.path not in self.fresh:
                continue
            pair = frozenset((log.path, other.log.path))
            shared = self.verdicts.get(pair)
            if shared is None:
                shared = self.verdicts[pair] = mine.shares_an_id_with(other, self.counters)
            if shared:
                self.links.setdefault(log.path, set()).add(other.log.path)
                self.links.setdefault(other.log.path, set()).add(log.path)
            else:
                mine.clear_of(other)
                other.clear_of(mine)
        self._window.append(mine)

    def ids_read_again(self, path: Path) -> set[str]:
        self.counters["files_read_for_ids"] += 1
        return counted_ids(path, self.zone)

    def _leave(self, log: LogFile) -> None:
        if self.inner_first <= log.day <= self.inner_last:
            self.kept.pop(log.path, None)  # every neighbour it can have has been seen

    def finish(self) -> None:
        while self._window:
            self._leave(self._window.popleft().log)


class Seen:
    """A file in the scan's window; its digests and ids are decoded only if a pair needs them."""

    __slots__ = ("log", "fold", "signature", "_ids", "_digests", "_digested", "_read_ids")

    def __init__(self, log: LogFile, fold: FileFold, signature: Signature | None,
                 read_ids: Callable[[Path], set[str]]) -> None:
        self.log, self.fold, self.signature, self._read_ids = log, fold, signature, read_ids
        self._ids: set[str] | None = None
        self._digests: set[int] | None = None
        self._digested = False

    def shares_an_id_with(self, other: Seen, counters: Counter[str]) -> bool:
        for near, far in ((self, other), (other, self)):
            if far.signature is not None and near.fold.clear_of.get(far.log.name) == far.signature:
                return False  # found before, and neither has changed since
        for near, far in ((self, other), (other, self)):
            gained = near.fold.gained_ids
            if gained is not None and far.signature is not None \
                    and near.fold.clear_before.get(far.log.name) == far.signature:
                counters["pairs_compared"] += 1
                counters["pairs_compared_by_new_ids"] += 1
                return near.gained_meet(far)
        counters["pairs_compared"] += 1
        if self.fold.id_set is None or other.fold.id_set is None:
            # A fold from the cache or a worker: its digests rule out most pairs without decoding an id.
            # Only the new file's become a set (it meets every neighbour); the neighbour's are scanned.
            mine, theirs = self.digests(), other.fold.digest_array()
            if mine is not None and theirs is not None and mine.isdisjoint(theirs):
                return False
        return not self.ids().isdisjoint(other.ids())

    def gained_meet(self, other: Seen) -> bool:
        """Whether an id the fold gained since it was found clear of `other` is among `other`'s."""
        gained = self.fold.gained_ids or []
        theirs = other.fold.digest_array()
        if not gained or (theirs is not None and set(digests_of(gained)).isdisjoint(theirs)):
            return False
        return not other.ids().isdisjoint(gained)

    def clear_of(self, other: Seen) -> None:
        """Note on the fold that it shares no id with `other` as it is now."""
        if other.signature is not None:
            self.fold.clear_of[other.log.name] = other.signature

    def ids(self) -> set[str]:
        if self._ids is None:
            self._ids = self.fold.id_strings() if self.fold.has_ids else self._read_ids(self.log.path)
        return self._ids

    def digests(self) -> set[int] | None:
        if not self._digested:
            self._digests, self._digested = self.fold.digest_set(), True
        return self._digests


def counted_ids(path: Path, zone: dt.tzinfo) -> set[str]:
    """The ids a fold of the file holds (every id of its lines that count, as `counted_records`
    gathers them), read again for a fold that was kept without them."""
    ids: set[str] = set()
    for _ in counted_records([path], zone, {}, ids):
        pass
    return ids


def connected_groups(links: dict[Path, set[Path]], joined: dict[Path, frozenset[Path]]) -> list[frozenset[Path]]:
    """Connected groups of linked files, each grown by any group its members were joined in before."""
    groups: list[frozenset[Path]] = []
    seen: set[Path] = set()
    for start in links:
        if start in seen:
            continue
        group: set[Path] = set()
        stack = [start]
        while stack:
            path = stack.pop()
            if path in group:
                continue
            group.add(path)
            stack.extend(links.get(path, ()))
            stack.extend(joined.get(path, ()))
        seen |= group
        groups.append(frozenset(group))
    return groups
