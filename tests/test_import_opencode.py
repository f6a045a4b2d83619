"""OpenCode import through the CLI, from databases built here with OpenCode 1.18's tables: one record
per step (a message's own tokens are only its last step's), token conventions, sub-agent sessions,
databases read without creating anything beside them (live WAL, cleanly closed WAL, read-only folder),
hostile rows, legacy storage next to a database, and re-imports."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from agent_cli import cli_import, logged

SCHEMA = """
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, directory TEXT NOT NULL,
    version TEXT NOT NULL, time_created INTEGER NOT NULL);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX part_message_id_id_idx ON part (message_id, id);
"""
T0 = 1_785_878_628_000  # 2026-08-04T21:23:48Z, in OpenCode's milliseconds


def tokens(prompt: int, output: int, read: int = 0, write: int = 0, reasoning: int = 0,
           total: int | None = None) -> dict[str, Any]:
    found = {"input": prompt, "output": output, "reasoning": reasoning, "cache": {"read": read, "write": write}}
    return found if total is None else {"total": total, **found}


def assistant(usage: dict[str, Any], cost: float = 0.0) -> dict[str, Any]:
    return {"role": "assistant", "modelID": "claude-sonnet-4-5", "providerID": "anthropic", "agent": "build",
            "path": {"cwd": "/home/dev/orbis", "root": "/home/dev/orbis"}, "cost": cost, "tokens": usage,
            "time": {"created": T0, "completed": T0 + 9000}}


def step(usage: dict[str, Any], cost: float = 0.0) -> dict[str, Any]:
    return {"type": "step-finish", "reason": "tool-calls", "tokens": usage, "cost": cost}


@contextmanager
def database(folder: Path, journal: str = "delete") -> Iterator[sqlite3.Connection]:
    folder.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(folder / "opencode.db")) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
        db.executescript(SCHEMA)
        db.execute("INSERT INTO session VALUES ('ses_1', 'p', NULL, '/home/dev/orbis', '1.18.13', ?)", (T0,))
        yield db
        db.commit()


def add_message(db: sqlite3.Connection, message_id: str, data: dict[str, Any] | str, *steps: dict[str, Any] | str,
                session: str = "ses_1") -> None:
    raw = data if isinstance(data, str) else json.dumps(data)
    db.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)", (message_id, session, T0, T0, raw))
    for index, part in enumerate(steps):
        db.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)", (f"prt_{message_id}_{index}", message_id, session,
                   T0 + 1000 * (index + 1), T0 + 1000 * (index + 1),
                   part if isinstance(part, str) else json.dumps(part)))


def test_each_step_is_a_call_and_a_message_holding_only_its_last_step_is_not_summed(tmp_path: Path) -> None:
    steps = [tokens(1000, 100, read=4000), tokens(1500, 200, read=5000), tokens(800, 50, read=6000)]
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(steps[-1]), *(step(usage) for usage in steps))
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    records = logged(tmp_path / "logs")
    assert [record["id"] for record in records] == ["prt_msg_1_0", "prt_msg_1_1", "prt_msg_1_2"]
    assert sum(record["input_tokens"] for record in records) == 3300 + 15000  # input plus its cache reads
    assert sum(record["output_tokens"] for record in records) == 350
    assert [record["ts"] for record in records][0] == "2026-08-04T21:23:49Z"


def test_a_message_without_step_parts_is_one_call_from_its_own_tokens(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(tokens(100, 20, read=10, write=5)),
                    {"type": "text", "text": "hi"}, {"type": "step-start"})
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert (record["id"], record["input_tokens"], record["cache_read_tokens"], record["cache_write_tokens"]) \
        == ("msg_1", 115, 10, 5)


@pytest.mark.parametrize(("usage", "output", "reasoning"), [
    (tokens(100, 50, reasoning=30, total=180), 80, 30),  # total adds reasoning on top: output excluded it
    (tokens(100, 50, reasoning=30, total=150), 50, 30),  # total without it: output included it
    (tokens(100, 50, reasoning=30), 50, 30),  # no total (before 1.2): output included it
])
def test_reasoning_is_counted_once_within_output(usage: dict[str, Any], output: int, reasoning: int,
                                                 tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(usage), step(usage))
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert (record["output_tokens"], record["reasoning_tokens"]) == (output, reasoning)


def test_sub_agent_session_version_mode_and_agent_cost_are_kept(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        db.execute("INSERT INTO session VALUES ('ses_2', 'p', 'ses_1', '/home/dev/orbis', '1.18.13', ?)", (T0,))
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5), cost=0.0125), session="ses_2")
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    [record] = logged(tmp_path / "logs")
    assert record["session"] == "ses_2" and record["project"] == "orbis" and "cost_usd" not in record
    assert record["attrs"] == {"agent_version": "1.18.13", "agent_mode": "build", "parent_session": "ses_1",
                               "subagent": True, "agent_cost_usd": 0.0125}


def files_beside(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in folder.iterdir()}


def test_a_live_wal_is_read_and_nothing_is_created_beside_it(tmp_path: Path) -> None:
    with database(tmp_path / "oc", journal="wal") as db:
        db.execute("PRAGMA wal_autocheckpoint=0")
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)))
        db.commit()  # in the WAL, not yet in opencode.db: OpenCode is still running
        before = files_beside(tmp_path / "oc")
        assert "opencode.db-wal" in before
        cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
        assert files_beside(tmp_path / "oc") == before
    assert len(logged(tmp_path / "logs")) == 1


def test_a_cleanly_closed_wal_database_gets_no_wal_or_shm_files(tmp_path: Path) -> None:
    with database(tmp_path / "oc", journal="wal") as db:
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)))
    before = files_beside(tmp_path / "oc")
    assert before.keys() == {"opencode.db"}
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    assert files_beside(tmp_path / "oc") == before and len(logged(tmp_path / "logs")) == 1


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_a_database_in_a_read_only_folder_is_read_as_it_is(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)))
    (tmp_path / "oc").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
        assert files_beside(tmp_path / "oc").keys() == {"opencode.db"}
    finally:
        (tmp_path / "oc").chmod(stat.S_IRWXU)
    assert len(logged(tmp_path / "logs")) == 1


def test_hostile_rows_are_skipped_with_reason_and_place_and_the_rest_imported(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)))
        add_message(db, "msg_2", '{"role":"assistant","tokens":{"input":')
        add_message(db, "msg_3", assistant(tokens(10, 5)), step(tokens(10, -5)))
    output = cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    assert [record["id"] for record in logged(tmp_path / "logs")] == ["prt_msg_1_0"]
    database_file = (tmp_path / "oc" / "opencode.db").resolve()
    assert f"1 not JSON (a partial or corrupt row) (at {database_file}:message[id=msg_2])" in output
    assert f"1 invalid record: output_tokens: Expected `int` >= 0 (at {database_file}:message[id=msg_3])" in output


def write_legacy(storage: Path, message_id: str, usage: dict[str, Any]) -> None:
    message = storage / "message" / "ses_1" / f"{message_id}.json"
    message.parent.mkdir(parents=True, exist_ok=True)
    message.write_text(json.dumps({"id": message_id, "sessionID": "ses_1", **assistant(usage)}, indent=2))
    part = storage / "part" / message_id / "prt_step.json"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_text(json.dumps({"id": f"prt_{message_id}_legacy", "messageID": message_id, **step(usage)}))


def test_legacy_storage_beside_the_database_adds_only_what_the_database_lacks(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)))
    write_legacy(tmp_path / "oc" / "storage", "msg_1", tokens(10, 5))  # the stale copy an upgrade leaves
    write_legacy(tmp_path / "oc" / "storage", "msg_0", tokens(7, 3))  # from before the upgrade, never migrated
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    assert sorted(record["id"] for record in logged(tmp_path / "logs")) == ["prt_msg_0_legacy", "prt_msg_1_0"]


def test_importing_again_appends_nothing_and_an_unchanged_database_is_not_read(tmp_path: Path) -> None:
    with database(tmp_path / "oc") as db:
        add_message(db, "msg_1", assistant(tokens(10, 5)), step(tokens(10, 5)), step(tokens(20, 5)))
    cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    again = cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
    assert "1 files (1 unchanged since the last import), 0 calls seen, 0 appended" in again
    with closing(sqlite3.connect(tmp_path / "oc" / "opencode.db")) as db:
        add_message(db, "msg_2", assistant(tokens(1, 1)), step(tokens(1, 1)))
        db.commit()
    assert "3 calls seen, 1 appended (0 updated), 2 already imported" in cli_import("opencode", tmp_path / "oc", tmp_path / "logs")
