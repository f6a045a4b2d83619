"""Golden vaults: each case is a vault as Obsidian leaves it (tests/golden/vaults/CASE/before, built from
the Obsidian settings in tests/fixtures/obsidian), rolled up by the real CLI's nightly run, and compared
file by file with CASE/after. Which notes exist, where, under which name and with which template text is
what these cases pin; the generated blocks are elided (their content is the sections' business).

Regenerate the after/ folders with VAULTLEDGER_REGENERATE_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.notes.locales import LOCALES
from vaultledger.notes.moment import format_moment

GOLDEN = Path(__file__).parent / "golden" / "vaults"
REGENERATE = os.environ.get("VAULTLEDGER_REGENERATE_GOLDEN") == "1"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())
DAYS = ("2026-03-14", "2026-03-15", "2026-03-16")  # a Saturday, a Sunday and a Monday
_BLOCK = re.compile(r"(%% vaultledger:begin (\w+) %%\n).*?(%% vaultledger:end \2 %%)", re.S)

runner = CliRunner()


def elided(text: str) -> str:
    return _BLOCK.sub(r"\1…\n\3", text)


def notes_in(folder: Path) -> dict[str, str]:
    """Every note and template outside `.obsidian`, by vault-relative path, blocks elided."""
    return {path.relative_to(folder).as_posix(): elided(path.read_text(encoding="utf-8"))
            for path in sorted(folder.rglob("*.md")) if ".obsidian" not in path.relative_to(folder).parts}


def prepared(case: str, tmp_path: Path) -> list[str]:
    """The case's vault and logs in tmp_path; the CLI arguments that name them."""
    vault = tmp_path / "vault"
    shutil.copytree(GOLDEN / case / "before", vault)
    logs = tmp_path / "logs"
    for day in DAYS:
        write_lines(logs / f"{day}.jsonl", call(ts=f"{day}T12:00:00Z", id=f"call-{day}"))
    args = ["--vault", str(vault), "--logs", str(logs), "--tz", "UTC"]
    config = GOLDEN / case / "config.toml"
    return [*args, "--config", str(config)] if config.is_file() else args


def rolled(case: str, tmp_path: Path) -> tuple[Path, str]:
    args = prepared(case, tmp_path)
    result = runner.invoke(app, ["rollup", *args])
    assert result.exit_code == 0, result.output
    return tmp_path / "vault", result.output


def golden_after(case: str) -> dict[str, str]:
    return notes_in(GOLDEN / case / "after")


@pytest.mark.parametrize("case", CASES)
def test_nightly_rollup_leaves_the_vault_as_the_golden_after_folder(case: str, tmp_path: Path) -> None:
    vault, _ = rolled(case, tmp_path)
    after = notes_in(vault)
    if REGENERATE:
        target = GOLDEN / case / "after"
        shutil.rmtree(target, ignore_errors=True)
        for relative, text in after.items():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_text(text, encoding="utf-8")
    assert after == golden_after(case)


@pytest.mark.parametrize("case", CASES)
def test_a_second_nightly_rollup_changes_nothing(case: str, tmp_path: Path) -> None:
    vault, _ = rolled(case, tmp_path)
    before = {path: path.read_bytes() for path in vault.rglob("*.md")}
    again = runner.invoke(app, ["rollup", "--rebuild", *prepared_args(tmp_path, case)])
    assert again.exit_code == 0 and "updated" not in again.output and "created" not in again.output, again.output
    assert {path: path.read_bytes() for path in vault.rglob("*.md")} == before


def prepared_args(tmp_path: Path, case: str) -> list[str]:
    args = ["--vault", str(tmp_path / "vault"), "--logs", str(tmp_path / "logs"), "--tz", "UTC"]
    config = GOLDEN / case / "config.toml"
    return [*args, "--config", str(config)] if config.is_file() else args


def test_every_case_starts_from_a_vault() -> None:
    assert all((GOLDEN / case / "before" / ".obsidian").is_dir() for case in CASES)
    assert len(CASES) >= 8


# ---- parsed assertions a regenerated golden cannot fake


