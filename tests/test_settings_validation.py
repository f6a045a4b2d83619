"""One validation: what a command refuses, `doctor` lists with the same words; logging goes on regardless."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.ops.validate import config_problems
from vaultledger.settings import resolve_settings

runner = CliRunner()

BAD_CONFIGS = {
    "budget in words": ('[budgets]\nmonthly = "fifty"\n', "budgets 'monthly' must be a number >= 0"),
    "week_doy out of range": ("week_doy = 100\n", "config 'week_doy': 100 does not fit weeks starting on sunday"),
    "week_doy for monday weeks": ('week_start = "monday"\nweek_doy = 0\n', "use a whole number from 1 to 7"),
    "templates not a path": ("templates = 42\n", "config 'templates' must be the path of a folder"),
    "negative budget": ("[budgets.project.orbis]\nquarterly = -5\n", "budgets 'quarterly' must be a number >= 0"),
    "bad webhook": ('[alerts]\nwebhook = "ftp://x"\n', "alerts.webhook must be an http:// or https:// URL"),
    "price in words": ('[[prices]]\nprovider = "acme"\nmodel = "m1"\ninput = "cheap"\noutput = 1\n',
                       "[[prices]] #1: 'input' must be a number >= 0"),
}


@pytest.fixture
def some_logs(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z"))
    return logs_dir


COMMANDS = (["report", "--day", "2026-03-14"], ["budget", "--month", "2026-03"],
            ["rollup", "--day", "2026-03-14", "--dry-run"], ["export", "--day", "2026-03-14"],
            ["archive", "--dry-run"], ["prices", "openai/gpt-4o"], ["import", "llm", "missing.db"])


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=list(BAD_CONFIGS))
def test_every_command_refuses_what_doctor_lists(case: str, some_logs: Path, tmp_path: Path, vault: Path) -> None:
    text, expected = BAD_CONFIGS[case]
    config = tmp_path / "vaultledger.toml"
    config.write_text(text)
    doctor = runner.invoke(app, ["doctor", "--config", str(config)])
    assert doctor.exit_code == 1 and expected in doctor.output, doctor.output
    [listed] = [line for line in doctor.output.splitlines() if expected in line]
    for command in COMMANDS:
        refused = runner.invoke(app, [*command, "--config", str(config)])
        assert refused.exit_code == 1, (command, refused.output)
        assert listed.removeprefix("problem: ") in refused.output, command  # the same words


def test_a_good_config_passes_everywhere(some_logs: Path, tmp_path: Path, vault: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('week_start = "monday"\nweek_doy = 4\ntemplates = "Templates"\nlocale = "de"\n'
                      '[budgets]\nmonthly = 50\n')
    assert config_problems(resolve_settings(config=config)) == []
    assert runner.invoke(app, ["doctor", "--config", str(config)]).exit_code == 0
    assert runner.invoke(app, ["report", "--config", str(config), "--day", "2026-03-14"]).exit_code == 0


def test_logging_goes_on_with_a_config_the_commands_refuse(logs_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('templates = 42\nweek_doy = 100\n[budgets]\nmonthly = "fifty"\n')
    result = runner.invoke(app, ["log", "--config", str(config), "--provider", "openai", "--model", "gpt-4o-mini",
                                 "--input-tokens", "10", "--output-tokens", "5", "--ts", "2026-03-14T09:00:00Z"])
    assert result.exit_code == 0, result.output
    assert json.loads((logs_dir / "2026-03-14.jsonl").read_text())["input_tokens"] == 10


def test_a_logs_folder_that_is_not_there_is_a_warning_in_reports_and_a_problem_in_doctor(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    for command in (["report"], ["report", "--format", "json"], ["export"], ["budget"]):
        result = runner.invoke(app, [*command, "--logs", str(typo), "--tz", "UTC"])
        assert result.exit_code == 0, result.output
        assert f"logs folder {typo} does not exist (from --logs)" in result.stderr
    doctor = runner.invoke(app, ["doctor", "--logs", str(typo), "--tz", "UTC"])
    assert doctor.exit_code == 1 and f"problem: logs folder {typo} does not exist" in doctor.output


def test_an_unknown_service_tier_is_named(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", service_tier="turbo"),
                call(ts="2026-03-14T10:00:00Z", service_tier="default"))
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1
    assert "unknown service tier 'turbo' (1 calls, priced as standard)" in doctor.output
    assert "'default'" not in doctor.output  # a provider's word for standard
    prices = runner.invoke(app, ["prices", "openai/gpt-4o-mini", "--service-tier", "turbo"])
    assert prices.exit_code == 0 and "'turbo' is not one SPEC §1 names" in prices.stderr
