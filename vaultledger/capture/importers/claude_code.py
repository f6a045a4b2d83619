"""Claude Code transcripts: `~/.claude/projects/**/*.jsonl` (and `$CLAUDE_CONFIG_DIR/projects`).

Claude Code writes an assistant message several times while it streams, `output_tokens` growing:
each message (key `message.id:requestId`, also the record id) counts once, with its FIRST line's
timestamp and its LARGEST line's usage (the last, as usage only grows while a message streams; but
Claude Code 2.1.237 also writes a zeroed copy of a row after the real one, anthropics/claude-code#95555,
and that copy must never win). A message whose every row is zeroed is skipped with that reason.

A transcript is read line by line from where the last read stopped (`TranscriptReader`, which
`watch` keeps per file), holding at most `OPEN_MESSAGES` messages: a message not seen for that many
others is finished and offered, so memory stays flat however long the transcript grows. Each read
offers the messages whose usage changed; `ImportRun` appends a message again, same id, when its
usage grew since an earlier import, so the ledger's last line of the id holds its final usage.

Usage is Anthropic's: input excludes cache, so cache reads and writes are added back; 1-hour cache
writes, web searches and fast mode are recorded too (`anthropic_usage`). Models served through
Bedrock or Vertex AI, or a proxy in front of them, keep the provider that prices them
(`claude_models`). What the transcript knows about a call is kept as `attrs`: `git_branch`,
`agent_version` (Claude Code's), and for a sub-agent's call `sidechain = true` and `subagent` (its
agent id, from the line or the `agent-<id>.jsonl` file name). Lines without `"type"` were not written
by Claude Code: skipped, with that reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import (
    Advance, FileTail, ImportRun, ImportSummary, existing_roots, folder_name, jsonl_files, no_progress, 
)
from vaultledger.capture.importers.anthropic_usage import anthropic_record_fields
from vaultledger.capture.importers.claude_models import provider_and_model
from vaultledger.capture.importers.file_batch import import_files
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import count

SOURCE = "claude-code"
SESSION_FILES = "*.jsonl"
SYNTHETIC_MODEL = "<synthetic>"
USAGE_MARKER = b'"usage"'  # lines without it cannot carry usage: skip decoding them
NO_TYPE = 'line without "type" (not written by Claude Code)'
ZEROED = "zeroed usage row (a copy Claude Code writes beside the real row; the real row counts)"
# The messages one transcript keeps open. A message's lines follow each other (a streamed reply, its
# content blocks): one not seen for this many other messages is finished.
OPEN_MESSAGES = 256
RAW_COUNTS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")


@dataclass
class PendingMessage:
    """What one message needs for its record: the first timestamp and the largest line's usage."""

    first_ts: str
    model: str
    usage: dict[str, Any]
    size: int  # its raw counts summed: a line with less is a partial or zeroed copy
    session: str | None
    cwd: str | None
    attrs: dict[str, Any]
    offered: bool = False  # offered with this usage already (a live read offers only what changed)


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    """`$CLAUDE_CONFIG_DIR` (comma-separated) or both homes Claude Code has used."""
    if env.get("CLAUDE_CONFIG_DIR"):
        dirs = [Path(part.strip()).expanduser() for part in env["CLAUDE_CONFIG_DIR"].split(",") if part.strip()]
    else:
        dirs = [Path.home() / ".claude", Path.home() / ".config" / "claude"]
    return [directory / "projects" for directory in dirs]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Claude Code keeps transcripts here: one of its projects folders exists."""
    return any(root.is_dir() for root in default_roots(env))


def session_reader(path: Path) -> TranscriptReader:
    return TranscriptReader(path)


def import_claude_code(
    path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False
) -> ImportSummary:
    """Append one record per Claude Code API call not imported before; return what happened."""
    files = jsonl_files(existing_roots([path] if path else default_roots(), "Claude Code transcripts"))
    return import_files(SOURCE, usage_log, state_dir, files,
                        lambda file, run, advance: TranscriptReader(file).read_new(run, advance),
                        "Importing Claude Code transcripts", progress)


class TranscriptReader:
    """One transcript, read from where the last read stopped (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.tail = FileTail(path)
        self.subagent = path.stem.removeprefix("agent-") if path.stem.startswith("agent-") else None
        self.pending: dict[str, PendingMessage] = {}

    def read_new(self, run: ImportRun, advance: Advance = no_progress, *, final: bool = True) -> None:
        if self.tail.restarted():
            self.pending.clear()
        for line in self.tail.new_lines(advance, final=final):
            if USAGE_MARKER in line:
                self._read_line(line, run)
        for key, message in self.pending.items():
            self._offer(key, message, run)

    def _read_line(self, line: bytes, run: ImportRun) -> None:
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
        self._remember(entry, message)
        if len(self.pending) > OPEN_MESSAGES:
            oldest = next(iter(self.pending))
            self._offer(oldest, self.pending.pop(oldest), run)

    def _remember(self, entry: dict[str, Any], message: dict[str, Any]) -> None:
        """Keep the first timestamp; a later line of the message replaces usage and model unless it
        holds less. The message moves to the end of the open ones (the oldest is finished first)."""
        key = message_key(entry, message)
        known = self.pending.pop(key, None)
        size = sum(count(message["usage"], name) for name in RAW_COUNTS)
        if known is not None and (size < known.size or message["usage"] == known.usage):
            self.pending[key] = known
            return
        self.pending[key] = PendingMessage(
            first_ts=known.first_ts if known else entry["timestamp"],
            model=message["model"],
            usage=message["usage"],
            size=size,
            session=entry.get("sessionId") or (known.session if known else None),
            cwd=entry.get("cwd") or (known.cwd if known else None),
            attrs=call_attrs(entry, self.subagent),
        )

    @staticmethod
    def _offer(key: str, message: PendingMessage, run: ImportRun) -> None:
        if message.offered:
            return
        message.offered = True
        if message.size == 0:
            run.skip(ZEROED)
            return
        run.offer(record_fields(key, message))


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


def call_attrs(entry: dict[str, Any], file_agent: str | None) -> dict[str, Any]:
    """What the line says about the call beyond its usage: branch, Claude Code's version, sub-agent."""
    attrs: dict[str, Any] = {}
    for name, key in (("git_branch", "gitBranch"), ("agent_version", "version")):
        if isinstance(entry.get(key), str) and entry[key]:
            attrs[name] = entry[key]
    if entry.get("isSidechain") is True:
        attrs["sidechain"] = True
        agent = entry.get("agentId") if isinstance(entry.get("agentId"), str) else file_agent
        if agent:
            attrs["subagent"] = agent
    return attrs


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
    attrs = {**message.attrs, **(fields["attrs"] or {})}
    if model != message.model:  # the name as logged is worth keeping: it says which route served the call
        attrs["logged_model"] = message.model
    fields["attrs"] = attrs or None
    return fields
