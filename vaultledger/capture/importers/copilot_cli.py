"""GitHub Copilot CLI sessions: `~/.copilot/session-state/<session>/events.jsonl` (`$COPILOT_HOME` moves it).

Each model call writes an `assistant.message` event with its output count only. Input, cache reads and
writes and reasoning are in the `session.shutdown` rollup (`modelMetrics` per model; `inputTokens`
includes the cache), which Copilot writes only when a session ends cleanly: a crash writes none, and a
resumed session writes one per leg, counting either from the session's start (1.0.80) or from the
leg's (earlier releases; a compaction resets them too). A leg is told by its request counts: the
rollup that counts this leg's calls plus the last rollup's is cumulative, one that counts only this
leg's is not, and a counter that went down started again.

One record per call (`sessionId:messageId`), with the output its event logged. When its leg's rollup
is there, the rollup's input, cache and reasoning are shared evenly among the leg's calls of that
model (`attrs.usage_split`; the sums are exact); requests the rollup counts beyond the events get
records of their own. Until then (a running or crashed session) a call is recorded with input 0 and
`attrs.input_tokens_unknown`, and a later import, after a clean exit, writes it again with its share.
Calls are served by GitHub Copilot (priced as `github-copilot`), except a local `name:tag` model
(bring-your-own-key with Ollama).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import Advance, ImportRun, ImportSummary, existing_roots, folder_name, read_lines
from vaultledger.capture.importers.agent_calls import (
    INPUT_UNKNOWN, agent_attrs, agent_provider, even_shares, unreadable,
)
from vaultledger.capture.importers.file_batch import files_under, import_files, place, require_files
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import count, section, text

SOURCE = "copilot-cli"
PROVIDER = "github-copilot"
UNKNOWN_MODEL = "unknown"
EVENTS_FILE = "events.jsonl"
MARKERS = (b'"assistant.message"', b'"session.shutdown"', b'"session.start"', b'"session.resume"',
           b'"session.model_change"')
USAGE_KEYS = ("inputTokens", "cacheReadTokens", "cacheWriteTokens", "outputTokens", "reasoningTokens")
UNKNOWN = {INPUT_UNKNOWN: True}
SPLIT = {"usage_split": "session.shutdown"}


class Event(msgspec.Struct):
    type: Any = None
    data: Any = None
    id: Any = None
    timestamp: Any = None


@dataclass
class Call:
    """One `assistant.message`: a model call whose output is known."""

    id: str
    ts: Any
    model: str
    output: int
    where: str
    subagent: bool


@dataclass
class Session:
    """What the events so far said about the session, and the calls of the leg not yet rolled up."""

    path: Path
    id: str
    version: str | None = None
    cwd: str | None = None
    branch: str | None = None
    model: str = UNKNOWN_MODEL
    legs: int = 0
    calls: list[Call] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    last_rollup: dict[str, dict[str, int]] = field(default_factory=dict)

    def start(self, data: Mapping[str, Any]) -> None:
        self.id = text(data, "sessionId") or self.id
        self.version = text(data, "copilotVersion") or self.version
        context = section(data, "context")
        self.cwd = text(context, "cwd") or self.cwd
        self.branch = text(context, "branch") or self.branch
        self.model = text(data, "selectedModel", "model") or self.model


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """`$COPILOT_HOME`, else `~/.copilot` (the same on Linux, macOS and Windows)."""
    return Path(env["COPILOT_HOME"]).expanduser() if env.get("COPILOT_HOME") else Path.home() / ".copilot"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Whether Copilot CLI keeps any session on this machine."""
    return next((default_path(env) / "session-state").glob(f"*/{EVENTS_FILE}"), None) is not None


def import_copilot_cli(path: Path | None, usage_log: UsageLog, state_dir: Path,
                       progress: bool = False) -> ImportSummary:
    """Append one record per Copilot CLI model call not imported before (or grown since); say what happened."""
    roots = existing_roots([path] if path else [default_path() / "session-state"], "Copilot CLI sessions")
    files = require_files(files_under(roots, EVENTS_FILE), path, f"Copilot CLI sessions ({EVENTS_FILE})")
    return import_files(SOURCE, usage_log, state_dir, files, import_file, "Importing Copilot CLI sessions", progress)


def import_file(path: Path, run: ImportRun, advance: Advance) -> None:
    session = Session(path, id=path.parent.name)
    for number, line in enumerate(read_lines(path, advance), 1):
        if any(marker in line for marker in MARKERS):
            read_event(line, session, run, place(path, number))
    for call in session.calls:  # no rollup (yet): the calls' input is not known
        run.offer(call_fields(call, session, {}, UNKNOWN), call.where)


