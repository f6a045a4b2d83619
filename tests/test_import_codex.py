"""Codex import: the service tier a rollout says it ran at, the model a token count names, hostile
lines, and memory that stays flat whatever the rollout's size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import with_peak_memory, written
from vaultledger.capture.importers.codex import import_codex
from vaultledger.capture.logger import UsageLog
from vaultledger.record import UsageRecord


def line(second: int, kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"timestamp": f"2026-05-11T08:00:{second:02d}.000Z", "type": kind, "payload": payload})


def meta(**extra: Any) -> str:
    return line(0, "session_meta", {"id": "sess-1", "cwd": "/home/dev/orbis", "model_provider": "openai", **extra})


def turn(second: int, model: str = "gpt-5.5", **extra: Any) -> str:
    return line(second, "turn_context", {"cwd": "/home/dev/orbis", "model": model, **extra})


def settings(second: int, **thread_settings: Any) -> str:
    return line(second, "event_msg", {"type": "thread_settings_applied", "thread_settings": thread_settings})


def tokens(second: int, total: int, **info: Any) -> str:
    usage = {"input_tokens": 100, "cached_input_tokens": 40, "output_tokens": 10, "reasoning_output_tokens": 4,
             "total_tokens": 110}
    running = {**usage, "total_tokens": total}
    return line(second, "event_msg", {"type": "token_count",
                                      "info": {"last_token_usage": usage, "total_token_usage": running, **info}})


def import_lines(tmp_path: Path, usage_log: UsageLog, *lines: str) -> tuple[list[UsageRecord], Any]:
    rollout = tmp_path / "sessions" / "2026" / "05" / "11" / "rollout-2026-05-11T08-00-00-sess-1.jsonl"
    rollout.parent.mkdir(parents=True, exist_ok=True)
    rollout.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    summary = import_codex(tmp_path / "sessions", usage_log, tmp_path / "state")
    return written(usage_log), summary


def test_service_tier_of_thread_settings_holds_for_the_calls_after_it(tmp_path: Path, usage_log: UsageLog) -> None:
    records, _ = import_lines(
        tmp_path, usage_log, meta(), turn(1), tokens(2, 110),
        settings(3, model="gpt-5.5", service_tier="priority"), tokens(4, 220), tokens(5, 330),
        settings(6, service_tier="default"), tokens(7, 440),
    )
    assert [record.service_tier for record in records] == [None, "priority", "priority", "default"]


@pytest.mark.parametrize(("where", "lines"), [
    ("session_meta", [meta(service_tier="flex"), turn(1)]),
    ("turn_context", [meta(), turn(1, service_tier="flex")]),
])
def test_service_tier_named_by_session_or_turn_context_is_recorded(where: str, lines: list[str], tmp_path: Path,
                                                                   usage_log: UsageLog) -> None:
    [record], _ = import_lines(tmp_path, usage_log, *lines, tokens(2, 110))
    assert record.service_tier == "flex"


def test_codex_fast_tier_is_recorded_as_openai_priority(tmp_path: Path, usage_log: UsageLog) -> None:
    [record], _ = import_lines(tmp_path, usage_log, meta(), turn(1), settings(2, service_tier="fast"), tokens(3, 110))
    assert record.service_tier == "priority"


def test_model_a_token_count_names_wins_over_the_turn_context(tmp_path: Path, usage_log: UsageLog) -> None:
    records, _ = import_lines(tmp_path, usage_log, meta(), turn(1, model="gpt-5.2-codex"), tokens(2, 110),
                             tokens(3, 220, model="gpt-5.3-codex"), settings(4, model="gpt-5.5"), tokens(5, 330))
    assert [record.model for record in records] == ["gpt-5.2-codex", "gpt-5.3-codex", "gpt-5.5"]


HOSTILE_LINES = {
    "a cut-off line": ('{"timestamp":"2026-05-11T08:00:09Z","type":"event_msg","payload":{"type":"token_count"',
                       "not JSON (a partial or corrupt line)"),
    "a negative count": (line(9, "event_msg", {"type": "token_count", "info": {
        "last_token_usage": {"input_tokens": -5, "output_tokens": 2, "total_tokens": 7},
        "total_token_usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 7}}}),
        "invalid record: input_tokens: Expected `int` >= 0"),
    "cache reads above the input": (line(9, "event_msg", {"type": "token_count", "info": {
        "last_token_usage": {"input_tokens": 5, "cached_input_tokens": 50, "output_tokens": 2, "total_tokens": 7},
        "total_token_usage": {"input_tokens": 5, "cached_input_tokens": 50, "output_tokens": 2, "total_tokens": 7}}}),
        "invalid record: cache_read_tokens + cache_write_tokens exceed input_tokens"),
}


@pytest.mark.parametrize("name", HOSTILE_LINES)
def test_hostile_line_is_skipped_with_its_reason_and_the_rest_imported(name: str, tmp_path: Path,
                                                                       usage_log: UsageLog) -> None:
    hostile, reason = HOSTILE_LINES[name]
    records, summary = import_lines(tmp_path, usage_log, meta(), turn(1), hostile, tokens(10, 110))
    assert [record.input_tokens for record in records] == [100]
    [(said, times)] = summary.skipped.items()
    assert said.startswith(reason) and times == 1


def test_memory_stays_flat_however_long_the_rollout(tmp_path: Path, usage_log: UsageLog) -> None:
    rollout = tmp_path / "sessions" / "rollout-big.jsonl"
    rollout.parent.mkdir(parents=True)
    output = line(1, "response_item", {"type": "function_call_output", "output": "x" * 100_000})
    with rollout.open("w", encoding="utf-8") as handle:
        handle.write(meta() + "\n" + turn(1) + "\n")
        for index in range(300):  # 30 MB of tool output between the token counts
            handle.write(output + "\n" + tokens(2, 110 * (index + 1)) + "\n")
    summary, peak = with_peak_memory(lambda: import_codex(rollout.parent, usage_log, tmp_path / "state"))
    assert summary.appended == 300
    assert peak < 3 * 1024 * 1024, f"peak {peak:,} bytes for a {rollout.stat().st_size:,}-byte rollout"


# --- attribution and reads as the rollout grows: real rollouts read in place ---

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
ROLLOUTS = SHARED / "real-world" / "codex" / "codemie-rollouts" / "sessions"  # Codex 0.125.0, gpt-5.5
OLD_ROLLOUT = SHARED / "agents" / "codex" / "ai-sessions-0.47.0" / ".codex" / "sessions"  # Codex 0.47.0
needs_corpus = pytest.mark.skipif(not ROLLOUTS.is_dir(), reason=f"{ROLLOUTS} is absent (a bare clone has no ../shared)")


@needs_corpus
def test_what_codex_knows_about_a_call_is_kept_as_attrs(tmp_path: Path, usage_log: UsageLog) -> None:
    import_codex(ROLLOUTS, usage_log, tmp_path / "state")
    import_codex(OLD_ROLLOUT, usage_log, tmp_path / "state")
    seen = {(record.model, tuple(sorted((record.attrs or {}).items()))) for record in written(usage_log)}
    assert seen == {
        ("gpt-5.5", (("agent_version", "0.125.0"), ("git_branch", "feat/codex-agent-plugin"),
                     ("reasoning_effort", "medium"))),
        ("gpt-5-codex", (("agent_version", "0.47.0"),)),  # an older rollout names neither branch nor effort
    }


def test_each_turn_keeps_its_own_model_and_effort(tmp_path: Path, usage_log: UsageLog) -> None:
    records, _ = import_lines(tmp_path, usage_log, meta(cli_version="0.129.0", git={"branch": "main"}),
                              turn(1, model="gpt-5.4", effort="high"), tokens(2, 110),
                              turn(3, model="gpt-5.5", effort="low"), tokens(4, 220))
    assert [(record.model, (record.attrs or {}).get("reasoning_effort")) for record in records] == [
        ("gpt-5.4", "high"), ("gpt-5.5", "low")]
    assert {(record.attrs or {}).get("git_branch") for record in records} == {"main"}


@needs_corpus
def test_a_followed_rollout_cut_anywhere_ends_as_one_import(tmp_path: Path, usage_log: UsageLog) -> None:
    """What watch does: one reader per rollout fed bytes cut mid-line, its session state carried over."""
    from test_watch_imports import follow_in_pieces

    [real, *_] = sorted(ROLLOUTS.rglob("rollout-*.jsonl"))
    growing = tmp_path / "codex" / "sessions" / "2026" / "05" / "11" / real.name
    (tmp_path / "codex" / "sessions").mkdir(parents=True)
    assert not follow_in_pieces("codex", real, growing, {"CODEX_HOME": str(tmp_path / "codex")}, usage_log, 25_000)
    whole = UsageLog(tmp_path / "whole", "UTC")
    import_codex(real, whole, tmp_path / "whole-state")
    whole.close()
    assert written(usage_log) == written(whole)
