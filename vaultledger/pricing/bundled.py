"""The bundled price data: the only module that imports genai-prices (offline data, loaded in tens of ms).

Everything else reaches it through here, and only when a price is not already known (see store.py).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from _thread import RLock
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vaultledger._imports import forwarding, import_with


def _price_data_package() -> None:
    """Make `genai_prices` importable without running its package `__init__` until a name only it
    defines is asked for. That `__init__` imports the HTTP client of genai-prices' live updates
    (httpx, asyncio) and reads its version from package metadata: a fifth of the price data's loading
    time (181 → 143 ms here), for nothing vaultledger uses. The price data, its types and their lookups are modules
    of their own, which work without it; an app that uses genai-prices itself gets the whole package
    on first use (`calc_price`, `__version__`, `from genai_prices import *` ...)."""
    if "genai_prices" in sys.modules:
        return  # imported already (by the app hosting us, or a run before): used as it is
    spec = importlib.util.find_spec("genai_prices")
    if spec is None or spec.loader is None:
        return  # not installed: the import below says so
    package = importlib.util.module_from_spec(spec)
    # Threads asking at once wait for one run of __init__; that run's own imports (`from . import
    # types`) ask the package too, and are told no, so that importlib imports the submodule instead.
    completing, running, done = RLock(), False, False

    def complete(name: str) -> Any:
        nonlocal running, done
        with completing:
            if not done:
                if running:
                    raise AttributeError(f"module 'genai_prices' has no attribute {name!r} yet")
                running = True
                try:
                    spec.loader.exec_module(package)  # type: ignore[union-attr]
                finally:
                    running = False
                done = True
                del package.__dict__["__getattr__"], package.__dict__["__dir__"]
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'genai_prices' has no attribute {name!r}") from None

    def names() -> list[str]:
        complete("__name__")
        return sorted(package.__dict__)

    package.__getattr__ = complete  # type: ignore[method-assign]
    package.__dir__ = names  # type: ignore[method-assign]
    sys.modules["genai_prices"] = package


def _plugin_loader_without_package_metadata() -> None:
    """Load pydantic's plugin loader without `importlib.metadata` where no plugin will be looked for.

    The loader imports `importlib.metadata` (and with it email, zipfile, csv ...: 15-20 ms) for one
    function, `entry_points`, which it calls only when plugins are not disabled. Where the environment
    disables them all (vaultledger's own commands do, see cli/fast.py), the loader takes a stand-in
    whose `entry_points` imports the real module when first called: a later change of the setting
    still finds every plugin."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
        import_with("pydantic.plugin._loader", {"importlib.metadata": forwarding("importlib.metadata", "entry_points")})


if TYPE_CHECKING:
    from genai_prices import data_snapshot
    from genai_prices import types as gp
else:
    _plugin_loader_without_package_metadata()
    _price_data_package()
    # By module name: `from genai_prices import types` would ask the package for the name, and complete it.
    gp = importlib.import_module("genai_prices.types")
    data_snapshot = importlib.import_module("genai_prices.data_snapshot")

from vaultledger.errors import PriceError
from vaultledger.pricing.price import KILO, ZERO, BundledRef, Price
from vaultledger.pricing.proxied import SAME, proxied_names
from vaultledger.pricing.store import GENAI_PRICES_VERSION
from vaultledger.record.tiers import PRICED_TIERS, STANDARD, STANDARD_WORDS, tier_name
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

STANDARD_TIERS = STANDARD_WORDS  # the name this module exported before tiers.py


def price_from_genai(model_price: gp.ModelPrice, source: str, model_id: str, at_input: int | None = None,
                     fallback_tier: str | None = None, tier_priced_from: date | None = None) -> Price:
    """Our Price for a genai-prices ModelPrice: its base tier, or the tier a call of `at_input` input
    tokens pays. A unit without a rate of its own is priced as the nearest unit containing it, as
    genai-prices prices it."""
    values = {key: value for key, value in vars(model_price).items() if value is not None and key[0] != "_"}

    def rate(key: str) -> Decimal | None:
        return _rate(values.get(key), at_input)

    input_rate = _or(rate("input_mtok"), ZERO)
    cache_read, input_audio = rate("cache_read_mtok"), rate("input_audio_mtok")
    cache_read_audio = rate("cache_audio_read_mtok")
    if cache_read_audio is None and cache_read is None:
        cache_read_audio = input_audio  # cached audio is then audio input (genai-prices: the priced ancestor)
    requests = rate("requests_kcount")
    tiered = [value for value in values.values() if isinstance(value, gp.TieredPrices)]
    return Price(
        input=input_rate,
        output=_or(rate("output_mtok"), ZERO),
        cache_read=_or(cache_read, input_rate),
        cache_write=_or(rate("cache_write_mtok"), input_rate),
        source=source,
        model_id=model_id,
        tiered_from=min((tier.start for value in tiered for tier in value.tiers), default=None)
        if at_input is None else None,
        per_call=requests / KILO if requests else ZERO,
        _genai_price=model_price if tiered and at_input is None else None,
        cache_write_1h=rate("cache_write_1h_mtok"),
        input_audio=input_audio,
        input_image=rate("input_image_mtok"),
        input_video=rate("input_video_mtok"),
        cache_read_audio=cache_read_audio,
        output_audio=rate("output_audio_mtok"),
        output_image=rate("output_image_mtok"),
        output_reasoning=rate("output_reasoning_mtok"),
        web_search=_or(rate("web_searches_kcount"), ZERO),
        fallback_tier=fallback_tier,
        tier_priced_from=tier_priced_from,
    )


def _rate(value: Decimal | gp.TieredPrices | None, at_input: int | None) -> Decimal | None:
    """A unit's rate; a tiered one at the highest tier whose start `at_input` exceeds (genai-prices' rule)."""
    if not isinstance(value, gp.TieredPrices):
        return value
    if at_input is not None:
        for tier in reversed(value.tiers):
            if at_input > tier.start:
                return tier.price
    return value.base


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value


_tier_prices: dict[tuple[int, int], tuple[gp.ModelPrice, Price]] = {}
_loaded: dict[BundledRef, gp.ModelPrice] = {}


def price_at_tier(source: gp.ModelPrice | BundledRef, label: str, model_id: str, input_tokens: int) -> Price:
    """The rates a call of `input_tokens` input tokens pays under a tiered price (made once per tier)."""
    model_price = _load_model_price(source) if isinstance(source, BundledRef) else source
    starts = {tier.start for value in vars(model_price).values() if isinstance(value, gp.TieredPrices)
              for tier in value.tiers}
    key = (id(model_price), sum(1 for start in starts if input_tokens > start))
    known = _tier_prices.get(key)
    if known is None or known[0] is not model_price:
        known = _tier_prices[key] = (model_price, price_from_genai(model_price, label, model_id, input_tokens))
    return known[1]


def _load_model_price(ref: BundledRef) -> gp.ModelPrice:
    model_price = _loaded.get(ref)
    if model_price is None:
        found = find_genai_model(normalise_provider(ref.provider) if ref.provider else None, ref.model)
        if found is None:
            raise PriceError(f"cannot price {ref.model}: genai-prices {GENAI_PRICES_VERSION} no longer knows it")
        bundled = BundledModel(*found, ref.service_tier)
        model_price = _loaded[ref] = bundled.model.get_prices(ref.at, bundled.context)
    return model_price


def price_context(service_tier: str | None, model: gp.ModelInfo | None = None) -> dict[str, str] | None:
    """genai-prices' price_context for a record's service tier: `batch` is a processing mode there,
    and a tier the model's variants name under another key (Anthropic's `speed: fast`) uses that key."""
    tier = tier_name(service_tier)
    if tier == STANDARD:
        return None
    if tier == "batch":
        return {"processing": "batch"}
    for variant in (model.price_variants or ()) if model is not None else ():
        for key, value in variant.when.items():
            if value == tier and key != "processing":
                return {key: tier}
    return {"service_tier": tier}


def load_bundled_prices() -> None:
    """Load genai-prices' price data now (it loads on first use, in tens of milliseconds)."""
    data_snapshot.get_snapshot()


def find_genai_model(provider: str | None, model: str) -> tuple[gp.Provider, gp.ModelInfo] | None:
    """The genai-prices provider and model for an OpenTelemetry provider name and a model, if any;
    a proxy's name for the model (see proxied.py) is tried when the name as written finds nothing."""
    own_ids = _genai_provider_ids(provider)
    found = _first_match(own_ids, model)
    if found is None:
        for routed, name in proxied_names(model, _known_id, own_ids):
            found = _first_match(own_ids if routed is SAME else (routed,), name)
            if found is not None:
                break
    return found


def _first_match(provider_ids: tuple[str | None, ...], model: str) -> tuple[gp.Provider, gp.ModelInfo] | None:
    snapshot = data_snapshot.get_snapshot()
    for provider_id in provider_ids:
        try:
            return snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
    return None


def _genai_provider_ids(provider: str | None) -> tuple[str | None, ...]:
    """Mapped ids; an unmapped name genai-prices knows itself; else None (guess from the model)."""
    if provider in GENAI_PROVIDER_IDS:
        return GENAI_PROVIDER_IDS[provider]
    known = _known_id(provider) if provider else None
    return (known,) if known else (None,)


def _known_id(name: str) -> str | None:
    """genai-prices' id for a provider it knows by `name` (its id or one of its aliases)."""
    found = data_snapshot.find_provider_by_id(data_snapshot.get_snapshot().providers, name)
    return found.id if found else None


class BundledModel:
    """A genai-prices model with the variants matching one service tier; Prices cached per price state."""

    def __init__(self, provider: gp.Provider, model: gp.ModelInfo, service_tier: str | None) -> None:
        self.model = model
        tier = tier_name(service_tier)
        self.tier = None if tier == STANDARD else tier
        own_model = any(model is candidate for candidate in provider.models)
        # genai-prices ignores price_context for models borrowed from a fallback provider; so do we.
        self.context = price_context(self.tier, model) if own_model else None
        self.variants = [
            (index, variant)
            for index, variant in enumerate(model.price_variants or ())
            if self.context and all(self.context.get(key) == value for key, value in variant.when.items())
        ]
        # Calls at a tier with prices of its own (or one the data prices for this model at some time)
        # that get the standard price are counted; a name nothing prices is an unknown tier instead.
        self.counts_fallback = self.tier is not None and (self.tier in PRICED_TIERS or bool(self.variants))
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
        if variant_applies:
            return price_from_genai(model_price, f"{self.label} ({self.tier})", self.model.id)
        if not self.counts_fallback:
            return price_from_genai(model_price, self.label, self.model.id)
        later = [variant.constraint.start_date for _, variant in self.variants
                 if isinstance(variant.constraint, gp.StartDateConstraint) and not variant.constraint.active(ts)]
        return price_from_genai(model_price, f"{self.label} (standard: no {self.tier} price)", self.model.id,
                                fallback_tier=self.tier, tier_priced_from=min(later, default=None))


def known_provider_id(provider: str) -> bool:
    """Whether genai-prices knows `provider` by this id."""
    return _known_id(provider) is not None
