"""`vaultledger statusline` as Claude Code runs it: a process fed the status-line JSON on stdin, printing
one line: today's spend from the logs, the session's cost apart, the tightest budget coloured."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.cli.statusline_run import STATUSLINE_VALUE_FLAGS

runner = CliRunner()
# What Claude Code sends on stdin, as its status-line documentation shows it (code.claude.com/docs/en/statusline).
CLAUDE_CODE_STATUS = {
    "hook_event_name": "Status",
    "session_id": "abc123-4f5e-6d7c",
    "transcript_path": "/home/me/.claude/projects/-home-me-orbis/abc123-4f5e-6d7c.jsonl",
    "cwd": "/home/me/orbis",
    "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
    "workspace": {"current_dir": "/home/me/orbis", "project_dir": "/home/me/orbis"},
    "version": "1.0.80",
    "output_style": {"name": "default"},
    "cost": {"total_cost_usd": 0.01234, "total_duration_ms": 45000, "total_api_duration_ms": 2300,
             "total_lines_added": 156, "total_lines_removed": 23},
    "context_window": {"total_input_tokens": 15234, "total_output_tokens": 4521, "context_window_size": 200000,
                       "current_usage": {"input_tokens": 8500, "output_tokens": 1200,
                                         "cache_creation_input_tokens": 5000, "cache_read_input_tokens": 2000},
                       "used_percentage": 8, "remaining_percentage": 92},
    "exceeds_200k_tokens": False,
}
BUDGETS = """
[budgets]
daily = 5

[budgets.project.orbis]
daily = 1.5
"""


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Today (UTC): $1.25 of Claude Code calls for orbis, $0.25 elsewhere, an unpriced call; yesterday $10."""
    logs = tmp_path / "logs"
    day, before = today(), today() - dt.timedelta(days=1)
    write_lines(logs / f"{day}.jsonl",
                call(ts=f"{day}T00:00:01Z", provider="anthropic", model="claude-opus-4-1", app="claude-code",
                     project="orbis", cost_usd=1.25, session="abc123-4f5e-6d7c"),
                call(ts=f"{day}T00:00:02Z", cost_usd=0.25),
                call(ts=f"{day}T00:00:03Z", provider="acme", model="mystery"))
    write_lines(logs / f"{before}.jsonl", call(ts=f"{before}T12:00:00Z", project="orbis", cost_usd=10))
    path = tmp_path / "vaultledger.toml"
    path.write_text(f'timezone = "UTC"\nlogs = "logs"\n{BUDGETS}', encoding="utf-8")
    return path


def statusline(config: Path, stdin: str | bytes = json.dumps(CLAUDE_CODE_STATUS), *args: str,
               colour: bool = False) -> subprocess.CompletedProcess[str]:
    """The whole process, as Claude Code starts it; skipped if midnight (UTC) passes while it runs."""
    env = {**os.environ, "VAULTLEDGER_CONFIG": str(config)}
    env.pop("NO_COLOR", None)
    if not colour:
        env["NO_COLOR"] = "1"
    day = today()
    done = subprocess.run([sys.executable, "-m", "vaultledger", "statusline", *args], input=stdin, env=env,
                          capture_output=True, text=isinstance(stdin, str), timeout=120)
    if today() != day:
        pytest.skip("midnight passed while the status line was worked out")
    if not isinstance(stdin, str):
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())
    return done


def test_the_line_shows_today_the_session_apart_and_the_tightest_budget(config: Path) -> None:
    done = statusline(config)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "$1.50 today +1 unpriced · session $0.01 · 83 % of orbis daily $1.50\n"


def test_the_sessions_cost_is_never_added_to_today(config: Path) -> None:
    status = {**CLAUDE_CODE_STATUS, "cost": {**CLAUDE_CODE_STATUS["cost"], "total_cost_usd": 40}}
    assert statusline(config, json.dumps(status)).stdout == (
        "$1.50 today +1 unpriced · session $40.00 · 83 % of orbis daily $1.50\n")


def test_levels_are_coloured_and_no_color_turns_colour_off(config: Path) -> None:
    coloured = statusline(config, colour=True).stdout
    assert coloured == ("$1.50 today \x1b[33m+1 unpriced\x1b[0m · \x1b[2msession $0.01\x1b[0m · "
                        "\x1b[33m83 % of orbis daily $1.50\x1b[0m\n")
    config.write_text(config.read_text().replace("daily = 1.5", "daily = 1"), encoding="utf-8")
    assert "\x1b[1;31m125 % of orbis daily $1.00\x1b[0m" in statusline(config, colour=True).stdout
    config.write_text(config.read_text().replace("daily = 1\n", "daily = 100\n").replace("daily = 5", "daily = 50"),
                      encoding="utf-8")
    assert "\x1b[32m3 % of daily $50.00\x1b[0m" in statusline(config, colour=True).stdout
    assert "\x1b" not in statusline(config).stdout


