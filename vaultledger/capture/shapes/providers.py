"""Which provider serves a model, guessed from its name, for OpenAI-shaped bodies and foreign logs."""

from __future__ import annotations

from vaultledger.record import PROVIDER_ALIASES, normalise_provider

# Model name prefixes, checked in order; the first match names the provider.
MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("claude", "anthropic"),
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("codex-", "openai"),
    ("text-embedding-", "openai"),
    ("ft:gpt", "openai"),
    ("gemini", "gcp.gemini"),
    ("gemma", "gcp.gemini"),
    ("mistral", "mistral_ai"),
    ("open-mistral", "mistral_ai"),
    ("open-mixtral", "mistral_ai"),
    ("mixtral", "mistral_ai"),
    ("codestral", "mistral_ai"),
    ("magistral", "mistral_ai"),
    ("ministral", "mistral_ai"),
    ("pixtral", "mistral_ai"),
    ("devstral", "mistral_ai"),
    ("voxtral", "mistral_ai"),
    ("grok", "x_ai"),
    ("deepseek", "deepseek"),
    ("command", "cohere"),
)

# `provider/model` prefixes used by LiteLLM, llm plugins and routers.
ROUTE_PREFIXES = frozenset(
    {"anthropic", "openai", "gemini", "vertex_ai", "bedrock", "mistral", "groq", "deepseek", "xai",
     "ollama", "openrouter", "azure", "cohere", "together_ai", "fireworks_ai", "perplexity", "x-ai"}
) | frozenset(PROVIDER_ALIASES)


def provider_for_model(model: str | None, default: str = "unknown") -> str:
    """The OpenTelemetry provider name a model id suggests, e.g. `mistral-small-latest` → `mistral_ai`."""
    if not model:
        return default
    route, slash, rest = model.partition("/")
    if slash and route.lower() in ROUTE_PREFIXES:
        return normalise_provider(route)
    name = model.lower()
    for prefix, provider in MODEL_PREFIXES:
        if name.startswith(prefix):
            return provider
    return default


def split_route(model: str) -> tuple[str | None, str]:
    """`anthropic/claude-x` → (`anthropic`, `claude-x`); a bare model name has no route."""
    route, slash, rest = model.partition("/")
    if slash and rest and route.lower() in ROUTE_PREFIXES:
        return normalise_provider(route), rest
    return None, model
