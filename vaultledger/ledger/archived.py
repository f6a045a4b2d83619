"""Whether a plain log file's lines are already inside its `.gz`: what an interrupted `archive` leaves.

`archive` puts `DAY.jsonl.gz` (the earlier archive, then the day's lines) in place before it removes
`DAY.jsonl`. Killed in between, both files hold the same lines, and a reader that counted both would
count the day twice. `archived_prefix` says how much of the plain file the `.gz` already ends with;
readers skip a plain file that is wholly inside (`fully_archived`) and read one partly inside from
where the `.gz` leaves off (`archived_start`), and `archive` finishes the removal (or joins only the
rest) instead of merging the lines a second time.

A byte-identical line is the same call (SPEC §2), so comparing bytes cannot drop a real call.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

CHUNK_BYTES = 1 << 20
# (plain signature, gz signature) → prefix; a reader lists the folder for every question it answers.
_MEMO: dict[tuple[tuple[int, ...], tuple[int, ...], int], int] = {}
_MEMO_SIZE = 64


def gz_sibling(plain: Path) -> Path:
    """`DAY.jsonl` → `DAY.jsonl.gz`, host files (`DAY.HOST.jsonl`) alike."""
    return plain.with_name(plain.name + ".gz")


def fully_archived(plain: Path) -> bool:
    """True when every byte of `plain` is already the tail of its `.gz`: a reader skips the plain file."""
    try:
        size = os.stat(plain).st_size
    except OSError:
        return False
    return size > 0 and archived_prefix(plain, size) == size


def archived_start(path: Path) -> tuple[int, int]:
    """Where a reader of `path` starts: the byte offset after the lines its `.gz` already ends with,
    and the number of the first line after them; (0, 1) for a `.gz`, or a plain file with none.
    Those lines count once, in the `.gz`: a late line appended to a day whose archiving was cut short
    must not count the archived ones a second time."""
    if path.name.endswith(".gz"):
        return 0, 1
    try:
        os.stat(gz_sibling(path))
    except OSError:
        return 0, 1  # the usual case, one stat
    offset = archived_prefix(path)
    if not offset:
        return 0, 1
    try:
        with open(path, "rb") as handle:
            return offset, handle.read(offset).count(b"\n") + 1
    except OSError:
        return 0, 1


def archived_prefix(plain: Path, size: int | None = None) -> int:
    """How many leading bytes of `plain` (whole lines, at most `size`) the decompressed `.gz` ends with.

    0 when there is no `.gz`, when it cannot be read to its end, or when it does not end with the
    plain file's first lines. Costs one decompression of the `.gz`, so it is asked only when both
    files exist (rare: a late line after archiving, or an interrupted archive).
    """
    gz = gz_sibling(plain)
    try:
        key = (_signature(plain), _signature(gz), -1 if size is None else size)
    except OSError:
        return 0
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = _measure(plain, gz, size)
    return _MEMO[key]


def _signature(path: Path) -> tuple[int, ...]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _measure(plain: Path, gz: Path, size: int | None) -> int:
    try:
        with open(plain, "rb") as handle:
            head = handle.read(size) if size is not None else handle.read()
        tail = _gzip_tail(gz, len(head))
    except OSError:
        return 0
    return 0 if tail is None else longest_overlap(tail, head)


def _gzip_tail(gz: Path, length: int) -> bytes | None:
    """The last `length` decompressed bytes of `gz`; None when it is cut short or not gzip."""
    import gzip  # only where a day is both plain and archived: about 1 ms

    kept = b""
    try:
        with gzip.open(gz, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                kept = (kept + chunk)[-length:] if length else b""
    except (OSError, EOFError, zlib.error):
        return None
    return kept


def longest_overlap(tail: bytes, head: bytes) -> int:
    """The largest k at a line end of `head` with `tail` ending in `head[:k]`, else 0.

    Only line ends where `head` holds the tail's last line can qualify, so the candidates are
    found with one search each and compared once.
    """
    if not tail.endswith(b"\n"):
        return 0
    last_line = tail[tail.rfind(b"\n", 0, len(tail) - 1) + 1:]
    end = head.rfind(last_line)
    while end >= 0:
        k = end + len(last_line)
        at_line_start = end == 0 or head[end - 1:end] == b"\n"
        if at_line_start and k <= len(tail) and tail.endswith(head[:k]):
            return k
        end = head.rfind(last_line, 0, end + len(last_line) - 1)
    return 0
