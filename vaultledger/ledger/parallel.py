"""Folding many log files in worker processes: the start method, the gc guard, runs of days, the
comparison of neighbours' ids inside each worker, and the worker that folds the first run while the
price data loads."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path

from vaultledger.ledger.cache import Signature, decode_fold, encode_fold
from vaultledger.ledger.files import NEIGHBOUR_DAYS, file_day
from vaultledger.ledger.fold import fold_log_file, fold_unpriced, price_unpriced
from vaultledger.pricing import PriceBook, PriceOverride, bundled_prices_loaded, load_bundled_prices

# Folding in worker processes pays off once there is this much to read.
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 16 << 20
# Files go to workers in runs of consecutive days: enough runs that the workers share the work
# evenly, few enough that most neighbours meet in one worker, which compares their ids there (a
# pair split between workers is compared by the parent, on ids it decodes), and small enough that
# a run's folds, sent back as one message, keep the parent's memory flat. Halving 16 runs a worker
# to 8 made a cold year 3-6 % faster with the same peak; 4 cost the parent 7 MB more at 5M calls.
RUNS_PER_WORKER = 8


_worker_book: tuple[PriceBook, str] | None = None


def _start_worker(overrides: Sequence[PriceOverride], tz: str) -> None:
    global _worker_book
    _worker_book = (PriceBook(overrides, tz), tz)
    # Everything inherited from a forked parent is left out of collections: walking it would copy
    # every page it sits on into this process, which cost a tenth of a year's fold. Collections run
    # (a short-lived parent forks with them off), so a worker's memory stays what its files need.
    gc.freeze()
    gc.enable()


# The ids of the files this worker folded last, of the days a file's neighbours can have: files
# usually arrive in day order, so most neighbours meet here and are compared at once, sparing the
# parent the decoding of their ids. By day, not by count: with several machines' files a day, the
# last four files (as it was) held a day and a half, and the parent read 800 files of a year again.
_worker_recent: list[tuple[dt.date, int, set[str]]] = []

Verdicts = list[tuple[Path, bool]]  # (a neighbouring file, whether it shares an id with this one)
# The same from a worker, which names the file by its task number: a Path unpickled in the
# parent costs more to hash than the comparison itself.
_WorkerVerdicts = list[tuple[int, bool]]
# Number, file, signature, whether its entry keeps its ids, whether its ids come beside an entry that does not.
_Task = tuple[int, Path, Signature | None, bool, bool]
# A file's fold encoded as a cache entry, its ids encoded where the entry does not keep them and the
# parent may need them, and the verdicts on its neighbours.
Folded = tuple[bytes, bytes | None, _WorkerVerdicts]


def _fold_in_worker(task: _Task) -> Folded:
    """A file's fold, encoded, and how its ids compare with the neighbours this worker folded last.

    Pairs split between workers are compared by the parent on the ids themselves (sent beside an
    entry that does not keep them), never on hash() values, which agree between processes only
    under fork.
    """
    assert _worker_book is not None
    number, path, signature, keep_ids, ids_beside = task
    fold = fold_log_file(path, *_worker_book)
    verdicts = _compare_with_recent(number, path, fold.id_set or set())
    return encode_fold(path, signature, fold, keep_ids), fold.ids if ids_beside else None, verdicts


def _fold_run_in_worker(tasks: list[_Task]) -> list[Folded]:
    return [_fold_in_worker(task) for task in tasks]


# A fold made before the price data was loaded, encoded, its ids where wanted, its verdicts, and the
# bound on its calls that pricing it needs (None: folded with prices already).
_Unpriced = tuple[bytes, bytes | None, _WorkerVerdicts, int | None]


def _fold_unpriced_run_in_worker(tasks: list[_Task]) -> list[_Unpriced]:
    """The first run's folds, by the worker forked while the parent loads the price data: folding
    needs no price until its groups are priced, which the parent does once the data is loaded. A file
    only a fold with prices will do for (costs of its own, possible outliers, the careful fold) has
    this worker load the price data after all and fold it, and the rest of its run, as any worker:
    the parent, busy with the other workers' results, would fold them one core short."""
    assert _worker_book is not None
    unpriced: list[_Unpriced] = []
    for task in tasks:
        number, path, signature, keep_ids, ids_beside = task
        folded = None if bundled_prices_loaded() else fold_unpriced(path, *_worker_book)
        if folded is None:
            unpriced.append((*_fold_in_worker(task), None))
            continue
        fold, largest = folded
        verdicts = _compare_with_recent(number, path, fold.id_set or set())
        unpriced.append((encode_fold(path, signature, fold, keep_ids), fold.ids if ids_beside else None, verdicts,
                         largest))
    return unpriced


def _priced(task: _Task, unpriced: _Unpriced, book: PriceBook, tz: str) -> Folded:
    """What `_fold_in_worker` sends for the task, from the early worker's fold: priced here if it was
    made without prices, or folded here with prices where pricing it needs the calls themselves (a
    price that changes within the day, a tier a call may reach)."""
    _, path, signature, keep_ids, ids_beside = task
    encoded, ids, verdicts, largest = unpriced
    if largest is None:
        return encoded, ids, verdicts
    fold = price_unpriced(decode_fold(encoded), largest, book)
    if fold is None:
        fold = fold_log_file(path, book, tz)
        ids = fold.ids if ids_beside else None
    return encode_fold(path, signature, fold, keep_ids), ids, verdicts