def read_event(line: bytes, session: Session, run: ImportRun, where: str) -> None:
    try:
        event = msgspec.json.decode(line, type=Event)
    except msgspec.DecodeError as error:
        run.skip(unreadable(error), where)
        return
    data = event.data if isinstance(event.data, Mapping) else {}
    if event.type in ("session.start", "session.resume"):
        session.start(data)
    elif event.type == "session.model_change":
        session.model = text(data, "newModel") or session.model
    elif event.type == "assistant.message":
        remember_call(event, data, session, run, where)
    elif event.type == "session.shutdown":
        roll_up(event, data, session, run, where)


def remember_call(event: Event, data: Mapping[str, Any], session: Session, run: ImportRun, where: str) -> None:
    message_id = text(data, "messageId") or (event.id if isinstance(event.id, str) else None)
    if message_id is None or not isinstance(event.timestamp, str):
        run.skip("assistant.message without messageId or timestamp", where)
        return
    if message_id in session.seen:
        return  # the same message written again
    session.seen.add(message_id)
    session.calls.append(Call(f"{session.id}:{message_id}", event.timestamp, text(data, "model") or session.model,
                              count(data, "outputTokens"), where, "parentToolCallId" in data))


def roll_up(event: Event, data: Mapping[str, Any], session: Session, run: ImportRun, where: str) -> None:
    """Share this leg's rollup among its calls, model by model, and offer them."""
    metrics = {model: usage_of(figures) for model, figures in section(data, "modelMetrics").items()
               if isinstance(figures, Mapping)}
    for model in sorted(set(metrics) | {call.model for call in session.calls}):
        calls = [call for call in session.calls if call.model == model]
        if model not in metrics:
            for call in calls:
                run.offer(call_fields(call, session, {}, UNKNOWN), call.where)
            continue
        leg = leg_usage(metrics[model], session.last_rollup.get(model), len(calls))
        unseen = Call(f"{session.id}:leg{session.legs}:{model}", event.timestamp, model, 0, where, False)
        share_out(leg, calls, unseen, session, run)
    session.last_rollup.update(metrics)
    session.legs += 1
    session.calls = []


def usage_of(figures: Mapping[str, Any]) -> dict[str, int]:
    usage = section(figures, "usage")
    return {**{key: count(usage, key) for key in USAGE_KEYS}, "requests": count(section(figures, "requests"), "count")}


def leg_usage(current: dict[str, int], previous: dict[str, int] | None, calls: int) -> dict[str, int]:
    """This leg's part of a rollup that may count from the session's start (see the module doc)."""
    if previous is None or any(current[key] < previous[key] for key in current):
        return current
    if current["requests"] == calls and previous["requests"]:
        return current  # counts only this leg's calls: the counters started again
    return {key: current[key] - previous[key] for key in current}


def share_out(leg: dict[str, int], calls: list[Call], template: Call, session: Session, run: ImportRun) -> None:
    """Give each call its even share of the leg's input, cache and reasoning; requests without an event
    get records of their own, carrying the output no event accounts for."""
    extra = max(leg["requests"], 1 if any(leg.values()) else 0) - len(calls)
    unseen = [Call(f"{template.id}:{index}", template.ts, template.model, 0, template.where, False)
              for index in range(max(extra, 0))]
    slots = calls + unseen
    if not slots:
        return
    spare_output = max(leg["outputTokens"] - sum(call.output for call in calls), 0)
    for call, share in zip(unseen or calls, even_shares(spare_output, len(unseen or calls))):
        call.output += share
    cache_read = even_shares(leg["cacheReadTokens"], len(slots))
    cache_write = even_shares(leg["cacheWriteTokens"], len(slots))
    uncached = even_shares(max(leg["inputTokens"] - leg["cacheReadTokens"] - leg["cacheWriteTokens"], 0), len(slots))
    reasoning = even_shares(leg["reasoningTokens"], len(slots))
    for index, call in enumerate(slots):
        counts = {"input_tokens": uncached[index] + cache_read[index] + cache_write[index],
                  "cache_read_tokens": cache_read[index], "cache_write_tokens": cache_write[index],
                  "reasoning_tokens": min(reasoning[index], call.output)}
        run.offer(call_fields(call, session, counts, SPLIT), call.where)


def call_fields(call: Call, session: Session, counts: dict[str, int], note: dict[str, Any]) -> dict[str, Any]:
    provider, guessed = agent_provider(None, call.model) if ":" in call.model else (PROVIDER, False)
    return {
        "ts": call.ts,
        "provider": provider,
        "model": call.model,
        "id": call.id,
        "app": SOURCE,
        "project": folder_name(session.cwd),
        "session": session.id,
        "input_tokens": counts.get("input_tokens", 0),
        "output_tokens": call.output,
        "cache_read_tokens": counts.get("cache_read_tokens", 0),
        "cache_write_tokens": counts.get("cache_write_tokens", 0),
        "reasoning_tokens": counts.get("reasoning_tokens", 0),
        "attrs": agent_attrs(agent_version=session.version, git_branch=session.branch, subagent=call.subagent,
                             provider_guessed=guessed, **note),
    }
