"""What the coding-agent importers share: provider names, token conventions, attrs and shares of rollups.

Token conventions differ by agent and even by version: whether input includes the cache, whether
output includes reasoning. An agent that logs a `total` says which by arithmetic, so `with_cache` and
`with_reasoning` check the total first and fall back on the agent's documented default.

Attrs every agent importer uses for what the agent knows about a call (flat, SPEC §1):
`agent_version`, `git_branch`, `subagent` (its name, or true), `parent_session`, `agent_mode`,
`input_tokens_unknown` (the call happened, its input count was lost: recorded as 0, never dropped),
`usage_split` (the call's counts are an even share of a rollup the agent logged for several calls; the
rollup's sums are exact, the split between its calls is not) and `agent_cost_usd` (the agent's own cost
figure, kept for comparison; vaultledger prices the call itself, since agents' stored costs are known
to miss cache reads and writes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from vaultledger.capture.importers import ImportRun
from vaultledger.capture.importers.state import usage_fingerprint
from vaultledger.capture.shapes.providers import provider_for_model
from vaultledger.errors import InvalidRecord
from vaultledger.record import UsageRecord, make_record, normalise_provider

INPUT_UNKNOWN = "input_tokens_unknown"
# Provider names agents write that are neither OpenTelemetry's nor our aliases.
AGENT_PROVIDERS = {
    "amazon-bedrock": "aws.bedrock",
    "aws_bedrock": "aws.bedrock",
    "gcp_vertex_ai": "gcp.vertex_ai",
    "google-vertex-anthropic": "gcp.vertex_ai",
    "github_copilot": "github-copilot",
}


def agent_provider(name: str | None, model: str) -> tuple[str, bool]:
    """(provider, guessed): the provider the agent named, else one guessed from the model; a local
    `name:tag` model (Ollama's naming) is guessed to be served by Ollama."""
    if name and name.strip():
        return normalise_provider(AGENT_PROVIDERS.get(name.strip().lower(), name)), False
    guessed = provider_for_model(model)
    if guessed == "unknown" and ":" in model and not model.startswith("ft:"):
        return "ollama", True
    return guessed, True


def with_cache(stated: int, cache: int, total: int | None, rest: int, included: bool) -> int:
    """Input with its cache tokens in it (SPEC §1): `stated` as logged, `cache` the reads and writes,
    `rest` what else the agent's `total` adds up (output, reasoning); `included` the agent's default."""
    if total is not None and total == rest + stated + cache and total != rest + stated:
        return stated + cache
    if total is not None and total == rest + stated:
        return stated
    return stated if included and cache <= stated else stated + cache


def with_reasoning(stated: int, reasoning: int, total: int | None, rest: int, included: bool) -> int:
    """Output with its reasoning in it (SPEC §1); arguments as for `with_cache`."""
    if total is not None and total == rest + stated + reasoning and total != rest + stated:
        return stated + reasoning
    if total is not None and total == rest + stated:
        return stated  # the caller caps reasoning at it
    return stated if included and reasoning <= stated else stated + reasoning


def agent_attrs(**values: Any) -> dict[str, Any] | None:
    """Attrs without the values that say nothing (None, False, empty text)."""
    kept = {key: value for key, value in values.items() if value is not None and value is not False and value != ""}
    return kept or None


def input_unknown(input_tokens: int) -> dict[str, bool]:
    """The attr that marks a call whose input count was lost (a real call always reads some input)."""
    return {INPUT_UNKNOWN: True} if input_tokens == 0 else {}


def unreadable(error: msgspec.DecodeError) -> str:
    """Why a line could not be read: not JSON at all, or JSON of another shape than the agent writes."""
    if isinstance(error, msgspec.ValidationError):
        return f"unexpected shape ({error})"
    return "not JSON (a partial or corrupt line)"


def even_shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole shares that add up to it exactly (the last ones one larger)."""
    base, extra = divmod(total, parts)
    return [base + (index >= parts - extra) for index in range(parts)]


def from_millis(value: Any) -> dt.datetime | None:
    """An aware UTC time from Unix milliseconds (how OpenCode, Copilot and Qwen Code stamp rollups)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def offer_if_new(run: ImportRun, fields: Mapping[str, Any]) -> None:
    """Offer a call only if the destination does not hold its id with any usage yet: for counts
    rebuilt from a rollup, which must never replace the exact counts an earlier import took from the
    per-call log the agent has deleted since."""
    try:
        record = make_record(**fields)
    except InvalidRecord:
        run.offer(dict(fields))  # the run reports why
        return
    if record.id and _id_held(run, record):
        run.summary.messages += 1
        run.summary.already_imported += 1
        return
    run.offer(dict(fields))


def _id_held(run: ImportRun, record: UsageRecord) -> bool:
    assert record.id is not None
    if run.state.fingerprint_of(record.id) is not None:
        return True
    return run.destination.find(record, usage_fingerprint(record))[1]
