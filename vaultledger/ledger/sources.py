"""Where a file's fold comes from: watch mode's live folds, the cache, or a read now (in worker
processes when there is enough to read)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import msgspec

from vaultledger.ledger.cache import FileFold, FoldCache, Signature, decode_fold, file_signature
from vaultledger.ledger.entries import PACK_MIN_FILES, near_the_newest
from vaultledger.ledger.files import LogFile
from vaultledger.ledger.fold import continue_fold, fold_log_file
from vaultledger.ledger.usage import GroupKey
from vaultledger.pricing import PriceBook
from vaultledger.progress import no_progress

Verdicts = list[tuple[Path, bool]]  # (a neighbouring file, whether it shares an id with this one)
# A fold continued by fewer bytes than this since its entry was kept is not kept again, unless the run
# learned which neighbours it shares no id with: the next run goes on from the kept one. Rewriting
# the entry of a day being logged to (its ids grow all day) cost more than reading a few lines again.
KEEP_AFTER_BYTES = 64 << 10


class FoldSource(msgspec.Struct, eq=False):
    book: PriceBook
    tz: str
    cache: Callable[[], FoldCache | None]
    parallel: bool = True
    start_method: str | None = None  # of worker processes; None: see parallel.default_start_method
    progress: Callable[[int], AbstractContextManager[Callable[[int], None]]] = no_progress
    counters: Counter[str] = msgspec.field(default_factory=Counter)  # what reading cost: files folded, pools started
    folds: Callable[[Path], FileFold] | None = None  # instead of the cache and workers (watch mode)
    grown: set[Path] = msgspec.field(default_factory=set)  # files read on from their kept folds: being logged to
    # Of those, the folds to keep once compared with their neighbours: (signature, fold, where the kept
    # fold stopped, the neighbours it was clear of).
    continued: dict[Path, tuple[Signature | None, FileFold, int, dict[str, Signature]]] = msgspec.field(
        default_factory=dict)
    _keys: dict[GroupKey, GroupKey] = msgspec.field(default_factory=dict)

    def known_folds(self, logs: Sequence[LogFile], signatures: dict[Path, Signature | None]) -> dict[Path, FileFold]:
        """The folds that need no whole read: watch mode's live folds; else the cache's, and the
        cache's folds of files that only grew since, continued with their new lines (and kept)."""
        if self.folds is not None:
            return {log.path: self.folds(log.path) for log in logs}
        cache = self.cache()
        if cache is None:
            return {}
        if cache.holds_nothing():
            self.counters["files_missed"] += len(logs)
            return {}
        found = {}
        for log in logs:
            if log.beside_archive:
                self.counters["files_missed"] += 1
                continue
            fold, exact = cache.load_or_grown(log.path, signatures[log.path])
            self.counters["files_loaded" if exact else "files_missed"] += 1
            if fold is not None and not exact:
                kept = (fold.resume.offset if fold.resume else 0, dict(fold.clear_of))
                fold = continue_fold(log.path, fold, self.book, self.tz, once=True)
                if fold is None:
                    continue
                self.counters["files_continued"] += 1
                self.grown.add(log.path)
                self.continued[log.path] = (signatures[log.path], fold, *kept)
            if fold is not None:
                found[log.path] = fold
        return found

    def keep_continued(self, cache: FoldCache) -> None:
        """Keep the folds continued on this run that read far enough on, or learned of a neighbour
        they share no id with (see KEEP_AFTER_BYTES)."""
        for path, (signature, fold, kept_at, kept_clear) in self.continued.items():
            read_on = (fold.resume.offset if fold.resume else kept_at) - kept_at
            if read_on >= KEEP_AFTER_BYTES or not fold.clear_of.items() <= kept_clear.items():
                self.counters["continued_kept"] += 1
                cache.store(path, signature, fold)
        self.continued.clear()

    def fold(self, log: LogFile) -> FileFold:
        """One file's fold from the live source, the cache, or read now."""
        if self.folds is not None:
            return self.folds(log.path)
        cache = self.cache()
        fold = cache.load(log.path, file_signature(log.location)) if cache and not log.beside_archive else None
        return fold or fold_log_file(log.path, self.book, self.tz)

    def _share_keys(self, fold: FileFold) -> FileFold:
        """Keys arrive from worker processes as fresh objects; one shared copy per distinct key
        keeps a big year's memory flat."""
        for usage in fold.days.values():
            usage.groups = {self._keys.setdefault(key, key): sums for key, sums in usage.groups.items()}
        return fold

    def fold_all(
        self, logs: Sequence[LogFile], signatures: dict[Path, Signature | None]
    ) -> Iterator[tuple[FileFold, bytes | None, Verdicts, bool]]:
        """Folds in file order, in worker processes when there is enough to read; those arrive
        encoded as cache entries too, and all but the newest days' are to be kept packed by month."""
        from vaultledger.ledger import parallel  # the worker pool's module: a warm run never loads it

        paths = [log.path for log in logs]
        sizes = [_size(path, signatures.get(path)) for path in paths]
        method = self.start_method or parallel.default_start_method()
        with self.progress(sum(sizes)) as advance:
            if not (self.parallel and parallel.worth_parallel(len(paths), sum(sizes))):
                # A bulk read packs as the workers' does; a few files keep entries of their own (adding
                # them to a pack would rewrite it).
                apart = near_the_newest(paths) if len(paths) >= PACK_MIN_FILES else [True] * len(paths)
                for path, size, alone in zip(paths, sizes, apart):
                    self.counters["files_folded"] += 1
                    yield fold_log_file(path, self.book, self.tz), None, [], not alone
                    advance(size)
                return
            self.counters["pools_started"] += 1
            apart = near_the_newest(paths)
            folded = parallel.fold_in_workers(paths, signatures, self.book, self.tz, method,
                                              apart if self.cache() is not None else [False] * len(paths))
            last = len(paths) - 1
            for number, ((encoded, ids, verdicts), size, alone) in enumerate(zip(folded, sizes, apart)):
                self.counters["files_folded"] += 1
                fold = self._share_keys(decode_fold(encoded))
                if ids is not None:  # for this run's comparisons with neighbours; its entry keeps none
                    fold.encoded_ids, fold.ids_kept = ids, True
                if number == last:  # the newest file, the one most likely to be logged to next
                    for day, usage in fold.days.items():
                        models = {(key.provider, key.model, key.service_tier) for key in usage.groups}
                        self.book.keep_day_prices(models, day)
                yield fold, encoded, [(paths[other], shared) for other, shared in verdicts], not alone
                advance(size)


def _size(path: Path, signature: Signature | None) -> int:
    """The file's size as its signature was taken for this read (a stat less per file), else now."""
    if signature is not None:
        return signature[0]
    try:
        return path.stat().st_size
    except OSError:
        return 0
