"""Gemini CLI import through the CLI: the replay log of 0.39+ (SYNTHETIC: no real file of that format is
public; these follow gemini-cli's chatRecordingService.ts), the legacy whole-file JSON, token arithmetic,
hostile lines, re-imports, and memory that stays flat however large a session file grows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_cli import cli_import, skipped_line
from agent_cli import logged as logged_records
from conftest import with_peak_memory
from vaultledger.capture.importers.gemini_cli import import_gemini_cli
from vaultledger.capture.logger import UsageLog

SESSION = "5b959dae-8655-4cd1-b10f-720b8c336ea2"
TOKENS = {"input": 1000, "output": 50, "cached": 400, "thoughts": 20, "tool": 0, "total": 1070}


def gemini(message_id: str, tokens: dict[str, int] | None = TOKENS, second: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": message_id, "timestamp": f"2026-04-10T09:00:{second:02d}.000Z", "type": "gemini",
            "content": "x", "tokens": tokens, "model": "gemini-3-flash-preview", **extra}


def metadata(session: str = SESSION, **extra: Any) -> dict[str, Any]:
    return {"sessionId": session, "projectHash": "ab" * 32, "startTime": "2026-04-10T09:00:00.000Z",
            "lastUpdated": "2026-04-10T09:00:00.000Z", **extra}


def write(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def chats(tmp_path: Path, project: str = "myproj") -> Path:
    return tmp_path / "home" / ".gemini" / "tmp" / project / "chats"


def replay_log(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    return write(chats(tmp_path) / f"session-2026-04-10T09-00-{SESSION[:8]}.jsonl", metadata(), *lines)


def import_gemini(tmp_path: Path) -> str:
    return cli_import("gemini-cli", tmp_path / "home" / ".gemini" / "tmp", tmp_path / "logs")


def logged(tmp_path: Path) -> list[dict[str, Any]]:
    return logged_records(tmp_path / "logs")


def test_synthetic_0_39_message_appended_again_counts_once_with_its_tokens(tmp_path: Path) -> None:
    replay_log(tmp_path, gemini("m1", tokens=None), gemini("m1"), gemini("m1", toolCalls=[{"id": "t1"}]))
    output = import_gemini(tmp_path)
    [record] = logged(tmp_path)
    assert record["id"] == f"{SESSION}:m1" and record["input_tokens"] == 1000
    assert "1 calls seen, 1 appended" in output


def test_synthetic_0_39_rewound_and_compressed_away_messages_are_still_billed(tmp_path: Path) -> None:
    checkpoint = {"$set": {"messages": [gemini("m1"), gemini("m4", second=4)]}}  # m4 only ever in a checkpoint
    replay_log(tmp_path, gemini("m1"), gemini("m2", second=2), {"$rewindTo": "m1"}, gemini("m3", second=3), checkpoint)
    import_gemini(tmp_path)
    assert sorted(record["id"].split(":")[1] for record in logged(tmp_path)) == ["m1", "m2", "m3", "m4"]


def test_synthetic_0_39_sub_agent_file_is_read_and_names_its_parent(tmp_path: Path) -> None:
    write(chats(tmp_path) / SESSION / "sub-1.jsonl", metadata("sub-1", kind="subagent"), gemini("s1"))
    import_gemini(tmp_path)
    [record] = logged(tmp_path)
    assert record["session"] == "sub-1"
    assert record["attrs"] == {"subagent": True, "parent_session": SESSION}


def test_legacy_json_and_the_jsonl_a_resume_migrated_it_into_count_once(tmp_path: Path) -> None:
    legacy = {**metadata(), "messages": [gemini("m1"), gemini("m2", second=2)]}
    (chats(tmp_path)).mkdir(parents=True)
    (chats(tmp_path) / f"session-2026-04-10T09-00-{SESSION[:8]}.json").write_text(json.dumps(legacy, indent=2))
    replay_log(tmp_path, gemini("m1"), gemini("m2", second=2), gemini("m3", second=3))
    output = import_gemini(tmp_path)
    assert len(logged(tmp_path)) == 3
    assert "5 calls seen, 3 appended (0 updated), 2 already imported" in output


def test_token_arithmetic_follows_spec_conventions(tmp_path: Path) -> None:
    exclusive = {"input": 600, "output": 50, "cached": 400, "thoughts": 20, "tool": 30, "total": 1100}
    replay_log(tmp_path, gemini("m1", {**TOKENS, "tool": 30, "total": 1100}), gemini("m2", exclusive, second=2))
    import_gemini(tmp_path)
    first, second = logged(tmp_path)
    # input includes the cache and the tool-use prompt; output includes the thoughts
    assert (first["input_tokens"], first["cache_read_tokens"], first["output_tokens"], first["reasoning_tokens"]) \
        == (1030, 400, 70, 20)
    # a total that adds the cache on top says the input excluded it
    assert (second["input_tokens"], second["cache_read_tokens"], second["output_tokens"]) == (1030, 400, 70)


def test_all_zero_tokens_are_a_call_with_its_input_unknown_and_missing_tokens_are_reported(tmp_path: Path) -> None:
    zero = dict.fromkeys(TOKENS, 0)
    path = replay_log(tmp_path, gemini("m1", zero), gemini("m2", None, second=2))
    output = import_gemini(tmp_path)
    [record] = logged(tmp_path)
    assert record["input_tokens"] == 0 and record["attrs"] == {"input_tokens_unknown": True}
    assert f"1 Gemini message without token counts (no usage reached the log) (at {path.resolve()}:3)" in output


def test_project_is_the_folder_project_root_names_and_a_bare_hash_names_none(tmp_path: Path) -> None:
    write(chats(tmp_path, "orbis-1") / "session-a.jsonl", metadata("a"), gemini("m1"))
    (chats(tmp_path, "orbis-1").parent / ".project_root").write_text("/home/dev/orbis\n")
    write(chats(tmp_path, "cd" * 32) / "session-b.jsonl", metadata("b"), gemini("m1"))
    import_gemini(tmp_path)
    assert {record["session"]: record.get("project") for record in logged(tmp_path)} == {"a": "orbis", "b": None}


HOSTILE = {
    "a cut-off line": ('{"id":"m9","type":"gemini","tokens":{"input":5', "not JSON (a partial or corrupt line)"),
    "a checkpoint that is not a list": (json.dumps({"$set": {"messages": "all of them"}}), "unexpected shape"),
    "a negative count": (json.dumps(gemini("m9", {**TOKENS, "cached": -5, "total": None})),
                         "invalid record: cache_read_tokens"),
    "a timestamp that is no time": (json.dumps(gemini("m9", timestamp="yesterday")), "invalid record: ts"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_line_is_skipped_with_its_reason_and_place_and_the_rest_imported(name: str, tmp_path: Path) -> None:
    hostile, reason = HOSTILE[name]
    path = replay_log(tmp_path, gemini("m1"), hostile, gemini("m2", second=2))
    output = import_gemini(tmp_path)
    assert [record["id"].split(":")[1] for record in logged(tmp_path)] == ["m1", "m2"]
    skipped = skipped_line(output)
    assert skipped.startswith(f"skipped 1 line: 1 {reason}") and f"(at {path.resolve()}:3)" in skipped, output


def test_legacy_file_cut_short_while_rewritten_keeps_the_messages_before_the_cut(tmp_path: Path) -> None:
    whole = json.dumps({**metadata(), "messages": [gemini("m1"), gemini("m2", second=2)]})
    (chats(tmp_path)).mkdir(parents=True)
    (chats(tmp_path) / "session-cut.json").write_text(whole[: whole.index('"m2"') + 10])
    output = import_gemini(tmp_path)
    assert [record["id"] for record in logged(tmp_path)] == [f"{SESSION}:m1"]
    assert "session file is not one whole JSON object" in output and "messages[1]" in output


def test_importing_again_appends_nothing_and_a_grown_log_only_its_new_calls(tmp_path: Path) -> None:
    path = replay_log(tmp_path, gemini("m1"), gemini("m2", second=2))
    import_gemini(tmp_path)
    assert "0 appended" in import_gemini(tmp_path)
    write(path, gemini("m2", second=2, toolCalls=[{"id": "t"}]), gemini("m3", second=3))
    assert "1 appended" in import_gemini(tmp_path)
    assert len(logged(tmp_path)) == 3


def test_memory_stays_flat_however_large_a_legacy_session_file(tmp_path: Path) -> None:
    def peak_for(content_bytes: int) -> int:
        folder = tmp_path / str(content_bytes) / "chats"
        folder.mkdir(parents=True)
        messages = [gemini(f"m{index}", content="y" * content_bytes) for index in range(200)]
        (folder / "session-big.json").write_text(json.dumps({**metadata(), "messages": messages}, indent=2))
        usage_log = UsageLog(tmp_path / str(content_bytes) / "logs", "UTC")
        try:
            summary, peak = with_peak_memory(lambda: import_gemini_cli(folder, usage_log, tmp_path / "state"))
        finally:
            usage_log.close()
        assert summary.appended == 200
        return peak

    small, large = peak_for(5_000), peak_for(50_000)  # a 1 MB and a 10 MB session file
    assert large < 1.2 * small + 200_000, f"peak {large:,} bytes for 10x the file, {small:,} for 1x"
