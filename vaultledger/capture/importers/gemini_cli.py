"""Gemini CLI sessions: `~/.gemini/tmp/<project>/chats/` (`$GEMINI_CLI_HOME` replaces the home folder).

Two formats, both read:
- `session-*.json` (before 0.39): one object rewritten whole on every update, `{sessionId, kind?,
  messages: [...]}`; read member by member (`json_stream`), so memory stays at one message.
- `session-*.jsonl` and sub-agents' `chats/<parent session>/<session>.jsonl` (0.39 and later): an
  append-only replay log of a metadata line, full message records (the same `id` appended again on
  every change, the last copy winning), `{"$set": {...}}` patches (`$set.messages` is a checkpoint
  replacing the whole list) and `{"$rewindTo": id}`. Every message id ever seen is counted, also
  those only in a checkpoint: a rewind or a compression removes messages from the conversation, not
  from the bill. No real file of this format was public when this was written: it follows
  gemini-cli's `chatRecordingService.ts` (`loadConversationRecord`, `recordMessageTokens`).

Usage sits on `type: "gemini"` messages as `tokens {input, output, cached, thoughts, tool, total}`:
`input` is the prompt count, cache reads included; `tool` is further prompt (tool-use) input; `output`
excludes `thoughts`, billed as output (`total` = input + output + thoughts + tool tells, per message).
A gemini message whose tokens are all zero was a call whose counts were lost: recorded with 0 and
`attrs.input_tokens_unknown`. One without tokens at all is reported as skipped. The record id is
`sessionId:messageId`, so a legacy `.json` and the `.jsonl` a resume migrated it into count once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.capture.importers import (
    Advance, ImportRun, ImportSummary, existing_roots, folder_name, read_lines,
)
from vaultledger.capture.importers.agent_calls import (
    agent_attrs, input_unknown, unreadable, with_cache, with_reasoning,
)
from vaultledger.capture.importers.file_batch import files_under, import_files, place, require_files
from vaultledger.capture.importers.json_stream import NotJson, object_members
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.shapes.body import count, present_count

SOURCE = "gemini-cli"
PROVIDER = "gcp.gemini"
UNKNOWN_MODEL = "unknown"
PROJECT_HASH = re.compile(r"[0-9a-f]{64}")  # before 0.29 project folders were sha256(project root)
LINE_MARKERS = (b'"gemini"', b'"tokens"', b'"sessionId"', b'"$set"')
NO_TOKENS = "Gemini message without token counts (no usage reached the log)"


class Message(msgspec.Struct):
    """The fields of a message record that matter here (content, thoughts and tool calls are skipped)."""

    id: Any = None
    type: Any = None
    timestamp: Any = None
    model: Any = None
    tokens: Any = None


class Patch(msgspec.Struct):
    sessionId: Any = None
    kind: Any = None
    messages: list[Message] | None = None


class Line(Message):
    """One line of a `.jsonl` session: metadata, a message record, a `$set` patch or a rewind."""

    sessionId: Any = None
    kind: Any = None
    patch: Patch | None = msgspec.field(default=None, name="$set")


@dataclass
class Session:
    """What a session file says about its calls, and the messages it has seen so far."""

    path: Path
    replay: bool  # a .jsonl replay log, where one message is written many times
    id: str | None = None
    kind: str | None = None
    offered: dict[str, tuple[int, ...]] = field(default_factory=dict)  # replay logs: message id -> counts offered
    untokened: dict[str, str] = field(default_factory=dict)  # message id -> where, until tokens come
    waiting: list[tuple[Message, str]] = field(default_factory=list)  # messages before the session id
    project: str | None = None
    parent: str | None = None

    def __post_init__(self) -> None:
        self.project = project_of(self.path)
        self.parent = parent_session(self.path)

    def take_metadata(self, session_id: Any, kind: Any) -> None:
        if isinstance(session_id, str) and session_id and self.id is None:
            self.id = session_id  # the first id the file names: a later `$set` must not change record ids
        if isinstance(kind, str):
            self.kind = kind


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    """`~/.gemini/tmp` on every platform; `$GEMINI_CLI_HOME` replaces the home folder."""
    home = Path(env["GEMINI_CLI_HOME"]).expanduser() if env.get("GEMINI_CLI_HOME") else Path.home()
    return home / ".gemini" / "tmp"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    return [default_path(env)]


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Whether Gemini CLI keeps any session on this machine."""
    return bool(session_files([default_path(env)]))


def import_gemini_cli(path: Path | None, usage_log: UsageLog, state_dir: Path,
                      progress: bool = False) -> ImportSummary:
    """Append one record per Gemini CLI model call not imported before; return what happened."""
    roots = existing_roots([path] if path else [default_path()], "Gemini CLI sessions")
    files = require_files(session_files(roots), path, "Gemini CLI session files")
    return import_files(SOURCE, usage_log, state_dir, files, import_file, "Importing Gemini CLI sessions", progress)


def session_files(roots: Iterable[Path]) -> list[Path]:
    """Session files: `.json`/`.jsonl` in a `chats` folder (or named `session-*`); logs.json is not one."""
    return files_under(roots, "*.json*", lambda path: path.suffix in (".json", ".jsonl") and is_session_file(path))


def is_session_file(path: Path) -> bool:
    return "chats" in path.parts or path.name.startswith("session-")


