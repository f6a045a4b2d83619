"""Copilot CLI import through the CLI: calls from per-call events, the clean-exit rollup shared among
them, sessions without a rollup (a crash, a running session) and their update after a clean exit,
resumed sessions whose rollups count from the start or from the leg, hostile lines and re-imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_cli import cli_import, skipped_line
from agent_cli import logged as logged_records
from conftest import with_peak_memory
from vaultledger.capture.importers.copilot_cli import import_copilot_cli
from vaultledger.capture.logger import UsageLog

SESSION = "049410b4-c1df-44ee-87a5-caa1c349091e"
MODEL = "claude-sonnet-4.5"


def event(kind: str, second: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "data": data, "id": f"ev-{kind}-{second}", "timestamp": f"2026-08-05T20:40:{second:02d}.000Z",
            "parentId": None}


def start(second: int = 0) -> dict[str, Any]:
    return event("session.start", second, sessionId=SESSION, copilotVersion="1.0.80",
                 context={"cwd": "/home/dev/orbis", "gitRoot": "/home/dev/orbis", "branch": "feature/tax"})


def message(second: int, output: int, model: str = MODEL, **extra: Any) -> dict[str, Any]:
    return event("assistant.message", second, messageId=f"msg-{second}", model=model, outputTokens=output,
                 apiCallId=f"call-{second}", **extra)


def shutdown(second: int, requests: int, prompt: int, output: int, read: int = 0, write: int = 0,
             reasoning: int = 0, model: str = MODEL) -> dict[str, Any]:
    usage = {"inputTokens": prompt, "outputTokens": output, "cacheReadTokens": read, "cacheWriteTokens": write,
             "reasoningTokens": reasoning}
    return event("session.shutdown", second, shutdownType="routine",
                 modelMetrics={model: {"requests": {"count": requests, "cost": 1}, "usage": usage}})


def write(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    path = tmp_path / ".copilot" / "session-state" / SESSION / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return path


def import_copilot(tmp_path: Path) -> str:
    return cli_import("copilot-cli", tmp_path / ".copilot", tmp_path / "logs")


def logged(tmp_path: Path) -> list[dict[str, Any]]:
    return logged_records(tmp_path / "logs", last_wins=True)


def total(records: list[dict[str, Any]], name: str) -> int:
    return sum(record.get(name, 0) for record in records)


def test_rollup_is_shared_among_the_legs_calls_with_exact_sums(tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300), message(2, 200), message(3, 100),
          shutdown(4, requests=3, prompt=10_000, output=600, read=6_000, write=1_000, reasoning=90))
    import_copilot(tmp_path)
    records = logged(tmp_path)
    assert [record["output_tokens"] for record in records] == [300, 200, 100]  # each call's own count
    assert (total(records, "input_tokens"), total(records, "cache_read_tokens"),
            total(records, "cache_write_tokens"), total(records, "reasoning_tokens")) == (10_000, 6_000, 1_000, 90)
    assert all(r["cache_read_tokens"] + r["cache_write_tokens"] <= r["input_tokens"] for r in records)
    assert records[0]["provider"] == "github-copilot" and records[0]["project"] == "orbis"
    assert records[0]["attrs"] == {"agent_version": "1.0.80", "git_branch": "feature/tax",
                                   "usage_split": "session.shutdown"}


def test_a_session_without_rollup_keeps_its_calls_and_a_clean_exit_later_fills_in_their_input(tmp_path: Path) -> None:
    path = write(tmp_path, start(), message(1, 300), message(2, 200, parentToolCallId="tool-7"))
    import_copilot(tmp_path)
    crashed = logged(tmp_path)
    assert [(r["input_tokens"], r["output_tokens"]) for r in crashed] == [(0, 300), (0, 200)]
    assert crashed[1]["attrs"] == {"agent_version": "1.0.80", "git_branch": "feature/tax", "subagent": True,
                                   "input_tokens_unknown": True}
    with path.open("a") as handle:
        handle.write(json.dumps(shutdown(3, requests=2, prompt=5_000, output=500)) + "\n")
    assert "2 calls seen, 2 appended (2 updated)" in import_copilot(tmp_path)
    assert [(r["input_tokens"], r["output_tokens"]) for r in logged(tmp_path)] == [(2_500, 300), (2_500, 200)]


@pytest.mark.parametrize("second_rollup", [
    shutdown(9, requests=3, prompt=7_000, output=600),  # 1.0.80: counts from the session's start
    shutdown(9, requests=1, prompt=3_000, output=100),  # earlier releases: counts from the leg's start
], ids=["cumulative", "per-leg"])
def test_resumed_session_counts_each_leg_once(second_rollup: dict[str, Any], tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300), message(2, 200), shutdown(3, requests=2, prompt=4_000, output=500),
          event("session.resume", 5), message(6, 100), second_rollup)
    import_copilot(tmp_path)
    records = logged(tmp_path)
    assert [(r["input_tokens"], r["output_tokens"]) for r in records] == [(2_000, 300), (2_000, 200), (3_000, 100)]


def test_a_counter_that_went_down_started_again(tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300), shutdown(2, requests=1, prompt=9_000, output=300),
          message(3, 100), shutdown(4, requests=2, prompt=5_000, output=400))  # compacted in between
    import_copilot(tmp_path)
    assert [r["input_tokens"] for r in logged(tmp_path)] == [9_000, 5_000 // 2, 5_000 // 2]


def test_requests_without_an_event_get_records_of_their_own(tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300), shutdown(2, requests=3, prompt=9_000, output=500))
    output = import_copilot(tmp_path)
    records = logged(tmp_path)
    assert "3 appended" in output
    assert [r["input_tokens"] for r in records] == [3_000, 3_000, 3_000]
    assert [r["output_tokens"] for r in records] == [300, 100, 100]  # the rollup's output no event accounts for
    assert records[1]["id"] == f"{SESSION}:leg0:{MODEL}:0" and records[1]["ts"] == "2026-08-05T20:40:02Z"


def test_a_local_model_is_served_by_ollama_as_a_guess(tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300, model="qwen3:0.6b"), shutdown(2, 1, 2_050, 300, model="qwen3:0.6b"))
    import_copilot(tmp_path)
    [record] = logged(tmp_path)
    assert record["provider"] == "ollama" and record["attrs"]["provider_guessed"] is True


HOSTILE = {
    "a cut-off line": ('{"type":"assistant.message","data":{"messageId":"x","outputTokens":', "not JSON"),
    "a message without id or time": (json.dumps({"type": "assistant.message", "data": {"outputTokens": 5}}),
                                     "assistant.message without messageId or timestamp"),
    "a negative count": (json.dumps(message(5, -40)), "invalid record: output_tokens"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_line_is_skipped_with_its_reason_and_place_and_the_rest_imported(name: str, tmp_path: Path) -> None:
    hostile, reason = HOSTILE[name]
    path = write(tmp_path, start(), message(1, 300), hostile, message(2, 200))
    output = import_copilot(tmp_path)
    assert [r["output_tokens"] for r in logged(tmp_path)] == [300, 200]
    skipped = skipped_line(output)
    assert skipped.startswith(f"skipped 1 line: 1 {reason}") and f"(at {path.resolve()}:3)" in skipped, output


def test_importing_again_appends_nothing(tmp_path: Path) -> None:
    write(tmp_path, start(), message(1, 300), shutdown(2, 1, 1_000, 300))
    import_copilot(tmp_path)
    before = sorted((tmp_path / "logs").glob("*.jsonl"))[0].read_bytes()
    assert "0 appended" in import_copilot(tmp_path)
    assert sorted((tmp_path / "logs").glob("*.jsonl"))[0].read_bytes() == before


def test_memory_stays_flat_however_much_tool_output_a_session_holds(tmp_path: Path) -> None:
    def peak_for(output_bytes: int) -> int:
        home = tmp_path / str(output_bytes)
        tool = json.dumps(event("tool.execution_complete", 1, toolCallId="t", result={"content": "x" * output_bytes}))
        write(home, start(), *(line for index in range(100) for line in (tool, message(index % 60, 10))),
              shutdown(59, requests=100, prompt=100_000, output=1_000))
        usage_log = UsageLog(home / "logs", "UTC")
        try:
            summary, peak = with_peak_memory(lambda: import_copilot_cli(home / ".copilot", usage_log, home / "state"))
        finally:
            usage_log.close()
        assert summary.appended == 100  # 60 distinct messages, and 40 requests only the rollup counts
        return peak

    small, large = peak_for(10_000), peak_for(100_000)  # a 1 MB and a 10 MB session
    assert large < 1.2 * small + 200_000, f"peak {large:,} bytes for 10x the file, {small:,} for 1x"
