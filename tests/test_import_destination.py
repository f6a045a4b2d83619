"""Whether a call is already imported is decided by the logs folder it is imported into."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vaultledger.capture.importers.claude_code import import_claude_code
from vaultledger.capture.logger import UsageLog
from vaultledger.cli import app
from vaultledger.ops.archive import archive_logs
from vaultledger.record import parse_line

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def assistant_line(message_id: str, timestamp: str, output: int) -> str:
    entry = {
        "type": "assistant", "sessionId": "77aa", "cwd": "/home/dev/atlas", "requestId": f"req_{message_id}",
        "timestamp": timestamp,
        "message": {"id": message_id, "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805",
                    "content": [], "usage": {"input_tokens": 10, "cache_creation_input_tokens": 0,
                                             "cache_read_input_tokens": 500, "output_tokens": output}},
    }
    return json.dumps(entry) + "\n"


@pytest.fixture
def transcripts(tmp_path: Path) -> Path:
    """Four calls over two days, as ~/.claude/projects holds them."""
    root = tmp_path / "claude" / "projects" / "-home-dev-atlas"
    root.mkdir(parents=True)
    (root / "77aa.jsonl").write_text("".join(
        assistant_line(f"msg_{n}", f"2026-03-1{n // 2}T10:0{n}:00Z", 10 + n) for n in range(4)))
    return root.parent


def run_import(transcripts: Path, logs: Path, state_dir: Path):
    usage_log = UsageLog(logs, "UTC")
    try:
        return import_claude_code(transcripts, usage_log, state_dir)
    finally:
        usage_log.close()


def ids_in(logs: Path) -> list[str]:
    return sorted(parse_line(line).id or "" for path in logs.glob("*.jsonl") for line in path.read_bytes().splitlines())


def test_a_second_logs_folder_gets_every_call(transcripts: Path, tmp_path: Path) -> None:
    state = tmp_path / "cache"
    first = run_import(transcripts, tmp_path / "logs-a", state)
    second = run_import(transcripts, tmp_path / "logs-b", state)
    assert (first.appended, second.appended, second.files_unchanged) == (4, 4, 0)
    assert ids_in(tmp_path / "logs-b") == ids_in(tmp_path / "logs-a") == [f"msg_{n}:req_msg_{n}" for n in range(4)]


def test_moved_logs_are_recognised_by_their_lines(transcripts: Path, tmp_path: Path) -> None:
    state = tmp_path / "cache"
    run_import(transcripts, tmp_path / "logs", state)
    shutil.move(tmp_path / "logs", tmp_path / "moved")
    again = run_import(transcripts, tmp_path / "moved", state)
    assert (again.appended, again.already_imported) == (0, 4)
    assert len(ids_in(tmp_path / "moved")) == 4


def test_a_restored_backup_gets_back_what_it_lacks(transcripts: Path, tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "cache"
    run_import(transcripts, logs, state)
    backup = (logs / "2026-03-10.jsonl").read_bytes()
    with (transcripts / "-home-dev-atlas" / "77aa.jsonl").open("a") as handle:
        handle.write(assistant_line("msg_9", "2026-03-10T23:00:00Z", 99))
    run_import(transcripts, logs, state)
    (logs / "2026-03-10.jsonl").unlink()
    (logs / "2026-03-10.jsonl").write_bytes(backup)  # restored from last week's backup: msg_9 is gone
    again = run_import(transcripts, logs, state)
    assert (again.appended, again.already_imported) == (1, 4)
    assert ids_in(logs).count("msg_9:req_msg_9") == 1


def test_a_deleted_day_is_imported_again(transcripts: Path, tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "cache"
    run_import(transcripts, logs, state)
    (logs / "2026-03-11.jsonl").unlink()
    again = run_import(transcripts, logs, state)
    assert (again.appended, again.files_unchanged) == (2, 0)
    assert len(ids_in(logs)) == 4


def test_an_unchanged_folder_is_not_read_again(transcripts: Path, tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "cache"
    run_import(transcripts, logs, state)
    archive_logs(logs, 0, dt.date(2026, 3, 20))  # archiving keeps every line: the hints still hold
    again = run_import(transcripts, logs, state)
    assert (again.files_unchanged, again.messages, again.appended) == (1, 0, 0)


def test_a_voided_call_is_not_brought_back(transcripts: Path, tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "cache"
    run_import(transcripts, logs, state)
    result = runner.invoke(app, ["log", "--logs", str(logs), "--tz", "UTC", "--provider", "anthropic",
                                 "--model", "claude-opus-4-1-20250805", "--input-tokens", "0", "--output-tokens", "0",
                                 "--id", "msg_0:req_msg_0", "--void", "--ts", "2026-03-10T12:00:00Z"])
    assert result.exit_code == 0, result.output
    shutil.rmtree(state)
    again = run_import(transcripts, logs, state)
    assert (again.appended, again.already_imported) == (0, 4)


def test_a_call_copied_into_a_resumed_session_is_appended_once(transcripts: Path, tmp_path: Path) -> None:
    session = transcripts / "-home-dev-atlas"
    shutil.copy(session / "77aa.jsonl", session / "88bb.jsonl")  # Claude Code copies history on resume
    summary = run_import(transcripts, tmp_path / "logs", tmp_path / "cache")
    assert (summary.messages, summary.appended, summary.already_imported) == (8, 4, 4)


def test_the_cli_imports_into_a_second_folder(transcripts: Path, tmp_path: Path) -> None:
    for logs in ("logs-a", "logs-b"):
        result = runner.invoke(app, ["import", "claude-code", str(transcripts), "--logs", str(tmp_path / logs),
                                     "--tz", "UTC"])
        assert result.exit_code == 0, result.output
        assert "4 appended" in result.stdout
