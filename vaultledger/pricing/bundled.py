"""The bundled price data: the only module that imports genai-prices (offline data, loaded in tens of ms).

Everything else reaches it through here, and only when a price is not already known (see store.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from genai_prices import data_snapshot
from genai_prices import types as gp

from vaultledger.errors import PriceError
from vaultledger.pricing.price import ZERO, BundledRef, Price
from vaultledger.pricing.store import GENAI_PRICES_VERSION
from vaultledger.record import normalise_provider

GENAI_PROVIDER_IDS: dict[str, tuple[str, ...]] = {
    "anthropic": ("anthropic",),
    "openai": ("openai",),
    "gcp.gemini": ("google",),
    "gcp.vertex_ai": ("google",),  # genai-prices' google falls back to anthropic for Claude on Vertex
    "gcp.gen_ai": ("google",),
    "aws.bedrock": ("aws",),
    "azure.ai.openai": ("azure", "openai"),
    "azure.ai.inference": ("azure",),
    "mistral_ai": ("mistral",),
    "groq": ("groq",),
    "deepseek": ("deepseek",),
    "x_ai": ("x-ai",),
    "cohere": ("cohere",),
    "perplexity": ("perplexity",),
}
"""OpenTelemetry provider name -> genai-prices provider ids, tried in order. A provider not listed here
is looked up by its own name in genai-prices (e.g. `openrouter`), else guessed from the model name."""

STANDARD_TIERS = frozenset({"standard", "default", "auto"})


def tiered_cost(source: gp.ModelPrice | BundledRef, model_id: str, input_tokens: int, output_tokens: int,
                cache_read_tokens: int, cache_write_tokens: int) -> Decimal:
    """genai-prices' own total for one call above a tier."""
    model_price = _load_model_price(source) if isinstance(source, BundledRef) else source
    usage = gp.Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cache_read_tokens,
                     cache_write_tokens=cache_write_tokens)
    try:
        return model_price.calc_price(usage)["total_price"]
    except ValueError as error:
        raise PriceError(f"cannot price {model_id}: {error}") from None


def _load_model_price(ref: BundledRef) -> gp.ModelPrice:
    found = find_genai_model(normalise_provider(ref.provider) if ref.provider else None, ref.model)
    if found is None:
        raise PriceError(f"cannot price {ref.model}: genai-prices {GENAI_PRICES_VERSION} no longer knows it")
    bundled = BundledModel(*found, price_context(ref.service_tier))
    return bundled.model.get_prices(ref.at, bundled.context)


def price_from_genai(model_price: gp.ModelPrice, source: str, model_id: str) -> Price:
    """Our Price for a genai-prices ModelPrice; missing cache rates fall back to input, as genai-prices does."""
    values = {key: value for key, value in vars(model_price).items() if value is not None and key[0] != "_"}
    tiered = [value for value in values.values() if isinstance(value, gp.TieredPrices)]
    input_rate = _base_rate(values.get("input_mtok")) or ZERO
    requests = _base_rate(values.get("requests_kcount"))
    return Price(
        input=input_rate,
        output=_base_rate(values.get("output_mtok")) or ZERO,
        cache_read=_base_rate(values.get("cache_read_mtok")) or input_rate,
        cache_write=_base_rate(values.get("cache_write_mtok")) or input_rate,
        source=source,
        model_id=model_id,
        tiered_from=min((tier.start for value in tiered for tier in value.tiers), default=None),
        per_call=requests / 1000 if requests else ZERO,
        _genai_price=model_price if tiered else None,
    )


def _base_rate(value: Decimal | gp.TieredPrices | None) -> Decimal | None:
    return value.base if isinstance(value, gp.TieredPrices) else value


def price_context(service_tier: str | None) -> dict[str, str] | None:
    """genai-prices' price_context for a record's service tier (`batch` is a processing mode there)."""
    tier = (service_tier or "").strip().lower()
    if not tier or tier in STANDARD_TIERS:
        return None
    if tier == "batch":
        return {"processing": "batch"}
    return {"service_tier": tier}


def load_bundled_prices() -> None:
    """Load genai-prices' price data now (it loads on first use, in tens of milliseconds)."""
    data_snapshot.get_snapshot()


def find_genai_model(provider: str | None, model: str) -> tuple[gp.Provider, gp.ModelInfo] | None:
    """The genai-prices provider and model for an OpenTelemetry provider name and a model, if any."""
    snapshot = data_snapshot.get_snapshot()
    for provider_id in _genai_provider_ids(provider):
        try:
            return snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
    return None


def _genai_provider_ids(provider: str | None) -> tuple[str | None, ...]:
    """Mapped ids; an unmapped name genai-prices knows itself; else None (guess from the model)."""
    if provider in GENAI_PROVIDER_IDS:
        return GENAI_PROVIDER_IDS[provider]
    if provider and data_snapshot.find_provider_by_id(data_snapshot.get_snapshot().providers, provider):
        return (provider,)
    return (None,)


class BundledModel:
    """A genai-prices model with the variants matching one service tier; Prices cached per price state."""

    def __init__(self, provider: gp.Provider, model: gp.ModelInfo, context: dict[str, str] | None) -> None:
        self.model = model
        own_model = any(model is candidate for candidate in provider.models)
        # genai-prices ignores price_context for models borrowed from a fallback provider; so do we.
        self.context = context if own_model else None
        self.variants = [
            (index, variant)
            for index, variant in enumerate(model.price_variants or ())
            if self.context and all(self.context.get(key) == value for key, value in variant.when.items())
        ]
        self.label = f"genai-prices {GENAI_PRICES_VERSION}: {provider.name} {model.name or model.id}"
        self.varies_with_time = isinstance(model.prices, list) or any(v.constraint for _, v in self.variants)
        constraints = [price.constraint for price in model.prices] if isinstance(model.prices, list) else []
        constraints += [variant.constraint for _, variant in self.variants]
        # Start dates change a price at most once at a known instant; time-of-day windows (off-peak
        # rates) change it within every day, so only the former can be priced per day.
        self.varies_within_day = any(
            constraint is not None and not isinstance(constraint, gp.StartDateConstraint) for constraint in constraints
        )
        self._by_state: dict[tuple[int, tuple[int, ...]], Price] = {}

    def price_at(self, ts: datetime) -> Price:
        state = self._state(ts)
        price = self._by_state.get(state)
        if price is None:
            price = self._by_state[state] = self._build(ts, bool(state[1]))
        return price

    def _state(self, ts: datetime) -> tuple[int, tuple[int, ...]]:
        """Which conditional price and which variants apply at `ts` (genai-prices' own rules)."""
        chosen = 0
        if isinstance(self.model.prices, list):
            for index in reversed(range(len(self.model.prices))):
                constraint = self.model.prices[index].constraint
                if constraint is None or constraint.active(ts):
                    chosen = index
                    break
        active = tuple(i for i, v in self.variants if v.constraint is None or v.constraint.active(ts))
        return chosen, active

    def _build(self, ts: datetime, variant_applies: bool) -> Price:
        model_price = self.model.get_prices(ts, self.context)
        tier = next(iter(self.context.values())) if variant_applies and self.context else None
        source = f"{self.label} ({tier})" if tier else self.label
        return price_from_genai(model_price, source, self.model.id)


def known_provider_id(provider: str) -> bool:
    """Whether genai-prices knows `provider` by this id."""
    snapshot = data_snapshot.get_snapshot()
    return data_snapshot.find_provider_by_id(snapshot.providers, provider) is not None
