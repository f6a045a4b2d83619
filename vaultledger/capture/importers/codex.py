"""Codex CLI sessions: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl` (`$CODEX_HOME` moves `~/.codex`).

A rollout is a stream of `{"timestamp", "type", "payload"}` lines. `session_meta` names the session,
its cwd and model provider; `turn_context` names the model of the turns that follow; each
`event_msg` of payload type `token_count` carries `info.last_token_usage` (this call) and
`info.total_token_usage` (running total). A call is `last_token_usage`, or the delta of the running
total when `last` is absent; a repeated running total is the same call reported again and skipped.
OpenAI arithmetic: cached input is part of input, reasoning output part of output.
A token count that names its model (`info.model`) is that model's; else the last `turn_context`'s; a
token count before either has model `unknown` (priced as unpriced, never as $0).
The service tier Codex ran at (config `service_tier`) is sticky: the last `service_tier` that a
`session_meta`, `turn_context` or `thread_settings_applied` event named holds for the calls after
it. Codex's `fast` is its alias for OpenAI's `priority`, and is recorded as such.
What the rollout knows about a call is kept as `attrs`: `agent_version` (`session_meta.cli_version`),
`git_branch` (`session_meta.git.branch`) and `reasoning_effort` (the turn's `effort`).
A rollout is read from where the last read stopped (`RolloutReader`, which `watch` keeps per file),
with the session's state carried over, so memory stays flat however long the rollout grows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.shapes.body import count, section, text
from vaultledger.capture.importers import (
    Advance, FileTail, ImportRun, ImportSummary, existing_roots, folder_name, jsonl_files, no_progress, 
)
from vaultledger.capture.importers.file_batch import import_files
from vaultledger.capture.logger import UsageLog
from vaultledger.record import normalise_provider

SOURCE = "codex"
SESSION_FILES = "rollout-*.jsonl"
UNKNOWN_MODEL = "unknown"
USAGE_KEYS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")
MARKERS = (b"token_count", b"turn_context", b"session_meta", b"thread_settings_applied")
MODEL_PROVIDERS = {"oss": "ollama"}  # `codex --oss` runs local models through Ollama
TIER_ALIASES = {"fast": "priority"}  # what Codex sends to OpenAI for its `fast` tier


@dataclass
class Session:
    """What the lines so far said about the session a token count belongs to."""

    id: str
    cwd: str | None = None
    provider: str = "openai"
    model: str = UNKNOWN_MODEL
    service_tier: str | None = None
    last_total: dict[str, int] | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    def meta_from(self, payload: Mapping[str, Any]) -> None:
        """Take the session id, model provider, Codex version and git branch of `session_meta`, and
        any settings it names."""
        self.id = text(payload, "id") or self.id
        provider = text(payload, "model_provider")
        if provider:
            self.provider = MODEL_PROVIDERS.get(provider, normalise_provider(provider))
        self._keep("agent_version", text(payload, "cli_version"))
        self._keep("git_branch", text(section(payload, "git"), "branch"))
        self.settings_from(payload)

    def settings_from(self, payload: Mapping[str, Any]) -> None:
        """Take the cwd, model, reasoning effort and service tier a context or settings event names."""
        self.cwd = text(payload, "cwd") or self.cwd
        self.model = text(payload, "model") or self.model
        self._keep("reasoning_effort", text(payload, "effort", "reasoning_effort"))
        tier = payload.get("service_tier")
        if isinstance(tier, str):
            self.service_tier = TIER_ALIASES.get(tier, tier)

    def _keep(self, name: str, value: str | None) -> None:
        if value:
            self.attrs[name] = value


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    home = Path(env["CODEX_HOME"]).expanduser() if env.get("CODEX_HOME") else Path.home() / ".codex"
    return [home / "sessions", home / "archived_sessions"]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Codex keeps rollouts here: its sessions folder (or archived sessions) exists."""
    return any(root.is_dir() for root in default_roots(env))


