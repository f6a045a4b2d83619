"""Who served a model Claude Code names: Anthropic, or Bedrock / Vertex AI directly or through a proxy.

Claude Code logs the model id it sent. Behind a LiteLLM proxy routed to Bedrock that id carries the
proxy's route (`converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0`, `bedrock/converse/…`); with
`CLAUDE_CODE_USE_BEDROCK` it is a Bedrock id or inference-profile ARN; on Vertex AI it is
`claude-…@date`. Each is recorded under the provider whose price list knows it (`aws.bedrock` with the
Bedrock model id, `gcp.vertex_ai`), so it can be priced; any other name is Anthropic's, even when a
`msg_bdrk_` message id shows a proxy passed it to Bedrock: which Bedrock profile (global at
Anthropic's rates, or regional at +10 %) served it is unknown, and the corpus' agreed costs for such
transcripts (codemie-incremental-*) are Anthropic's rates.
"""

from __future__ import annotations

import re

ANTHROPIC = "anthropic"
BEDROCK = "aws.bedrock"
VERTEX = "gcp.vertex_ai"
# LiteLLM's routes in front of a Bedrock model id (`bedrock/`, `converse/`, `invoke/`, combined).
PROXY_ROUTES = frozenset({"bedrock", "converse", "invoke", "bedrock_converse"})
# A Bedrock model id: optional geography of a cross-region profile, then `anthropic.claude…`.
BEDROCK_MODEL = re.compile(r"^(?:[a-z]{2,6}\.)?anthropic\.claude", re.IGNORECASE)
VERTEX_MODEL = re.compile(r"^claude-[^@/]+@[0-9a-z-]+$", re.IGNORECASE)


def provider_and_model(logged: str) -> tuple[str, str]:
    """(provider, model) for the model name a transcript logged."""
    model = without_proxy_route(logged)
    if BEDROCK_MODEL.match(model):
        return BEDROCK, model
    if VERTEX_MODEL.match(model):
        return VERTEX, model
    if model.lower().startswith(ANTHROPIC + "/"):
        return ANTHROPIC, model.partition("/")[2]
    return ANTHROPIC, logged


def without_proxy_route(logged: str) -> str:
    """The model id without LiteLLM's route prefixes or an ARN's path (`…:inference-profile/ID`)."""
    if logged.startswith("arn:"):
        return logged.rpartition("/")[2] or logged
    parts = logged.split("/")
    while len(parts) > 1 and parts[0].lower() in PROXY_ROUTES:
        parts.pop(0)
    return "/".join(parts)
