"""Short stable digests of text for naming cache files, without hashlib.

hashlib loads OpenSSL, about 2 ms of every run that opens a cache; zlib is loaded anyway. These
name files whose contents are checked by other means (signatures, the material's own fields) and
face no adversary, so three 32-bit checksums do: any change of up to 32 consecutive bits always
changes the CRCs, and unrelated texts collide with odds of about 2**-96.
"""

from __future__ import annotations

from zlib import adler32, crc32


def text_digest(text: str) -> str:
    """24 hex digits: CRC-32 of the UTF-8, CRC-32 of it reversed, Adler-32; the same on every machine."""
    raw = text.encode("utf-8", "surrogateescape")
    return f"{crc32(raw):08x}{crc32(raw[::-1]):08x}{adler32(raw):08x}"
