"""Day prices resolved before, kept in the cache folder, so a warm run never loads genai-prices.

One JSON line per (provider, model, service tier, day) the book resolved, in a file named by the price
data's version, the time zone and the overrides: a new genai-prices release or a changed `[[prices]]`
entry starts a new file. Lines are only appended; a partial or unreadable line is a miss.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from vaultledger._digest import text_digest
from vaultledger.pricing.price import VARIES, BundledRef, Price

RATE_NAMES = ("input", "output", "cache_read", "cache_write", "per_call", "cache_write_1h", "input_audio",
              "input_image", "input_video", "cache_read_audio", "output_audio", "output_image", "output_reasoning",
              "web_search")

STORE_FORMAT = 2  # 2: every unit's rate, and the tier a standard price stands in for
MISS = object()  # the store has no answer for this key

DayKey = tuple[str | None, str, str | None, str]  # provider, model, service tier, ISO day or "*" (every day)


def bundled_data_version() -> str:
    """genai-prices' version, read from its install record without importing it (that costs ~100 ms)."""
    from importlib.machinery import PathFinder  # importlib.util's find_spec would cost 0.2 ms more to import

    spec = PathFinder.find_spec("genai_prices")
    folder = Path(spec.origin).parent.parent if spec and spec.origin else None
    for entry in (os.listdir(folder) if folder and folder.is_dir() else ()):
        name, _, version = entry.removesuffix(".dist-info").partition("-")
        if entry.endswith(".dist-info") and name.replace("-", "_").lower() == "genai_prices":
            return version
    from importlib.metadata import version as installed_version

    return installed_version("genai_prices")


GENAI_PRICES_VERSION: str = bundled_data_version()


class DayPriceStore:
    """(provider, model, service tier, day) -> Price, None (unpriced) or VARIES, on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: dict[DayKey, Any] | None = None
        # Lines read but not decoded into prices yet, by key: a warm run asks for a few of those kept.
        self._unread: dict[DayKey, list[Any]] = {}
        self._descriptor: int | None = None

    @classmethod
    def for_book(cls, cache_dir: Path, tz: str, overrides: Sequence[object]) -> DayPriceStore:
        """The store for a price book: data version, time zone and overrides name its file."""
        material = repr((STORE_FORMAT, GENAI_PRICES_VERSION, tz, sorted(map(repr, overrides))))
        return cls(cache_dir / f"prices-{text_digest(material)}.jsonl")

    def get(self, key: DayKey) -> Any:
        """The remembered answer for the key (a day's, else every day's), or MISS."""
        answer = self._answer(key)
        return self._answer((*key[:3], "*")) if answer is MISS else answer

    def remember(self, key: DayKey, answer: Any, at: datetime) -> None:
        """Keep an answer (`at`: a time it holds at, to load a tiered price's tiers again)."""
        if self._answer(key) is not MISS:
            return
        self._load()[key] = answer
        # msgspec rather than json: the json module's import was a tenth of a warm report's own work.
        line = _encode_line({"k": list(key), "p": _encode(answer, at)}) + b"\n"
        try:
            self._append(line)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def _append(self, line: bytes) -> None:
        if self._descriptor is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(self._descriptor, line)

    def _answer(self, key: DayKey) -> Any:
        known = self._load()
        answer = known.get(key, MISS)
        if answer is MISS and key in self._unread:
            for encoded in self._unread.pop(key):  # the first line of the key that decodes counts
                answer = _decoded(key, encoded)
                if answer is not MISS:
                    known[key] = answer
                    break
        return answer

    def _load(self) -> dict[DayKey, Any]:
        if self._known is None:
            self._known = {}
            try:
                text = self.path.read_bytes()
            except OSError:
                text = b""
            for line in text.splitlines(keepends=True):
                entry = _split_line(line)
                if entry is not None:
                    self._unread.setdefault(entry[0], []).append(entry[1])
        return self._known


def _encode(answer: Any, at: datetime) -> Any:
    if answer is None:
        return None
    if answer is VARIES:
        return "varies"
    price: Price = answer
    encoded = {"rates": [str(getattr(price, name)) for name in RATE_NAMES], "source": price.source,
               "model_id": price.model_id, "tiered_from": price.tiered_from,
               "at": at.isoformat() if price.tiered_from is not None else None}
    if price.fallback_tier is not None:
        since = price.tier_priced_from.isoformat() if price.tier_priced_from else None
        encoded["fallback"] = [price.fallback_tier, since]
    return encoded


_encode_line = msgspec.json.Encoder().encode
_decode_entry = msgspec.json.Decoder().decode


def _split_line(line: bytes) -> tuple[DayKey, Any] | None:
    """A line's key and its answer still encoded; None for a line still being written or unreadable."""
    if not line.endswith(b"\n"):
        return None  # a line still being written
    try:
        entry = _decode_entry(line)
        provider, model, tier, day = entry["k"]
        key = (provider, model, tier, day)
        hash(key)
        return key, entry["p"]
    except (ValueError, KeyError, TypeError):
        return None


def _decoded(key: DayKey, encoded: Any) -> Any:
    """The answer an encoded line holds, or MISS where it cannot be read."""
    try:
        return _decode(encoded, *key[:3])
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return MISS


def _decode(value: Any, provider: str | None, model: str, tier: str | None) -> Any:
    if value is None:
        return None
    if value == "varies":
        return VARIES
    rates = dict(zip(RATE_NAMES, map(Decimal, value["rates"]), strict=True))
    tiered_from = value["tiered_from"]
    ref = BundledRef(provider, model, tier, datetime.fromisoformat(value["at"])) if tiered_from is not None else None
    fallback_tier, since = value.get("fallback") or (None, None)
    return Price(**rates, source=value["source"], model_id=value["model_id"], tiered_from=tiered_from, _genai_price=ref,
                 fallback_tier=fallback_tier, tier_priced_from=date.fromisoformat(since) if since else None)
