"""Claude Code import: what a transcript says about a call beyond its four counts (1-hour cache
writes, web searches, fast mode, the provider behind a proxied model name), lines that are not
Claude Code's, hostile lines, and memory that stays flat whatever the transcript's size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import with_peak_memory, written
from vaultledger.capture.importers.claude_code import import_claude_code
from vaultledger.capture.importers.claude_models import provider_and_model
from vaultledger.capture.logger import UsageLog
from vaultledger.record import UsageRecord


def assistant(usage: dict[str, Any], message_id: str = "msg_A", model: str = "claude-opus-4-6", **extra: Any) -> str:
    entry = {"type": "assistant", "sessionId": "s1", "cwd": "/home/dev/orbis", "requestId": f"req_{message_id}",
             "timestamp": "2026-03-11T10:00:00.000Z",
             "message": {"id": message_id, "type": "message", "role": "assistant", "model": model,
                         "content": [], "usage": usage}, **extra}
    return json.dumps(entry)


def import_lines(tmp_path: Path, usage_log: UsageLog, *lines: str) -> tuple[list[UsageRecord], Any]:
    transcript = tmp_path / "projects" / "-home-dev-orbis" / "s1.jsonl"
    transcript.parent.mkdir(parents=True, exist_ok=True)
    transcript.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    summary = import_claude_code(tmp_path / "projects", usage_log, tmp_path / "state")
    return written(usage_log), summary


def test_one_hour_cache_writes_are_recorded_as_part_of_cache_writes(tmp_path: Path, usage_log: UsageLog) -> None:
    usage = {"input_tokens": 7, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 500,
             "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
             "output_tokens": 40, "service_tier": "standard"}
    [record], _ = import_lines(tmp_path, usage_log, assistant(usage))
    assert (record.input_tokens, record.cache_read_tokens, record.cache_write_tokens, record.cache_write_1h_tokens) == (
        3507, 500, 3000, 2000)
    assert record.attrs is None  # the 1-hour share is a record field, not an attr
    assert record.service_tier == "standard"


def test_ttl_breakdown_above_its_total_is_taken_as_the_truth(tmp_path: Path, usage_log: UsageLog) -> None:
    usage = {"input_tokens": 7, "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 400},
             "output_tokens": 40}
    [record], summary = import_lines(tmp_path, usage_log, assistant(usage))
    assert (record.input_tokens, record.cache_write_tokens, record.cache_write_1h_tokens) == (507, 500, 400)
    assert not summary.skipped


def test_web_searches_are_recorded_per_request(tmp_path: Path, usage_log: UsageLog) -> None:
    usage = {"input_tokens": 31772, "output_tokens": 644, "server_tool_use": {"web_search_requests": 3,
                                                                               "web_fetch_requests": 1}}
    [record], _ = import_lines(tmp_path, usage_log, assistant(usage))
    assert record.web_search_requests == 3
    assert record.attrs == {"web_fetch_requests": 1}


@pytest.mark.parametrize(("usage_extra", "tier"), [
    ({"speed": "fast", "service_tier": "standard"}, "fast"),
    ({"speed": "standard", "service_tier": "standard"}, "standard"),
    ({"service_tier": "priority"}, "priority"),
    ({}, None),
])
def test_fast_mode_is_recorded_as_its_service_tier(usage_extra: dict[str, str], tier: str | None, tmp_path: Path,
                                                    usage_log: UsageLog) -> None:
    [record], _ = import_lines(tmp_path, usage_log, assistant({"input_tokens": 5, "output_tokens": 9, **usage_extra}))
    assert record.service_tier == tier


def test_a_message_imported_again_at_another_tier_is_written_again(tmp_path: Path, usage_log: UsageLog) -> None:
    """The tier decides the price, so it is part of what "already imported" compares: a message first
    imported without its fast-mode mark is written again with it (the ledger's last line of an id counts)."""
    usage = {"input_tokens": 5, "output_tokens": 9}
    import_lines(tmp_path, usage_log, assistant(usage))
    again, _ = import_lines(tmp_path, usage_log, assistant({**usage, "speed": "fast"}))
    assert [record.service_tier for record in again] == [None, "fast"]
    unchanged, _ = import_lines(tmp_path, usage_log, assistant({**usage, "speed": "fast"}))
    assert len(unchanged) == 2


@pytest.mark.parametrize(("logged", "provider", "model"), [
    ("converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0", "aws.bedrock", "jp.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ("bedrock/converse/us.anthropic.claude-sonnet-4-20250514-v1:0", "aws.bedrock",
     "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ("bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws.bedrock",
     "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
     "aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ("claude-sonnet-4-5@20250929", "gcp.vertex_ai", "claude-sonnet-4-5@20250929"),
    ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5-20250929", "anthropic", "claude-sonnet-4-5-20250929"),
    ("converse/", "anthropic", "converse/"),
])
def test_model_names_keep_the_provider_whose_prices_know_them(logged: str, provider: str, model: str) -> None:
    assert provider_and_model(logged) == (provider, model)


def test_proxied_model_keeps_the_name_it_was_logged_under(tmp_path: Path, usage_log: UsageLog) -> None:
    line = assistant({"input_tokens": 16878, "output_tokens": 237},
                     model="converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0")
    [record], _ = import_lines(tmp_path, usage_log, line)
    assert (record.provider, record.model) == ("aws.bedrock", "jp.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert record.attrs == {"logged_model": "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0"}


def test_lines_without_type_are_skipped_with_a_reason(tmp_path: Path, usage_log: UsageLog) -> None:
    typeless = json.loads(assistant({"input_tokens": 100, "output_tokens": 50}))
    del typeless["type"]
    records, summary = import_lines(tmp_path, usage_log, json.dumps(typeless), assistant({"input_tokens": 1, "output_tokens": 2}))
    assert [record.input_tokens for record in records] == [1]
    assert summary.skipped == {'line without "type" (not written by Claude Code)': 1}
    assert 'skipped 1 line: 1 line without "type"' in summary.describe()


HOSTILE_LINES = {
    "a JSON array": ('["usage", 1]', "not a JSON object"),
    "a negative count": (assistant({"input_tokens": -5, "output_tokens": 2}),
                         "invalid record: input_tokens: Expected `int` >= 0"),
    "a count beyond any real call": (assistant({"input_tokens": 10**16, "output_tokens": 2}),
                                     "invalid record: input_tokens: Expected `int` <= 1000000000000000"),
    "a 1-hour share above the whole of a negative total": (
        assistant({"input_tokens": 1, "cache_creation_input_tokens": -9, "output_tokens": 2,
                   "cache_creation": {"ephemeral_1h_input_tokens": 4}}), "invalid record"),
    "no message id": (assistant({"input_tokens": 1, "output_tokens": 2}, message_id=None),  # type: ignore[arg-type]
                      "assistant line without message id or model"),
    "a cut-off line": ('{"type": "assistant", "message": {"usage": {"input_tokens": 1', "not JSON (a partial or corrupt line)"),
}


@pytest.mark.parametrize("name", HOSTILE_LINES)
def test_hostile_line_is_skipped_with_its_reason_and_the_rest_imported(name: str, tmp_path: Path,
                                                                       usage_log: UsageLog) -> None:
    line, reason = HOSTILE_LINES[name]
    good = assistant({"input_tokens": 1, "output_tokens": 2}, message_id="msg_good")
    records, summary = import_lines(tmp_path, usage_log, line, good)
    assert [record.id for record in records] == ["msg_good:req_msg_good"]
    [(said, times)] = summary.skipped.items()
    assert said.startswith(reason) and times == 1


def test_memory_stays_flat_however_long_the_transcript(tmp_path: Path, usage_log: UsageLog) -> None:
    transcript = tmp_path / "projects" / "p" / "big.jsonl"
    transcript.parent.mkdir(parents=True)
    user_line = json.dumps({"type": "user", "message": {"role": "user", "content": "x" * 100_000}}) + "\n"
    with transcript.open("w", encoding="utf-8") as handle:
        for index in range(300):  # 30 MB of tool output, one streamed message repeated across it
            handle.write(user_line)
            handle.write(assistant({"input_tokens": 3, "output_tokens": index + 1}) + "\n")
    summary, peak = with_peak_memory(lambda: import_claude_code(transcript.parent, usage_log, tmp_path / "state"))
    assert summary.appended == 1 and written(usage_log)[0].output_tokens == 300
    assert peak < 3 * 1024 * 1024, f"peak {peak:,} bytes for a {transcript.stat().st_size:,}-byte transcript"


# --- streaming, zeroed copies, attribution: real transcripts read in place ---

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
REAL_SETS = SHARED / "real-world" / "claude-code"
needs_corpus = pytest.mark.skipif(not REAL_SETS.is_dir(), reason=f"{REAL_SETS} is absent (a bare clone has no ../shared)")
VIEWER = REAL_SETS / "claude-code-viewer" / "projects" / "sample-project" / "fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
SUBAGENTS = REAL_SETS / "codemie-incremental-subagents" / "projects"


def final_lines(usage_log: UsageLog) -> dict[str, tuple[Any, ...]]:
    """What the ledger counts per id (its last line): usage and time."""
    return {record.id: (record.ts, *(getattr(record, name) for name in COUNTS)) for record in written(usage_log)
            if record.id}


COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens")


def import_whole(path: Path, tmp_path: Path) -> dict[str, tuple[Any, ...]]:
    whole = UsageLog(tmp_path / "whole-logs", "UTC")
    try:
        import_claude_code(path, whole, tmp_path / "whole-state")
        return final_lines(whole)
    finally:
        whole.close()


@needs_corpus
@pytest.mark.parametrize("transcript", [VIEWER, SUBAGENTS / "-proj-sub" / "e9fb405b-169f-40eb-9396-7e75076f045d.jsonl"],
                         ids=["1.0.98-in-file-sidechains", "2.1.7"])
def test_a_transcript_imported_while_it_grows_ends_as_one_import_of_the_whole(
        transcript: Path, tmp_path: Path, usage_log: UsageLog) -> None:
    """Claude Code streams a message over several lines with growing output: each import in between
    writes the message again when its usage grew, and the ledger's last lines equal one late import."""
    growing = tmp_path / "projects" / "p" / transcript.name
    growing.parent.mkdir(parents=True)
    lines = transcript.read_bytes().splitlines(keepends=True)
    updated = 0
    for start in range(0, len(lines), 3):
        with growing.open("ab") as handle:
            handle.writelines(lines[start:start + 3])
        updated += import_claude_code(growing, usage_log, tmp_path / "state").updated
    assert final_lines(usage_log) == import_whole(transcript, tmp_path)
    assert updated > 0  # messages really were caught mid-stream


@needs_corpus
def test_a_followed_transcript_cut_anywhere_ends_as_one_import(tmp_path: Path, usage_log: UsageLog) -> None:
    """What watch does: one reader per file, fed bytes cut mid-line; a half line waits for its end."""
    from test_watch_imports import follow_in_pieces

    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude")}
    skipped = follow_in_pieces("claude-code", VIEWER, tmp_path / "claude" / "projects" / "live.jsonl", env, usage_log,
                               40_000)
    assert not skipped
    assert final_lines(usage_log) == import_whole(VIEWER, tmp_path)


@needs_corpus
def test_messages_finished_early_by_the_open_window_still_end_with_their_final_usage(
        tmp_path: Path, usage_log: UsageLog, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaultledger.capture.importers import claude_code

    monkeypatch.setattr(claude_code, "OPEN_MESSAGES", 0)  # real lines of one message follow each other: force it
    summary = import_claude_code(VIEWER, usage_log, tmp_path / "state")
    assert summary.updated > 0  # some messages were offered before their last line, then again
    usage_of = lambda lines: {key: value[1:] for key, value in lines.items()}  # noqa: E731
    assert usage_of(final_lines(usage_log)) == usage_of(import_whole(VIEWER, tmp_path))


# anthropics/claude-code#95555 (CC 2.1.237): two rows of one message, the second zeroed; usage text as quoted
# in ../shared/fixtures/agents/claude-code/issue-excerpts/excerpts.txt [D].
REAL_ROW = {"input_tokens": 2, "cache_creation_input_tokens": 977, "cache_read_input_tokens": 316685,
            "output_tokens": 5175, "cache_creation": {"ephemeral_1h_input_tokens": 977, "ephemeral_5m_input_tokens": 0}}
ZEROED_ROW = {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0,
              "cache_creation": {"ephemeral_1h_input_tokens": 977, "ephemeral_5m_input_tokens": 0}}
REAL_COUNTS = (2 + 977 + 316685, 5175, 316685, 977, 977)


@pytest.mark.parametrize("rows", [[REAL_ROW, ZEROED_ROW], [ZEROED_ROW, REAL_ROW]], ids=["zeroed-after", "zeroed-first"])
def test_the_largest_row_of_a_message_counts_never_a_zeroed_copy(rows: list[dict[str, Any]], tmp_path: Path,
                                                                  usage_log: UsageLog) -> None:
    [record], summary = import_lines(tmp_path, usage_log, *(assistant(row, model="claude-opus-5") for row in rows))
    assert tuple(getattr(record, name) for name in COUNTS) == REAL_COUNTS
    assert not summary.skipped


def test_a_zeroed_copy_met_later_or_elsewhere_appends_nothing(tmp_path: Path, usage_log: UsageLog) -> None:
    import_lines(tmp_path, usage_log, assistant(REAL_ROW, model="claude-opus-5"))
    transcript = tmp_path / "projects" / "-home-dev-orbis" / "s1.jsonl"
    with transcript.open("a", encoding="utf-8") as handle:
        handle.write(assistant(ZEROED_ROW, model="claude-opus-5") + "\n")  # the same file, imported again
    (transcript.parent / "resumed.jsonl").write_text(assistant(ZEROED_ROW, model="claude-opus-5") + "\n")
    summary = import_claude_code(tmp_path / "projects", usage_log, tmp_path / "state")
    assert [tuple(getattr(r, name) for name in COUNTS) for r in written(usage_log)] == [REAL_COUNTS]
    assert summary.skipped == {"zeroed usage row (a copy Claude Code writes beside the real row; the real row counts)": 1}


@needs_corpus
def test_what_claude_code_knows_about_a_call_is_kept_as_attrs(tmp_path: Path, usage_log: UsageLog) -> None:
    import_claude_code(SUBAGENTS, usage_log, tmp_path / "state")
    import_claude_code(VIEWER.parent, usage_log, tmp_path / "state")
    import_claude_code(REAL_SETS / "codemie-tmp-private" / "projects", usage_log, tmp_path / "state")
    seen = {tuple(sorted((record.attrs or {}).items())) for record in written(usage_log)}
    assert seen == {
        (("agent_version", "2.1.7"), ("git_branch", "hooks")),
        (("agent_version", "2.1.7"), ("git_branch", "hooks"), ("sidechain", True), ("subagent", "a485154")),
        (("agent_version", "1.0.98"),),
        (("agent_version", "1.0.98"), ("sidechain", True)),  # Task sidechains inside the session's own file
        (("agent_version", "1.0.108"), ("git_branch", "main")),
        (("agent_version", "1.0.108"), ("git_branch", "main"), ("sidechain", True)),
        (("agent_version", "2.0.28"), ("sidechain", True), ("subagent", "test-hash-123")),  # from the file name
        (("agent_version", "2.0.28"), ("sidechain", True), ("subagent", "test-hash-456")),
        (("agent_version", "2.0.64"), ("git_branch", "analytics-v2")),
        (("agent_version", "2.0.64"), ("git_branch", "analytics-v2"), ("sidechain", True), ("subagent", "36541525")),
        (("agent_version", "2.0.64"), ("git_branch", "analytics-v2"), ("logged_model",
                                                                      "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0"),
         ("sidechain", True), ("subagent", "50243ee8")),
    }
