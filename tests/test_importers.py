"""Importers: Claude Code transcripts, Codex CLI rollouts and llm's logs.db, idempotently."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vaultledger.capture.importers import ImportSummary, SourceNotFound, importer_for, run_import
from vaultledger.capture.importers.claude_code import default_roots as claude_roots
from vaultledger.capture.importers.claude_code import import_claude_code
from vaultledger.capture.importers.codex import default_roots as codex_roots
from vaultledger.capture.importers.codex import import_codex
from vaultledger.capture.importers.llm_db import default_path as llm_default_path
from vaultledger.capture.importers.llm_db import import_llm
from vaultledger.capture.importers.state import STATE_FILE_NAME
from vaultledger.capture.logger import UsageLog
from vaultledger.record import UsageRecord, parse_line

FIXTURES = Path(__file__).parent / "fixtures"
UTC = dt.timezone.utc


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[UsageLog]:
    usage_log = UsageLog(tmp_path / "logs", "UTC")
    yield usage_log
    usage_log.close()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def written(usage_log: UsageLog) -> list[UsageRecord]:
    """Every record in the logs folder, in file then line order."""
    return [parse_line(line) for path in sorted(usage_log.logs_dir.glob("*.jsonl"))
            for line in path.read_bytes().splitlines()]


# --- Claude Code ---


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    """A copy of the fixture transcripts, laid out like ~/.claude/projects."""
    target = tmp_path / "claude" / "projects"
    shutil.copytree(FIXTURES / "claude-code" / "-home-dev-orbis", target / "-home-dev-orbis")
    return target


def assistant_line(message_id: str, request_id: str, timestamp: str, output: int, **extra: Any) -> str:
    entry = {
        "type": "assistant", "sessionId": "77aa", "cwd": "/home/dev/atlas", "requestId": request_id,
        "timestamp": timestamp, "uuid": f"u-{timestamp}",
        "message": {"id": message_id, "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805",
                    "content": [], "usage": {"input_tokens": 10, "cache_creation_input_tokens": 0,
                                             "cache_read_input_tokens": 5000, "output_tokens": output}},
        **extra,
    }
    return json.dumps(entry) + "\n"


def test_claude_code_counts_each_message_once_with_its_last_usage(projects: Path, logs: UsageLog,
                                                                 state_dir: Path) -> None:
    summary = import_claude_code(projects, logs, state_dir)
    [record] = written(logs)
    assert record.id == "msg_01Q:req_011CA"
    assert (record.input_tokens, record.cache_read_tokens, record.cache_write_tokens, record.output_tokens) == (
        4 + 1800 + 22000, 22000, 1800, 412)
    assert record.ts == dt.datetime(2026, 3, 10, 8, 0, 4, 120000, tzinfo=UTC)
    assert (record.provider, record.model) == ("anthropic", "claude-sonnet-4-5-20250929")
    assert (record.app, record.project, record.session, record.service_tier) == (
        "claude-code", "orbis", "3f1c", "standard")
    assert (summary.files, summary.messages, summary.appended, summary.already_imported) == (1, 1, 1, 0)
    assert summary.skipped == {"synthetic message (model <synthetic>, no API call)": 1}
    assert (summary.input_tokens, summary.output_tokens) == (23804, 412)
    assert summary.first_ts == summary.last_ts == record.ts


def test_claude_code_keeps_the_first_timestamp_of_a_streamed_message(tmp_path: Path, logs: UsageLog,
                                                                    state_dir: Path) -> None:
    transcript = tmp_path / "77aa.jsonl"
    transcript.write_text(
        assistant_line("msg_A", "req_A", "2026-03-10T23:59:59.500Z", 5)
        + assistant_line("msg_A", "req_A", "2026-03-11T00:00:03.000Z", 900)
        + assistant_line("msg_B", "req_B", "2026-03-11T00:01:00.000Z", 7)
        + assistant_line("msg_C", "req_C", "2026-03-11T00:02:00.000Z", 1, isApiErrorMessage=True)
    )
    summary = import_claude_code(transcript, logs, state_dir)
    first, second = written(logs)
    assert (first.id, first.output_tokens, first.ts) == ("msg_A:req_A", 900, dt.datetime(2026, 3, 10, 23, 59, 59, 500000, tzinfo=UTC))
    assert (second.id, second.output_tokens, second.project) == ("msg_B:req_B", 7, "atlas")
    assert summary.skipped == {"API error message": 1}
    assert [path.name for path in sorted(logs.logs_dir.iterdir())] == ["2026-03-10.jsonl", "2026-03-11.jsonl"]


def test_claude_code_second_run_appends_nothing(projects: Path, logs: UsageLog, state_dir: Path) -> None:
    import_claude_code(projects, logs, state_dir)
    again = import_claude_code(projects, logs, state_dir)
    assert (again.appended, again.files, again.files_unchanged) == (0, 1, 1)
    assert len(written(logs)) == 1


def test_claude_code_grown_transcript_appends_only_the_new_message(projects: Path, logs: UsageLog,
                                                                  state_dir: Path) -> None:
    import_claude_code(projects, logs, state_dir)
    with (projects / "-home-dev-orbis" / "3f1c.jsonl").open("a") as handle:
        handle.write(assistant_line("msg_02", "req_02", "2026-03-10T08:05:00.000Z", 33))
    summary = import_claude_code(projects, logs, state_dir)
    assert (summary.messages, summary.appended, summary.already_imported, summary.updated) == (2, 1, 1, 0)
    assert [record.id for record in written(logs)] == ["msg_01Q:req_011CA", "msg_02:req_02"]


def test_claude_code_message_still_streaming_is_updated_under_the_same_id(tmp_path: Path, logs: UsageLog,
                                                                         state_dir: Path) -> None:
    transcript = tmp_path / "77aa.jsonl"
    transcript.write_text(assistant_line("msg_A", "req_A", "2026-03-11T10:00:00.000Z", 8))
    import_claude_code(transcript, logs, state_dir)
    with transcript.open("a") as handle:
        handle.write(assistant_line("msg_A", "req_A", "2026-03-11T10:00:09.000Z", 412))
    summary = import_claude_code(transcript, logs, state_dir)
    assert (summary.appended, summary.updated) == (1, 1)
    assert [(r.id, r.output_tokens, r.ts.second) for r in written(logs)] == [
        ("msg_A:req_A", 8, 0), ("msg_A:req_A", 412, 0)]  # the reader's id dedupe keeps the last


def test_a_lost_state_file_appends_nothing_again(projects: Path, logs: UsageLog, state_dir: Path) -> None:
    """The destination's own lines say what is already imported; the state is only a speed hint."""
    import_claude_code(projects, logs, state_dir)
    (state_dir / STATE_FILE_NAME).unlink()
    import_claude_code(projects, logs, state_dir)
    assert [record.id for record in written(logs)] == ["msg_01Q:req_011CA"]


