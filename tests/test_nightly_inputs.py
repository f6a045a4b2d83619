"""Notes follow what they were computed from: a changed price, budget, time zone, note setting or template
makes the next nightly run rewrite the notes already written, and `rollup --rebuild` forces it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from conftest import call, enable_periodic_notes, write_lines
from vaultledger.cli import app
from vaultledger.ledger import Ledger
from vaultledger.notes.inputs import inputs_fingerprint
from vaultledger.notes.nightly import STATE_FILE
from vaultledger.notes.rollup import Rollup
from vaultledger.settings import Setting, resolve_settings

runner = CliRunner()

MYSTERY = "| acme | $0.00 | 100 % | 2 | 2,000,000 | 0 | 2 |"
PRICED = "| acme | $10.00 | 100 % | 2 | 2,000,000 | 0 |"


def rollup(*args: str) -> str:
    result = runner.invoke(app, ["rollup", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vaultledger.toml"
    path.write_text("")
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(path))
    return path


@pytest.fixture
def notes(vault: Path, logs_dir: Path, config: Path) -> dict[str, Path]:
    """Two unpriced calls in March 2026, rolled up by a first nightly run into two day notes, a week's and a
    quarter's."""
    enable_periodic_notes(vault, "weekly", "quarterly")
    for day in ("2026-03-10", "2026-03-11"):
        write_lines(logs_dir / f"{day}.jsonl", call(ts=f"{day}T12:00:00Z", provider="acme", model="frobnicator-9000",
                                                    input_tokens=1_000_000, output_tokens=0))
    rollup()
    paths = {"day": vault / "2026-03-10.md", "week": vault / "2026-W11.md", "quarter": vault / "2026-Q1.md"}
    for path in paths.values():
        os.utime(path, ns=(10**9, 10**9))
    return paths


PRICE = '[[prices]]\nprovider = "acme"\nmodel = "frobnicator-*"\ninput = 5.00\noutput = 10.00\n'


def test_a_new_price_entry_rewrites_every_note_already_written(notes: dict[str, Path], config: Path) -> None:
    assert MYSTERY in notes["week"].read_text()
    config.write_text(PRICE)
    output = rollup()
    for path in notes.values():
        text = path.read_text()
        assert "unpriced" not in text and f"updated     {path}" in output, path.name
    assert "**$5.00** · 1 call" in notes["day"].read_text()
    assert PRICED in notes["week"].read_text() and PRICED in notes["quarter"].read_text()


def test_after_the_rewrite_the_nightly_run_rests_again(notes: dict[str, Path], config: Path) -> None:
    config.write_text(PRICE)
    rollup()
    for path in notes.values():
        os.utime(path, ns=(10**9, 10**9))
    assert "updated" not in rollup()
    assert all(path.stat().st_mtime_ns == 10**9 for path in notes.values())


@pytest.mark.parametrize("change,kind,shows", [
    ("[budgets]\nmonthly = 1\n", "day", "Monthly budget (all usage)"),
    ("[budgets]\nquarterly = 100\n", "quarter", "Quarterly budget (all usage)"),
])
def test_a_budget_change_rewrites_the_notes(notes: dict[str, Path], config: Path, change: str, kind: str,
                                            shows: str) -> None:
    assert shows not in notes[kind].read_text()
    config.write_text(change)
    rollup()
    assert shows in notes[kind].read_text()


def test_a_changed_section_template_rewrites_the_notes(notes: dict[str, Path], config: Path, tmp_path: Path) -> None:
    templates = tmp_path / "my-templates"
    templates.mkdir()
    (templates / "daily.md.j2").write_text("Calls: {{ total.calls }}\n")
    config.write_text('templates = "my-templates"\n')
    rollup()
    assert "%% vaultledger:begin daily %%\nCalls: 1\n\n%% vaultledger:end daily %%" in notes["day"].read_text()
    (templates / "daily.md.j2").write_text("Calls today: {{ total.calls }}\n")
    rollup()
    assert "Calls today: 1" in notes["day"].read_text()


def test_a_day_that_lost_all_its_usage_says_so(notes: dict[str, Path], config: Path) -> None:
    # In Tokyo, the call made at noon UTC on the 10th still falls on the 10th; one at 23:00 UTC does not.
    write_lines(Path(os.environ["VAULTLEDGER_LOGS"]) / "2026-03-09.jsonl",
                call(ts="2026-03-09T23:00:00Z", provider="acme", model="frobnicator-9000"))
    rollup()
    day = notes["day"].parent / "2026-03-09.md"
    assert "1 call" in day.read_text()
    config.write_text('timezone = "Asia/Tokyo"\n')
    os.environ.pop("VAULTLEDGER_TZ")  # the fixture's UTC would outrank the config
    rollup()
    assert "No LLM calls logged on 2026-03-09." in day.read_text()