def import_file(path: Path, run: ImportRun, advance: Advance) -> None:
    session = Session(path, replay=path.suffix == ".jsonl")
    if session.replay:
        read_replay_log(path, session, run, advance)
    else:
        read_document(path, session, run, advance)
    finish(session, run)


def read_replay_log(path: Path, session: Session, run: ImportRun, advance: Advance) -> None:
    for number, raw in enumerate(read_lines(path, advance), 1):
        if not any(marker in raw for marker in LINE_MARKERS):
            continue  # user and info messages, rewinds, other patches: nothing billed
        try:
            line = msgspec.json.decode(raw, type=Line)
        except msgspec.DecodeError as error:
            run.skip(unreadable(error), place(path, number))
            continue
        session.take_metadata(line.sessionId, line.kind)
        if line.patch is not None:
            session.take_metadata(line.patch.sessionId, line.patch.kind)
            for message in line.patch.messages or ():  # a checkpoint: its messages were billed too
                see(message, session, run, place(path, f"{number}:$set.messages"))
        see(line, session, run, place(path, number))


def read_document(path: Path, session: Session, run: ImportRun, advance: Advance) -> None:
    """A legacy session: one JSON object, read member by member."""
    index = 0
    try:
        with path.open("rb") as handle:
            for key, raw in object_members(handle, split="messages"):
                if key == "messages":
                    read_message(raw, session, run, place(path, f"messages[{index}]"))
                    index += 1
                elif key in ("sessionId", "kind"):
                    value = msgspec.json.decode(raw)
                    session.take_metadata(value if key == "sessionId" else None, value if key == "kind" else None)
    except NotJson as error:  # rewritten while it was read, or not a session: the messages before count
        run.skip(f"session file is not one whole JSON object ({error})", place(path, f"messages[{index}]"))
    advance(path.stat().st_size)


def read_message(raw: bytes, session: Session, run: ImportRun, where: str) -> None:
    try:
        message = msgspec.json.decode(raw, type=Message)
    except msgspec.DecodeError as error:
        run.skip(unreadable(error), where)
        return
    see(message, session, run, where)


def see(message: Message, session: Session, run: ImportRun, where: str) -> None:
    """Offer a gemini message once per distinct count; remember one still waiting for its tokens."""
    if message.type != "gemini" or not isinstance(message.id, str) or not message.id:
        return
    if not isinstance(message.tokens, Mapping):
        if message.id not in session.offered:
            session.untokened.setdefault(message.id, where)
        return
    session.untokened.pop(message.id, None)
    if session.id is None:
        session.waiting.append((message, where))
        return
    offer(message, session, run, where)


def offer(message: Message, session: Session, run: ImportRun, where: str) -> None:
    fields = record_fields(message, session)
    if session.replay:
        counts = tuple(fields[name] for name in ("input_tokens", "output_tokens", "cache_read_tokens"))
        if session.offered.get(message.id) == counts:
            return  # the same message appended again (a tool call merged in): already offered
        session.offered[message.id] = counts
    run.offer(fields, where)


def finish(session: Session, run: ImportRun) -> None:
    if session.id is None:
        session.id = session.path.stem  # a file that never names its session: its name does
    for message, where in session.waiting:
        offer(message, session, run, where)
    for where in session.untokened.values():
        run.skip(NO_TOKENS, where)


def record_fields(message: Message, session: Session) -> dict[str, Any]:
    tokens = message.tokens
    fields = {
        "ts": message.timestamp,
        "provider": PROVIDER,
        "model": message.model if isinstance(message.model, str) and message.model else UNKNOWN_MODEL,
        "id": f"{session.id}:{message.id}",
        "app": SOURCE,
        "project": session.project,
        "session": session.id,
        **token_fields(tokens),
    }
    fields["attrs"] = agent_attrs(
        subagent=session.parent is not None or session.kind == "subagent" or None,
        parent_session=session.parent,
        **input_unknown(fields["input_tokens"]),
    )
    return fields


def token_fields(tokens: Mapping[str, Any]) -> dict[str, int]:
    """SPEC §1 counts from Gemini CLI's `tokens` (see the module doc for the arithmetic)."""
    stated, cached, output = count(tokens, "input"), count(tokens, "cached"), count(tokens, "output")
    thoughts, tool, total = count(tokens, "thoughts"), count(tokens, "tool"), present_count(tokens, "total")
    total = total or None  # a total of 0 next to real counts says nothing (hand-written files omit it)
    prompt = with_cache(stated, cached, total, rest=output + thoughts + tool, included=True)
    completion = with_reasoning(output, thoughts, total, rest=prompt + tool, included=False)
    return {
        "input_tokens": prompt + tool,
        "cache_read_tokens": cached,
        "output_tokens": completion,
        "reasoning_tokens": min(thoughts, completion),
    }


def project_of(path: Path) -> str | None:
    """The project a session belongs to: `.project_root` of its project folder, else the folder's
    name (a slug of the project folder since 0.29; a bare sha256 before, which names nothing)."""
    folder = chats_folder(path)
    if folder is None:
        return None
    project = folder.parent
    try:
        with (project / ".project_root").open(encoding="utf-8") as handle:
            return folder_name(handle.readline(4096).strip())
    except OSError:
        pass
    return None if PROJECT_HASH.fullmatch(project.name) else project.name


def chats_folder(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.name == "chats":
            return parent
    return None


def parent_session(path: Path) -> str | None:
    """A sub-agent's file sits in `chats/<parent session id>/`."""
    folder = chats_folder(path)
    if folder is None or path.parent == folder:
        return None
    return path.parent.name