def test_claude_code_partial_last_line_is_skipped_and_reported(tmp_path: Path, logs: UsageLog,
                                                              state_dir: Path) -> None:
    transcript = tmp_path / "77aa.jsonl"
    transcript.write_text(assistant_line("msg_A", "req_A", "2026-03-11T10:00:00Z", 8) + '{"type": "assistant", "usage"')
    summary = import_claude_code(transcript, logs, state_dir)
    assert summary.appended == 1
    assert summary.skipped == {"not JSON (a partial or corrupt line)": 1}


def test_claude_code_default_roots_follow_claude_config_dir(tmp_path: Path) -> None:
    assert claude_roots({"CLAUDE_CONFIG_DIR": f"{tmp_path}/a, {tmp_path}/b"}) == [
        tmp_path / "a" / "projects", tmp_path / "b" / "projects"]
    assert claude_roots({})[0] == Path.home() / ".claude" / "projects"


# --- Codex CLI ---


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    target = tmp_path / "codex" / "sessions"
    shutil.copytree(FIXTURES / "codex", target)
    return target


def test_codex_rollouts_become_one_record_per_model_call(sessions: Path, logs: UsageLog, state_dir: Path) -> None:
    summary = import_codex(sessions, logs, state_dir)
    records = written(logs)
    assert [(r.model, r.input_tokens, r.cache_read_tokens, r.output_tokens, r.reasoning_tokens) for r in records] == [
        ("gpt-5-codex", 8000, 3000, 300, 128),
        ("gpt-5-codex", 9500, 8000, 220, 64),
        ("gpt-5", 10000, 9000, 100, 0),
        ("o4-mini", 1000, 200, 50, 10),      # older CLI: deltas of total_token_usage
        ("o4-mini", 1500, 700, 100, 30),
    ]
    first = records[0]
    assert (first.provider, first.app, first.project, first.session) == (
        "openai", "codex", "orbis", "0199a213-81c0-7800-8aa1-bbab2a035a53")
    assert first.ts == dt.datetime(2026, 3, 11, 9, 0, 11, 310000, tzinfo=UTC)
    assert records[3].project == "atlas"
    assert len({r.id for r in records}) == 5
    assert (summary.files, summary.messages, summary.appended) == (2, 5, 5)
    assert summary.skipped == {"repeated token_count (same running total)": 2}
    assert (summary.input_tokens, summary.cache_read_tokens, summary.output_tokens, summary.reasoning_tokens) == (
        30000, 20900, 770, 232)
    assert (summary.first_ts.date(), summary.last_ts.date()) == (dt.date(2026, 3, 11), dt.date(2026, 3, 12))


