"""The command line as users meet it: CliRunner for behaviour, subprocesses for the real entry point."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import call, enable_periodic_notes, write_lines
from vaultledger.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str):
    return runner.invoke(app, list(args))


def all_commands() -> list[list[str]]:
    """Every command path, e.g. ["rollup"], ["schedule", "install"]."""
    paths = []

    def walk(command, prefix):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(get_command(app), [])
    return paths


def test_help_lists_every_spec_command() -> None:
    result = invoke("--help")
    for name in ("log", "rollup", "watch", "report", "export", "prices", "budget", "doctor", "schedule", "import"):
        assert re.search(rf"^\s+{name}\s", result.output, re.M), name


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert "Example: vaultledger " + " ".join(path) in result.output


def test_log_appends_the_same_line_log_usage_would(logs_dir: Path) -> None:
    result = invoke("log", "--provider", "openai", "--model", "gpt-4o-mini", "--input-tokens", "1200",
                    "--output-tokens", "300", "--app", "mybot", "--tag", "a", "--tag", "b", "--cost-usd", "0.0012",
                    "--ts", "2026-03-14T09:00:00+01:00", "--id", "r1")
    assert result.exit_code == 0, result.output
    line = json.loads((logs_dir / "2026-03-14.jsonl").read_text())
    assert line == {"v": 1, "ts": "2026-03-14T09:00:00+01:00", "provider": "openai", "model": "gpt-4o-mini",
                    "input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.0012, "id": "r1", "app": "mybot",
                    "tags": ["a", "b"]}


@pytest.mark.parametrize("args,message", [
    (["--input-tokens", "-3"], "input_tokens"),
    (["--cache-read-tokens", "5000"], "cache_read_tokens + cache_write_tokens"),
    (["--ts", "yesterday"], "ts"),
    (["--cost-usd", "lots"], "--cost-usd"),
])
def test_log_with_bad_values_exits_1_and_writes_nothing(logs_dir: Path, args: list[str], message: str) -> None:
    base = {"--provider": "openai", "--model": "m", "--input-tokens": "10", "--output-tokens": "5"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = invoke("log", *[item for pair in base.items() for item in pair])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not logs_dir.exists()


def test_missing_required_flag_is_a_usage_error() -> None:
    assert invoke("log", "--provider", "openai").exit_code == 2


@pytest.fixture
def month_logs(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2026-03-14.jsonl",
                call(ts="2026-03-14T09:00:00Z", project="poetry", use_case="poem", id="x1"),
                call(ts="2026-03-14T09:00:00Z", project="poetry", use_case="poem", id="x1"),
                call(ts="2026-03-14T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5", input_tokens=2000,
                     output_tokens=100),
                "not json")
    write_lines(logs_dir / "2026-03-20.jsonl", call(ts="2026-03-20T09:00:00Z", provider="acme", model="m1"))
    return logs_dir


def test_report_json_has_the_spec_shape(month_logs: Path) -> None:
    result = invoke("report", "--month", "2026-03", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == {"kind": "month", "key": "2026-03", "start": "2026-03-01", "end": "2026-03-31"}
    totals = report["totals"]
    assert set(totals) >= {"calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                           "reasoning_tokens", "cost_usd", "unpriced_calls"}
    assert totals["calls"] == 3 and totals["unpriced_calls"] == 1
    assert totals["cost_usd"] == pytest.approx(0.00045 + 0.0075, abs=1e-9)
    assert [row["key"] for row in report["by_provider"]] == ["anthropic", "openai", "acme"]
    assert set(report["by_provider"][0]) >= {"key", "calls", "input_tokens", "output_tokens", "cost_usd"}
    assert [row["key"] for row in report["by_project"]] == [None, "poetry"]
    assert report["problems"] == {"invalid_lines": 1, "duplicates": 1, "stray_lines": 0, "truncated_files": 0,
                                  "unknown_tiers": 0, "truncated": [], "outliers": [], "dropped_records": 0, "guessed_providers": 0, "tier_fallbacks": 0,
                                  "conflict_copies": []}


def test_report_csv_and_table(month_logs: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("report", "--month", "2026-03", "--format", "csv",
                                                  "--by", "model").output)))
    assert sum(float(row["cost_usd"]) for row in rows) == pytest.approx(0.00795) and "TOTAL" not in str(rows)
    table = invoke("report", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "project").output
    assert "poetry" in table and "unpriced: acme/m1" in table and "1 invalid log lines skipped" in table


def test_export_streams_records_with_cost_and_source(month_logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "march.jsonl"
    result = invoke("export", "--month", "2026-03", "--format", "jsonl", "--output", str(out))
    assert result.exit_code == 0 and "exported 3 records" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["cost_usd"] for row in rows][:1] == [0.0075] or 0.0075 in [row["cost_usd"] for row in rows]
    assert {row["price_source"].split(":")[0] for row in rows} >= {"unpriced"}
    as_json = json.loads(invoke("export", "--month", "2026-03", "--format", "json").stdout)
    assert len(as_json) == 3


def test_prices_shows_rates_source_and_estimate() -> None:
    result = invoke("prices", "openai/gpt-4o-mini", "--input-tokens", "1000", "--output-tokens", "500")
    assert result.exit_code == 0
    assert "$0.00045" in result.output and "input $0.15" in result.output and "genai-prices" in result.output
    unknown = invoke("prices", "acme/nothing")
    assert unknown.exit_code == 1 and "[[prices]]" in unknown.output


def test_doctor_lists_settings_with_sources_and_every_bad_line(month_logs: Path, vault: Path) -> None:
    result = invoke("doctor")
    assert result.exit_code == 1
    assert f"logs:      {month_logs}  [VAULTLEDGER_LOGS]" in result.output
    assert f"{month_logs / '2026-03-14.jsonl'}:4: not JSON" in result.output
    assert "unknown model acme/m1" in result.output
    (month_logs / "2026-03-14.jsonl").unlink()
    (month_logs / "2026-03-20.jsonl").unlink()
    assert invoke("doctor").exit_code == 0


def test_a_broken_config_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("timezone = 'Mars/Olympus'\n")
    result = invoke("report", "--config", str(config))
    assert result.exit_code == 1 and "unknown time zone" in result.output
    assert invoke("report", "--config", str(tmp_path / "missing.toml")).exit_code == 1


def test_environment_beats_config_and_flags_beat_environment(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('logs = "from-config"\ntimezone = "Asia/Tokyo"\n')
    monkeypatch.setenv("VAULTLEDGER_TZ", "Europe/Berlin")
    output = invoke("doctor", "--config", str(config), "--tz", "UTC").output
    assert "timezone:  UTC  [--tz]" in output
    assert f"logs:      {tmp_path / 'from-config'}  [config 'logs']" in output
    output = invoke("doctor", "--config", str(config)).output
    assert "timezone:  Europe/Berlin  [VAULTLEDGER_TZ]" in output


def test_the_real_entry_point_logs_and_reports(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VAULTLEDGER_LOGS": str(tmp_path / "logs"),
           "VAULTLEDGER_TZ": "UTC", "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    base = [sys.executable, "-m", "vaultledger"]
    logged = subprocess.run([*base, "log", "--provider", "openai", "--model", "gpt-4o-mini", "--input-tokens",
                             "1000", "--output-tokens", "500", "--ts", "2026-03-14T09:00:00Z"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert logged.returncode == 0, logged.stderr
    report = subprocess.run([*base, "report", "--day", "2026-03-14", "--format", "json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(report.stdout)["totals"]["cost_usd"] == 0.00045
    bad = subprocess.run([*base, "report", "--quarter", "2026Q5"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "2026Q1" in bad.stderr


# Commands that block (watch), touch this machine's scheduler (schedule) or need another tool's
# logs (import) have tests of their own; every other README example runs here.
NOT_RUN_HERE = ("vaultledger watch", "vaultledger schedule", "vaultledger import")


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("vaultledger ") and not line.startswith(NOT_RUN_HERE):
                commands.append(line)
    return commands


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_examples_run(command: str, vault: Path, month_logs: Path, tmp_path: Path) -> None:
    enable_periodic_notes(vault, "quarterly")  # the README's vault has quarterly notes
    args = shlex.split(command.replace("~/Obsidian/Main", str(vault)).replace("q1.csv", str(tmp_path / "q1.csv"))
                       .replace("costs.html", str(tmp_path / "costs.html")))[1:]
    result = runner.invoke(app, args)
    expected = 1 if args[0] == "doctor" else 0  # the fixture logs hold a bad line on purpose
    assert result.exit_code == expected, result.output


def test_export_lists_a_call_logged_in_two_files_once_like_the_report(logs_dir: Path) -> None:
    first = call(ts="2026-03-14T23:59:58Z", id="msg_1", output_tokens=1)
    write_lines(logs_dir / "2026-03-14.jsonl", first, call(ts="2026-03-14T10:00:00Z", id="msg_2"))
    write_lines(logs_dir / "2026-03-15.jsonl", {**first, "ts": "2026-03-15T00:00:03Z", "output_tokens": 500})
    rows = json.loads(invoke("export", "--from", "2026-03-14", "--to", "2026-03-15", "--format", "json").stdout)
    assert sorted((row["id"], row["output_tokens"]) for row in rows) == [("msg_1", 500), ("msg_2", 500)]
    report = json.loads(invoke("report", "--from", "2026-03-14", "--to", "2026-03-15", "--format", "json").output)
    assert report["totals"]["calls"] == len(rows) and report["totals"]["output_tokens"] == 1000
