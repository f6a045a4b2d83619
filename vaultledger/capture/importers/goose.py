"""Goose: the per-request `usage_ledger` of its `sessions.db` (Linux `~/.local/share/goose/sessions/`,
macOS `~/Library/Application Support/Block/goose/sessions/`, Windows `%APPDATA%\\Block\\goose\\data\\sessions\\`;
`$GOOSE_PATH_ROOT/data/sessions/`).

A `sessions` row's `input_tokens` is the last request's only, so summing sessions under-counts; its
`accumulated_*` columns are the session's totals but carry one date. Every `usage_ledger` row is one
request, at its own time, with its own cache counts: one record each (`<session>:<row id>`). Goose's
input includes the cache (it adds Anthropic's cache reads and writes in); a row whose cache exceeds its
input is taken as uncached input. A session's accumulated totals beyond what its ledger rows hold
(a session older than the ledger) become one record at the session's start, `attrs.before_ledger`.
The database is read as it is (`sqlite_snapshot`): nothing is written or created beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from vaultledger.capture.importers import ImportRun, ImportSummary, SourceNotFound, folder_name, progress_bar
from vaultledger.capture.importers.agent_calls import agent_attrs, agent_provider, input_unknown, with_cache
from vaultledger.capture.importers.file_batch import import_run
from vaultledger.capture.importers.sqlite_snapshot import (
    database_files, read_only, remember_read, table_columns, unchanged_since_last_import,
)
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import parse_timestamp

SOURCE = "goose"
WHAT = "Goose's sessions database"
LARGE_IMPORT_ROWS = 20_000
COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
SESSION_COLUMNS = ("id", "working_dir", "created_at", "provider_name", "model_config_json", "parent_session_id",
                   "session_type", *(f"accumulated_{name}" for name in COUNTS))
SUBAGENT_TYPES = ("sub_agent", "subagent")
LEDGER_COLUMNS = ("id", "created_timestamp", "model", *COUNTS, "cost", "cost_source", "is_compaction")


def default_path(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    """Where Goose keeps `sessions.db` on this platform; `$GOOSE_PATH_ROOT` moves its data folder."""
    if env.get("GOOSE_PATH_ROOT"):
        return Path(env["GOOSE_PATH_ROOT"]).expanduser() / "data" / "sessions" / "sessions.db"
    home = Path.home()
    if platform == "darwin":
        candidates = [home / "Library" / "Application Support" / "Block" / "goose",
                      home / "Library" / "Application Support" / "goose"]
    elif platform.startswith("win"):
        appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
        candidates = [appdata / "Block" / "goose" / "data"]
    else:
        data_home = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
        candidates = [data_home / "goose"]
    databases = [folder / "sessions" / "sessions.db" for folder in candidates]
    return next((database for database in databases if database.is_file()), databases[0])


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Whether Goose keeps a sessions database on this machine."""
    return default_path(env).is_file()


