"""`watch` follows the agents' logs live: a real watchdog observer on a Claude Code projects folder in
tmp_path, real transcript lines (Claude Code 2.1.7's, from the agents corpus, moved to the test's day)
appended to a transcript, and today's note asserted on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from test_watch import DAY, at, text_of, wait_for, wait_for_calls, watching
from vaultledger.capture.importers.follow import SourceFollower
from vaultledger.capture.usage_log import UsageLog
from vaultledger.settings import Settings, resolve_settings

AGENTS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "agents" / "claude-code"
STREAMED = AGENTS / "feature-lines-real"
pytestmark = pytest.mark.skipif(not STREAMED.is_dir(), reason=f"{STREAMED} is absent (a bare clone has no ../shared)")


def real_line(name: str, clock: str) -> str:
    """One real transcript line, its timestamp moved to the test's day."""
    [line] = (STREAMED / name).read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    entry["timestamp"] = at(clock=clock).replace("Z", ".000Z")
    return json.dumps(entry) + "\n"


FIRST = "01-gitBranch-isSidechain-false-cache_creation-split-2.1.7.jsonl"  # msg_bdrk_01VM4…, 8 tokens out so far
LAST = "03-parent-Task-tool_use-spawning-subagent-2.1.7.jsonl"  # the same message streamed on: 511 out
SUBAGENT = "02-subagents-folder-isSidechain-true-agentId-2.1.7.jsonl"


@pytest.fixture
def claude_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "claude"
    (home / "projects" / "-repo").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home))
    return home


@pytest.fixture
def followed(vault: Path, logs_dir: Path, tmp_path: Path, claude_home: Path) -> Settings:
    config = tmp_path / "vaultledger.toml"
    config.write_text('[import]\nsources = ["claude-code"]\n', encoding="utf-8")
    return resolve_settings(config=config, vault=vault, logs=logs_dir, tz="UTC")


def append(transcript: Path, *lines: str) -> None:
    with transcript.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
            handle.flush()


def out_tokens(note: Path) -> int | None:
    match = re.search(r"/ ([\d,]+) out tokens", text_of(note))
    return int(match.group(1).replace(",", "")) if match else None


def test_a_streamed_message_shows_in_todays_note_with_its_final_usage(
        followed: Settings, claude_home: Path, vault: Path, logs_dir: Path) -> None:
    transcript = claude_home / "projects" / "-repo" / "e9fb405b.jsonl"
    note = vault / f"{DAY.isoformat()}.md"
    with watching(followed):
        append(transcript, real_line(FIRST, "12:00:01"))
        wait_for_calls(note, 1)
        assert out_tokens(note) == 8
        append(transcript, real_line(LAST, "12:00:06"))
        wait_for("511 tokens out in the note", lambda: out_tokens(note) == 511)
    assert calls_and_input(note) == (1, 10 + 29367)
    lines = (logs_dir / f"{DAY.isoformat()}.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["output_tokens"] for line in lines] == [8, 511]  # the ledger's last line holds the final usage
    assert {json.loads(line)["ts"] for line in lines} == {at(clock="12:00:01")}  # the first line's time, kept


def calls_and_input(note: Path) -> tuple[int, int]:
    match = re.search(r"· ([\d,]+) calls? · ([\d,]+) in", text_of(note))
    assert match, text_of(note)
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def test_a_half_written_line_waits_and_a_new_subagent_file_is_followed(
        followed: Settings, claude_home: Path, vault: Path) -> None:
    transcript = claude_home / "projects" / "-repo" / "e9fb405b.jsonl"
    note = vault / f"{DAY.isoformat()}.md"
    line = real_line(FIRST, "12:00:01")
    with watching(followed):
        append(transcript, line[:200])
        agent = claude_home / "projects" / "-repo" / "e9fb405b" / "subagents" / "agent-a485154.jsonl"
        agent.parent.mkdir(parents=True)
        append(agent, real_line(SUBAGENT, "12:00:02"))
        wait_for_calls(note, 1)
        append(transcript, line[200:])
        wait_for_calls(note, 2)


def test_what_was_written_while_nothing_watched_comes_in_at_start(
        followed: Settings, claude_home: Path, vault: Path) -> None:
    append(claude_home / "projects" / "-repo" / "e9fb405b.jsonl", real_line(LAST, "11:00:00"))
    with watching(followed):
        wait_for_calls(vault / f"{DAY.isoformat()}.md", 1)


def test_without_sources_the_agents_folders_are_not_watched(
        vault: Path, logs_dir: Path, claude_home: Path) -> None:
    settings = resolve_settings(vault=vault, logs=logs_dir, tz="UTC")
    append(claude_home / "projects" / "-repo" / "e9fb405b.jsonl", real_line(LAST, "11:00:00"))
    with watching(settings) as watcher:
        assert watcher.agents.follower is None
    assert not logs_dir.exists() or not any(logs_dir.iterdir())


def follow_in_pieces(source: str, real: Path, growing: Path, env: dict[str, str], usage_log: UsageLog,
                     piece: int) -> Counter[str]:
    """What watch does with one session file: `real` written to `growing` in pieces cut anywhere, the
    follower told of each change and asked to import it; the skip reasons of every import."""
    growing.parent.mkdir(parents=True, exist_ok=True)
    follower = SourceFollower([source], growing.parent.parent / "state", env)
    follower.import_changed(usage_log)  # the first look imports the source whole
    data, skipped = real.read_bytes(), Counter[str]()
    for start in range(0, len(data), piece):
        with growing.open("ab") as handle:
            handle.write(data[start:start + piece])
        assert follower.saw(growing)
        for item in follower.import_changed(usage_log):
            assert item.summary is not None, item.error
            skipped.update(item.summary.skipped)
    return skipped