def kinds_written(vault: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for relative, text in notes_in(vault).items():
        for kind in re.findall(r"%% vaultledger:begin (\w+) %%", text):
            found.setdefault(kind, []).append(relative)
    return found


def test_a_vault_with_only_core_daily_notes_gets_daily_notes_and_says_how_to_enable_the_rest(tmp_path: Path) -> None:
    vault, output = rolled("core-daily-only", tmp_path)
    written = kinds_written(vault)
    assert written.pop("weekly") == ["2026-W10.md"]  # the old rule's note, left alone
    assert written == {"daily": [f"Journal/2026/03/{day}.md" for day in DAYS]}
    [hint] = [line for line in output.splitlines() if line.startswith("note: ")]
    assert hint.startswith("note: weekly, monthly, quarterly and yearly notes are off in this vault")
    assert all(f"[notes.{kind}]" in hint for kind in ("weekly", "monthly", "quarterly", "yearly"))
    assert output.splitlines()[-1] == "created 3"  # the summary stays the last line
    assert (vault / "2026-W10.md").read_text(encoding="utf-8") == \
        (GOLDEN / "core-daily-only" / "before" / "2026-W10.md").read_text(encoding="utf-8")


def test_doctor_names_the_leftover_and_the_kinds_that_are_off(tmp_path: Path) -> None:
    rolled("core-daily-only", tmp_path)
    doctor = runner.invoke(app, ["doctor", *prepared_args(tmp_path, "core-daily-only")])
    assert doctor.exit_code == 1
    leftover = [line for line in doctor.output.splitlines() if "2026-W10.md" in line]
    assert len(leftover) == 1 and "weekly notes are off in this vault" in leftover[0]
    assert "note:      weekly, monthly, quarterly and yearly notes are off in this vault" in doctor.output


def test_periodic_notes_puts_each_enabled_kind_in_its_folder_and_nothing_else(tmp_path: Path) -> None:
    vault, output = rolled("periodic-notes-0.0.17", tmp_path)
    assert kinds_written(vault) == {
        "daily": [f"Daily/{day}.md" for day in DAYS],
        "weekly": ["Weekly/2026-W11.md", "Weekly/2026-W12.md"],  # en weeks start on Sunday
        "quarterly": ["Quarterly/2026-Q1.md"],
    }
    assert "note: monthly and yearly notes are off" in output and "turn them on in Periodic Notes' settings" in output
    assert (vault / "Weekly/2026-W12.md").read_text(encoding="utf-8").startswith("# 2026-W12\n\nMon 16 Mar – Sun 15 Mar")


def test_periodic_notes_1x_writes_iso_weeks_and_a_yearly_note(tmp_path: Path) -> None:
    vault, _ = rolled("periodic-notes-1.x", tmp_path)
    written = kinds_written(vault)
    assert written["weekly"] == ["Weekly/2026-W11.md", "Weekly/2026-W12.md"]  # ISO: Sunday the 15th is in W11
    assert written["yearly"] == ["Years/2026.md"]
    assert "## 💰 Yearly LLM Costs" in (vault / "Years/2026.md").read_text(encoding="utf-8")


def test_a_disabled_plugins_settings_are_not_followed(tmp_path: Path) -> None:
    vault, _ = rolled("periodic-notes-disabled", tmp_path)
    assert kinds_written(vault) == {"daily": [f"{day}.md" for day in DAYS]}
    doctor = runner.invoke(app, ["doctor", *prepared_args(tmp_path, "periodic-notes-disabled")])
    assert "periodic-notes plugin is not enabled" in doctor.output


def test_calendar_weeks_and_names_follow_its_locale_and_week_start(tmp_path: Path) -> None:
    vault, _ = rolled("calendar-weekly-de", tmp_path)
    german = LOCALES["de"]
    daily = [f"Tagebuch/{format_moment(date.fromisoformat(day), 'dddd, D. MMMM YYYY', locale=german)}.md" for day in DAYS]
    assert sorted(kinds_written(vault)["daily"]) == sorted(daily) and "Tagebuch/Samstag, 14. März 2026.md" in daily
    # Monday weeks with de's doy 4: Sunday the 15th closes KW11, Monday the 16th opens KW12.
    assert kinds_written(vault)["weekly"] == ["Wochen/2026-KW11.md", "Wochen/2026-KW12.md"]
    assert (vault / "Wochen/2026-KW12.md").read_text(encoding="utf-8").startswith("# 2026-KW12\n\nMo 16. März bis So 22. März")


def test_a_moved_note_is_updated_where_it_is_and_a_linked_template_is_found(tmp_path: Path) -> None:
    vault, output = rolled("moved-note-and-linked-template", tmp_path)
    assert not (vault / "Daily/2026-03-14.md").exists()
    moved = (vault / "Daily/2026/2026-03-14.md").read_text(encoding="utf-8")
    assert moved.startswith("# 2026-03-14\n\nMoved here by hand.\n\n## 💰 Token Usage Today\n")
    assert (vault / "Daily/2026-03-15.md").read_text(encoding="utf-8").startswith("# 2026-03-15\n\n## Log\n")
    assert "warning" not in output


def test_templater_templates_are_left_to_obsidian_when_the_config_says_skip(tmp_path: Path) -> None:
    vault, _ = rolled("templater-skip", tmp_path)
    assert kinds_written(vault) == {"daily": ["2026-03-14.md"]}  # only the note Obsidian already made
    doctor = runner.invoke(app, ["doctor", *prepared_args(tmp_path, "templater-skip")])
    assert "Templates/Daily.md uses Templater" in doctor.output and "left for Obsidian to create" in doctor.output


def test_russian_months_decline_after_a_day_only(tmp_path: Path) -> None:
    vault, _ = rolled("config-locale-ru", tmp_path)
    written = kinds_written(vault)
    assert written["daily"] == ["Дни/14 марта 2026.md", "Дни/15 марта 2026.md", "Дни/16 марта 2026.md"]
    assert written["monthly"] == ["Месяцы/март 2026.md"]


def test_the_real_entry_point_writes_the_same_vault(tmp_path: Path) -> None:
    args = prepared("calendar-weekly-de", tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "vaultledger", "rollup", *args], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert notes_in(tmp_path / "vault") == golden_after("calendar-weekly-de")
