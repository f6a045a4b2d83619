"""Which provider serves a model, guessed from its name, for OpenAI-shaped bodies and foreign logs.

A guess is only a guess: records built from one carry `attrs.provider_guessed` (SPEC §1), so reports
can count them, and the caller can say the provider (or the base URL) to make it certain.
"""

from __future__ import annotations

import re

from vaultledger.record import PROVIDER_ALIASES, normalise_provider

GUESSED = "provider_guessed"

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
    ("glm-", "zai"),
    ("kimi-", "moonshotai"),
)

# `provider/model` prefixes used by LiteLLM, llm plugins and routers.
ROUTE_PREFIXES = frozenset(
    {"anthropic", "openai", "gemini", "vertex_ai", "bedrock", "mistral", "groq", "deepseek", "xai",
     "ollama", "openrouter", "azure", "cohere", "together_ai", "fireworks_ai", "perplexity", "x-ai"}
) | frozenset(PROVIDER_ALIASES)

# Bedrock model ids: `vendor.model`, optionally behind a cross-region inference prefix (`us.`, `global.` …).
BEDROCK_MODEL_ID = re.compile(
    r"((us|eu|apac|jp|au|ca|global|us-gov)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|openai|deepseek|qwen|"
    r"writer|twelvelabs|stability|moonshot|moonshotai|minimax|google|nvidia|zai)\.[a-z0-9]",
    re.IGNORECASE,
)


def provider_for_model(model: str | None, default: str = "unknown") -> str:
    """The OpenTelemetry provider name a model id suggests, e.g. `mistral-small-latest` → `mistral_ai`."""
    if not model:
        return default
    route, slash, rest = model.partition("/")
    if slash and route.lower() in ROUTE_PREFIXES:
        return normalise_provider(route)
    if BEDROCK_MODEL_ID.match(model):
        return "aws.bedrock"
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


def guessed() -> dict[str, bool]:
    """The attrs a record gets when its provider was inferred rather than told (SPEC §1)."""
    return {GUESSED: True}
