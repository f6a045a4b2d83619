"""llm import: both tables llm has logged calls to (a call in both counts once), each plugin's
token details (Responses API, Anthropic 1-hour writes and web searches, Gemini modalities), guessed
providers, and a database read without writing anything beside it."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import written
from vaultledger.capture.importers import SourceNotFound
from vaultledger.capture.importers.llm_db import import_llm
from vaultledger.capture.logger import UsageLog
from vaultledger.cli import app
from vaultledger.record import UsageRecord

# The two tables as llm 0.36 creates them (migrations m010… and m023_message_store), trimmed to
# the columns the import reads and a few it does not.
RESPONSES = """CREATE TABLE responses (id TEXT PRIMARY KEY, model TEXT, prompt TEXT, response TEXT,
    conversation_id TEXT, duration_ms INTEGER, datetime_utc TEXT, input_tokens INTEGER,
    output_tokens INTEGER, token_details TEXT, schema_id TEXT, resolved_model TEXT, reasoning TEXT)"""
TURNS = """CREATE TABLE turns (id TEXT PRIMARY KEY, thread_id TEXT, parent_message_hash TEXT,
    tip_message_hash TEXT, model TEXT, resolved_model TEXT, options_json TEXT, schema_id TEXT,
    input_tokens INTEGER, output_tokens INTEGER, token_details TEXT, duration_ms INTEGER,
    datetime_utc TEXT, response_json TEXT)"""


def make_db(path: Path, responses: list[dict[str, Any]] = (), turns: list[dict[str, Any]] = (),  # type: ignore[assignment]
            tables: tuple[str, ...] = (RESPONSES, TURNS), wal: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        for table in tables:
            db.execute(table)
        for name, rows in (("responses", responses), ("turns", turns)):
            for row in rows:
                row = {**row, "token_details": json.dumps(row["token_details"]) if row.get("token_details") else None}
                db.execute(f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                           list(row.values()))
    db.close()
    return path


def call(call_id: str, model: str = "gpt-4o", input_tokens: int = 100, output_tokens: int = 10,
         token_details: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": call_id, "model": model, "input_tokens": input_tokens, "output_tokens": output_tokens,
            "token_details": token_details, "datetime_utc": "2026-12-04T22:56:18.224560+00:00", **extra}


def import_one(tmp_path: Path, usage_log: UsageLog, details: dict[str, Any], model: str = "gpt-5",
               input_tokens: int = 100, output_tokens: int = 10) -> UsageRecord:
    db = make_db(tmp_path / "llm" / "logs.db", turns=[call("01t", model, input_tokens, output_tokens, details)])
    import_llm(db, usage_log, tmp_path / "state")
    [record] = written(usage_log)
    return record


def test_turns_and_legacy_responses_are_read_and_a_call_in_both_counts_once(tmp_path: Path, usage_log: UsageLog) -> None:
    db = make_db(
        tmp_path / "llm" / "logs.db",
        responses=[call("01legacy", input_tokens=7, conversation_id="conv-old"),
                   call("01both", input_tokens=8, conversation_id="conv-new")],
        turns=[call("01both", input_tokens=9, thread_id="conv-new"), call("01new", input_tokens=10, thread_id="t2")],
    )
    summary = import_llm(db, usage_log, tmp_path / "state")
    records = {record.id: record for record in written(usage_log)}
    assert {key: (r.input_tokens, r.session) for key, r in records.items()} == {
        "01both": (9, "conv-new"), "01new": (10, "t2"), "01legacy": (7, "conv-old")}
    assert (summary.files, summary.messages, summary.appended) == (1, 3, 3)


def test_database_with_only_the_turns_table_is_read(tmp_path: Path, usage_log: UsageLog) -> None:
    db = make_db(tmp_path / "llm" / "logs.db", turns=[call("01t")], tables=(TURNS,))
    assert import_llm(db, usage_log, tmp_path / "state").appended == 1


def test_database_without_either_table_is_a_user_facing_error(tmp_path: Path, usage_log: UsageLog) -> None:
    db = make_db(tmp_path / "other" / "logs.db", tables=("CREATE TABLE notes (id TEXT)",))
    with pytest.raises(SourceNotFound, match=r"neither a `turns` nor a `responses` table"):
        import_llm(db, usage_log, tmp_path / "state")


@pytest.mark.parametrize("content", [b"hello\n", b"SQLite format 3\x00" + b"\xff" * 200], ids=["text", "truncated"])
def test_file_that_is_not_a_database_is_a_one_line_error(content: bytes, tmp_path: Path) -> None:
    db = tmp_path / "llm" / "logs.db"
    db.parent.mkdir()
    db.write_bytes(content)
    result = CliRunner().invoke(app, ["import", "llm", str(db), "--logs", str(tmp_path / "logs")])
    assert result.exit_code == 1
    assert result.output.startswith(f"vaultledger: cannot read {db} as llm's logs database: ")
    assert result.output.count("\n") == 1


def test_responses_api_details_give_cache_reads_and_reasoning(tmp_path: Path, usage_log: UsageLog) -> None:
    details = {"input_tokens_details": {"cache_write_tokens": None, "cached_tokens": 4352},
               "output_tokens_details": {"reasoning_tokens": 3840}}
    record = import_one(tmp_path, usage_log, details, input_tokens=43902, output_tokens=4474)
    assert (record.input_tokens, record.cache_read_tokens, record.output_tokens, record.reasoning_tokens) == (
        43902, 4352, 4474, 3840)


def test_anthropic_details_give_one_hour_writes_web_searches_and_tier(tmp_path: Path, usage_log: UsageLog) -> None:
    details = {"cache_creation": {"ephemeral_1h_input_tokens": 200, "ephemeral_5m_input_tokens": 19},
               "cache_creation_input_tokens": 219, "cache_read_input_tokens": 9116,
               "server_tool_use": {"web_fetch_requests": None, "web_search_requests": 2},
               "service_tier": "standard", "speed": None}
    record = import_one(tmp_path, usage_log, details, model="anthropic/claude-sonnet-4-5", input_tokens=4, output_tokens=156)
    assert (record.provider, record.model, record.input_tokens, record.cache_read_tokens, record.cache_write_tokens,
            record.cache_write_1h_tokens, record.web_search_requests, record.service_tier) == (
        "anthropic", "claude-sonnet-4-5", 9339, 9116, 219, 200, 2, "standard")
    assert record.attrs is None  # told by the plugin prefix, not guessed


def test_gemini_modalities_give_the_shares_priced_apart(tmp_path: Path, usage_log: UsageLog) -> None:
    details = {"promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}, {"modality": "AUDIO", "tokenCount": 300},
                                       {"modality": "IMAGE", "tokenCount": 50}],
               "cacheTokensDetails": [{"modality": "AUDIO", "tokenCount": 120}], "cachedContentTokenCount": 150,
               "candidatesTokenCount": 1300, "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}],
               "thoughtsTokenCount": 20}
    record = import_one(tmp_path, usage_log, details, model="gemini/gemini-2.5-flash-image", input_tokens=450,
                        output_tokens=1320)
    assert (record.provider, record.input_tokens, record.input_audio_tokens, record.input_image_tokens,
            record.cache_read_tokens, record.cache_read_audio_tokens, record.output_tokens, record.output_image_tokens,
            record.reasoning_tokens) == ("gcp.gemini", 450, 300, 50, 150, 120, 1320, 1290, 20)


@pytest.mark.parametrize(("model", "resolved", "provider", "name", "guessed"), [
    ("gpt-4o", None, "openai", "gpt-4o", True),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", "claude-sonnet-4-5-20250929", False),
    ("gemini/gemini-2.5-flash", "gemini-2.5-flash", "gcp.gemini", "gemini-2.5-flash", False),
    ("llama3.2:latest", None, "ollama", "llama3.2:latest", True),
])
def test_provider_is_taken_from_the_plugin_prefix_else_guessed_and_marked(
        model: str, resolved: str | None, provider: str, name: str, guessed: bool, tmp_path: Path,
        usage_log: UsageLog) -> None:
    db = make_db(tmp_path / "llm" / "logs.db", turns=[call("01t", model, resolved_model=resolved)])
    import_llm(db, usage_log, tmp_path / "state")
    [record] = written(usage_log)
    assert (record.provider, record.model) == (provider, name)
    assert (record.attrs or {}).get("provider_guessed", False) is guessed


@pytest.mark.skipif(sys.platform == "win32", reason="a Windows folder has no write bits to clear")
@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_database_in_a_read_only_folder_is_read_without_creating_files(wal: bool, tmp_path: Path,
                                                                        usage_log: UsageLog) -> None:
    db = make_db(tmp_path / "llm" / "logs.db", turns=[call("01t")], wal=wal)
    before = sorted(db.parent.iterdir())
    db.parent.chmod(0o555)
    try:
        summary = import_llm(db, usage_log, tmp_path / "state")
        after = sorted(db.parent.iterdir())
    finally:
        db.parent.chmod(0o755)
    assert summary.appended == 1
    assert after == before


def test_database_in_a_writable_folder_is_opened_read_only(tmp_path: Path, usage_log: UsageLog) -> None:
    db = make_db(tmp_path / "llm" / "logs.db", turns=[call("01t")])
    before = db.read_bytes()
    import_llm(db, usage_log, tmp_path / "state")
    assert db.read_bytes() == before
    assert sorted(path.name for path in db.parent.iterdir()) == ["logs.db"]
