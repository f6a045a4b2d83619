"""Qwen Code: `~/.qwen/projects/<cwd>/chats/<session>.jsonl` and `~/.qwen/usage_record.jsonl`
(`$QWEN_DATA_DIR` replaces `~/.qwen`; the same on Linux, macOS and Windows).

A chat's `assistant` records carry usage only for calls that produced a message: in real sessions one
call in three has none. Qwen Code's telemetry has every call: a `system` record of subtype
`ui_telemetry` whose `qwen-code.api_response` event holds that call's counts, and `usage_record.jsonl`,
one line per session run with per-model sums, which the api_response events add up to exactly.

So each api_response event is one record, with the id `<session>:<n>` (the n-th call of the session),
and each usage_record run covers the next `requests` positions of its session. Calls a run counts
that no chat holds any more (Qwen Code deletes old chats; a crash may cut one short) are recorded from
the run's sums, shared evenly among them (`attrs.usage_split`), under the same positional ids: an
import after the chat is gone finds the exact records an earlier import took from it, and adds
nothing. `prompt` (input) includes cached tokens and `candidates` (output) includes thoughts, unlike
Gemini; a `total` that says otherwise wins.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import Advance, ImportRun, ImportSummary, existing_roots, folder_name, read_lines
from vaultledger.capture.importers.agent_calls import (
    agent_attrs, agent_provider, even_shares, from_millis, input_unknown, offer_if_new, unreadable, with_cache,
    with_reasoning,
)
from vaultledger.capture.importers.file_batch import files_under, import_run, place, read_changed, require_files
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import count, present_count, section, text

SOURCE = "qwen-code"
USAGE_RECORD = "usage_record.jsonl"
API_RESPONSE = "qwen-code.api_response"
MARKER = API_RESPONSE.encode()
AUTH_PROVIDERS = {"anthropic": "anthropic", "gemini": "gcp.gemini", "vertex-ai": "gcp.vertex_ai"}
COUNTS = ("input", "output", "cached", "thoughts", "total", "requests")
TELEMETRY_KEYS = {"input": "input_token_count", "output": "output_token_count", "cached": "cached_content_token_count",
                  "thoughts": "thoughts_token_count", "total": "total_token_count"}
RUN_KEYS = {"input": "inputTokens", "output": "outputTokens", "cached": "cachedTokens", "thoughts": "thoughtsTokens",
            "total": "totalTokens", "requests": "requests"}


class Record(msgspec.Struct):
    sessionId: Any = None
    timestamp: Any = None
    cwd: Any = None
    version: Any = None
    gitBranch: Any = None
    isSidechain: Any = None
    agentId: Any = None
    systemPayload: Any = None
    uiEvent: Any = None


@dataclass
class Run:
    """One line of usage_record.jsonl: a session run's per-model sums, and the positions it covers."""

    session: str
    start: int
    end: Any
    project: str | None
    models: dict[str, dict[str, int]]
    where: str = ""
    first: int = 0
    seen: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(COUNTS, 0)))

    @property
    def requests(self) -> int:
        return sum(figures["requests"] for figures in self.models.values())


@dataclass
class Chats:
    """What the chats read so far say: calls per session, and the runs those calls fall in."""

    runs: dict[str, list[Run]]
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def run_at(self, session: str, position: int) -> Run | None:
        return next((run for run in self.runs.get(session, ()) if run.first <= position < run.first + run.requests),
                    None)


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """`$QWEN_DATA_DIR`, else `~/.qwen`."""
    return Path(env["QWEN_DATA_DIR"]).expanduser() if env.get("QWEN_DATA_DIR") else Path.home() / ".qwen"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Whether Qwen Code keeps usage (its usage record or any chat) on this machine."""
    root = default_path(env)
    return (root / USAGE_RECORD).is_file() or bool(chat_files([root]))


def import_qwen_code(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per Qwen Code model call not imported before; return what happened."""
    roots = existing_roots([path] if path else [default_path()], "Qwen Code data")
    records = usage_records(roots)
    chats = Chats(read_runs(records))
    files = chat_files(roots) if records else require_files(chat_files(roots), path, "Qwen Code chats or usage record")
    with import_run(SOURCE, usage_log, state_dir) as run:
        unchanged = read_changed(run, files, lambda file, advance: import_chat(file, chats, run, advance),
                                 "Importing Qwen Code chats", progress)
        run.summary.files += len(records)
        settled = {file.stem for file in unchanged}  # their runs were matched when the chat was read
        for session, runs in chats.runs.items():
            for usage_run in runs if session not in settled else ():
                offer_unlogged(usage_run, chats.calls[session], run)
    return run.summary


def usage_records(roots: Iterable[Path]) -> list[Path]:
    found = {candidate for root in roots if root.is_dir()
             for candidate in [root / USAGE_RECORD, root / ".qwen" / USAGE_RECORD] if candidate.is_file()}
    return sorted(found | {root for root in roots if root.name == USAGE_RECORD and root.is_file()})


def chat_files(roots: Iterable[Path]) -> list[Path]:
    return files_under(roots, "*.jsonl", lambda path: path.name != USAGE_RECORD and "chats" in path.parts)


def read_runs(paths: list[Path]) -> dict[str, list[Run]]:
    """Every run of usage_record.jsonl by session, oldest first, each knowing its first position."""
    runs: dict[str, list[Run]] = defaultdict(list)
    for path in paths:
        for number, line in enumerate(read_lines(path, lambda amount: None), 1):
            usage_run = parse_run(line, place(path, number))
            if usage_run is not None:
                runs[usage_run.session].append(usage_run)
    for session_runs in runs.values():
        session_runs.sort(key=lambda usage_run: usage_run.start)
        position = 0
        for usage_run in session_runs:
            usage_run.first, position = position, position + usage_run.requests
    return runs