def _compare_with_recent(number: int, path: Path, ids: set[str]) -> _WorkerVerdicts:
    day = file_day(path)
    if day is None:
        return []
    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    near = [(other_day, other, theirs) for other_day, other, theirs in _worker_recent
            if day - margin <= other_day <= day + margin]
    verdicts = [(other, not ids.isdisjoint(theirs)) for _, other, theirs in near]
    _worker_recent[:] = [*near, (day, number, ids)]  # what no later file of a run in day order can meet goes
    return verdicts


def worth_parallel(files: int, total_bytes: int) -> bool:
    return (os.cpu_count() or 1) >= 2 and files >= PARALLEL_MIN_FILES and total_bytes >= PARALLEL_MIN_BYTES


def fold_in_workers(
    paths: Sequence[Path], signatures: dict[Path, Signature | None], book: PriceBook, tz: str,
    start_method: str | None = None, keeping_ids: Sequence[bool] | None = None,
) -> Iterator[Folded]:
    """Each file's fold encoded as a cache entry, in the order of `paths`, with the verdicts of the
    neighbours its worker compared it with (by their number in `paths`). Entries keep their ids
    and the ids' digests where `keeping_ids` says so (by default all): only a cache keeps entries,
    and packs keep no ids (see FoldCache.store). The others' ids come beside them where a neighbour
    may be compared outside their worker (see _ids_wanted_beside)."""
    workers = min(os.cpu_count() or 1, 4)
    keeping = [True] * len(paths) if keeping_ids is None else keeping_ids
    runs = _runs(len(paths), workers)
    beside = _ids_wanted_beside(paths, runs, keeping)
    tasks = [(number, path, signatures[path], keeping[number], beside[number]) for number, path in enumerate(paths)]
    jobs = [tasks[run.start:run.stop] for run in runs]
    method = start_method or default_start_method()
    # Pools' modules here, not at the top: most runs (a warm report, a note) never start a worker.
    if method == "fork":
        from vaultledger.ledger.forking import forked_map

        # The price data loads once, here: every worker forked after it inherits it instead of loading its
        # own. Where it is not loaded yet (~70 ms, on one core), one worker forked before it folds the
        # first run meanwhile, without prices; its folds are priced here.
        early = None if bundled_prices_loaded() or len(jobs) < 2 else _fold_unpriced_run_in_worker
        with _frozen_while_forking() as freeze:
            def prepare() -> None:
                load_bundled_prices()
                freeze()  # what loading made stays out of collections too, as what was there before

            runs = forked_map(_fold_run_in_worker, jobs, workers, _start_worker, (book.overrides, tz), prepare, early)
            for number, run in enumerate(runs):
                if number == 0 and early is not None:
                    run = [_priced(task, item, book, tz) for task, item in zip(jobs[0], run)]
                yield from run
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(method)
    with _frozen_while_forking(), ProcessPoolExecutor(workers, context, _start_worker, (book.overrides, tz)) as pool:
        yield from chain.from_iterable(pool.map(_fold_run_in_worker, jobs))


def default_start_method() -> str | None:
    """fork where it is safe and fast, with forking.py's pool: on Linux, in a process that runs no other
    thread (every short command). A process that does (watch, the dashboard, the MCP server) gets
    forkserver: a forked child could wait forever on a lock one of those threads held at the fork
    (Python 3.12 warns of it). Elsewhere the platform's default (spawn on macOS and Windows). Asked
    before a progress bar starts its own thread, which a worker never meets."""
    if not sys.platform.startswith("linux"):
        return None
    threading = sys.modules.get("threading")  # never imported: no thread was started from Python
    return "fork" if threading is None or threading.active_count() == 1 else "forkserver"


@contextmanager
def _frozen_while_forking() -> Iterator[Callable[[], None]]:
    """What this process holds stays out of its collections while workers run: walking it would
    copy the pages forked workers share (as Python's gc docs advise), and cost a full collection
    in the middle of a cold year. Only what this call froze is unfrozen again: objects an
    embedding app froze before stay frozen. Gives a function that freezes what was made since."""
    if gc.get_freeze_count():
        yield lambda: None  # someone else froze objects; unfreezing would undo their choice
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _ids_wanted_beside(paths: Sequence[Path], runs: list[range], keeping: Sequence[bool]) -> list[bool]:
    """Whether each file's ids must come beside an entry that keeps none: where the parent may have to
    compare it with a neighbour, one of a day that has files in another run (folded by another worker,
    perhaps) or no file among `paths` (one read some other way, or none). The worker compares the
    neighbours inside a run itself; sending every packed file's ids was half of what a cold year sent
    through the pipes (11 of 21 MB) and 3 % of the workers' time. A pair the parent must compare after
    all reads the file again for its ids."""
    days = [file_day(path) for path in paths]
    runs_of: dict[dt.date | None, set[int]] = {}
    for index, run in enumerate(runs):
        for number in run:
            runs_of.setdefault(days[number], set()).add(index)
    beside = [False] * len(paths)
    for index, run in enumerate(runs):
        for number in run:
            day = days[number]
            inside = day is not None and all(
                runs_of.get(day + dt.timedelta(days=offset)) == {index}
                for offset in range(-NEIGHBOUR_DAYS, NEIGHBOUR_DAYS + 1)
            )
            beside[number] = not keeping[number] and not inside
    return beside


def _runs(count: int, workers: int) -> list[range]:
    """Task numbers in runs of consecutive files, one run per hand-out to a worker: runs of
    equal length, enough of them that most neighbours meet in one worker, shrinking at the end
    so that the workers finish together."""
    length = max(1, count // (workers * RUNS_PER_WORKER))
    runs, start = [], 0
    while start < count:
        size = max(1, min(length, (count - start) // (2 * workers)))
        runs.append(range(start, start + size))
        start += size
    return runs
