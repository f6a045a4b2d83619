"""The spans a period is answered in from the cache: its settled months as one span, whole months, a
changed month's blocks of days, and the ranges of days at a period's edges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from vaultledger.ledger.cache import FoldCache, Signature, file_signature
from vaultledger.ledger.files import NEIGHBOUR_DAYS, LogFile, ReadStats
from vaultledger.ledger.usage import Usage, merge_days
from vaultledger.periods import Period, date_range, month_of

# A month whose files changed is looked up in blocks of this many days (the last one takes the rest),
# so a warm run after new lines reads the files of about a week, not a month.
BLOCK_DAYS = 8
_UNTAKEN = object()


class SpanLookup(msgspec.Struct):
    usage: Usage | None  # None: not in the cache, or a file changed since
    files: list[LogFile]
    signatures: dict[str, Signature | None]
    # The read stats its entry keeps for its files, where they are not counted yet (see SpanCache.lookup).
    file_stats: list[tuple[Path, dt.date, ReadStats]] = []


class SpanCache(msgspec.Struct):
    """Merged usage of whole months, of a changed month's blocks and of a period's settled months (see
    `_settled`), kept in the fold cache."""

    cache: FoldCache
    files_for: Callable[[dt.date, dt.date], list[LogFile]]  # the files that can hold a span's calls
    file_stats: dict[Path, tuple[dt.date, ReadStats]]  # the ledger's, told of cached files' problems
    kept_stats: dict[Path, tuple[dt.date, ReadStats]]  # the ledger's, of files inside valid spans

    # Fold the files of these days, merging each of the spans given as soon as its days are all read.
    read_days: Callable[[dt.date, dt.date, list[tuple[dt.date, dt.date]]], None]
    day_parts: Callable[[dt.date, dt.date], list[Usage]]  # the folded days' usage, unmerged
    merged_days: Callable[[dt.date, dt.date], Usage]  # the folded days' usage, merged
    newest_day: dt.date | None = None  # of the newest log file: its month is the one being logged to
    read_signatures: dict[Path, Signature | None] = {}  # of the files the ledger read, as they were then
    grown: set[Path] = set()  # files that grew since their folds were kept: being logged to
    read_files: Callable[[list[LogFile]], None] | None = None  # fold just these files
    # Each file's own usage of [first, last] (a part per day); None where one was folded with a neighbour.
    file_parts: Callable[[list[Path], dt.date, dt.date], list[Usage] | None] | None = None
    _taken: dict[str, Signature | None] = {}  # each file's signature (by its name), as first taken

    def usage(self, period: Period) -> Usage:
        """The period's usage from whole cached spans where their files are unchanged, folding only
        the days of the others; what was folded is kept as spans for the next run."""
        spans = split_at_months(period.start, period.end)
        settled = self._settled(spans)
        known = {settled.key: self.lookup(settled)} if settled is not None else {}
        if settled is not None and known[settled.key].usage is not None:  # the usual warm run: one entry
            after = _after(spans, settled.end)
            # The blocks of a month the settled span ends inside are looked up as a changed month's are.
            known.update((block.key, self.lookup(block)) for block in after if block not in spans)
            spans = [*(span for span in spans if span.end < settled.start), settled, *after]
        pieces, split = self._looked_up(spans, known)
        newest = _newest_block(self, pieces)
        apart = newest[0].key if newest is not None and newest[2].usage is not None else None
        # What the caches lack is read in one go per run of such spans, so a cold year starts its
        # worker processes once rather than once a month.
        unread = [span for span, found in pieces if (found is None or found.usage is None) and span.key != apart]
        missing = [span for span, found in pieces if found is not None and found.usage is None]
        for first, last in runs_of_spans(unread):
            self.read_days(first, last, [(span.start, span.end) for span in missing if first <= span.start <= last])
        parts: dict[str, list[Usage]] = {}
        for span, found in pieces:
            if found is None:
                parts[span.key] = self.day_parts(span.start, span.end)
            elif found.usage is None:
                merged = _apart_from_newest(self, *newest) if span.key == apart and newest is not None else None
                parts[span.key] = [self.stored(span, found, merged or self.merged_days(span.start, span.end))]
                if newest is not None and span.key == newest[0].key and newest[2].usage is None:
                    _store_older_part(self, *newest)
            else:
                parts[span.key] = [found.usage]
        # A span made of others (a month of its blocks, the settled months of theirs) is kept whole on a
        # run that read none of its days: a cold run writes each day's data once, not three times, and
        # the month being logged to (read again on nearly every run) is not rewritten whole each time.
        read_now = {span.key for span, found in pieces if found is None or found.usage is None}
        for month, found in split:
            blocks = blocks_of(month)
            if not read_now.intersection(block.key for block in blocks):
                self.stored(month, found, merge_days(part for block in blocks for part in parts[block.key]))
        if settled is not None and known[settled.key].usage is None:
            inside = [span for span, _ in pieces if settled.start <= span.start and span.end <= settled.end]
            # Kept only when its pieces tile it: a month that came whole reaches past a settled end inside it.
            if not read_now.intersection(span.key for span in inside) and _days(inside) == _days([settled]):
                merged = merge_days(part for span in inside for part in parts[span.key])
                self.stored(settled, known[settled.key], merged)
        return merge_days(part for span_parts in parts.values() for part in span_parts)

    def _settled(self, spans: list[Period]) -> Period | None:
        """The period's whole months, and then the blocks of days of the next one, that no file being
        logged to can change (those ending over NEIGHBOUR_DAYS before the newest file's day), kept as
        one span too: a warm year then reads one entry for all but the newest block of days. None
        where fewer than two months or blocks are settled."""
        if self.newest_day is None:
            return None
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        tiles: list[Period] = []
        for span in spans:
            if span.kind != "month":  # a period's partial months stay apart: they have no blocks
                if tiles:
                    break
                continue
            if span.end + margin >= self.newest_day:
                tiles.extend(block for block in blocks_of(span) if block.end + margin < self.newest_day)
                break
            tiles.append(span)
        return date_range(tiles[0].start, tiles[-1].end) if len(tiles) >= 2 else None

    def _looked_up(
        self, spans: list[Period], known: dict[str, SpanLookup]
    ) -> tuple[list[tuple[Period, SpanLookup | None]], list[tuple[Period, SpanLookup]]]:
        """Whole months from the cache (and spans `known` already); a month whose files changed as its
        blocks of days, of which only those holding the change are read again (the current month,
        on most runs)."""
        pieces: list[tuple[Period, SpanLookup | None]] = []
        split: list[tuple[Period, SpanLookup]] = []
        for span in spans:
            found = known.get(span.key) or (self.lookup(span) if span.kind == "month" else None)
            if span.kind == "month" and found is not None and found.usage is None:
                pieces.extend((block, self.lookup(block)) for block in blocks_of(span))
                split.append((span, found))
            else:
                pieces.append((span, found))
        return pieces, split

    def lookup(self, span: Period, files: list[LogFile] | None = None, count_stats: bool = True) -> SpanLookup:
        """The span's merged usage from the cache, if none of its files (by default, all that can hold
        its calls) changed since; the signatures it was checked against either way, taken before any
        of them is read. The stats its entry keeps count in reports now, or with `count_stats` False
        once the caller has made sure the entry stands (they come with the lookup)."""
        files = self.files_for(span.start, span.end) if files is None else files
        signatures = {log.name: self._signature(log) for log in files}
        cached = self.cache.load_month(span.key, signatures, {log.name: log.path for log in files})
        if cached is None:
            return SpanLookup(None, files, signatures)
        usage, file_stats = cached
        if count_stats:
            self.take_stats(span, file_stats)
        return SpanLookup(usage, files, signatures, file_stats)

    def take_stats(self, span: Period, file_stats: list[tuple[Path, dt.date, ReadStats]]) -> None:
        for path, day, stats in file_stats:  # their problems and duplicates still count in reports
            if span.start <= day <= span.end:
                # Exact: all its joins are with files of the span's, unchanged since (a read of the file
                # alone, or of part of its joined files, for a neighbouring span would lose duplicates).
                self.kept_stats[path] = (day, stats)
            else:
                self.file_stats.setdefault(path, (day, stats))

    def _signature(self, log: LogFile) -> Signature | None:
        # A file the ledger read for an earlier question counts as it was then (its data in memory is
        # that), however it has grown since; any other is looked at once, before this question reads it.
        taken = self._taken.get(log.name, _UNTAKEN)
        if taken is _UNTAKEN:
            read = self.read_signatures.get(log.path, _UNTAKEN) if self.read_signatures else _UNTAKEN
            taken = self._taken[log.name] = read if read is not _UNTAKEN else file_signature(log.location)
        return taken  # type: ignore[return-value]

    def stored(self, span: Period, found: SpanLookup, usage: Usage) -> Usage:
        """`usage`, kept as the span's, valid while its files are as `found` saw them (and kept only
        when every one of its files' read stats is known). Not kept on a run in which one of its files
        grew: that file is being logged to and will have grown again by the next run, which would
        find the entry stale (creating it costs more than the next run saves)."""
        known = {**self.file_stats, **self.kept_stats}
        if any(log.path not in known or log.path in self.grown for log in found.files):
            return usage
        file_stats = [(log.path, *known[log.path]) for log in found.files]
        self.cache.store_month(span.key, found.signatures, usage, file_stats)
        return usage


def _newest_block(
    spans: SpanCache, pieces: list[tuple[Period, SpanLookup | None]]
) -> tuple[Period, Period, SpanLookup] | None:
    """The changed block of days that holds the newest day, the span of its files but the newest
    day's (kept apart as `<block>~older`), and that span looked up. The newest day's files change
    on nearly every run; the block's others, whose cached part stands while they are unchanged
    and share no id with the newest files, spare reading them all again (their stats count once
    that holds: see _apart_from_newest)."""
    newest = spans.newest_day
    if newest is None or spans.read_files is None:
        return None
    for block, found in pieces:  # a piece looked up and not found is a changed month's block
        if found is not None and found.usage is None and block.start <= newest <= block.end:
            older = Period("range", f"{block.key}~older", block.start, block.end)
            files = [log for log in spans.files_for(block.start, block.end) if log.day != newest]
            return block, older, spans.lookup(older, files, count_stats=False)
    return None


def _apart_from_newest(spans: SpanCache, block: Period, older: Period, found: SpanLookup) -> Usage | None:
    """The block's usage from its older files' cached part and the newest day's files read now
    (with the files that may share an id with them); None where one of those does, which takes
    the block read whole."""
    assert spans.read_files is not None and spans.file_parts is not None and found.usage is not None
    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    newest = spans.newest_day
    assert newest is not None
    near = [log for log in spans.files_for(newest, newest) if newest - margin <= log.day <= newest + margin]
    spans.read_files(near)
    newest_parts = spans.file_parts([log.path for log in near if log.day == newest], block.start, block.end)
    if newest_parts is None:
        return None
    spans.take_stats(older, found.file_stats)
    return merge_days([found.usage, *newest_parts])


def _store_older_part(spans: SpanCache, block: Period, older: Period, found: SpanLookup) -> None:
    """Keep the part of a block read whole that its older files hold, where none was folded with
    another file (their parts then stand for them alone)."""
    assert spans.file_parts is not None
    older_parts = spans.file_parts([log.path for log in found.files], block.start, block.end)
    if older_parts is not None:
        spans.stored(older, found, merge_days(older_parts))


def _after(spans: list[Period], day: dt.date) -> list[Period]:
    """The spans after `day`: a month it falls inside as its blocks of days after it."""
    after: list[Period] = []
    for span in spans:
        if span.start > day:
            after.append(span)
        elif span.end > day:
            assert span.kind == "month", "a settled span ends at the end of a month or of one of its blocks"
            after.extend(block for block in blocks_of(span) if block.start > day)
    return after


def _days(spans: Sequence[Period]) -> int:
    return sum((span.end - span.start).days + 1 for span in spans)


def split_at_months(first: dt.date, last: dt.date) -> list[Period]:
    """[first, last] as whole calendar months where it covers them, and ranges of days elsewhere."""
    spans: list[Period] = []
    day = first
    while day <= last:
        month = month_of(day)
        if month.start == day and month.end <= last:
            spans.append(month)
            day = month.end + dt.timedelta(days=1)
        else:
            end = min(month.end, last)
            spans.append(date_range(day, end))
            day = end + dt.timedelta(days=1)
    return spans


def blocks_of(month: Period) -> list[Period]:
    """The month in fixed blocks of days (1–8, 9–16, 17–24, 25–end), the same on every run."""
    starts = list(range(1, month.end.day + 1, BLOCK_DAYS))
    ends = [start + BLOCK_DAYS - 1 for start in starts[:-1]] + [month.end.day]
    return [date_range(month.start.replace(day=start), month.start.replace(day=end)) for start, end in zip(starts, ends)]


def runs_of_spans(spans: Sequence[Period]) -> list[tuple[dt.date, dt.date]]:
    """Spans that follow each other without a gap, joined."""
    runs: list[tuple[dt.date, dt.date]] = []
    for span in spans:
        if runs and runs[-1][1] + dt.timedelta(days=1) == span.start:
            runs[-1] = (runs[-1][0], span.end)
        else:
            runs.append((span.start, span.end))
    return runs