def import_goose(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per Goose model request not imported before; return what happened."""
    db_path = database_in(path) if path else default_path()
    if not db_path.is_file():
        raise SourceNotFound(f"no Goose sessions database at {db_path}; pass its path")
    with import_run(SOURCE, usage_log, state_dir) as run:
        files = database_files(db_path)
        run.summary.files = 1
        if unchanged_since_last_import(run, files):
            run.summary.files_unchanged = 1
            return run.summary
        with read_only(db_path, WHAT) as snapshot:
            read_database(snapshot.db, db_path, run, progress)
            if snapshot.wal_unread:
                run.skip("calls still in the database's WAL (its folder cannot be written to read it)", str(db_path))
        remember_read(run, files)
    return run.summary


def database_in(path: Path) -> Path:
    """`path` itself, or the sessions.db under a folder (a data folder or a whole home)."""
    if not path.is_dir():
        return path
    found = [path / "sessions.db", *sorted(path.rglob("sessions.db"))]
    return next((database for database in found if database.is_file()), found[0])


def read_database(db: sqlite3.Connection, path: Path, run: ImportRun, progress: bool) -> None:
    ledger = table_columns(db, "usage_ledger")
    if not table_columns(db, "sessions"):
        raise SourceNotFound(f"{path} has no `sessions` table: is it Goose's sessions.db?")
    sessions = {row["id"]: dict(row) for row in select(db, "sessions", SESSION_COLUMNS, path)}
    ledgered: dict[str, dict[str, int]] = {}
    if ledger:
        total = db.execute("SELECT count(*) FROM usage_ledger").fetchone()[0]
        with progress_bar("Importing Goose requests", total, progress, large=LARGE_IMPORT_ROWS) as advance:
            for row in select(db, "usage_ledger", ("session_id", *LEDGER_COLUMNS), path, order="id"):
                where = f"{path}:usage_ledger[id={row['id']}]"
                offer_request(dict(row), sessions.get(row["session_id"]) or {}, run, ledgered, where)
                advance(1)
    for session in sessions.values():
        offer_before_ledger(session, ledgered.get(session["id"]), run, f"{path}:sessions[id={session['id']}]")


def select(db: sqlite3.Connection, table: str, wanted: tuple[str, ...], path: Path,
           order: str | None = None) -> Iterator[sqlite3.Row]:
    """Rows of `table` with the wanted columns it has (older Goose lacks some; they read as NULL)."""
    present = table_columns(db, table)
    columns = ", ".join(name if name in present else f"NULL AS {name}" for name in wanted)
    query = f"SELECT {columns} FROM {table}" + (f" ORDER BY {order}" if order else "")
    try:
        yield from db.execute(query)
    except sqlite3.Error as error:
        raise SourceNotFound(f"cannot read {path} as {WHAT}: {error}") from None


def offer_request(row: dict[str, Any], session: dict[str, Any], run: ImportRun,
                  ledgered: dict[str, dict[str, int]], where: str) -> None:
    counts = {name: number(row[name]) for name in COUNTS}
    sums = ledgered.setdefault(row["session_id"], dict.fromkeys(COUNTS, 0))
    for name in COUNTS:
        sums[name] += counts[name]
    model = row["model"] or model_of(session)
    run.offer(record_fields(session, row["session_id"], f"{row['session_id']}:{row['id']}",
                            parse_timestamp(row["created_timestamp"]), model, counts,
                            compaction=bool(row["is_compaction"]) or None, agent_cost_usd=row["cost"],
                            agent_cost_source=row["cost_source"]), where)


def offer_before_ledger(session: dict[str, Any], ledgered: dict[str, int] | None, run: ImportRun,
                        where: str) -> None:
    """The session's accumulated counts beyond its ledger rows, as one record at its start."""
    rest = {name: number(session[f"accumulated_{name}"]) - (ledgered or {}).get(name, 0) for name in COUNTS}
    if rest["input_tokens"] <= 0 and rest["output_tokens"] <= 0:
        return
    rest = {name: max(value, 0) for name, value in rest.items()}
    run.offer(record_fields(session, session["id"], f"{session['id']}:before-ledger", session_start(session),
                            model_of(session), rest, before_ledger=True), where)


def record_fields(session: dict[str, Any], session_id: str, record_id: str, ts: dt.datetime | None, model: str,
                  counts: dict[str, int], **attrs: Any) -> dict[str, Any]:
    provider, guessed = agent_provider(session.get("provider_name"), model)
    cache = counts["cache_read_tokens"] + counts["cache_write_tokens"]
    return {
        "ts": ts,
        "provider": provider,
        "model": model,
        "id": record_id,
        "app": SOURCE,
        "project": folder_name(session.get("working_dir")),
        "session": session_id,
        "input_tokens": with_cache(counts["input_tokens"], cache, None, 0, included=True),
        "output_tokens": counts["output_tokens"],
        "cache_read_tokens": counts["cache_read_tokens"],
        "cache_write_tokens": counts["cache_write_tokens"],
        "attrs": agent_attrs(parent_session=session.get("parent_session_id"), subagent=is_subagent(session),
                             provider_guessed=guessed,
                             **input_unknown(counts["input_tokens"]), **attrs),
    }


def is_subagent(session: Mapping[str, Any]) -> bool | None:
    return bool(session.get("parent_session_id")) or session.get("session_type") in SUBAGENT_TYPES or None


def model_of(session: Mapping[str, Any]) -> str:
    try:
        config = json.loads(session.get("model_config_json") or "{}")
    except ValueError:
        config = {}
    name = config.get("model_name") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else "unknown"


def session_start(session: Mapping[str, Any]) -> dt.datetime | None:
    """`created_at` as SQLite's CURRENT_TIMESTAMP writes it (UTC, no offset)."""
    return parse_timestamp(session.get("created_at"))


def number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
