"""Rollups into a real vault through the real CLI: paths from settings, idempotence, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, call, enable_periodic_notes, write_lines
from vaultledger.cli import app

runner = CliRunner()


def rollup(*args: str) -> object:
    return runner.invoke(app, ["rollup", *args], catch_exceptions=False)


@pytest.fixture
def day_logs(logs_dir: Path) -> Path:
    write_lines(
        logs_dir / "2026-03-14.jsonl",
        call(ts="2026-03-14T09:00:00Z", id="a", project="poetry", use_case="poem", unit_id="p1"),
        call(ts="2026-03-14T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5-20250929",
             input_tokens=32060, cache_read_tokens=30000, cache_write_tokens=2048, output_tokens=321),
        call(ts="2026-03-14T11:00:00Z", provider="ollama", model="llama3.1:8b"),
        call(ts="2026-03-14T12:00:00Z", provider="acme", model="mystery|1"),
    )
    return logs_dir


def test_rollup_creates_the_daily_note_with_the_section(vault: Path, day_logs: Path) -> None:
    result = rollup("--day", "2026-03-14")
    assert result.exit_code == 0, result.output
    text = (vault / "2026-03-14.md").read_text(encoding="utf-8")
    assert text.startswith("## 💰 Token Usage Today\n%% vaultledger:begin daily %%\n")
    assert text.endswith("%% vaultledger:end daily %%\n")
    assert "**$0.02** + 1 unpriced call · 4 calls · 35,060 in" in text
    assert "| Anthropic | $0.02 | 98 % | 1 | 32,060 | 321 |  |" in text
    assert "mystery\\|1" in text and "Unpriced" in text
    assert "| poetry |" in text and "| poem |" in text


def test_second_rollup_leaves_note_untouched(vault: Path, day_logs: Path) -> None:
    rollup("--day", "2026-03-14")
    note = vault / "2026-03-14.md"
    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    result = rollup("--day", "2026-03-14")
    assert result.exit_code == 0 and "unchanged" in result.output
    assert note.stat().st_mtime_ns == 1_000_000_000


def test_rollup_keeps_every_byte_outside_the_block(vault: Path, day_logs: Path) -> None:
    note = vault / "2026-03-14.md"
    before = "\ufeff---\r\ntitle: x\r\n---\r\n# Day\r\n\r\n## 💰 Token Usage Today\r\nold text kept\r\nend"
    note.write_bytes(before.encode())
    assert rollup("--day", "2026-03-14").exit_code == 0
    after = note.read_bytes().decode()
    head = "\ufeff---\r\ntitle: x\r\n---\r\n# Day\r\n\r\n## 💰 Token Usage Today\r\n%% vaultledger:begin daily %%\r\n"
    assert after.startswith(head)
    assert after.endswith("%% vaultledger:end daily %%\r\nold text kept\r\nend")
    assert "\n" not in after.replace("\r\n", "")


def test_note_path_and_template_follow_the_vaults_daily_notes_settings(vault: Path, day_logs: Path) -> None:
    settings = json.loads((FIXTURES / "obsidian" / "daily-notes.json").read_text())
    (vault / ".obsidian" / "daily-notes.json").write_text(json.dumps(settings))
    (vault / "Templates").mkdir()
    (vault / "Templates" / "Daily.md").write_text("# {{date:dddd, MMMM D}}\n\n{{title}} notes\n")
    assert rollup("--day", "2026-03-14").exit_code == 0
    text = (vault / "Journal" / "2026" / "03" / "2026-03-14.md").read_text()
    # {{title}} is the whole formatted name, folders of the format included, as the plugins write it.
    assert text.startswith("# Saturday, March 14\n\n2026/03/2026-03-14 notes\n\n## 💰 Token Usage Today\n")


def test_periodic_notes_weekly_and_quarterly_sections(vault: Path, day_logs: Path) -> None:
    plugin = vault / ".obsidian" / "plugins" / "periodic-notes"
    plugin.mkdir(parents=True)
    (plugin / "data.json").write_text((FIXTURES / "obsidian" / "periodic-notes-1.x.data.json").read_text())
    (vault / ".obsidian" / "community-plugins.json").write_text('["periodic-notes"]')
    assert rollup("--week", "2026-W11").exit_code == 0
    weekly = (vault / "Weekly" / "2026-W11.md").read_text()
    assert "## 💰 Weekly Token Accounting" in weekly and "|Sat 2026-03-14]] | $0.02 | 4 |" in weekly
    assert rollup("--quarter", "2026Q1").exit_code == 0
    quarterly = (vault / "Quarterly" / "2026-Q1.md").read_text()
    assert "## 💰 Quarterly LLM Costs" in quarterly and "xychart-beta" in quarterly
    assert "2026-W01 (partial)" in quarterly and "| poem | $0.00045 | 1 |" in quarterly


def test_no_create_skips_missing_notes(vault: Path, day_logs: Path) -> None:
    assert rollup("--day", "2026-03-14", "--no-create").exit_code == 0
    assert not (vault / "2026-03-14.md").exists()


def test_dry_run_prints_a_diff_and_writes_nothing(vault: Path, day_logs: Path) -> None:
    result = rollup("--day", "2026-03-14", "--dry-run")
    assert result.exit_code == 0
    assert "would create" in result.output and "+%% vaultledger:begin daily %%" in result.output
    assert not (vault / "2026-03-14.md").exists()


def test_a_day_without_usage_creates_nothing(vault: Path, day_logs: Path) -> None:
    assert rollup("--day", "2026-03-10").exit_code == 0
    assert list(vault.glob("*.md")) == []


def test_unbalanced_markers_leave_the_note_untouched_and_exit_1(vault: Path, day_logs: Path) -> None:
    note = vault / "2026-03-14.md"
    note.write_text("# Day\n%% vaultledger:begin daily %%\nstale\n")
    result = runner.invoke(app, ["rollup", "--day", "2026-03-14"])
    assert result.exit_code == 1
    assert "2026-03-14.md:2:" in result.output
    assert note.read_text() == "# Day\n%% vaultledger:begin daily %%\nstale\n"


def test_a_folder_without_obsidian_is_refused_unless_forced(tmp_path: Path, day_logs: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = runner.invoke(app, ["rollup", "--day", "2026-03-14", "--vault", str(plain)])
    assert result.exit_code == 1 and "not an Obsidian vault" in result.output
    assert runner.invoke(app, ["rollup", "--day", "2026-03-14", "--vault", str(plain), "--force"]).exit_code == 0
    assert (plain / "2026-03-14.md").exists()


@pytest.mark.parametrize("flag,value", [("--quarter", "2026Q5"), ("--week", "2026-W54"), ("--month", "2026-13"),
                                        ("--day", "2026-02-30"), ("--week", "2026-W53"), ("--day", "0001-01-01"),
                                        ("--quarter", "9999Q4"), ("--week", "9999-W52"), ("--month", "0001-01")])
def test_unknown_periods_exit_1_naming_the_accepted_forms(vault: Path, day_logs: Path, flag: str, value: str) -> None:
    result = runner.invoke(app, ["rollup", flag, value])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and value in result.output


def test_invalid_lines_warn_and_strict_makes_them_fail(vault: Path, day_logs: Path) -> None:
    write_lines(day_logs / "2026-03-14.jsonl", "{broken")
    result = runner.invoke(app, ["rollup", "--day", "2026-03-14"])
    assert result.exit_code == 0 and "1 invalid log lines skipped" in result.output
    assert "1 invalid log line skipped" in (vault / "2026-03-14.md").read_text()
    assert runner.invoke(app, ["rollup", "--day", "2026-03-14", "--strict"]).exit_code == 1


def test_properties_are_opt_in(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text("properties = true\n")
    assert rollup("--day", "2026-03-14", "--config", str(config)).exit_code == 0
    text = (vault / "2026-03-14.md").read_text()
    assert text.startswith("---\nllm_period: day\nllm_cost_usd: 0.021981\nllm_tokens: 36881\nllm_input_tokens: 35060\n"
                           "llm_output_tokens: 1821\nllm_calls: 4\nllm_unpriced_calls: 1\n---\n")


def test_budget_over_shows_a_danger_callout(vault: Path, day_logs: Path, tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text("[budgets]\ndaily = 0.01\nmonthly = 0.025\n")
    assert rollup("--day", "2026-03-14", "--config", str(config)).exit_code == 0
    text = (vault / "2026-03-14.md").read_text()
    assert "> [!danger] Over budget: Daily budget (all usage) at 220 %\n" in text  # one callout for every budget
    assert "> | Monthly budget (all usage) | $0.02 | $0.03 | 88 % | $0.01 | $0.05 |" in text


def test_nightly_run_catches_up_on_changed_days_and_then_rests(vault: Path, day_logs: Path) -> None:
    write_lines(day_logs / "2026-03-10.jsonl", call(ts="2026-03-10T09:00:00Z"))
    enable_periodic_notes(vault, "weekly", "quarterly")
    assert rollup().exit_code == 0
    assert {p.name for p in vault.glob("*.md")} >= {"2026-03-10.md", "2026-03-14.md", "2026-W11.md", "2026-Q1.md"}
    note = vault / "2026-03-10.md"
    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    second = rollup()
    assert second.exit_code == 0 and "updated" not in second.output
    write_lines(day_logs / "2026-03-10.jsonl", call(ts="2026-03-10T10:00:00Z"))
    third = rollup()
    assert f"updated     {note}" in third.output


def test_a_note_that_cannot_be_written_is_reported_and_the_rest_still_rolls(vault: Path, day_logs: Path) -> None:
    write_lines(day_logs / "2026-03-15.jsonl", call(ts="2026-03-15T09:00:00Z"))
    (vault / "2026-03-14.md").mkdir()  # a folder where the note should be: it cannot be read or replaced
    result = runner.invoke(app, ["rollup", "--from", "2026-03-14", "--to", "2026-03-15"])
    assert result.exit_code == 1
    assert "2026-03-14.md" in result.output
    assert (vault / "2026-03-15.md").read_text().startswith("## 💰 Token Usage Today")


def test_explicit_rollups_after_the_nightly_run_change_nothing(vault: Path, day_logs: Path) -> None:
    write_lines(day_logs / "2026-02-10.jsonl", call(ts="2026-02-10T09:00:00Z"))
    enable_periodic_notes(vault, "weekly", "quarterly")
    assert rollup().exit_code == 0
    before = {note: note.read_bytes() for note in vault.glob("*.md")}
    for args in (["--quarter", "2026Q1"], ["--week", "2026-W11"], ["--day", "2026-03-14"]):
        result = rollup(*args)
        assert result.exit_code == 0 and "updated" not in result.output, (args, result.output)
    assert {note: note.read_bytes() for note in vault.glob("*.md")} == before


def test_a_missing_template_is_a_warning_line_and_the_note_starts_empty(vault: Path, day_logs: Path) -> None:
    (vault / ".obsidian" / "daily-notes.json").write_text('{"template": "Templates/Gone"}')
    result = rollup("--day", "2026-03-14")
    assert result.exit_code == 0
    assert "warning: daily note template 'Templates/Gone'" in result.output and "Traceback" not in result.output
    assert (vault / "2026-03-14.md").read_text().startswith("## 💰 Token Usage Today")


def test_dry_run_diff_of_a_note_without_final_newline_marks_it_and_ends_with_a_summary(
        vault: Path, day_logs: Path) -> None:
    (vault / "2026-03-14.md").write_text("Good day.")
    write_lines(day_logs / "2026-03-15.jsonl", call(ts="2026-03-15T09:00:00Z"))
    result = rollup("--from", "2026-03-14", "--to", "2026-03-15", "--dry-run")
    lines = result.output.splitlines()
    assert lines[lines.index("-Good day.") + 1] == "\\ No newline at end of file"
    assert "+Good day." in lines and "%% vaultledger:end daily %%would" not in result.output
    assert lines[-1] == "would create 1, would update 1"
    assert (vault / "2026-03-14.md").read_text() == "Good day."


def test_calls_priced_at_the_standard_rate_for_want_of_their_tier_are_named_in_the_note(
    vault: Path, logs_dir: Path
) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl",
                call(ts="2026-03-14T09:00:00Z", provider="openai", model="gpt-4o", service_tier="batch"),
                call(ts="2026-03-14T10:00:00Z", provider="openai", model="gpt-4o", service_tier="batch"))
    assert rollup("--day", "2026-03-14").exit_code == 0
    text = (vault / "2026-03-14.md").read_text(encoding="utf-8")
    assert "> [!info] Priced at the standard rate" in text
    assert "The price data has no price for 2 batch calls of openai/gpt-4o then" in text
