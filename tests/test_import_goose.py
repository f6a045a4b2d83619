"""Goose import through the CLI, from sessions.db files built here with goose 1.45's tables: one record
per usage_ledger request (never a session's last-request columns), cache counts, sessions older than the
ledger, sub-agents, hostile rows, a database left as it was, and re-imports."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from agent_cli import cli_import, logged

SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', session_type TEXT NOT NULL DEFAULT 'user',
    working_dir TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, total_tokens INTEGER,
    input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER,
    accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER,
    accumulated_cache_read_tokens INTEGER, accumulated_cache_write_tokens INTEGER, accumulated_cost REAL,
    provider_name TEXT, model_config_json TEXT, parent_session_id TEXT);
CREATE TABLE usage_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, created_timestamp INTEGER
    NOT NULL, model TEXT, input_tokens INTEGER, output_tokens INTEGER, total_tokens INTEGER, cache_read_tokens INTEGER,
    cache_write_tokens INTEGER, cost REAL, cost_source TEXT, is_compaction INTEGER DEFAULT 0);
"""
T0 = 1_785_964_864  # 2026-08-05T21:21:04Z


@contextmanager
def sessions_db(folder: Path) -> Iterator[sqlite3.Connection]:
    folder.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(folder / "sessions.db")) as db:
        db.executescript(SCHEMA)
        yield db
        db.commit()


def add_session(db: sqlite3.Connection, session_id: str, accumulated: tuple[int, int, int, int] = (0, 0, 0, 0),
                parent: str | None = None, provider: str = "anthropic") -> None:
    db.execute("INSERT INTO sessions (id, working_dir, created_at, input_tokens, accumulated_input_tokens, "
               "accumulated_output_tokens, accumulated_cache_read_tokens, accumulated_cache_write_tokens, "
               "provider_name, model_config_json, parent_session_id) VALUES (?, '/home/dev/orbis', "
               "'2026-08-05 21:19:21', 1, ?, ?, ?, ?, ?, ?, ?)",
               (session_id, *accumulated, provider, json.dumps({"model_name": "claude-sonnet-4-5"}), parent))


def add_request(db: sqlite3.Connection, session_id: str, seconds: int, prompt: int | None, output: int,
                read: int = 0, write: int = 0, **extra: Any) -> None:
    db.execute("INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, output_tokens, "
               "cache_read_tokens, cache_write_tokens, cost, cost_source, is_compaction) VALUES (?, ?, ?, ?, ?, ?, "
               "?, ?, ?, ?)", (session_id, T0 + seconds, extra.get("model", "claude-sonnet-4-5"), prompt, output, read,
                               write, extra.get("cost"), extra.get("cost_source"), extra.get("compaction", 0)))


def test_each_ledger_request_is_a_call_at_its_own_time(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "20260805_1", accumulated=(12_000, 700, 8_000, 1_000))
        add_request(db, "20260805_1", 0, 5_000, 300, read=3_000, write=1_000)
        add_request(db, "20260805_1", 86_400, 7_000, 400, read=5_000)  # the next day: not on the session's
    cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    first, second = logged(tmp_path / "logs")
    assert (first["id"], first["ts"], first["input_tokens"], first["cache_read_tokens"], first["cache_write_tokens"]) \
        == ("20260805_1:1", "2026-08-05T21:21:04Z", 5_000, 3_000, 1_000)
    assert (second["ts"], second["input_tokens"], second["output_tokens"]) == ("2026-08-06T21:21:04Z", 7_000, 400)
    assert first["provider"] == "anthropic" and first["project"] == "orbis" and "attrs" not in first


def test_cache_beyond_the_input_means_the_input_was_uncached(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "s", accumulated=(100, 20, 500, 0))
        add_request(db, "s", 0, 100, 20, read=500)
    cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert (record["input_tokens"], record["cache_read_tokens"]) == (600, 500)


def test_a_session_older_than_the_ledger_is_one_record_at_its_start(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "old", accumulated=(9_000, 900, 0, 0))
        add_session(db, "half", accumulated=(9_000, 900, 0, 0))
        add_request(db, "half", 0, 4_000, 400)
    cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    records = {record["id"]: record for record in logged(tmp_path / "logs")}
    assert sorted(records) == ["half:1", "half:before-ledger", "old:before-ledger"]
    assert (records["half:before-ledger"]["input_tokens"], records["half:before-ledger"]["output_tokens"]) == (5_000, 500)
    assert records["old:before-ledger"]["ts"] == "2026-08-05T21:19:21Z"
    assert records["old:before-ledger"]["attrs"] == {"before_ledger": True}


def test_sub_agent_compaction_and_the_agents_own_cost_are_kept(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "parent")
        add_session(db, "child", parent="parent", provider="aws_bedrock")
        add_request(db, "child", 0, 100, 10, cost=0.0021, cost_source="estimated", compaction=1)
    cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert record["provider"] == "aws.bedrock" and "cost_usd" not in record
    assert record["attrs"] == {"parent_session": "parent", "subagent": True, "compaction": True,
                               "agent_cost_usd": 0.0021, "agent_cost_source": "estimated"}


def test_a_request_whose_input_was_lost_is_kept_with_zero(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "s")
        add_request(db, "s", 0, None, 40)
    cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert (record["input_tokens"], record["output_tokens"], record["attrs"]) == (0, 40, {"input_tokens_unknown": True})


def test_hostile_rows_are_skipped_with_reason_and_place_and_the_rest_imported(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "s")
        add_request(db, "s", 0, 100, 10)
        add_request(db, "s", 1, 100, -10)
        add_request(db, "s", 2, 100, 10, model="")
    output = cli_import("goose", tmp_path / "goose", tmp_path / "logs")
    assert [record["id"] for record in logged(tmp_path / "logs")] == ["s:1", "s:3"]
    where = f"{(tmp_path / 'goose' / 'sessions.db').resolve()}:usage_ledger[id=2]"
    assert f"1 invalid record: output_tokens: Expected `int` >= 0 (at {where})" in output


def test_the_database_is_left_as_it_was_and_a_second_import_appends_nothing(tmp_path: Path) -> None:
    with sessions_db(tmp_path / "goose") as db:
        add_session(db, "s", accumulated=(100, 10, 0, 0))
        add_request(db, "s", 0, 100, 10)
    before = {path.name: path.read_bytes() for path in (tmp_path / "goose").iterdir()}
    cli_import("goose", tmp_path / "goose" / "sessions.db", tmp_path / "logs")
    assert "1 unchanged since the last import" in cli_import("goose", tmp_path / "goose" / "sessions.db", tmp_path / "logs")
    with closing(sqlite3.connect(tmp_path / "goose" / "sessions.db")) as db:
        db.execute("UPDATE sessions SET name = 'renamed'")  # the file changed, its calls did not
        db.commit()
    assert "1 calls seen, 0 appended (0 updated), 1 already imported" in cli_import("goose", tmp_path / "goose",
                                                                                       tmp_path / "logs")
    assert {path.name for path in (tmp_path / "goose").iterdir()} == set(before)