@pytest.mark.parametrize("stdin,warning", [
    ("", None),
    (json.dumps({"session_id": "s", "model": {"display_name": "Opus"}}), None),
    ('{"cost": {"total_cost_usd": 0.5', "stdin: not Claude Code's status-line JSON"),
    ('[1, 2]', "stdin: not Claude Code's status-line JSON (a list, not an object)"),
    (json.dumps({"cost": {"total_cost_usd": "0.5"}}), "cost.total_cost_usd must be a number of dollars >= 0, got '0.5"),
    (json.dumps({"cost": {"total_cost_usd": -1}}), "cost.total_cost_usd must be a number of dollars >= 0, got -1"),
    (json.dumps({"cost": {"total_cost_usd": True}}), "got True"),
    (b"\xff\xfe{not utf-8", "stdin: not Claude Code's status-line JSON"),
])
def test_odd_input_still_shows_today_without_a_session_cost(config: Path, stdin: str | bytes,
                                                            warning: str | None) -> None:
    done = statusline(config, stdin)
    assert done.returncode == 0
    assert done.stdout == "$1.50 today +1 unpriced · 83 % of orbis daily $1.50\n"
    if warning:
        assert done.stderr.startswith("vaultledger: warning: ") and warning in done.stderr
        assert done.stderr.count("\n") == 1
    else:
        assert done.stderr == ""


def test_without_budgets_or_logs_the_line_says_what_there_is(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('timezone = "UTC"\nlogs = "logs"\n', encoding="utf-8")
    assert statusline(config).stdout == "$0.00 today · session $0.01\n"


def test_a_wrong_config_is_one_line_on_stderr_and_exit_1(config: Path) -> None:
    config.write_text(config.read_text().replace("daily = 5", "daily = -5"), encoding="utf-8")
    done = statusline(config)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"vaultledger: {config}: budgets 'daily' must be a number >= 0, got -5\n"


def test_budget_names_cannot_steer_the_terminal(config: Path) -> None:
    config.write_text(config.read_text().replace("[budgets.project.orbis]", '[budgets.project."or\\u001b[2Jbis"]'),
                      encoding="utf-8")
    write_lines(config.parent / "logs" / f"{today()}.jsonl",
                call(ts=f"{today()}T00:00:04Z", project="or\x1b[2Jbis", cost_usd=1))
    line = statusline(config).stdout
    assert "\x1b" not in line and "of or [2Jbis daily $1.50" in line


def test_the_fast_path_knows_exactly_the_typer_statusline_flags() -> None:
    command = get_command(app).commands["statusline"]  # type: ignore[attr-defined]
    assert {opt for param in command.params for opt in param.opts} - {"--help", "-h"} == set(STATUSLINE_VALUE_FLAGS)


def test_the_fast_path_prints_what_typer_prints(config: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stdin = json.dumps(CLAUDE_CODE_STATUS)
    args = ["statusline", "--config", str(config), "--tz", "UTC"]
    by_typer = runner.invoke(app, args, input=stdin)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert answer_quickly(args) == 0
    assert capsys.readouterr().out == by_typer.stdout and by_typer.exit_code == 0
    assert by_typer.stdout.startswith("$1.50 today")


@pytest.mark.parametrize("args", [["statusline", "--help"], ["statusline", "--bogus"], ["statusline", "--tz"]])
def test_help_and_mistakes_are_left_to_typer(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert answer_quickly(args) is None
    assert capsys.readouterr() == ("", "")


def test_a_warm_status_line_after_new_lines_loads_no_heavy_library(config: Path) -> None:
    """It runs on every prompt: typer, rich, jinja2, pydantic never; genai-prices only while no cache
    folder remembers the day's prices (here every call has its cost, but for `mystery`)."""
    probe = ("import atexit, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', 'statusline']\n"
             "atexit.register(lambda: print(sorted(m for m in ('typer', 'rich', 'jinja2', 'pydantic', 'genai_prices')"
             " if m in sys.modules), file=sys.stderr))\nmain()")
    env = {**os.environ, "VAULTLEDGER_CONFIG": str(config), "NO_COLOR": "1"}
    loaded = []
    for _ in range(2):
        write_lines(config.parent / "logs" / f"{today()}.jsonl",
                    *[call(ts=f"{today()}T00:00:05Z", project="orbis", cost_usd=0.01) for _ in range(10)])
        done = subprocess.run([sys.executable, "-c", probe], input=json.dumps(CLAUDE_CODE_STATUS), env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        loaded.append(done.stderr.strip().splitlines()[-1])
    assert loaded[1] == "[]"
    assert done.stdout.startswith("$1.70 today")
