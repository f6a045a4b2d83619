"""A price (USD per million tokens) and what one call or many cost under it, in Decimal; money for humans."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, Protocol

import msgspec
from msgspec.structs import force_setattr

from vaultledger.errors import PriceError
from vaultledger.record import COUNT_FIELDS

MTOK = Decimal(1_000_000)
KILO = Decimal(1_000)
ZERO = Decimal(0)

VARIES = object()  # price_for_day's answer when a day holds more than one price

# Rates for parts of a total (SPEC §1's subsets), each with the rate a part falls back to when the
# price data or an override gives none: the nearest unit that contains it, as genai-prices prices.
PART_RATES: dict[str, str] = {
    "cache_write_1h": "cache_write",
    "input_audio": "input",
    "input_image": "input",
    "input_video": "input",
    "cache_read_audio": "cache_read",
    "output_audio": "output",
    "output_image": "output",
    "output_reasoning": "output",
}


class Counts(Protocol):
    """What a call (a record) or many calls (their sums) count: SPEC §1's count fields."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cache_write_1h_tokens: int
    input_audio_tokens: int
    input_image_tokens: int
    input_video_tokens: int
    cache_read_audio_tokens: int
    output_audio_tokens: int
    output_image_tokens: int
    web_search_requests: int


# One call's counts, for estimates and tests: a record's count fields (COUNT_FIELDS, in order), 0 by default.
Call = namedtuple("Call", COUNT_FIELDS, defaults=(0,) * (len(COUNT_FIELDS) - 2))


class BundledRef(msgspec.Struct, frozen=True):
    """Where a tiered price restored from the cache folder lives in genai-prices; it is loaded only
    when a call crosses the tier."""

    provider: str | None
    model: str
    service_tier: str | None
    at: datetime


