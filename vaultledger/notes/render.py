"""Usage → Markdown for the note sections, through Jinja2 templates users can override."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from vaultledger.ledger.usage import Sums, Usage
from vaultledger.notes.escape import markdown_text
from vaultledger.pricing import format_share, format_usd

if TYPE_CHECKING:
    import jinja2


def bundled_templates_dir() -> Path:
    """`templates/` of the repo in a checkout, `vaultledger/_templates` in an installed wheel."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_templates"
    return installed if installed.is_dir() else package.parent / "templates"


@lru_cache(maxsize=8)
def template_environment(user_dir: Path | None) -> jinja2.Environment:
    import jinja2  # here: reports import this module for its formatting, and need no templates

    search = [str(user_dir)] if user_dir else []
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*search, str(bundled_templates_dir())]),
        autoescape=False,  # Markdown, not HTML; cells are escaped by the `cell` filter instead
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(usd=format_usd, count=format_count, cell=markdown_cell, pct=format_share,
                               quote=callout_body)
    return environment


def render_section(kind: str, context: Mapping[str, Any], user_dir: Path | None = None) -> str:
    """The body of one note section (between the markers), ending in exactly one newline."""
    text = template_environment(user_dir).get_template(f"{kind}.md.j2").render(**context)
    # A trailing blank line keeps the end marker from being read as one more table row.
    text = re.sub(r"\n{3,}", "\n\n", text.strip("\n")) + "\n\n"
    return text.replace("<%", "<\\%")  # Templater would execute `<%` on the next template run


def format_count(value: int) -> str:
    return f"{value:,}"


def callout_body(text: str) -> str:
    """Markdown as the body of a callout: every line quoted, blank lines too, so the callout holds
    all of it (a line without `>` would end the callout and show the rest as plain text)."""
    lines = re.sub(r"\n{3,}", "\n\n", text.strip("\n")).split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


# The short table of what cost the most: enough rows to see the drivers, few enough for a journal.
TOP_ROWS = 5

# Templates escape every piece of record text with the `cell` filter, in tables and in prose alike.
markdown_cell = markdown_text


# OpenTelemetry's provider names, as people write them. Unknown providers show as they were logged.
PROVIDER_NAMES = {
    "anthropic": "Anthropic", "openai": "OpenAI", "gcp.gemini": "Gemini", "gcp.vertex_ai": "Vertex AI",
    "aws.bedrock": "Bedrock", "azure.ai.openai": "Azure OpenAI", "azure.ai.inference": "Azure AI",
    "mistral_ai": "Mistral", "x_ai": "xAI", "deepseek": "DeepSeek", "groq": "Groq", "cohere": "Cohere",
    "perplexity": "Perplexity", "ibm.watsonx.ai": "watsonx", "ollama": "Ollama", "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp", "vllm": "vLLM", "openrouter": "OpenRouter", "huggingface": "Hugging Face",
    "together": "Together", "fireworks": "Fireworks", "cerebras": "Cerebras",
}


def provider_label(provider: str | None) -> str | None:
    """`Gemini` for `gcp.gemini`: the name a reader knows, where it is clear which one is meant."""
    return PROVIDER_NAMES.get(provider, provider) if provider is not None else None


class Row(msgspec.Struct, frozen=True):
    """One table row: a label and its sums, with its share of the whole (`key` is the logged value)."""

    label: str | None
    sums: Sums
    share: str
    key: str | None = None


def rows_for(usage: Usage, dimension: str, total: Sums) -> list[Row]:
    shown = provider_label if dimension == "provider" else (lambda key: key)
    return [Row(shown(key), sums, share_of(sums, total), key) for key, sums in usage.by(dimension)]


def share_of(part: Sums, total: Sums) -> str:
    """Cost share when there is cost, else a share of calls (all-local days still say something)."""
    if total.cost:
        return format_share(part.cost, total.cost)
    return format_share(part.calls, total.calls)


def has_values(rows: Sequence[Row]) -> bool:
    """A dimension is worth a table only when some call named a value for it."""
    return any(row.label is not None for row in rows)


def top_rows(rows: Sequence[Row], total: Sums, limit: int = TOP_ROWS, what: str = "models") -> list[Row]:
    """The first `limit` rows, and one row for the rest, so the short table still adds up to the total."""
    if len(rows) <= limit + 1:
        return list(rows)
    rest = Sums()
    for row in rows[limit:]:
        rest.add(row.sums)
    return [*rows[:limit], Row(f"{len(rows) - limit} more {what}", rest, share_of(rest, total))]


def usage_context(usage: Usage) -> dict[str, Any]:
    """What every section shows about a span of usage."""
    total = usage.totals()
    context: dict[str, Any] = {"total": total, "unpriced": usage.unpriced_models(),
                               "tier_fallbacks": usage.tier_fallbacks()}
    for dimension in ("provider", "model", "project", "use_case", "app"):
        rows = rows_for(usage, dimension, total)
        context[f"by_{dimension}"] = rows if has_values(rows) else []
    context["top_models"] = top_rows(context["by_model"], total)
    return context
