"""A fold's record ids as its cache entry keeps them (one msgpack array) and their digests: stable
64-bit numbers that compare ids across files, processes and runs without decoding them."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from zlib import adler32, crc32

import msgspec

encode_ids = msgspec.msgpack.Encoder().encode
decode_ids = msgspec.msgpack.Decoder(set[str]).decode


def extended_ids(encoded: bytes, more: list[str]) -> bytes:
    """The ids `encoded` holds (as FileFold.ids encodes them) and `more`, none of them among those,
    encoded as one msgpack array without decoding the ones it has."""
    if not encoded:
        return encode_ids(more)
    count, start = _array_head(encoded)
    added = encode_ids(more)
    more_count, more_start = _array_head(added)
    total = count + more_count
    head = bytes([0x90 | total]) if total < 16 else \
        b"\xdc" + total.to_bytes(2, "big") if total < 1 << 16 else b"\xdd" + total.to_bytes(4, "big")
    return head + encoded[start:] + added[more_start:]


def _array_head(encoded: bytes) -> tuple[int, int]:
    """A msgpack array's length and where its first element starts."""
    first = encoded[0]
    if first >> 4 == 0x9:
        return first & 0x0F, 1
    if first in (0xDC, 0xDD):
        width = 2 if first == 0xDC else 4
        return int.from_bytes(encoded[1:1 + width], "big"), 1 + width
    raise ValueError("not a msgpack array")


def digests_of(ids: Iterable[str]) -> array:
    """`id_digests` as numbers."""
    return digest_numbers(id_digests(ids))


def digest_numbers(encoded: bytes) -> array:
    digests = array("Q")
    digests.frombytes(encoded)
    if sys.byteorder == "big":
        digests.byteswap()
    return digests


def id_digests(ids: Iterable[str]) -> bytes:
    """A stable 64-bit digest of each id (CRC-32 and Adler-32 of its UTF-8), little-endian: the same in
    every process and on every run, unlike hash(). Equal digests are confirmed on the ids themselves,
    so a collision costs a comparison, never a wrong count."""
    digests = array("Q", [crc32(raw) << 32 | adler32(raw) for raw in map(str.encode, ids)])
    if sys.byteorder == "big":
        digests.byteswap()
    return digests.tobytes()
