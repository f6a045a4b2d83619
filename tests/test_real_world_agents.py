"""Real Claude Code transcripts, Codex rollouts and llm logs.db files nobody here wrote
(`../shared/fixtures/real-world/`, its README gives their origins): imported through the CLI into a
fresh logs folder, read back with `report --format json`, and compared with each set's `expected.json`
per day (tokens exact, cost within 1e-6 where given). The corpus is read in place, never written.

The fast tier runs a representative set of each kind; the slow tier runs every set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vaultledger.cli import app

REAL_WORLD = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real-world"
pytestmark = pytest.mark.skipif(
    not REAL_WORLD.is_dir(), reason=f"{REAL_WORLD} is absent (a bare clone has no ../shared): real-world corpus not run"
)
runner = CliRunner()

# Every cache write of this set was moved to a 1-hour TTL (its README); the real sets hold none.
ONE_HOUR_SETS = {"DERIVED-1h-cache-from-claude-code-viewer"}
FAST_AGENT_SETS = {
    "claude-code/DERIVED-1h-cache-from-claude-code-viewer",  # 1-hour writes
    "claude-code/codemie-tmp-private",  # Bedrock proxy, no requestId, agent files
    "codex/codemie-session-fixtures",
}
FAST_LLM_DBS = {
    "llm-0.31.1-responses-table/anthropic_cache_body_as_stream",
    "llm-0.36-turns-table/openai_responses_stream",  # Responses API details in the turns table
    "llm-0.36-turns-table/gemini_cached_thoughts",
}
COST_TOLERANCE = 1e-6


def agent_sets() -> list[Any]:
    if not REAL_WORLD.is_dir():
        return []
    found = sorted(path for kind in ("claude-code", "codex") for path in (REAL_WORLD / kind).iterdir()
                   if (path / "expected.json").is_file())
    return [pytest.param(path, id=f"{path.parent.name}/{path.name}",
                         marks=() if f"{path.parent.name}/{path.name}" in FAST_AGENT_SETS else pytest.mark.slow)
            for path in found]


def llm_cases() -> list[Any]:
    if not REAL_WORLD.is_dir():
        return []
    cases = json.loads((REAL_WORLD / "llm" / "expected.json").read_text(encoding="utf-8"))
    return [pytest.param(case["folder"], case["expected"], id=case["folder"],
                         marks=() if case["folder"] in FAST_LLM_DBS else pytest.mark.slow)
            for case in cases]


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def import_set(kind: str, path: Path, logs: Path) -> str:
    return cli("import", kind, str(path), "--logs", str(logs), "--tz", "UTC")


def report(logs: Path, *args: str) -> dict[str, Any]:
    return json.loads(cli("report", "--logs", str(logs), "--tz", "UTC", "--format", "json", *args))


def days_with_calls(logs: Path, days: list[str]) -> dict[str, dict[str, Any]]:
    """The `by_day` rows of every day with calls, over the months around `days`."""
    first, last = min(days)[:8] + "01", max(days)
    rows = report(logs, "--from", first, "--to", last, "--by", "day")["by_day"]
    return {row["key"]: row for row in rows if row["calls"]}


def claude_code_day(row: dict[str, Any]) -> dict[str, int]:
    """A report row in Claude Code's convention (uncached input), as expected.json states it."""
    return {"uncached_input": row["input_tokens"] - row["cache_read_tokens"] - row["cache_write_tokens"],
            "output": row["output_tokens"], "cache_read": row["cache_read_tokens"],
            "cache_write": row["cache_write_tokens"], "reasoning": row["reasoning_tokens"]}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*")}


