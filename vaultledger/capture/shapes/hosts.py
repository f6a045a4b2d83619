"""Which provider served a call, from the base URL the caller's client talked to.

An OpenAI-shaped body says little about who served it: Cerebras, Z.ai, HuggingFace, OpenRouter,
Bedrock Mantle and many more answer in OpenAI's format. The host the client called does say it.
Names follow SPEC §1: OpenTelemetry's where it has one, else genai-prices' provider id.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# (host pattern, provider), first match wins; patterns match the whole host name.
HOST_PROVIDERS: tuple[tuple[str, str], ...] = (
    (r"api\.openai\.com", "openai"),
    (r".+\.openai\.azure\.com|.+\.azure-api\.net|.+\.cognitiveservices\.azure\.com|.+\.services\.ai\.azure\.com",
     "azure.ai.openai"),
    (r"api\.anthropic\.com", "anthropic"),
    (r"generativelanguage\.googleapis\.com", "gcp.gemini"),
    (r"(.+-)?aiplatform\.googleapis\.com", "gcp.vertex_ai"),
    (r"bedrock-runtime(-fips)?\.[a-z0-9-]+\.amazonaws\.com|bedrock-mantle\.[a-z0-9-]+\.api\.aws", "aws.bedrock"),
    (r"api\.mistral\.ai", "mistral_ai"),
    (r"api\.groq\.com", "groq"),
    (r"api\.deepseek\.com", "deepseek"),
    (r"api\.x\.ai", "x_ai"),
    (r"api\.cohere\.(ai|com)", "cohere"),
    (r"(api\.)?openrouter\.ai", "openrouter"),
    (r"api\.cerebras\.ai", "cerebras"),
    (r"api\.z\.ai", "zai"),
    (r"open\.bigmodel\.cn", "zhipuai"),
    (r"router\.huggingface\.co|api-inference\.huggingface\.co", "huggingface"),
    (r"(www\.)?ollama\.com", "ollama"),
    (r"(localhost|127\.0\.0\.1):11434", "ollama"),  # Ollama's own port
    (r".+\.snowflakecomputing\.com", "snowflake"),
    (r"api\.inference\.crusoecloud\.com", "crusoe"),
    (r"api\.together\.(xyz|ai)", "together"),
    (r"api\.fireworks\.ai", "fireworks"),
    (r"api\.perplexity\.ai", "perplexity"),
    (r"api\.moonshot\.(ai|cn)", "moonshotai"),
    (r"api\.minimaxi?\.(com|io)", "minimax"),
    (r"api\.novita\.ai", "novita"),
    (r"api\.sambanova\.ai", "sambanova"),
    (r"api\.studio\.nebius\.(com|ai)", "nebius"),
    (r"oai\.endpoints\.kepler\.ai\.cloud\.ovh\.net", "ovhcloud"),
    (r"api\.githubcopilot\.com", "github-copilot"),
    (r"ai-gateway\.vercel\.sh", "vercel"),
    (r"api\.arcee\.ai", "arcee"),
    (r"inference\.baseten\.co", "baseten"),
    (r"api\.avian\.io", "avian"),
    (r"api\.voyageai\.com", "voyageai"),
    (r".+\.(cloud\.databricks\.com|azuredatabricks\.net|gcp\.databricks\.com)", "databricks"),
    (r".+\.modal\.(run|direct)", "modal"),
)
_HOST_PATTERNS = tuple((re.compile(pattern, re.IGNORECASE), provider) for pattern, provider in HOST_PROVIDERS)
_CLOUDFLARE_AI = re.compile(r"/client/v4/accounts/[^/]+/ai(/|$)")


def provider_for_url(url: object) -> str | None:
    """The provider behind a base URL or request URL, or None when the host is not one we know."""
    if url is None:
        return None
    parts = urlsplit(str(url) if "//" in str(url) else f"//{url}")
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host == "api.cloudflare.com":
        return "cloudflare" if _CLOUDFLARE_AI.search(parts.path) else None
    netloc = f"{host}:{parts.port}" if parts.port else host
    for pattern, provider in _HOST_PATTERNS:
        if pattern.fullmatch(netloc) or pattern.fullmatch(host):
            return huggingface_backend(parts.path) if provider == "huggingface" else provider
    return None


def huggingface_backend(path: str) -> str:
    """HuggingFace's router names the inference provider in the path (`/together/v1`), and genai-prices
    prices each as `huggingface_<backend>`; the bare router (`/v1`) picks one itself."""
    first = path.strip("/").partition("/")[0].lower()
    if not first or first == "v1" or not re.fullmatch(r"[a-z0-9-]+", first):
        return "huggingface"
    return f"huggingface_{first}"


def client_base_url(client: object) -> object | None:
    """The base URL an SDK client talks to (`openai.OpenAI`, `anthropic.Anthropic`, and clients like them)."""
    if client is None:
        return None
    base = getattr(client, "base_url", None)
    return base if base else None