def session_reader(path: Path) -> RolloutReader:
    return RolloutReader(path)


def import_codex(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per Codex model call not imported before; return what happened."""
    roots = existing_roots([path] if path else default_roots(), "Codex CLI sessions")
    files = jsonl_files(roots, "*.jsonl" if path else "rollout-*.jsonl")
    return import_files(SOURCE, usage_log, state_dir, files,
                        lambda file, run, advance: RolloutReader(file).read_new(run, advance),
                        "Importing Codex sessions", progress)


class RolloutReader:
    """One rollout, read from where the last read stopped, its session's state carried over."""

    def __init__(self, path: Path) -> None:
        self.tail = FileTail(path)
        self.session = self._new_session()

    def _new_session(self) -> Session:
        return Session(id=self.tail.path.stem.removeprefix("rollout-"))

    def read_new(self, run: ImportRun, advance: Advance = no_progress, *, final: bool = True) -> None:
        if self.tail.restarted():
            self.session = self._new_session()
        for line in self.tail.new_lines(advance, final=final):
            if not any(marker in line for marker in MARKERS):
                continue
            try:
                entry = msgspec.json.decode(line)
            except msgspec.DecodeError:
                run.skip("not JSON (a partial or corrupt line)")
                continue
            if isinstance(entry, dict):
                read_entry(entry, self.session, run)


def read_entry(entry: dict[str, Any], session: Session, run: ImportRun) -> None:
    kind, payload = entry.get("type"), section(entry, "payload")
    if kind == "session_meta":
        session.meta_from(payload)
    elif kind == "turn_context":
        session.settings_from(payload)
    elif kind == "event_msg" and payload.get("type") == "thread_settings_applied":
        session.settings_from(section(payload, "thread_settings"))
    elif kind == "event_msg" and payload.get("type") == "token_count":
        read_token_count(entry, section(payload, "info"), session, run)


def read_token_count(entry: dict[str, Any], info: Mapping[str, Any], session: Session, run: ImportRun) -> None:
    if not info:
        return  # a rate-limit update without usage
    total = usage_counts(section(info, "total_token_usage"))
    if total and total == session.last_total:
        run.skip("repeated token_count (same running total)")
        return
    last = usage_counts(section(info, "last_token_usage"))
    call = last if any(last.values()) else delta(total, session.last_total)
    session.last_total = total or session.last_total
    if not any(call.values()):
        run.skip("token_count without usage")
        return
    run.offer(record_fields(entry, call, total, session, text(info, "model") or session.model))


def usage_counts(usage: Mapping[str, Any]) -> dict[str, int]:
    return {key: count(usage, key) for key in USAGE_KEYS} if usage else {}


def delta(total: dict[str, int], previous: dict[str, int] | None) -> dict[str, int]:
    """This call's usage from two running totals; a total that went down restarted, so it is the call."""
    if not previous or any(total.get(key, 0) < previous.get(key, 0) for key in USAGE_KEYS):
        return total
    return {key: total.get(key, 0) - previous.get(key, 0) for key in USAGE_KEYS}


def record_fields(
    entry: dict[str, Any], call: dict[str, int], total: dict[str, int], session: Session, model: str
) -> dict[str, Any]:
    timestamp = entry.get("timestamp")
    return {
        "ts": timestamp,
        "provider": session.provider,
        "model": model,
        "id": f"{session.id}:{timestamp}:{total.get('total_tokens', 0)}",
        "app": SOURCE,
        "project": folder_name(session.cwd),
        "session": session.id,
        "service_tier": session.service_tier,
        "input_tokens": call.get("input_tokens", 0),
        "cache_read_tokens": call.get("cached_input_tokens", 0),
        "output_tokens": call.get("output_tokens", 0),
        "reasoning_tokens": call.get("reasoning_output_tokens", 0),
        "attrs": dict(session.attrs) or None,
    }
