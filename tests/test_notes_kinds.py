"""Which kinds of notes a rollup writes: only those a source enables, yearly notes included, through the
real CLI; the how-to-enable line; Templater templates created or left to Obsidian as the config says."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, enable_periodic_notes, write_lines
from vaultledger.cli import app

runner = CliRunner()


@pytest.fixture
def logs(logs_dir: Path) -> Path:
    for day in ("2025-12-31", "2026-01-01", "2026-03-14"):
        write_lines(logs_dir / f"{day}.jsonl", call(ts=f"{day}T12:00:00Z", id=day))
    return logs_dir


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vaultledger.toml"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(path))
    return path


def rollup(*args: str):
    return runner.invoke(app, ["rollup", *args])


def sections(vault: Path) -> dict[str, str]:
    """Each note with a section, by vault-relative path -> the kind of its section."""
    found = {}
    for note in vault.rglob("*.md"):
        text = note.read_text(encoding="utf-8")
        for kind in ("daily", "weekly", "monthly", "quarterly", "yearly"):
            if f"vaultledger:begin {kind}" in text:
                found[note.relative_to(vault).as_posix()] = kind
    return found


def test_the_config_enables_yearly_notes_and_the_nightly_run_writes_them(vault: Path, logs: Path, config: Path) -> None:
    config.write_text('[notes.yearly]\nfolder = "Years"\n', encoding="utf-8")
    result = rollup()
    assert result.exit_code == 0, result.output
    assert {path: kind for path, kind in sections(vault).items() if kind == "yearly"} == \
        {"Years/2025.md": "yearly", "Years/2026.md": "yearly"}
    yearly = (vault / "Years/2026.md").read_text(encoding="utf-8")
    assert yearly.startswith("## 💰 Yearly LLM Costs\n%% vaultledger:begin yearly %%\n")
    assert "note: weekly, monthly and quarterly notes are off" in result.output


@pytest.mark.parametrize("flags", [["--year", "2026"], ["--this-year"]])
def test_year_flags_roll_the_yearly_note(vault: Path, logs: Path, config: Path, flags: list[str]) -> None:
    config.write_text("[notes.yearly]\n", encoding="utf-8")
    if flags == ["--this-year"]:
        (logs / "2026-03-14.jsonl").unlink()  # the clock decides the year: log a call today instead
        runner.invoke(app, ["log", "--provider", "openai", "--model", "gpt-4o-mini", "--input-tokens", "1",
                            "--output-tokens", "1"])
    result = rollup(*flags)
    assert result.exit_code == 0, result.output
    assert list(sections(vault).values()) == ["yearly"]


def test_rolling_a_kind_that_is_off_is_refused_with_how_to_enable_it(vault: Path, logs: Path, config: Path) -> None:
    for flag, value, kind in (("--week", "2026-W11", "weekly"), ("--year", "2026", "yearly")):
        result = rollup(flag, value)
        assert result.exit_code == 1
        assert f"{kind} notes are off in this vault" in result.output and f"[notes.{kind}]" in result.output
    assert sections(vault) == {}


def test_a_quiet_rollup_says_nothing_about_kinds_that_are_off(vault: Path, logs: Path, config: Path) -> None:
    result = rollup("--quiet")
    assert result.exit_code == 0 and result.output == ""


def test_a_rollup_without_usage_needs_no_hint(vault: Path, logs_dir: Path, config: Path) -> None:
    logs_dir.mkdir()
    result = rollup()
    assert result.exit_code == 0 and "notes are off" not in result.output


def test_periodic_notes_yearly_settings_name_the_yearly_note(vault: Path, logs: Path, config: Path) -> None:
    enable_periodic_notes(vault, yearly={"enabled": True, "folder": "Review", "format": "[Year] YYYY"})
    assert rollup("--year", "2025").exit_code == 0
    assert sections(vault) == {"Review/Year 2025.md": "yearly"}


def test_a_kind_periodic_notes_turned_off_stays_off_even_with_notes_of_the_old_rule(
        vault: Path, logs: Path, config: Path) -> None:
    enable_periodic_notes(vault, weekly={"enabled": False, "folder": "", "format": ""})
    old = vault / "2026-W11.md"
    old.write_text("## 💰 Weekly Token Accounting\n%% vaultledger:begin weekly %%\nold\n%% vaultledger:end weekly %%\n")
    assert rollup("--rebuild").exit_code == 0
    assert old.read_text().endswith("old\n%% vaultledger:end weekly %%\n")
    doctor = runner.invoke(app, ["doctor"])
    assert f"problem: {old}: a weekly section no rollup updates any more (weekly notes are off" in doctor.output


def test_a_note_where_the_settings_moved_the_folder_is_a_leftover(vault: Path, logs: Path, config: Path) -> None:
    config.write_text('[notes.quarterly]\nfolder = "Quarters"\n', encoding="utf-8")
    old = vault / "2026-Q1.md"
    old.write_text("%% vaultledger:begin quarterly %%\nx\n%% vaultledger:end quarterly %%\n")
    assert rollup().exit_code == 0
    doctor = runner.invoke(app, ["doctor"]).output
    assert f"{old}: a quarterly section no rollup updates any more (quarterly notes go to Quarters/YYYY-[Q]Q" in doctor
    assert str(vault / "Quarters/2026-Q1.md") not in doctor


def templater_vault(vault: Path) -> None:
    (vault / ".obsidian" / "daily-notes.json").write_text('{"template": "Daily"}', encoding="utf-8")
    (vault / "Templates").mkdir()
    (vault / "Templates" / "Daily.md").write_text("# <% tp.file.title %> {{date}}\n", encoding="utf-8")


def test_templater_templates_are_copied_with_their_commands_by_default(vault: Path, logs: Path, config: Path) -> None:
    templater_vault(vault)
    assert rollup("--day", "2026-03-14").exit_code == 0
    assert (vault / "2026-03-14.md").read_text(encoding="utf-8").startswith("# <% tp.file.title %> 2026-03-14\n")
    doctor = runner.invoke(app, ["doctor"]).output
    assert "uses Templater" in doctor and 'templater = "skip"' in doctor


def test_templater_skip_leaves_creating_notes_to_obsidian_per_kind(vault: Path, logs: Path, config: Path) -> None:
    templater_vault(vault)
    config.write_text('[notes]\ntemplater = "skip"\n', encoding="utf-8")
    assert rollup("--day", "2026-03-14").exit_code == 0
    assert not (vault / "2026-03-14.md").exists()
    config.write_text('[notes]\ntemplater = "skip"\n[notes.daily]\ntemplater = "create"\n', encoding="utf-8")
    assert rollup("--day", "2026-03-14").exit_code == 0
    assert (vault / "2026-03-14.md").exists()


def test_a_bad_templater_choice_is_a_config_error(vault: Path, logs: Path, config: Path) -> None:
    config.write_text('[notes]\ntemplater = "run"\n', encoding="utf-8")
    result = rollup("--day", "2026-03-14")
    assert result.exit_code == 1 and "templater must be" in result.output and "Traceback" not in result.output
