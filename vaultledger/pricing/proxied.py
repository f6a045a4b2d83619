"""Model names a proxy or router wrapped in words of its own, and the names the price data knows them by.

LiteLLM and the proxies built on it name a model by its route (`bedrock/converse/us.anthropic.…`,
`converse/jp.anthropic.…`, `vertex_ai/claude-…`), OpenRouter-style ids name the vendor
(`anthropic/claude-…`), and Bedrock ids carry a region or inference-profile prefix (`jp.`, `global.`).
Claude Code behind such a proxy logs these names as the model. Each is tried only after the name
as written found nothing, so a name the price data knows is never re-routed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

SAME = None  # a route word that names no other provider: try the rest under the record's own provider

ROUTES: dict[str, str | None] = {
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "converse": "aws",
    "invoke": "aws",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "azure": "azure",
    "azure_ai": "azure",
    "openrouter": "openrouter",
    "litellm_proxy": SAME,
    "models": SAME,  # Google's `models/gemini-…` resource names
}
"""Route words (genai-prices provider ids): they say which host served the call, whoever the record names."""

BEDROCK_ID = re.compile(
    r"^(?:(?:us|us-gov|eu|apac|jp|au|ca|in|global)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer|twelvelabs)\.[a-z0-9]",
    re.IGNORECASE,
)
"""A Bedrock model id (`anthropic.claude-…-v1:0`), with its region or inference-profile prefix."""


def proxied_names(
    model: str, vendor_id: Callable[[str], str | None], own_ids: tuple[str | None, ...]
) -> Iterator[tuple[str | None, str]]:
    """(genai-prices provider id, or SAME for the record's own provider; model name) to try, in order.

    A leading route word is stripped and routes to its host. A leading vendor (`anthropic/`) routes
    to that vendor only when the record names no provider the price data knows (a proxy); under a
    known host it is stripped and the host's own price is looked up (Cerebras' `openai/gpt-oss-120b`
    is Cerebras' call, never OpenAI's).
    """
    rest = model
    while "/" in rest:
        head, _, rest = rest.partition("/")
        key = head.strip().lower()
        if key in ROUTES:
            yield ROUTES[key], rest
            continue
        vendor = vendor_id(key)
        if vendor is None:
            return
        yield (vendor if None in own_ids else SAME), rest
    if BEDROCK_ID.match(rest):
        yield "aws", rest
