"""The user's `[[prices]]` overrides (SPEC §3, §9): parsed, validated, matched by provider and model glob."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from msgspec.structs import force_setattr

from vaultledger.errors import PriceError
from vaultledger.pricing.price import ZERO, Price
from vaultledger.record.tiers import tier_name
from vaultledger.record import normalise_provider

PART_KEYS = ("cache_write_1h", "input_audio", "input_image", "input_video", "output_audio", "output_image")
"""Rates for parts of a whole (USD per MTok); each defaults to its whole's rate (see price.PART_RATES)."""
_OVERRIDE_KEYS = ("provider", "model", "service_tier", "valid_from", "input", "output", "cache_read", "cache_write",
                  *PART_KEYS, "web_search")


class PriceOverride(msgspec.Struct, frozen=True):
    """One `[[prices]]` entry: USD per MTok for models of `provider` matching `model_glob`.

    `model_glob` is an fnmatch pattern, matched case-insensitively; `provider` is an OpenTelemetry
    name (or `*` for any). `valid_from` is a day in the configured time zone (from its midnight).
    `service_tier` (canonical: `standard` for every word meaning it) limits the entry to calls at
    that tier; without it the entry prices every tier. `parse_price_overrides` defaults
    `cache_read` and `cache_write` to `input` when omitted; a part rate left None is its whole's.
    `web_search` is USD per 1,000 searches.
    """

    provider: str
    model_glob: str
    valid_from: date | None
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    origin: str = ""
    service_tier: str | None = None
    parts: tuple[tuple[str, Decimal], ...] = ()
    """(PART_KEYS name, USD per MTok) for the parts the entry prices apart."""
    web_search: Decimal = ZERO
    _pattern: re.Pattern[str] | None = None  # model_glob's, set on creation

    def __post_init__(self) -> None:
        force_setattr(self, "provider", normalise_provider(self.provider))
        if self.service_tier is not None:
            force_setattr(self, "service_tier", tier_name(self.service_tier))
        force_setattr(self, "_pattern", re.compile(fnmatch.translate(self.model_glob), re.IGNORECASE))

    @property
    def specificity(self) -> int:
        """Non-wildcard characters in the glob (a `[...]` class counts as one): more wins."""
        without_classes = re.sub(r"\[[^\]]*\]", "x", self.model_glob)
        return sum(1 for char in without_classes if char not in "*?")

    def matches(self, provider: str | None, model: str, tier: str = "standard") -> bool:
        """Whether this entry prices `model` of (already normalised) `provider` at `tier` (a tier_name)."""
        provider_ok = self.provider == "*" or self.provider == provider
        tier_ok = self.service_tier is None or self.service_tier == tier
        return provider_ok and tier_ok and self._pattern is not None and self._pattern.match(model) is not None

    def to_price(self) -> Price:
        """This entry as a flat (untiered) price."""
        since = f" from {self.valid_from.isoformat()}" if self.valid_from else ""
        tier = f" ({self.service_tier})" if self.service_tier else ""
        return Price(
            input=self.input,
            output=self.output,
            cache_read=self.cache_read,
            cache_write=self.cache_write,
            source=f"your [[prices]] {self.provider}/{self.model_glob}{tier}{since}",
            model_id=self.model_glob,
            web_search=self.web_search,
            **dict(self.parts),
        )


def parse_price_overrides(entries: Sequence[Mapping[str, Any]], source: str) -> list[PriceOverride]:
    """Validate the config's `[[prices]]` tables; entries are numbered from 1 in error messages.

    Raises PriceError like "vaultledger.toml: [[prices]] #2: 'output' must be a number >= 0".
    """
    if not isinstance(entries, list | tuple):
        raise PriceError(f"{source}: [[prices]] must be an array of tables")
    return [_parse_override(entry, f"{source}: [[prices]] #{number}") for number, entry in enumerate(entries, 1)]


def _parse_override(entry: Mapping[str, Any], where: str) -> PriceOverride:
    if not isinstance(entry, Mapping):
        raise PriceError(f"{where}: must be a table with provider, model, input and output")
    unknown = sorted(set(entry) - set(_OVERRIDE_KEYS))
    if unknown:
        raise PriceError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(_OVERRIDE_KEYS)})")
    input_price = _price_value(entry, "input", where)
    parts = tuple((key, _price_value(entry, key, where)) for key in PART_KEYS if key in entry)
    return PriceOverride(
        provider=_text_value(entry, "provider", where),
        model_glob=_text_value(entry, "model", where),
        valid_from=_date_value(entry.get("valid_from"), where),
        input=input_price,
        output=_price_value(entry, "output", where),
        cache_read=_price_value(entry, "cache_read", where, default=input_price),
        cache_write=_price_value(entry, "cache_write", where, default=input_price),
        origin=where,
        service_tier=_text_value(entry, "service_tier", where) if "service_tier" in entry else None,
        web_search=_price_value(entry, "web_search", where, default=ZERO, unit="USD per 1,000 web searches"),
        parts=parts,
    )


def _text_value(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PriceError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _price_value(entry: Mapping[str, Any], key: str, where: str, default: Decimal | None = None,
                 unit: str = "USD per million tokens") -> Decimal:
    if key not in entry:
        if default is not None:
            return default
        raise PriceError(f"{where}: '{key}' is required ({unit})")
    price = _as_decimal(entry[key])
    if price is None or not price.is_finite() or price < 0:
        raise PriceError(f"{where}: '{key}' must be a number >= 0 ({unit}), got {entry[key]!r}")
    return price


def _as_decimal(value: object) -> Decimal | None:
    """TOML numbers (floats via their shortest repr, so 2.70 stays 2.7) and numeric strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    try:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, str):
            return Decimal(value.strip())
    except InvalidOperation:
        return None
    return None


def _date_value(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PriceError(f"{where}: 'valid_from' must be a date like 2026-01-01, got {value!r}")