def parse_run(line: bytes, where: str) -> Run | None:
    try:
        entry = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return None  # reported by the chats' own counts; a cut-off last line is completed later
    if not isinstance(entry, dict) or not text(entry, "sessionId"):
        return None
    models = {name: {key: count(figures, spelled) for key, spelled in RUN_KEYS.items()}
              for name, figures in section(entry, "models").items() if isinstance(figures, Mapping)}
    return Run(entry["sessionId"], count(entry, "startTime"), entry.get("timestamp"),
               folder_name(entry.get("project")), models, where)


def import_chat(path: Path, chats: Chats, run: ImportRun, advance: Advance) -> None:
    for number, line in enumerate(read_lines(path, advance), 1):
        if MARKER in line:
            read_telemetry(line, chats, run, place(path, number))


def read_telemetry(line: bytes, chats: Chats, run: ImportRun, where: str) -> None:
    try:
        record = msgspec.json.decode(line, type=Record)
    except msgspec.DecodeError as error:
        run.skip(unreadable(error), where)
        return
    event = section(record.systemPayload, "uiEvent") if isinstance(record.systemPayload, Mapping) else {}
    event = event or (record.uiEvent if isinstance(record.uiEvent, Mapping) else {})
    if event.get("event.name") != API_RESPONSE:
        return
    session = record.sessionId if isinstance(record.sessionId, str) and record.sessionId else None
    if session is None:
        run.skip("api_response without sessionId", where)
        return
    position = chats.calls[session]
    chats.calls[session] += 1
    counts = {key: count(event, spelled) for key, spelled in TELEMETRY_KEYS.items()}
    usage_run = chats.run_at(session, position)
    if usage_run is not None:
        add(usage_run.seen[text(event, "model") or "unknown"], {**counts, "requests": 1})
    run.offer(telemetry_fields(record, event, session, position, counts), where)


def telemetry_fields(record: Record, event: Mapping[str, Any], session: str, position: int,
                     counts: dict[str, int]) -> dict[str, Any]:
    model = text(event, "model") or "unknown"
    provider, guessed = agent_provider(AUTH_PROVIDERS.get(text(event, "auth_type") or ""), model)
    tokens = token_fields(counts, present_count(event, "total_token_count"))
    return {
        "ts": text(event, "event.timestamp") or record.timestamp,
        "provider": provider,
        "model": model,
        "id": f"{session}:{position}",
        "app": SOURCE,
        "project": folder_name(record.cwd),
        "session": session,
        "duration_ms": present_count(event, "duration_ms"),
        **tokens,
        "attrs": agent_attrs(agent_version=record.version if isinstance(record.version, str) else None,
                             git_branch=record.gitBranch if isinstance(record.gitBranch, str) else None,
                             subagent=subagent_of(record, text(event, "prompt_id")), provider_guessed=guessed,
                             **input_unknown(tokens["input_tokens"])),
    }


def subagent_of(record: Record, prompt_id: str | None) -> str | bool | None:
    """A sub-agent's name: its agentId, or the middle of a prompt id `<session>#<agent>#<n>`
    (a main-thread prompt id has nothing there: `<session>########<n>`)."""
    if isinstance(record.agentId, str) and record.agentId:
        return record.agentId
    name = prompt_id.split("#")[1] if prompt_id and prompt_id.count("#") >= 2 else ""
    return name or (True if record.isSidechain is True else None)


def token_fields(counts: Mapping[str, int], total: int | None) -> dict[str, int]:
    prompt = with_cache(counts["input"], counts["cached"], total or None, rest=counts["output"], included=True)
    completion = with_reasoning(counts["output"], counts["thoughts"], total or None, rest=prompt, included=True)
    return {"input_tokens": prompt, "cache_read_tokens": counts["cached"], "output_tokens": completion,
            "reasoning_tokens": min(counts["thoughts"], completion)}


def offer_unlogged(usage_run: Run, calls_read: int, run: ImportRun) -> None:
    """The calls a run counts beyond the chat's telemetry, at the run's positions no chat call took,
    each an even share of what is left; what is left without a free position is reported, not guessed."""
    free = list(range(max(usage_run.first, calls_read), usage_run.first + usage_run.requests))
    for model, figures in sorted(usage_run.models.items()):
        left = {key: max(figures[key] - usage_run.seen[model][key], 0) for key in COUNTS}
        calls = min(left["requests"], len(free))
        if calls == 0:
            if left["input"] or left["output"]:
                run.skip(f"{USAGE_RECORD} counts tokens of {model} that no call of its chat has", usage_run.where)
            continue
        positions, free = free[:calls], free[calls:]
        shares = {key: even_shares(left[key], calls) for key in COUNTS}
        for index, position in enumerate(positions):
            offer_if_new(run, unlogged_fields(usage_run, model, position, {key: shares[key][index] for key in COUNTS}))


def unlogged_fields(usage_run: Run, model: str, position: int, counts: dict[str, int]) -> dict[str, Any]:
    provider, guessed = agent_provider(None, model)
    tokens = token_fields(counts, None)
    return {"ts": from_millis(usage_run.end), "provider": provider, "model": model,
            "id": f"{usage_run.session}:{position}", "app": SOURCE, "project": usage_run.project,
            "session": usage_run.session, **tokens,
            "attrs": agent_attrs(usage_split=USAGE_RECORD, provider_guessed=guessed,
                                 **input_unknown(tokens["input_tokens"]))}


def add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for key, value in counts.items():
        into[key] += value
