"""Qwen Code import through the CLI: every call from its telemetry (not only those with an assistant
record), usage_record.jsonl runs for calls no chat holds (deleted chats, cut-off chats) without ever
counting a call twice, sub-agent calls, token conventions, hostile lines and re-imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_cli import cli_import, skipped_line
from agent_cli import logged as logged_records
from conftest import with_peak_memory
from vaultledger.capture.importers.qwen_code import import_qwen_code
from vaultledger.capture.logger import UsageLog

SESSION = "a719f84a-209d-406a-8e6c-dc671c9c0192"
T0 = 1_785_954_915_668  # 2026-08-05T18:35:15Z in milliseconds


def telemetry(second: int, prompt: int = 2_050, output: int = 300, thoughts: int = 200, cached: int = 0,
              total: int | None = None, session: str = SESSION, prompt_id: str | None = None) -> dict[str, Any]:
    event = {"event.name": "qwen-code.api_response", "event.timestamp": f"2026-08-05T18:36:{second:02d}.000Z",
             "response_id": "chatcmpl-1", "model": "qwen3-coder-plus", "duration_ms": 1500,
             "input_token_count": prompt, "output_token_count": output, "cached_content_token_count": cached,
             "thoughts_token_count": thoughts, "total_token_count": prompt + output if total is None else total,
             "prompt_id": prompt_id or f"{session}########0", "auth_type": "openai"}
    return {"uuid": f"u-{second}", "parentUuid": None, "sessionId": session,
            "timestamp": f"2026-08-05T18:36:{second:02d}.000Z", "type": "system", "cwd": "/home/dev/orbis",
            "version": "0.21.6", "gitBranch": "main", "subtype": "ui_telemetry", "systemPayload": {"uiEvent": event}}


def assistant(second: int) -> dict[str, Any]:
    return {"uuid": f"a-{second}", "sessionId": SESSION, "timestamp": f"2026-08-05T18:36:{second:02d}.001Z",
            "type": "assistant", "model": "qwen3-coder-plus", "usageMetadata": {"promptTokenCount": 2_050,
            "candidatesTokenCount": 300, "thoughtsTokenCount": 200, "totalTokenCount": 2_350}}


def usage_run(session: str, requests: int, prompt: int, output: int, thoughts: int, start: int = T0) -> dict[str, Any]:
    model = {"requests": requests, "inputTokens": prompt, "outputTokens": output, "cachedTokens": 0,
             "thoughtsTokens": thoughts, "totalTokens": prompt + output}
    return {"version": 1, "sessionId": session, "timestamp": start + 60_000, "startTime": start, "project": "/work",
            "models": {"qwen3-coder-plus": model}}


def write(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return path


def chat(tmp_path: Path, *lines: dict[str, Any] | str, session: str = SESSION) -> Path:
    return write(tmp_path / ".qwen" / "projects" / "-home-dev-orbis" / "chats" / f"{session}.jsonl", *lines)


def usage_record(tmp_path: Path, *runs: dict[str, Any]) -> Path:
    return write(tmp_path / ".qwen" / "usage_record.jsonl", *runs)


def import_qwen(tmp_path: Path) -> str:
    return cli_import("qwen-code", tmp_path / ".qwen", tmp_path / "logs")


def logged(tmp_path: Path) -> list[dict[str, Any]]:
    return logged_records(tmp_path / "logs")


def test_every_call_in_the_telemetry_counts_not_only_those_with_an_assistant_record(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1), assistant(1), telemetry(2, output=100, thoughts=100), telemetry(3, output=50, thoughts=50))
    usage_record(tmp_path, usage_run(SESSION, 3, 6_150, 450, 350))
    import_qwen(tmp_path)
    records = logged(tmp_path)
    assert [record["id"] for record in records] == [f"{SESSION}:0", f"{SESSION}:1", f"{SESSION}:2"]
    assert [(r["input_tokens"], r["output_tokens"], r.get("reasoning_tokens", 0)) for r in records] \
        == [(2_050, 300, 200), (2_050, 100, 100), (2_050, 50, 50)]
    assert records[0]["attrs"] == {"agent_version": "0.21.6", "git_branch": "main", "provider_guessed": True}
    assert records[0]["duration_ms"] == 1500 and records[0]["project"] == "orbis"


def test_runs_without_a_chat_are_shared_evenly_and_a_deleted_chat_adds_nothing(tmp_path: Path) -> None:
    path = chat(tmp_path, telemetry(1, output=301), telemetry(2, output=99))
    other = "c0eabd5b-6f0e-4b7a-9e4f-0d8f1d0c2f11"
    usage_record(tmp_path, usage_run(SESSION, 2, 4_100, 400, 400), usage_run(other, 3, 6_150, 1_429, 1_392))
    import_qwen(tmp_path)
    split = [record for record in logged(tmp_path) if record["session"] == other]
    assert [(r["input_tokens"], r["output_tokens"]) for r in split] == [(2_050, 476), (2_050, 476), (2_050, 477)]
    assert split[0]["attrs"]["usage_split"] == "usage_record.jsonl"
    path.unlink()  # Qwen Code cleans up old chats: the exact records stay, nothing is added
    assert "0 appended" in import_qwen(tmp_path)
    assert [r["output_tokens"] for r in logged(tmp_path) if r["session"] == SESSION] == [301, 99]


def test_calls_a_cut_off_chat_lacks_come_from_its_run(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1, output=300), telemetry(2, output=100))
    usage_record(tmp_path, usage_run(SESSION, 3, 6_150, 450, 0))
    import_qwen(tmp_path)
    records = logged(tmp_path)
    assert [r["id"] for r in records] == [f"{SESSION}:0", f"{SESSION}:1", f"{SESSION}:2"]
    assert (records[2]["input_tokens"], records[2]["output_tokens"]) == (2_050, 50)


def test_a_sub_agents_call_is_named_by_its_prompt_id(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1, prompt_id=f"{SESSION}#managed-auto-memory-extractor-17ab3895#1"))
    import_qwen(tmp_path)
    [record] = logged(tmp_path)
    assert record["attrs"]["subagent"] == "managed-auto-memory-extractor-17ab3895"


def test_thoughts_are_within_output_unless_the_total_says_otherwise(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1, output=300, thoughts=200, cached=1_000),
         telemetry(2, output=300, thoughts=200, total=2_550))
    import_qwen(tmp_path)
    first, second = logged(tmp_path)
    assert (first["input_tokens"], first["cache_read_tokens"], first["output_tokens"]) == (2_050, 1_000, 300)
    assert (second["output_tokens"], second["reasoning_tokens"]) == (500, 200)


HOSTILE = {
    "a cut-off line": ('{"type":"system","subtype":"ui_telemetry","systemPayload":{"uiEvent":{"event.name":'
                       '"qwen-code.api_response"', "not JSON"),
    "a call without its session": (json.dumps({**telemetry(5), "sessionId": None}), "api_response without sessionId"),
    "a negative count": (json.dumps(telemetry(5, prompt=-3)), "invalid record: input_tokens"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_line_is_skipped_with_its_reason_and_place_and_the_rest_imported(name: str, tmp_path: Path) -> None:
    hostile, reason = HOSTILE[name]
    path = chat(tmp_path, telemetry(1), hostile, telemetry(2, output=100))
    output = import_qwen(tmp_path)
    assert [r["output_tokens"] for r in logged(tmp_path)] == [300, 100]
    skipped = skipped_line(output)
    assert skipped.startswith(f"skipped 1 line: 1 {reason}") and f"(at {path.resolve()}:2)" in skipped, output


def test_importing_again_appends_nothing(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1), telemetry(2))
    usage_record(tmp_path, usage_run(SESSION, 2, 4_100, 600, 400), usage_run("e68a9000", 2, 4_100, 1_203, 1_130))
    import_qwen(tmp_path)
    before = {path.name: path.read_bytes() for path in (tmp_path / "logs").glob("*.jsonl")}
    assert "0 appended" in import_qwen(tmp_path)
    assert {path.name: path.read_bytes() for path in (tmp_path / "logs").glob("*.jsonl")} == before


def test_memory_stays_flat_however_much_a_chat_holds(tmp_path: Path) -> None:
    def peak_for(text_bytes: int) -> int:
        home = tmp_path / str(text_bytes)
        result = {"uuid": "r", "sessionId": SESSION, "type": "tool_result", "message": {"text": "x" * text_bytes}}
        chat(home, *(line for index in range(100) for line in (result, telemetry(index % 60))))
        usage_log = UsageLog(home / "logs", "UTC")
        try:
            summary, peak = with_peak_memory(lambda: import_qwen_code(home / ".qwen", usage_log, home / "state"))
        finally:
            usage_log.close()
        assert summary.appended == 100
        return peak

    small, large = peak_for(10_000), peak_for(100_000)  # a 1 MB and a 10 MB chat
    assert large < 1.2 * small + 200_000, f"peak {large:,} bytes for 10x the file, {small:,} for 1x"


def test_a_run_its_chat_covers_adds_no_call_even_when_its_sums_disagree(tmp_path: Path) -> None:
    chat(tmp_path, telemetry(1), telemetry(2))
    usage_record(tmp_path, {**usage_run(SESSION, 2, 4_100, 600, 400), "models": {"qwen3-coder-plus-latest": {
        "requests": 2, "inputTokens": 4_100, "outputTokens": 600, "cachedTokens": 0, "thoughtsTokens": 400}}})
    output = import_qwen(tmp_path)
    assert len(logged(tmp_path)) == 2
    assert ("usage_record.jsonl counts tokens of qwen3-coder-plus-latest that no call of its chat has "
            f"(at {(tmp_path / '.qwen' / 'usage_record.jsonl').resolve()}:1)") in output
