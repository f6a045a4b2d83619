"""One JSON document read a piece at a time: the members of its top-level object, and one array's elements.

Some agents keep a session as one JSON object rewritten whole (Gemini CLI before 0.39, OpenCode's
legacy `storage/`). `object_members` yields each top-level member as raw bytes, and the elements of one
named array one by one, so memory is bounded by the largest message, never by the file. The bytes are
decoded by the caller (msgspec, into a struct naming only the fields it needs).

Tokens are matched with one regular expression over a buffer that grows only while a token is longer
than what was read; strings are matched whole, so a tool output of megabytes is one match, not a loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import msgspec

CHUNK_BYTES = 64 * 1024
TOKEN = re.compile(
    rb'[ \t\r\n]*(?:("(?:[^"\\]++|\\.)*+")|([{}\[\],:])|([^ \t\r\n{}\[\],:"]++))', re.DOTALL
)
# Everything up to the next bracket outside a string, in one match: a value's inside costs one step per bracket.
TO_BRACKET = re.compile(rb'(?:[^"{}\[\]]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
OPENERS, CLOSERS = (b"{", b"["), (b"}", b"]")
OPEN_BYTES, CLOSE_BYTES = frozenset(b"{["), frozenset(b"}]")
QUOTE = ord('"')


class NotJson(ValueError):
    """The document is not a complete JSON object (cut short while being rewritten, or not JSON)."""


class _Scanner:
    """Tokens of a JSON document from a binary handle; `value()` returns one whole value's bytes."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.buffer = b""
        self.position = 0
        self.mark: int | None = None  # start of the value being captured: kept when the buffer moves on
        self.at_end = False

    def token(self) -> bytes:
        match = self._match()
        self.position = match.end()
        return match.group(match.lastindex or 0)

    def peek(self) -> bytes:
        match = self._match()
        return match.group(match.lastindex or 0)

    def value(self) -> bytes:
        """The next value's bytes: a scalar, a string, or an object or array with everything inside."""
        match = self._match()
        self.mark = match.start(match.lastindex or 0)
        if self.token() in OPENERS:
            self._skip_to_close()
        captured = self.buffer[self.mark:self.position]
        self.mark = None
        return captured

    def _skip_to_close(self) -> None:
        """Move past the bracket closing the one just read, jumping over strings and everything else."""
        depth = 1
        while depth:
            self.position = TO_BRACKET.match(self.buffer, self.position).end()  # type: ignore[union-attr]
            if self.position >= len(self.buffer) or self.buffer[self.position] == QUOTE:
                if not self._read_more():  # the buffer ends inside a string, or before the bracket
                    raise NotJson("the document ends in the middle (cut short, or still being written)")
                continue
            depth += 1 if self.buffer[self.position] in OPEN_BYTES else -1
            self.position += 1

    def _match(self) -> re.Match[bytes]:
        while True:
            match = TOKEN.match(self.buffer, self.position)
            # A token touching the end of what was read may go on in the next chunk (a number, a string).
            if match and (match.end() < len(self.buffer) or self.at_end):
                return match
            if not self._read_more():
                if match:
                    return match
                raise NotJson("the document ends in the middle (cut short, or still being written)")

    def _read_more(self) -> bool:
        if self.at_end:
            return False
        keep = self.position if self.mark is None else self.mark
        wanted = max(CHUNK_BYTES, len(self.buffer) - keep)  # doubles while one token outgrows the buffer
        data = self.handle.read(wanted)
        self.buffer = self.buffer[keep:] + data
        self.position -= keep
        if self.mark is not None:
            self.mark -= keep
        self.at_end = not data
        return bool(data)


def object_members(handle: BinaryIO, split: str | None = None) -> Iterator[tuple[str, bytes]]:
    """(key, value bytes) for each member of the top-level object; the array under key `split` gives
    (split, element bytes) once per element instead. NotJson when the document is not a whole object."""
    scanner = _Scanner(handle)
    expect(scanner.token(), b"{")
    token = scanner.token()
    while token != b"}":
        key = member_key(token)
        expect(scanner.token(), b":")
        if key == split and scanner.peek() == b"[":
            for element in array_elements(scanner):
                yield key, element
        else:
            yield key, scanner.value()
        token = scanner.token()
        if token == b",":
            token = scanner.token()
        elif token != b"}":
            raise NotJson(f"expected , or }} after member {key!r}")


def array_elements(scanner: _Scanner) -> Iterator[bytes]:
    expect(scanner.token(), b"[")
    if scanner.peek() == b"]":
        scanner.token()
        return
    while True:
        yield scanner.value()
        token = scanner.token()
        if token == b"]":
            return
        expect(token, b",")


def member_key(token: bytes) -> str:
    try:
        key = msgspec.json.decode(token)
    except msgspec.DecodeError:
        key = None
    if not isinstance(key, str):
        raise NotJson(f"expected a member name, found {token[:40]!r}")
    return key


def expect(token: bytes, wanted: bytes) -> None:
    if token != wanted:
        raise NotJson(f"expected {wanted.decode()}, found {token[:40]!r}")
