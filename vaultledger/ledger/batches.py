"""A log file read a few MB at a time, each batch of lines decoded as one JSON array: one C call instead
of one per line, every bad line still located by its number (the fold's way of reading, see fold.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from vaultledger.errors import InvalidRecord
from vaultledger.ledger.archived import archived_start
from vaultledger.ledger.files import BOM, UNREADABLE, LineProblem, ReadStats, cut_short, open_log, too_long
from vaultledger.record import MAX_LINE_BYTES, RecordFields, parse_line
from vaultledger.record.batch import Batch, batch_of, parse_batch

BATCH_BYTES = 4 << 20


class ReadPosition(msgspec.Struct):
    """Where complete lines end in a file being read in pieces: the byte offset after the last
    complete line, and the number the next line will have."""

    offset: int = 0
    line: int = 1


def start_position(path: Path) -> ReadPosition:
    """Where a read of the whole file starts: after the lines its `.gz` already holds (`archived_start`)."""
    return ReadPosition(*archived_start(path))


def read_batches(path: Path, stats: ReadStats, position: ReadPosition | None = None) -> Iterator[Batch]:
    """Valid records of one file in batches, in line order, duplicates NOT removed (callers check).

    A batch whose lines are all valid is decoded in one go; a batch with any bad or blank line is
    decoded line by line, so every problem is still located by its line number. With a
    `position`, reading starts there and the position follows the complete lines read, so a
    growing file can be read on from where it was left (an unfinished last line is not consumed).
    Without one, reading starts at `start_position`.
    """
    position = position if position is not None else start_position(path)
    unfinished = b""  # a line cut by the batch's edge, or the file's last line still being written
    try:
        with open_log(path) as handle:
            if position.offset:
                handle.seek(position.offset)
            for chunk in _pieces(handle, BATCH_BYTES):
                text = unfinished + chunk if unfinished else chunk
                end = text.rfind(b"\n") + 1
                unfinished = text[end:]
                if not end:
                    continue
                lines = text[:end] if unfinished else text
                start = position.offset
                if start == 0 and lines.startswith(BOM):
                    lines = lines[len(BOM):]
                batch, count = _decode_batch(path, lines, position.line, stats)
                stats.lines += count
                position.offset, position.line = start + end, position.line + count
                yield batch
        if unfinished:
            stats.partial_lines += 1
    except UNREADABLE as error:
        cut_short(stats, path, position.line, error)


def _pieces(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """The file in pieces of `size` bytes. A file cut short (a truncated .gz) first yields every byte
    it could give, then raises: a plain read() would drop the last piece with the error."""
    while True:
        parts: list[bytes] = []
        have = 0
        try:
            while have < size and (part := handle.read1(size - have)):  # type: ignore[attr-defined]
                parts.append(part)
                have += len(part)
        except UNREADABLE:
            if parts:
                yield b"".join(parts)
            raise
        if not parts:
            return
        yield parts[0] if len(parts) == 1 else b"".join(parts)


def _decode_batch(path: Path, lines: bytes, first_line: int, stats: ReadStats) -> tuple[Batch, int]:
    """The valid records of `lines` (complete lines: it ends with a newline) and how many lines it holds."""
    # Lines become one JSON array; a blank line, or a line holding two objects or half of one,
    # breaks the array or its count, and sends the batch down the line-by-line path.
    if not _has_long_line(lines):
        # A comma beside each newline (kept, so a line cut in a string fails as alone), which also counts
        # them; the last ",\n" is left out through a view, and the array joined as bytes (a fifth of a
        # bytearray's cost). Counting, slicing and joining each apart took a tenth of the fold.
        commas = lines.replace(b"\n", b",\n")
        count = len(commas) - len(lines)
        batch = parse_batch(b"".join((b"[", memoryview(commas)[:-2], b"]")))
        if batch is not None and len(batch.records) == count:
            return batch, count
    else:
        # Deleting the newlines finds them with memchr, far faster than bytes.count.
        count = len(lines) - len(lines.replace(b"\n", b""))
    records: list[RecordFields] = []
    for number, line in enumerate(io.BytesIO(lines), start=first_line):
        if len(line) > MAX_LINE_BYTES:
            stats.add_problem(LineProblem(path, number, too_long(line)))
            continue
        if not line.strip():
            continue
        try:
            records.append(parse_line(line))
        except InvalidRecord as error:
            stats.add_problem(LineProblem(path, number, str(error)))
    return batch_of(records), count


# Any line over the limit holds a whole aligned block of half the limit with no newline in it, so
# looking for a newline in each such block finds every candidate with one memchr per block.
_BLOCK = MAX_LINE_BYTES // 2


def _has_long_line(lines: bytes) -> bool:
    """Whether any `\n`-terminated line of `lines` is longer than MAX_LINE_BYTES."""
    if len(lines) <= MAX_LINE_BYTES:
        return False
    find = lines.find
    for start in range(0, len(lines) - _BLOCK + 1, _BLOCK):
        if find(b"\n", start, start + _BLOCK) < 0:
            begin = lines.rfind(b"\n", 0, start) + 1
            end = find(b"\n", start)
            if end - begin + 1 > MAX_LINE_BYTES:
                return True
    return False
