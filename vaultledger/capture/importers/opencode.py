"""OpenCode: `opencode.db` (and `opencode-<channel>.db`) in `$XDG_DATA_HOME/opencode`, else
`~/.local/share/opencode` on every platform (`$OPENCODE_DATA_DIR` moves it); before 1.2, JSON files under
`storage/message/<session>/` and `storage/part/<message>/`, still read when no database holds them.

Each step of an assistant message is one model call, and writes a `step-finish` part with that step's
`tokens` and `cost`. The message's own `tokens` are only its LAST step's (OpenCode adds up the cost
but replaces the tokens), so summing messages under-counts multi-step messages: one record per
step-finish part (its id), dated when the part was written. A message without step-finish parts
(older releases, an aborted step) is one record from its own tokens.

OpenCode's `tokens.input` excludes the cache reads and writes, added back here. Whether `output`
includes `reasoning` changed between releases; `total` (input + cache + output [+ reasoning]) tells.
OpenCode's stored cost is kept as `attrs.agent_cost_usd` only: it is known to miss cache reads and
writes for some providers. The database is read as it is (`sqlite_snapshot`); nothing is created.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import ImportRun, ImportSummary, SourceNotFound, existing_roots, folder_name
from vaultledger.capture.importers.agent_calls import (
    agent_attrs, agent_provider, from_millis, input_unknown, with_reasoning,
)
from vaultledger.capture.importers.file_batch import import_run
from vaultledger.capture.importers.json_stream import NotJson, object_members
from vaultledger.capture.importers.sqlite_snapshot import (
    database_files, read_only, remember_read, table_columns, unchanged_since_last_import,
)
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import count, present_count, section, text

SOURCE = "opencode"
WHAT = "OpenCode's database"
MESSAGE_KEYS = ("role", "modelID", "providerID", "mode", "agent", "path", "cost", "tokens", "time")
STEP_KEYS = ("type", "tokens", "cost", "time")
SESSION_KEYS = ("id", "directory", "parentID", "version")
MESSAGES = """SELECT m.id, m.session_id, m.time_created, m.data, s.directory, s.parent_id, s.version
FROM message m LEFT JOIN session s ON s.id = m.session_id
WHERE instr(m.data, '"assistant"') > 0 ORDER BY m.session_id, m.time_created, m.id"""
STEPS = """SELECT id, time_created, time_updated, data FROM part
WHERE message_id = ? AND instr(data, '"step-finish"') > 0 ORDER BY id"""


@dataclass
class Message:
    """An assistant message and the session it belongs to."""

    id: str
    session: str
    data: Mapping[str, Any]
    created: Any = None
    directory: str | None = None
    parent: str | None = None
    version: str | None = None


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """OpenCode's data folder (xdg-basedir's data home on every platform)."""
    if env.get("OPENCODE_DATA_DIR"):
        return Path(env["OPENCODE_DATA_DIR"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "opencode"
    return Path.home() / ".local" / "share" / "opencode"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Whether OpenCode keeps a database or legacy storage on this machine."""
    root = default_path(env)
    return bool(databases(root)) or (root / "storage" / "message").is_dir()