class Price(msgspec.Struct, frozen=True):
    """USD per MTok for one model (base tier), where it came from, and how to cost calls with it.

    A part rate left None (1-hour cache writes, modalities, reasoning) is filled in on creation
    with the rate of the unit that contains it (PART_RATES), so every token has exactly one rate:
    that of the most specific unit the price names, as in genai-prices.
    """

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    source: str
    model_id: str
    tiered_from: int | None = None
    """Input-token count above which a call is priced at a higher tier (genai-prices' cliff model)."""
    per_call: Decimal = ZERO
    """Flat USD per request some providers add (e.g. Perplexity's request fee)."""
    _genai_price: Any = None
    """genai-prices' ModelPrice for tiered prices, or a BundledRef to load it by when a call needs it."""
    cache_write_1h: Decimal | None = None
    input_audio: Decimal | None = None
    input_image: Decimal | None = None
    input_video: Decimal | None = None
    cache_read_audio: Decimal | None = None
    output_audio: Decimal | None = None
    output_image: Decimal | None = None
    output_reasoning: Decimal | None = None
    web_search: Decimal = ZERO
    """USD per 1,000 server-side web searches."""
    fallback_tier: str | None = None
    """The service tier a call asked for when this is the standard price standing in for it."""
    tier_priced_from: date | None = None
    """With fallback_tier: the first day the price data has a price for that tier, if it has one later."""
    # Worked out on creation, from the rates above; like _genai_price, no part of comparing or showing a price.
    _deltas: tuple[tuple[str, Decimal], ...] = ()
    _rated_parts: Callable[[Counts], tuple[int, ...]] | None = None
    _no_parts: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for part, parent in PART_RATES.items():
            if getattr(self, part) is None:
                force_setattr(self, part, getattr(self, parent))
        force_setattr(self, "_deltas", _part_deltas(self))
        names = [name for name, _ in self._deltas] + (["web_search_requests"] if self.web_search else [])
        if names:
            # attrgetter of one name returns the value, not a tuple: name it twice.
            force_setattr(self, "_rated_parts", attrgetter(*names, *names[:1]))
            force_setattr(self, "_no_parts", (0,) * (len(names) + 1))

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _PRICE_FIELDS)

    def __eq__(self, other: object) -> bool:
        return self._compared() == other._compared() if isinstance(other, Price) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        return f"Price({', '.join(f'{name}={getattr(self, name)!r}' for name in _PRICE_FIELDS)})"

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0, cache_write_tokens: int = 0,
        **parts: int,
    ) -> Decimal:
        """Exact USD for ONE call; `parts` are further count fields of SPEC §1 (web_search_requests=2)."""
        return self.cost_of(Call(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, **parts))

    def cost_of(self, call: Counts) -> Decimal:
        """Exact USD for ONE call (a record); calls above `tiered_from` pay the tier's rates, as in genai-prices."""
        price = self
        if self._genai_price is not None and self.tiered_from is not None and call.input_tokens > self.tiered_from:
            from vaultledger.pricing.bundled import price_at_tier

            price = price_at_tier(self._genai_price, self.source, self.model_id, call.input_tokens)
        return price.linear_cost_of(call, 1)

    def linear_cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        calls: int = 1,
        **parts: int,
    ) -> Decimal:
        """Base-tier USD; valid for the summed counts of many calls when each call stayed <= `tiered_from`."""
        return self.linear_cost_of(Call(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, **parts),
                                   calls)

    def linear_cost_of(self, counts: Counts, calls: int) -> Decimal:
        """Base-tier USD for the summed counts of `calls` calls (each <= `tiered_from`), every part priced."""
        cache_read, cache_write = counts.cache_read_tokens, counts.cache_write_tokens
        uncached = counts.input_tokens - cache_read - cache_write
        if uncached < 0:
            raise PriceError("cache_read_tokens + cache_write_tokens exceed input_tokens")
        per_mtok = (
            uncached * self.input
            + counts.output_tokens * self.output
            + cache_read * self.cache_read
            + cache_write * self.cache_write
        )
        cost = per_mtok / MTOK
        if self.per_call:  # rare; a Decimal product and sum cost more than the test
            cost += calls * self.per_call
        # Most counts have no parts: one C-level read of the few this price rates apart says so.
        rated = self._rated_parts
        if rated is not None and rated(counts) != self._no_parts:
            cost += self._parts_cost(counts)
        return cost

    def _parts_cost(self, counts: Counts) -> Decimal:
        """What the parts add to the cost of the counts taken as input, output and cache tokens alone."""
        per_mtok = ZERO
        for name, delta in self._deltas:
            count = getattr(counts, name)
            if count:
                per_mtok += count * delta
        searches = counts.web_search_requests
        extra = per_mtok / MTOK if per_mtok else ZERO
        return extra + searches * self.web_search / KILO if searches else extra

    def rates(self) -> dict[str, Decimal]:
        """Every rate by its `[[prices]]` name (USD per MTok; web_search per 1,000 searches)."""
        return {name: getattr(self, name) for name in RATE_NAMES}


RATE_NAMES = ("input", "output", "cache_read", "cache_write", *PART_RATES, "web_search")


def _part_deltas(price: Price) -> tuple[tuple[str, Decimal], ...]:
    """Per count field, what a token of it costs beyond what the input/output/cache formula charges.

    A cached audio token is in cache_read_tokens and input_audio_tokens both, so its own rate takes
    back the cache-read and audio rates charged for it and the input rate subtracted for it twice.
    A cached image or video token (the record has no field for those) likewise costs the cache-read
    rate plus its modality's difference from input: exactly the cache-read rate where that modality
    costs what text does (Gemini). OpenAI's image and realtime models price cached images apart,
    which a record cannot express until SPEC §1 splits cache reads by image.
    """
    rate: dict[str, Decimal] = price.rates()
    deltas = {
        "cache_write_1h_tokens": rate["cache_write_1h"] - price.cache_write,
        "input_audio_tokens": rate["input_audio"] - price.input,
        "input_image_tokens": rate["input_image"] - price.input,
        "input_video_tokens": rate["input_video"] - price.input,
        "cache_read_audio_tokens": rate["cache_read_audio"] - price.cache_read - rate["input_audio"] + price.input,
        "output_audio_tokens": rate["output_audio"] - price.output,
        "output_image_tokens": rate["output_image"] - price.output,
        "reasoning_tokens": rate["output_reasoning"] - price.output,
    }
    return tuple((name, delta) for name, delta in deltas.items() if delta)


