"""Golden notes, before and after a rollup: each case is a note as a user (or an older vaultledger) left
it, and the note the bundled templates make of it. `VAULTLEDGER_UPDATE_GOLDEN=1` rewrites the `after`
files; review the diff like any change of what users read. The same notes then go through the checks
of test_sections, which a golden file written by the code under test could not fake."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_sections import PERIODIC_NOTES, WIKILINK, CODE_SPAN, callouts, first_numeric_column, money, tables, \
    write_usage
from vaultledger.cli import app
from vaultledger.pricing import format_usd

GOLDEN = Path(__file__).parent / "golden" / "notes"
UPDATE = os.environ.get("VAULTLEDGER_UPDATE_GOLDEN") == "1"
CONFIG = """\
properties = true

[budgets]
daily = 0.06
weekly = 0.28
monthly = 0.7
quarterly = 3

[budgets.project.poetry]
monthly = 0.3
"""
# case: (note path in the vault, rollup arguments)
CASES = {
    "daily_budgets_nearly_used": ("Journal/Daily/2026/03/2026-03-20.md", ["--day", "2026-03-20"]),
    "daily_over_budget": ("Journal/Daily/2026/03/2026-03-28.md", ["--day", "2026-03-28"]),
    "daily_budgets_on_track": ("Journal/Daily/2026/02/2026-02-03.md", ["--day", "2026-02-03"]),
    "weekly": ("Journal/Weekly/2026-W12.md", ["--week", "2026-W12"]),
    "weekly_after_an_empty_week": ("Journal/Weekly/2025-W40.md", ["--week", "2025-W40"]),
    "monthly": ("Journal/Monthly/2026-03.md", ["--month", "2026-03"]),
    "quarterly_first": ("Journal/Quarterly/2025-Q4.md", ["--quarter", "2025Q4"]),
    "quarterly": ("Journal/Quarterly/2026-Q1.md", ["--quarter", "2026Q1"]),
}


def invoke(world: Path, *args: str) -> str:
    """The CLI, with every setting named, since a module-wide vault outlives each test's isolated home."""
    env = {"HOME": str(world / "home"), "XDG_CONFIG_HOME": str(world / "home" / ".config"),
           "XDG_CACHE_HOME": str(world / "home" / ".cache"), "VAULTLEDGER_CACHE_DIR": str(world / "cache"),
           "VAULTLEDGER_CONFIG": None, "VAULTLEDGER_VAULT": None, "VAULTLEDGER_LOGS": None, "VAULTLEDGER_TZ": None}
    result = CliRunner().invoke(app, ["rollup", *args, "--vault", str(world / "vault"), "--logs", str(world / "logs"),
                                      "--tz", "UTC", "--config", str(world / "vaultledger.toml")],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two quarters of logs and a vault the nightly run has written, made once for every case."""
    world = tmp_path_factory.mktemp("golden")
    write_usage(world / "logs", dt.date(2025, 10, 1), dt.date(2026, 3, 31), busier_from=dt.date(2026, 3, 16))
    plugin = world / "vault" / ".obsidian" / "plugins" / "periodic-notes"
    plugin.mkdir(parents=True)
    (plugin / "data.json").write_text(json.dumps(PERIODIC_NOTES))
    (world / "vault" / ".obsidian" / "community-plugins.json").write_text('["periodic-notes"]')  # enabled
    (world / "vaultledger.toml").write_text(CONFIG)
    invoke(world, "--quiet")
    return world


@pytest.fixture
def journal(world: Path, tmp_path: Path) -> Path:
    """A copy of the nightly-written world, so each case changes only its own."""
    copy = tmp_path / "world"
    shutil.copytree(world, copy, symlinks=True)
    return copy


def roll(journal: Path, case: str) -> tuple[Path, str]:
    relative, args = CASES[case]
    note = journal / "vault" / relative
    note.write_bytes((GOLDEN / f"{case}.before.md").read_bytes())
    invoke(journal, *args)
    return note, note.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_note_after_a_rollup_is_the_golden_one(journal: Path, case: str) -> None:
    _, after = roll(journal, case)
    golden = GOLDEN / f"{case}.after.md"
    if UPDATE:
        golden.write_text(after, encoding="utf-8")
    assert after == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_golden_notes_pass_the_readers_checks(journal: Path, case: str) -> None:
    note, after = roll(journal, case)
    before = (GOLDEN / f"{case}.before.md").read_text(encoding="utf-8")
    user_text = before.split("## 💰", 1)[0]
    assert after.split("---\n", 2)[-1].startswith(user_text.split("---\n", 2)[-1])  # the user's text stays
    for lines in callouts(after):
        assert not any("[!" in line for line in lines[1:]), lines  # one callout per block
    for table in tables(after):
        assert first_numeric_column(table) in ("Cost", "Spent"), table.header
        for name, cost in (("Share", "Cost"), ("Used", "Spent")):
            if name in table.header:
                assert all(share != "0 %" or money(spent) == 0
                           for share, spent in zip(table.column(name), table.column(cost)))
        if "Left" in table.header:
            for spent, limit, left in zip(table.column("Spent"), table.column("Limit"), table.column("Left")):
                assert left == format_usd(money(limit) - money(spent))
    for target in WIKILINK.findall(CODE_SPAN.sub("", after)):
        assert (journal / "vault" / f"{target}.md").is_file(), target