def import_opencode(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per OpenCode model call (step) not imported before; return what happened."""
    [root] = existing_roots([path] if path else [default_path()], "OpenCode data")
    found = [root] if root.is_file() else databases(root)
    legacy = root / "storage" if (root / "storage" / "message").is_dir() else None
    if not found and legacy is None:
        raise SourceNotFound(f"no OpenCode database (opencode*.db) or storage/ folder in {root}; pass its path")
    with import_run(SOURCE, usage_log, state_dir) as run:
        in_database: set[str] | None = set() if legacy else None
        for database in found:
            import_database(database, run, in_database)
        if legacy and in_database is not None:
            import_storage(legacy, run, in_database)
    return run.summary


def databases(root: Path) -> list[Path]:
    """`opencode.db` and the per-channel `opencode-<channel>.db` files OpenCode writes."""
    if not root.is_dir():
        return []
    return sorted(path for path in root.glob("opencode*.db") if path.is_file())


def import_database(path: Path, run: ImportRun, in_database: set[str] | None) -> None:
    """Offer the calls of one database, unless it is unchanged since the last import; collect its
    message ids into `in_database` (when given) so that legacy copies of them are left alone."""
    files = database_files(path)
    run.summary.files += 1
    unchanged = unchanged_since_last_import(run, files)
    if unchanged and in_database is None:
        run.summary.files_unchanged += 1
        return
    with read_only(path, WHAT) as snapshot:
        if not table_columns(snapshot.db, "message"):
            raise SourceNotFound(f"{path} has no `message` table: is it OpenCode's database?")
        for message in query(snapshot.db, MESSAGES, (), path):
            if in_database is not None:
                in_database.add(message["id"])
            if not unchanged:
                read_row_message(snapshot.db, message, path, run)
        if snapshot.wal_unread and not unchanged:
            run.skip("calls still in the database's WAL (its folder cannot be written to read it)", str(path))
    run.summary.files_unchanged += unchanged
    remember_read(run, files)


def query(db: sqlite3.Connection, sql: str, parameters: tuple[Any, ...], path: Path) -> Iterator[sqlite3.Row]:
    try:
        yield from db.execute(sql, parameters)
    except sqlite3.Error as error:
        raise SourceNotFound(f"cannot read {path} as {WHAT}: {error}") from None


def read_row_message(db: sqlite3.Connection, row: sqlite3.Row, path: Path, run: ImportRun) -> None:
    where = f"{path}:message[id={row['id']}]"
    data = decode(row["data"], run, where)
    if data is None or data.get("role") != "assistant":
        return
    message = Message(row["id"], row["session_id"], data, row["time_created"], row["directory"], row["parent_id"],
                      row["version"])
    steps = [(step["id"], step["time_created"] or step["time_updated"], decode(step["data"], run, where))
             for step in query(db, STEPS, (row["id"],), path)]
    offer_message(message, [(step_id, ts, step) for step_id, ts, step in steps if step is not None], run, where)


def decode(raw: Any, run: ImportRun, where: str) -> dict[str, Any] | None:
    try:
        data = msgspec.json.decode(raw)
    except (msgspec.DecodeError, TypeError):
        run.skip("not JSON (a partial or corrupt row)", where)
        return None
    return data if isinstance(data, dict) else None


def offer_message(message: Message, steps: list[tuple[str, Any, Mapping[str, Any]]], run: ImportRun,
                  where: str) -> None:
    finished = [(step_id, ts, step) for step_id, ts, step in steps if step.get("type") == "step-finish"]
    if not finished:
        completed = section(message.data, "time").get("completed") or message.created
        if section(message.data, "tokens"):
            run.offer(record_fields(message, message.id, completed, message.data), where)
        return
    for step_id, ts, step in finished:
        run.offer(record_fields(message, step_id, ts or message.created, step), where)


def record_fields(message: Message, record_id: str, millis: Any, usage: Mapping[str, Any]) -> dict[str, Any]:
    model = text(message.data, "modelID") or "unknown"
    provider, guessed = agent_provider(text(message.data, "providerID"), model)
    counts = token_fields(section(usage, "tokens"))
    cost = usage.get("cost")
    return {
        "ts": from_millis(millis),
        "provider": provider,
        "model": model,
        "id": record_id,
        "app": SOURCE,
        "project": folder_name(text(section(message.data, "path"), "cwd") or message.directory),
        "session": message.session,
        **counts,
        "attrs": agent_attrs(
            agent_version=message.version, agent_mode=text(message.data, "agent", "mode"),
            parent_session=message.parent, subagent=bool(message.parent) or None, provider_guessed=guessed,
            agent_cost_usd=cost if isinstance(cost, (int, float)) and cost else None,
            **input_unknown(counts["input_tokens"]),
        ),
    }


def token_fields(tokens: Mapping[str, Any]) -> dict[str, int]:
    """SPEC §1 counts from OpenCode's `tokens` (input excludes the cache; see the module doc)."""
    cache = section(tokens, "cache")
    stated, output, reasoning = count(tokens, "input"), count(tokens, "output"), count(tokens, "reasoning")
    read, write = count(cache, "read"), count(cache, "write")
    total = present_count(tokens, "total") or None
    completion = with_reasoning(output, reasoning, total, rest=stated + read + write, included=True)
    return {
        "input_tokens": stated + read + write,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "output_tokens": completion,
        "reasoning_tokens": min(reasoning, completion),
    }


def import_storage(storage: Path, run: ImportRun, in_database: set[str]) -> None:
    """The JSON files OpenCode wrote before its database; messages the database holds are left to it."""
    sessions = {text(info, "id") or path.stem: info for path in sorted((storage / "session").glob("*/*.json"))
                if (info := read_json_file(path, SESSION_KEYS, run)) is not None}
    for path in sorted((storage / "message").rglob("*.json")):
        run.summary.files += 1
        data = read_json_file(path, MESSAGE_KEYS + ("id", "sessionID"), run)
        message_id = text(data or {}, "id") or path.stem
        if data is None or data.get("role") != "assistant" or message_id in in_database:
            continue
        session_id = text(data, "sessionID") or path.parent.name
        info = sessions.get(session_id, {})
        message = Message(message_id, session_id, data, section(data, "time").get("created"),
                          text(info, "directory"), text(info, "parentID"), text(info, "version"))
        steps = [(text(step, "id") or part.stem, section(step, "time").get("end"), step)
                 for part in sorted((storage / "part" / message_id).glob("*.json"))
                 if (step := read_json_file(part, STEP_KEYS + ("id",), run)) is not None]
        offer_message(message, steps, run, str(path))


def read_json_file(path: Path, keys: tuple[str, ...], run: ImportRun) -> dict[str, Any] | None:
    """The wanted members of one legacy JSON file, read member by member (a tool part can be large)."""
    found: dict[str, Any] = {}
    try:
        with path.open("rb") as handle:
            for key, raw in object_members(handle):
                if key in keys:
                    found[key] = msgspec.json.decode(raw)
    except (NotJson, msgspec.DecodeError, OSError) as error:
        run.skip(f"not a whole JSON object ({error})", str(path))
        return None
    return found
