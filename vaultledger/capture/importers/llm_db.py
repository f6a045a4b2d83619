"""Simon Willison's `llm`: the `responses` table of its `logs.db` (`llm logs path`).

Plugins store their provider's raw counts, so the arithmetic follows the plugin:
- llm-anthropic: `input_tokens` excludes cache; `token_details` has `cache_read_input_tokens` and
  `cache_creation_input_tokens`, added back to input.
- OpenAI (built in): cached tokens (`prompt_tokens_details.cached_tokens`) are part of input,
  reasoning (`completion_tokens_details.reasoning_tokens`) part of output.
- llm-gemini: output already holds thoughts (`thoughtsTokenCount` in details); for versions that
  stored candidates only, output becomes `candidatesTokenCount + thoughtsTokenCount`.
The provider comes from the model id: `anthropic/claude-…`-style prefixes, then name patterns
(claude → anthropic, gpt/o1/o3/o4 → openai, gemini → gcp.gemini…), then `name:tag` → ollama
(llm-ollama), else `unknown`. Rows are streamed from SQLite opened read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import platformdirs

from vaultledger.capture.shapes.body import count, parse_timestamp, section
from vaultledger.capture.shapes.providers import provider_for_model, split_route
from vaultledger.capture.importers import ImportRun, ImportSummary, SourceNotFound, progress_bar
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog

SOURCE = "llm"
LARGE_IMPORT_ROWS = 20_000
WANTED_COLUMNS = (
    "id", "model", "resolved_model", "input_tokens", "output_tokens", "token_details",
    "datetime_utc", "conversation_id", "duration_ms",
)
ANTHROPIC_CACHE_KEYS = ("cache_read_input_tokens", "cache_creation_input_tokens")


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """What `llm logs path` prints: `$LLM_USER_PATH/logs.db`, else llm's user dir."""
    if env.get("LLM_USER_PATH"):
        return Path(env["LLM_USER_PATH"]).expanduser() / "logs.db"
    return Path(platformdirs.user_config_dir("io.datasette.llm", appauthor=False, roaming=True)) / "logs.db"


def import_llm(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per logged `llm` response not imported before; return what happened."""
    db_path = path or default_path()
    if not db_path.is_file():
        raise SourceNotFound(f"no llm logs database at {db_path}; pass its path (`llm logs path`)")
    with ImportState(state_dir, SOURCE) as state, closing(open_read_only(db_path)) as db:
        run = ImportRun(SOURCE, usage_log, state)
        run.summary.files = 1
        columns = available_columns(db, db_path)
        total = db.execute("SELECT count(*) FROM responses").fetchone()[0]
        with progress_bar("Importing llm logs", total, progress, large=LARGE_IMPORT_ROWS) as advance:
            for row in rows(db, columns):
                offer_row(row, run)
                advance(1)
    return run.summary


def open_read_only(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def available_columns(db: sqlite3.Connection, path: Path) -> list[str]:
    present = {row["name"] for row in db.execute("PRAGMA table_info(responses)")}
    if not present:
        raise SourceNotFound(f"{path} has no `responses` table: is it llm's logs.db?")
    return [column for column in WANTED_COLUMNS if column in present]


def rows(db: sqlite3.Connection, columns: list[str]) -> Iterator[sqlite3.Row]:
    """One row at a time (sqlite3 cursors fetch lazily), oldest first."""
    yield from db.execute(f"SELECT {', '.join(columns)} FROM responses ORDER BY rowid")


def offer_row(row: sqlite3.Row, run: ImportRun) -> None:
    fields = dict(zip(row.keys(), row))
    if fields.get("input_tokens") is None and fields.get("output_tokens") is None:
        run.skip("response without token counts")
        return
    try:
        details = json.loads(fields.get("token_details") or "{}")
    except ValueError:
        details = {}
    run.offer(record_fields(fields, details if isinstance(details, dict) else {}))


def record_fields(row: Mapping[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    provider, model = provider_and_model(row.get("resolved_model") or row.get("model") or "")
    return {
        "ts": parse_timestamp(row.get("datetime_utc")),  # llm writes UTC without an offset
        "provider": provider,
        "model": model,
        "id": row.get("id"),
        "app": SOURCE,
        "session": row.get("conversation_id"),
        "duration_ms": row.get("duration_ms"),
        **token_fields(row.get("input_tokens") or 0, row.get("output_tokens") or 0, details),
    }


def provider_and_model(model_id: str) -> tuple[str, str]:
    """`anthropic/claude-x` → (anthropic, claude-x); `llama3.2:latest` → (ollama, …)."""
    route, model = split_route(model_id)
    if route:
        return route, model
    guessed = provider_for_model(model_id)
    if guessed == "unknown" and ":" in model_id and not model_id.startswith("ft:"):
        return "ollama", model_id
    return guessed, model_id


def token_fields(input_tokens: int, output_tokens: int, details: Mapping[str, Any]) -> dict[str, int]:
    if any(key in details for key in ANTHROPIC_CACHE_KEYS):
        cache_read, cache_write = count(details, ANTHROPIC_CACHE_KEYS[0]), count(details, ANTHROPIC_CACHE_KEYS[1])
        return {"input_tokens": input_tokens + cache_read + cache_write, "output_tokens": output_tokens,
                "cache_read_tokens": cache_read, "cache_write_tokens": cache_write}
    if "thoughtsTokenCount" in details or "cachedContentTokenCount" in details:
        thoughts = count(details, "thoughtsTokenCount")
        with_thoughts = count(details, "candidatesTokenCount") + thoughts
        return {"input_tokens": input_tokens, "cache_read_tokens": count(details, "cachedContentTokenCount"),
                "output_tokens": max(output_tokens, with_thoughts), "reasoning_tokens": thoughts}
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "cache_read_tokens": count(section(details, "prompt_tokens_details"), "cached_tokens"),
            "reasoning_tokens": count(section(details, "completion_tokens_details"), "reasoning_tokens")}

