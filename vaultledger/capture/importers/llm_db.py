"""Simon Willison's `llm`: the calls its `logs.db` holds (`llm logs path`).

llm ≥ 0.32.1 logs every call to the `turns` table; older releases logged to `responses`, which
stays in the database as frozen history. Both are read: every turn, then every response whose id
is not also a turn (llm itself treats a response with a turn's id as the same call, the turn being
the richer record). A turn's `thread_id` and a response's `conversation_id` name the same
conversations, so either is the record's session. Token arithmetic per plugin: `llm_tokens`.

The provider comes from the model id: `anthropic/claude-…`-style prefixes name it; otherwise it is
guessed from the name (claude → anthropic, gpt/o1/o3/o4 → openai, gemini → gcp.gemini, `name:tag` →
ollama for llm-ollama, else `unknown`) and the record says so (`attrs.provider_guessed`).

The database is opened read-only and streamed row by row; in a folder the process may not write to,
it is opened as immutable, so SQLite creates no `-wal`/`-shm` files beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import platformdirs

from vaultledger.capture.shapes.body import parse_timestamp
from vaultledger.capture.shapes.providers import provider_for_model, split_route
from vaultledger.capture.importers import ImportRun, ImportSummary, SourceNotFound, progress_bar
from vaultledger.capture.importers.llm_tokens import token_fields
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog

SOURCE = "llm"
LARGE_IMPORT_ROWS = 20_000
WANTED_COLUMNS = (
    "id", "model", "resolved_model", "input_tokens", "output_tokens", "token_details",
    "datetime_utc", "duration_ms",
)
# Each table llm logs calls to, newest first, with the column naming the call's conversation.
TABLES = (("turns", "thread_id"), ("responses", "conversation_id"))


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """What `llm logs path` prints: `$LLM_USER_PATH/logs.db`, else llm's user dir."""
    if env.get("LLM_USER_PATH"):
        return Path(env["LLM_USER_PATH"]).expanduser() / "logs.db"
    return Path(platformdirs.user_config_dir("io.datasette.llm", appauthor=False, roaming=True)) / "logs.db"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """llm has logged here: its logs.db exists."""
    return default_path(env).is_file()


def import_llm(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per call logged by `llm` not imported before; return what happened."""
    db_path = path or default_path()
    if not db_path.is_file():
        raise SourceNotFound(f"no llm logs database at {db_path}; pass its path (`llm logs path`)")
    with ImportState(state_dir, SOURCE) as state, closing(open_read_only(db_path)) as db:
        run = ImportRun(SOURCE, usage_log, state)
        run.summary.files = 1
        queries, total = calls_in(db, db_path)
        with progress_bar("Importing llm logs", total, progress, large=LARGE_IMPORT_ROWS) as advance:
            for row in call_rows(db, queries, db_path):
                offer_row(row, run)
                advance(1)
    return run.summary


def open_read_only(path: Path) -> sqlite3.Connection:
    """`path` opened read-only; immutable where the folder is not writable (nothing is created there)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not folder_writable(path.resolve().parent):
        uri += "&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise unreadable(path, error) from None
    db.row_factory = sqlite3.Row
    return db


def unreadable(path: Path, error: sqlite3.Error) -> SourceNotFound:
    return SourceNotFound(f"cannot read {path} as llm's logs database: {error}")


def folder_writable(folder: Path) -> bool:
    """Whether files may be created in `folder`. A folder without any write bit counts as read-only
    even for root, whom `os.access` lets write anywhere: its owner meant it to stay as it is."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return os.access(folder, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def calls_in(db: sqlite3.Connection, path: Path) -> tuple[list[str], int]:
    """The queries that list the calls (`call_queries`) and how many rows they give."""
    try:
        queries = call_queries(db, path)
        return queries, sum(db.execute(f"SELECT count(*) FROM ({query})").fetchone()[0] for query in queries)
    except sqlite3.Error as error:
        raise unreadable(path, error) from None


def call_queries(db: sqlite3.Connection, path: Path) -> list[str]:
    """One SELECT per table holding calls, each row a call, oldest first; a response that is also a
    turn is left to the turn."""
    present = {name: table_columns(db, name) for name, _ in TABLES}
    if not any(present.values()):
        raise SourceNotFound(f"{path} has neither a `turns` nor a `responses` table: is it llm's logs.db?")
    queries = []
    for name, session_column in TABLES:
        columns = [column for column in WANTED_COLUMNS if column in present[name]]
        if not columns:
            continue
        if session_column in present[name]:
            columns.append(f"{session_column} AS session")
        query = f"SELECT {', '.join(columns)} FROM {name}"
        if name == "responses" and "id" in present["turns"]:
            query += " WHERE id NOT IN (SELECT id FROM turns)"
        queries.append(query + " ORDER BY rowid")
    return queries


def call_rows(db: sqlite3.Connection, queries: list[str], path: Path) -> Iterator[sqlite3.Row]:
    """Every row of `queries`, one at a time (sqlite3 cursors fetch lazily). Only reading the database
    is guarded here: what the caller does with a row raises its own errors."""
    try:
        for query in queries:
            yield from db.execute(query)
    except sqlite3.Error as error:
        raise unreadable(path, error) from None


def table_columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}


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
    provider, model, guessed = provider_and_model(row.get("model") or "", row.get("resolved_model"))
    fields: dict[str, Any] = {
        "ts": parse_timestamp(row.get("datetime_utc")),  # llm writes UTC, sometimes without an offset
        "provider": provider,
        "model": model,
        "id": row.get("id"),
        "app": SOURCE,
        "session": row.get("session"),
        "duration_ms": row.get("duration_ms"),
        **token_fields(row.get("input_tokens") or 0, row.get("output_tokens") or 0, details),
    }
    if guessed:
        fields["attrs"] = {**(fields.get("attrs") or {}), "provider_guessed": True}
    return fields


def provider_and_model(model_id: str, resolved_model: str | None = None) -> tuple[str, str, bool]:
    """(provider, model, guessed): `anthropic/claude-x` → (anthropic, claude-x, told), the model being
    `resolved_model` where llm resolved an alias; `gpt-4o` → (openai, gpt-4o, guessed);
    `llama3.2:latest` → (ollama, …, guessed)."""
    route, model = split_route(model_id)
    resolved_route, resolved = split_route(resolved_model) if resolved_model else (None, None)
    name = resolved or model
    if resolved_route or route:
        return resolved_route or route or "", name, False
    guessed = provider_for_model(name)
    if guessed == "unknown" and ":" in name and not name.startswith("ft:"):
        return "ollama", name, True
    return guessed, name, True