def test_a_week_that_lost_all_its_usage_says_so(notes: dict[str, Path], vault: Path) -> None:
    logs = Path(os.environ["VAULTLEDGER_LOGS"])
    for name in ("2026-03-10.jsonl", "2026-03-11.jsonl"):
        (logs / name).rename(logs / f"{name}.moved-away")
    rollup()
    assert "No LLM calls logged in 2026-W11." in notes["week"].read_text()
    assert "No LLM calls logged on 2026-03-10." in notes["day"].read_text()


def test_rebuild_rewrites_what_the_state_calls_current(notes: dict[str, Path]) -> None:
    stale = notes["week"].read_text().replace(MYSTERY, "| stale row |")
    notes["week"].write_text(stale)
    assert "updated" not in rollup()
    assert notes["week"].read_text() == stale
    output = rollup("--rebuild")
    assert f"updated     {notes['week']}" in output and MYSTERY in notes["week"].read_text()


def test_rebuild_of_a_period_rolls_its_days_weeks_and_quarter(notes: dict[str, Path], config: Path) -> None:
    config.write_text(PRICE)
    output = rollup("--rebuild", "--month", "2026-03")  # monthly notes are off: the other kinds still roll
    assert all(PRICED in notes[kind].read_text() for kind in ("week", "quarter"))
    assert "unpriced" not in notes["day"].read_text()
    assert "created" not in output and not (notes["day"].parent / "2026-03.md").exists()


def test_a_state_from_before_fingerprints_counts_as_changed_inputs(notes: dict[str, Path], tmp_path: Path) -> None:
    state_path = tmp_path / "cache" / STATE_FILE
    state = json.loads(state_path.read_text())
    ((key, entry),) = state.items()
    state_path.write_text(json.dumps({key: entry["files"]}))  # the shape older versions saved
    stale = notes["week"].read_text().replace(MYSTERY, "| stale row |")
    notes["week"].write_text(stale)
    rollup()
    assert MYSTERY in notes["week"].read_text()
    assert json.loads(state_path.read_text())[key] == entry


def test_a_dry_run_rewrites_nothing_and_saves_no_state(notes: dict[str, Path], config: Path, tmp_path: Path) -> None:
    state = (tmp_path / "cache" / STATE_FILE).read_bytes()
    config.write_text(PRICE)
    output = rollup("--dry-run")
    assert f"would update {notes['week']}" in output and "would update 4" in output
    assert MYSTERY in notes["week"].read_text() and (tmp_path / "cache" / STATE_FILE).read_bytes() == state


# ---------------------------------------------------------------- the fingerprint itself


def fingerprint_with(vault: Path, **changes: object) -> str:
    settings = msgspec.structs.replace(resolve_settings(), **changes)
    return inputs_fingerprint(Rollup(settings, vault, Ledger.from_settings(settings)))


def test_the_fingerprint_follows_every_input_and_nothing_else(vault: Path, logs_dir: Path, tmp_path: Path) -> None:
    base = fingerprint_with(vault)
    assert fingerprint_with(vault) == base
    changed = {
        "prices": [{"provider": "acme", "model": "x", "input": 1, "output": 1}],
        "budgets": {"monthly": 5},
        "timezone": Setting("Europe/Berlin", "test"),
        "week_start": Setting("monday", "test"),
        "week_doy": 4,
        "notes": {"daily": {"folder": "Journal"}},
        "properties": True,
        "templates_dir": tmp_path,
    }
    for key, value in changed.items():
        assert fingerprint_with(vault, **{key: value}) != base, key
    unchanged = {"alerts": {"webhook": "http://localhost/x"}, "cache_dir": Setting(tmp_path / "elsewhere", "test")}
    for key, value in unchanged.items():
        assert fingerprint_with(vault, **{key: value}) == base, key


def test_the_fingerprint_is_the_same_in_every_process(vault: Path, logs_dir: Path, config: Path) -> None:
    config.write_text(PRICE + 'valid_from = 2026-01-01\n[budgets]\nmonthly = 50\n[budgets.project.orbis]\nquarterly = 60\n')
    script = ("from pathlib import Path; from vaultledger.settings import resolve_settings; "
              "from vaultledger.ledger import Ledger; from vaultledger.notes.rollup import Rollup; "
              "from vaultledger.notes.inputs import inputs_fingerprint as f; s = resolve_settings(); "
              f"print(f(Rollup(s, Path({str(vault)!r}), Ledger.from_settings(s))))")
    prints = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                             capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(prints) == 1 and len(prints.pop().strip()) == 16
