"""Claude Code transcripts: `~/.claude/projects/**/*.jsonl` (and `$CLAUDE_CONFIG_DIR/projects`).

Claude Code writes an assistant message several times while it streams, `output_tokens` growing:
each message (key `message.id:requestId`, also the record id) counts once, with its LAST line's
usage and its FIRST line's timestamp. Files are read line by line and only a dict of message key →
latest usage is kept per file, so memory is bounded by the messages of one file, not its size.
Usage is Anthropic's: input excludes cache, so cache reads and writes are added back; 1-hour cache
writes, web searches and fast mode are recorded too (`anthropic_usage`). Models served through
Bedrock or Vertex AI, or a proxy in front of them, keep the provider that prices them
(`claude_models`). Lines without `"type"` were not written by Claude Code: skipped, with that reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import (
    Advance, ImportRun, ImportSummary, existing_roots, folder_name, jsonl_files, progress_bar, read_lines,
)
from vaultledger.capture.importers.anthropic_usage import anthropic_record_fields
from vaultledger.capture.importers.claude_models import provider_and_model
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog

SOURCE = "claude-code"
SYNTHETIC_MODEL = "<synthetic>"
USAGE_MARKER = b'"usage"'  # lines without it cannot carry usage: skip decoding them
NO_TYPE = 'line without "type" (not written by Claude Code)'


@dataclass
class PendingMessage:
    """What one message needs for its record: the first timestamp and the latest line's usage."""

    first_ts: str
    model: str
    usage: dict[str, Any]
    session: str | None
    cwd: str | None


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    """`$CLAUDE_CONFIG_DIR` (comma-separated) or both homes Claude Code has used."""
    if env.get("CLAUDE_CONFIG_DIR"):
        dirs = [Path(part.strip()).expanduser() for part in env["CLAUDE_CONFIG_DIR"].split(",") if part.strip()]
    else:
        dirs = [Path.home() / ".claude", Path.home() / ".config" / "claude"]
    return [directory / "projects" for directory in dirs]


def import_claude_code(
    path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
) -> ImportSummary:
    """Append one record per Claude Code API call not imported before; return what happened."""
    files = jsonl_files(existing_roots([path] if path else default_roots(), "Claude Code transcripts"))
    with ImportState(state_dir, SOURCE) as state:
        run = ImportRun(SOURCE, usage_log, state)
        stats = {file: file.stat() for file in files}
        changed = [file for file in files if not state.file_unchanged(file, stats[file])]
        run.summary.files, run.summary.files_unchanged = len(files), len(files) - len(changed)
        total = sum(stats[file].st_size for file in changed)
        with progress_bar("Importing Claude Code transcripts", total, progress) as advance:
            for file in changed:
                import_file(file, run, advance)
                run.file_done(file, stats[file])
    return run.summary


def import_file(path: Path, run: ImportRun, advance: Advance) -> None:
    """Read one transcript, then offer each of its messages once."""
    pending: dict[str, PendingMessage] = {}
    for line in read_lines(path, advance):
        if USAGE_MARKER in line:
            read_line(line, pending, run)
    for key, message in pending.items():
        run.offer(record_fields(key, message))


def read_line(line: bytes, pending: dict[str, PendingMessage], run: ImportRun) -> None:
    try:
        entry = msgspec.json.decode(line)
    except msgspec.DecodeError:
        run.skip("not JSON (a partial or corrupt line)")
        return
    if not isinstance(entry, dict) or "type" not in entry:
        run.skip(NO_TYPE if isinstance(entry, dict) else "not a JSON object")
        return
    message = entry.get("message") if entry.get("type") == "assistant" else None
    if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
        return  # user, summary and tool lines carry no usage of their own
    reason = skip_reason(entry, message)
    if reason:
        run.skip(reason)
        return
    remember(entry, message, pending)


def skip_reason(entry: dict[str, Any], message: dict[str, Any]) -> str | None:
    if message.get("model") == SYNTHETIC_MODEL:
        return "synthetic message (model <synthetic>, no API call)"
    if entry.get("isApiErrorMessage"):
        return "API error message"
    if not isinstance(message.get("id"), str) or not isinstance(message.get("model"), str):
        return "assistant line without message id or model"
    if not isinstance(entry.get("timestamp"), str):
        return "assistant line without timestamp"
    return None


def remember(entry: dict[str, Any], message: dict[str, Any], pending: dict[str, PendingMessage]) -> None:
    """Keep the first timestamp; let later lines of the same message replace usage and model."""
    key = message_key(entry, message)
    known = pending.get(key)
    first_ts = known.first_ts if known else entry["timestamp"]
    pending[key] = PendingMessage(
        first_ts=first_ts,
        model=message["model"],
        usage=message["usage"],
        session=entry.get("sessionId") or (known.session if known else None),
        cwd=entry.get("cwd") or (known.cwd if known else None),
    )


def message_key(entry: dict[str, Any], message: dict[str, Any]) -> str:
    """`message.id:requestId` (as ccusage dedupes); older transcripts without requestId use the id."""
    request = entry.get("requestId")
    return f"{message['id']}:{request}" if isinstance(request, str) and request else message["id"]


def record_fields(key: str, message: PendingMessage) -> dict[str, Any]:
    provider, model = provider_and_model(message.model)
    fields = {
        "ts": message.first_ts,
        "provider": provider,
        "model": model,
        "id": key,
        "app": SOURCE,
        "project": folder_name(message.cwd),
        "session": message.session,
        **anthropic_record_fields(message.usage),
    }
    if model != message.model:  # the name as logged is worth keeping: it says which route served the call
        fields["attrs"] = {**(fields["attrs"] or {}), "logged_model": message.model}
    return fields