PART_LABELS = {
    "cache_write_1h": "1-hour cache write", "input_audio": "audio input", "input_image": "image input",
    "input_video": "video input", "cache_read_audio": "audio cache read", "output_audio": "audio output",
    "output_image": "image output", "output_reasoning": "reasoning",
}


def describe_rates(price: Price) -> list[str]:
    """The rates for humans, a line per unit of measure; a part is named only where its rate differs
    from its whole's: ["per million tokens: input $3, output $15, cache read $0.3, cache write $3.75,
    1-hour cache write $6", "per 1,000 web searches: $10"]."""
    tokens = [f"input ${price.input}", f"output ${price.output}", f"cache read ${price.cache_read}",
              f"cache write ${price.cache_write}"]
    tokens += [f"{PART_LABELS[part]} ${getattr(price, part)}" for part, whole in PART_RATES.items()
               if getattr(price, part) != getattr(price, whole)]
    lines = [f"per million tokens: {', '.join(tokens)}"]
    if price.web_search:
        lines.append(f"per 1,000 web searches: ${price.web_search}")
    if price.per_call:
        lines.append(f"per call: ${price.per_call}")
    return lines


def tier_note(price: Price) -> str | None:
    """Why calls at `price.fallback_tier` are priced at the standard rate, or None when they are not."""
    tier = price.fallback_tier
    if tier is None:
        return None
    if price.tier_priced_from is not None:
        return f"the price data has no {tier} price before {price.tier_priced_from.isoformat()}"
    return f"the price data has no {tier} price for {price.model_id}"


# What a price is, for comparing and showing: every field but those worked out from them on creation.
_PRICE_FIELDS = tuple(name for name in Price.__struct_fields__ if not name.startswith("_"))


def local_price(model: str) -> Price:
    """Models on your own machine: $0."""
    return Price(ZERO, ZERO, ZERO, ZERO, source="local model: $0", model_id=model)


class RecordCost(msgspec.Struct, frozen=True):
    """A record's cost (None = unpriced), a human note on where it came from, and the price used."""

    cost: Decimal | None
    source: str
    price: Price | None


CENT = Decimal("0.01")
SMALLEST_SHOWN = Decimal("0.0000001")  # SPEC §3 shows $0.0000015: two significant digits need 7 places


def format_share(part: Decimal | int, whole: Decimal | int) -> str:
    """A share as a whole percent; tiny but non-zero shares say so instead of showing 0 %."""
    if not whole:
        return "—"
    share = Decimal(part) * 100 / Decimal(whole)
    if 0 < share < 1:
        return "<1 %"
    return f"{share.quantize(Decimal(1)):,} %"


def format_usd(amount: Decimal | None) -> str:
    """Money for humans (SPEC §3): `$1,234.57`; under one cent two significant digits, at most 7 decimals.

    0 -> `$0.00`; 0.0045 -> `$0.0045`; 0.0000015 -> `$0.0000015`; 0.004512 -> `$0.0045` (trailing zeros
    stripped); a non-zero amount under $0.0000001 -> `<$0.0000001` (never a misleading $0); None ->
    `unpriced`. Rounding is ROUND_HALF_UP (as on an invoice), not banker's rounding.
    """
    if amount is None:
        return "unpriced"
    amount = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    sign, magnitude = ("-" if amount < 0 else ""), abs(amount)
    if magnitude == 0:
        return "$0.00"
    if magnitude >= CENT:
        return f"{sign}${magnitude.quantize(CENT, rounding=ROUND_HALF_UP):,}"
    if magnitude < SMALLEST_SHOWN:
        return f"{sign}<${SMALLEST_SHOWN:f}"
    return f"{sign}${_two_significant_digits(magnitude):f}"


def _two_significant_digits(amount: Decimal) -> Decimal:
    """0 < amount < 0.01 to two significant digits, at most 7 decimals, trailing zeros stripped."""
    step = max(Decimal(1).scaleb(amount.adjusted() - 1), SMALLEST_SHOWN)
    return amount.quantize(step, rounding=ROUND_HALF_UP).normalize()