@pytest.mark.parametrize("dataset", agent_sets())
def test_agent_set_matches_its_expected_days(dataset: Path, tmp_path: Path) -> None:
    kind = dataset.parent.name
    expected = json.loads((dataset / "expected.json").read_text(encoding="utf-8"))
    assert expected["time_zone"] == "UTC"
    before = snapshot(dataset)
    import_set(kind, dataset / ("projects" if kind == "claude-code" else "sessions"), tmp_path / "logs")
    assert snapshot(dataset) == before, "the corpus must be read in place, never written"
    rows = days_with_calls(tmp_path / "logs", list(expected["days"]))
    assert sorted(rows) == sorted(expected["days"])
    for day, want in expected["days"].items():
        row = rows[day]
        tokens = {key: value for key, value in claude_code_day(row).items() if key in want}
        assert tokens == {key: value for key, value in want.items() if key != "cost_usd"}, day
        assert row["unpriced_calls"] == 0, day
        one_hour = row["cache_write_tokens"] if dataset.name in ONE_HOUR_SETS else 0
        assert row["cache_write_1h_tokens"] == one_hour, day
    for day, want in expected["days"].items():
        if "cost_usd" in want:
            assert_cost(rows[day], want["cost_usd"], f"{dataset.name} {day}")


def assert_cost(row: dict[str, Any], expected: float, where: str) -> None:
    """Cost within 1e-6 USD (1-hour cache writes at their own rate, 2x input)."""
    assert abs(row["cost_usd"] - expected) <= COST_TOLERANCE, f"{where}: cost {row['cost_usd']:.7f}, expected {expected}"


def test_proxied_bedrock_model_is_recorded_so_that_it_is_priced(tmp_path: Path) -> None:
    dataset = REAL_WORLD / "claude-code" / "codemie-tmp-private" / "projects"
    import_set("claude-code", dataset, tmp_path / "logs")
    by_model = {row["key"]: row for row in report(tmp_path / "logs", "--day", "2025-12-10", "--by", "model")["by_model"]}
    haiku = by_model["jp.anthropic.claude-haiku-4-5-20251001-v1:0"]
    assert (haiku["calls"], haiku["input_tokens"], haiku["output_tokens"]) == (1, 16878, 237)
    # Bedrock's Japan cross-region profile: $1.10 in / $5.50 out per million (genai-prices' regional rate)
    assert haiku["cost_usd"] == pytest.approx((16878 * 1.1 + 237 * 5.5) / 1e6, abs=1e-9)
    by_provider = {row["key"]: row["calls"] for row in report(tmp_path / "logs", "--day", "2025-12-10")["by_provider"]}
    assert by_provider == {"anthropic": 8, "aws.bedrock": 1}


def test_lines_without_type_are_skipped_and_counted(tmp_path: Path) -> None:
    output = import_set("claude-code", REAL_WORLD / "claude-code" / "ccusage-fixtures-SYNTHETIC" / "projects",
                        tmp_path / "logs")
    assert "0 calls seen" in output
    assert 'skipped 5 lines: 5 line without "type" (not written by Claude Code)' in output


@pytest.mark.slow
def test_resumed_copy_and_synthetic_lines_count_once(tmp_path: Path) -> None:
    output = import_set("claude-code", REAL_WORLD / "claude-code" / "DERIVED-resume-copy-plus-synthetic-lines"
                        / "projects", tmp_path / "logs")
    assert "synthetic message" in output
    assert report(tmp_path / "logs", "--day", "2025-09-03")["totals"]["calls"] == 7


@pytest.mark.parametrize(("folder", "expected"), llm_cases())
def test_llm_logs_db_gives_its_expected_tokens(folder: str, expected: dict[str, int], tmp_path: Path) -> None:
    scenario = REAL_WORLD / "llm" / folder
    before = snapshot(scenario)
    import_set("llm", scenario / "logs.db", tmp_path / "logs")
    assert snapshot(scenario) == before, "no -wal/-shm or any other file may appear beside the corpus"
    totals = report(tmp_path / "logs", "--from", "2026-01-01", "--to", "2026-12-31")["totals"]
    assert totals["calls"] == 1
    assert {key: totals[key] for key in expected} == expected
    assert totals["unpriced_calls"] == 0