def test_codex_second_run_appends_nothing_even_when_files_were_touched(sessions: Path, logs: UsageLog,
                                                                       state_dir: Path) -> None:
    import_codex(sessions, logs, state_dir)
    for rollout in sessions.rglob("rollout-*.jsonl"):
        rollout.write_bytes(rollout.read_bytes())  # same content, new mtime: files are read again
    again = import_codex(sessions, logs, state_dir)
    assert (again.appended, again.already_imported, again.files_unchanged) == (0, 5, 0)
    assert len(written(logs)) == 5


def test_codex_default_roots_follow_codex_home(tmp_path: Path) -> None:
    assert codex_roots({"CODEX_HOME": str(tmp_path)}) == [tmp_path / "sessions", tmp_path / "archived_sessions"]


# --- llm ---

LLM_SCHEMA = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT);
CREATE TABLE responses (
    id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, prompt_json TEXT, options_json TEXT,
    response TEXT, response_json TEXT, conversation_id TEXT REFERENCES conversations(id),
    duration_ms INTEGER, datetime_utc TEXT, input_tokens INTEGER, output_tokens INTEGER,
    token_details TEXT, schema_id TEXT, resolved_model TEXT
);
"""
LLM_ROWS = [
    # id, model, conversation, duration, datetime_utc, input, output, token_details, resolved_model
    ("01jq0000000000000000000001", "anthropic/claude-sonnet-4-5", "c1", 5120, "2026-03-12T08:00:00.123456",
     12, 321, {"cache_creation_input_tokens": 2048, "cache_read_input_tokens": 30000, "service_tier": "standard"},
     "claude-sonnet-4-5-20250929"),
    ("01jq0000000000000000000002", "gpt-4o-mini", "c2", 900, "2026-03-12T09:00:00+00:00", 2500, 620,
     {"prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 0}}, None),
    ("01jq0000000000000000000003", "gemini-2.5-flash", "c3", 3000, "2026-03-12T10:00:00", 4100, 1412,
     {"candidatesTokenCount": 512, "thoughtsTokenCount": 900, "cachedContentTokenCount": 2048}, None),
    ("01jq0000000000000000000004", "gemini-2.5-flash", "c3", 2000, "2026-03-12T10:05:00", 4100, 512,
     {"candidatesTokenCount": 512, "thoughtsTokenCount": 900}, None),  # older llm-gemini: thoughts left out
    ("01jq0000000000000000000005", "llama3.2:latest", "c4", 700, "2026-03-13T07:00:00", 26, 282, None, None),
    ("01jq0000000000000000000006", "echo", "c5", 1, "2026-03-13T07:01:00", None, None, None, None),
]


@pytest.fixture
def logs_db(tmp_path: Path) -> Path:
    path = tmp_path / "io.datasette.llm" / "logs.db"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(LLM_SCHEMA)
        db.executemany(
            "INSERT INTO responses (id, model, prompt, response, conversation_id, duration_ms, datetime_utc,"
            " input_tokens, output_tokens, token_details, resolved_model) VALUES (?, ?, 'PROMPT', 'REPLY', ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:7], json.dumps(row[7]) if row[7] else None, row[8]) for row in LLM_ROWS],
        )
    db.close()
    return path


def test_llm_responses_are_imported_with_each_plugins_arithmetic(logs_db: Path, logs: UsageLog,
                                                                 state_dir: Path) -> None:
    summary = import_llm(logs_db, logs, state_dir)
    records = {record.id[-1]: record for record in written(logs)}
    claude = records["1"]
    assert (claude.provider, claude.model, claude.input_tokens, claude.cache_read_tokens,
            claude.cache_write_tokens, claude.output_tokens) == (
        "anthropic", "claude-sonnet-4-5-20250929", 32060, 30000, 2048, 321)
    assert (claude.ts, claude.app, claude.session, claude.duration_ms) == (
        dt.datetime(2026, 3, 12, 8, 0, 0, 123456, tzinfo=UTC), "llm", "c1", 5120)
    assert (records["2"].provider, records["2"].input_tokens, records["2"].cache_read_tokens) == ("openai", 2500, 1024)
    assert (records["3"].provider, records["3"].output_tokens, records["3"].reasoning_tokens,
            records["3"].cache_read_tokens) == ("gcp.gemini", 1412, 900, 2048)
    assert records["4"].output_tokens == 1412
    assert (records["5"].provider, records["5"].model) == ("ollama", "llama3.2:latest")
    assert (summary.messages, summary.appended) == (5, 5)
    assert summary.skipped == {"response without token counts": 1}


def test_llm_second_run_appends_nothing(logs_db: Path, logs: UsageLog, state_dir: Path) -> None:
    import_llm(logs_db, logs, state_dir)
    again = import_llm(logs_db, logs, state_dir)
    assert (again.appended, again.already_imported) == (0, 5)
    assert len(written(logs)) == 5


def test_llm_default_path_follows_llm_user_path(tmp_path: Path) -> None:
    assert llm_default_path({"LLM_USER_PATH": str(tmp_path)}) == tmp_path / "logs.db"


# --- shared behaviour ---


@pytest.mark.parametrize("name", ["claude-code", "codex", "llm"])
def test_missing_source_is_a_user_facing_error(name: str, tmp_path: Path, logs: UsageLog, state_dir: Path) -> None:
    with pytest.raises(SourceNotFound, match="nowhere"):
        importer_for(name)(tmp_path / "nowhere", logs, state_dir)


def test_progress_flag_is_harmless_without_a_terminal(projects: Path, logs: UsageLog, state_dir: Path) -> None:
    assert import_claude_code(projects, logs, state_dir, progress=True).appended == 1


def test_summary_describes_calls_tokens_dates_and_skips(projects: Path, logs: UsageLog, state_dir: Path) -> None:
    summary = import_claude_code(projects, logs, state_dir)
    text = summary.describe()
    assert "1 appended" in text and "23,804 input" in text and "412 output" in text
    assert "dates: 2026-03-10 to 2026-03-10" in text
    assert "skipped 1 line: 1 synthetic message" in text
    assert json.loads(json.dumps(summary.as_dict()))["skipped"] == dict(summary.skipped)


def test_run_import_runs_the_named_importer(sessions: Path, logs: UsageLog, state_dir: Path) -> None:
    summary = run_import("codex", sessions, logs, state_dir)
    assert summary.appended == 5 and str(summary) == summary.describe()
    with pytest.raises(SourceNotFound, match="unknown importer"):
        run_import("cursor", None, logs, state_dir)


def test_summary_starts_empty() -> None:
    summary = ImportSummary("codex")
    assert summary.appended == 0 and not summary.skipped and "0 appended" in summary.describe()
