"""Many machines, one logs folder: with `host_files = true` every writer appends to its own
`YYYY-MM-DD.HOST.jsonl` (SPEC §2), HOST from the machine's name or the config, checked like any setting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vaultledger.capture.logger
from conftest import call, write_lines
from vaultledger.capture.logger import UsageLog, log_usage
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.errors import ConfigError
from vaultledger.ledger.files import LOG_NAME, file_host, list_log_files
from vaultledger.record import make_record
from vaultledger.settings import machine_host, resolve_settings

runner = CliRunner()
LOG = ["log", "--provider", "openai", "--model", "gpt-4o", "--input-tokens", "1000", "--output-tokens", "500",
       "--ts", "2026-03-14T09:00:00+00:00"]


def config_with(tmp_path: Path, text: str) -> Path:
    """A config named by --config or VAULTLEDGER_CONFIG only (not in the working folder, where it is found)."""
    config = tmp_path / "config" / "vaultledger.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(text)
    return config


@pytest.mark.parametrize("node,host", [
    ("laptop", "laptop"),
    ("Annas-MacBook-Pro.local", "annas-macbook-pro"),  # macOS: the short name, lower-cased
    ("DESKTOP-7QK2J1R", "desktop-7qk2j1r"),  # Windows computer names are upper case
    ("build box.example.com", "build-box"),
    ("jöns_pc", "j-ns_pc"),  # letters outside ASCII are no part of a file name we promise
])
def test_the_host_name_is_the_short_lower_cased_machine_name(node: str, host: str) -> None:
    assert machine_host(node) == host
    assert LOG_NAME.match(f"2026-03-14.{host}.jsonl")


@pytest.mark.parametrize("node", ["", ".local", "sync-conflict-20260314-101112-ABC"])
def test_a_machine_name_that_makes_no_file_name_asks_for_config_host(node: str) -> None:
    with pytest.raises(ConfigError, match="set config 'host'"):
        machine_host(node)


def test_the_real_machine_name_makes_a_host_file_name() -> None:
    assert LOG_NAME.match(f"2026-03-14.{machine_host()}.jsonl")


def test_host_files_follow_the_machine_name_unless_the_config_names_one(tmp_path: Path) -> None:
    settings = resolve_settings(config=config_with(tmp_path, "host_files = true\n"))
    assert (settings.host.value, settings.host.source) == (machine_host(), "this machine's name")
    settings = resolve_settings(config=config_with(tmp_path, 'host_files = true\nhost = "Studio_2"\n'))
    assert (settings.host.value, settings.host.source) == ("Studio_2", "config 'host'")
    assert resolve_settings(config=config_with(tmp_path, 'host = "studio"\n')).host.value is None
    assert resolve_settings().host.value is None  # no config: plain day files, as before


@pytest.mark.parametrize("text,expected", [
    ('host_files = true\nhost = "my laptop"\n', "config 'host': 'my laptop' is not a host name"),
    ('host_files = true\nhost = "a/b"\n', "config 'host': 'a/b' is not a host name"),
    ('host_files = true\nhost = ""\n', "config 'host': '' is not a host name"),
    ("host_files = true\nhost = 7\n", "config 'host': 7 is not a host name"),
    ('host = "sync-conflict-20260314-101112-ABC"\n', "is not a host name"),
    ('host_files = "yes"\n', "config 'host_files' must be true or false"),
])
def test_a_bad_host_setting_is_one_clear_line_for_every_command(text: str, expected: str, tmp_path: Path,
                                                                logs_dir: Path) -> None:
    config = config_with(tmp_path, text)
    for command in (LOG, ["report", "--day", "2026-03-14"], ["doctor"], ["merge"]):
        result = runner.invoke(app, [*command, "--config", str(config)])
        assert result.exit_code == 1, (command, result.output)
        assert expected in result.output and "Traceback" not in result.output, command
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not logs_dir.exists()  # nothing written under a name the user did not mean


def test_usage_log_writes_this_machines_file_of_the_day(tmp_path: Path) -> None:
    usage_log = UsageLog(tmp_path / "logs", "UTC", "laptop")
    try:
        path = usage_log.append(make_record(**call(ts="2026-03-14T23:30:00-05:00")))
    finally:
        usage_log.close()
    assert path == tmp_path / "logs" / "2026-03-15.laptop.jsonl"
    assert [(log.day.isoformat(), file_host(log.path)) for log in list_log_files(tmp_path / "logs")] == \
        [("2026-03-15", "laptop")]


def test_usage_log_refuses_a_host_that_is_no_file_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a host name"):
        UsageLog(tmp_path / "logs", "UTC", "../elsewhere")


def test_the_cli_log_writes_the_host_file_on_both_paths(tmp_path: Path, logs_dir: Path) -> None:
    config = config_with(tmp_path, 'host_files = true\nhost = "desk"\n')
    result = runner.invoke(app, [*LOG, "--config", str(config), "--id", "typer"])
    assert result.exit_code == 0, result.output
    assert answer_quickly([*LOG, "--config", str(config), "--id", "fast"]) == 0
    lines = (logs_dir / "2026-03-14.desk.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["typer", "fast"]
    assert not (logs_dir / "2026-03-14.jsonl").exists()


def test_log_usage_writes_the_host_file_named_by_the_config(tmp_path: Path, logs_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(config_with(tmp_path, 'host_files = true\nhost = "worker-3"\n')))
    monkeypatch.setattr(vaultledger.capture.logger, "_process_log", vaultledger.capture.logger._ProcessLog())
    assert log_usage(provider="openai", model="gpt-4o", input_tokens=5, output_tokens=1,
                     ts="2026-03-14T10:00:00Z") is not None
    vaultledger.capture.logger._process_log.close()
    assert [path.name for path in logs_dir.iterdir()] == ["2026-03-14.worker-3.jsonl"]


def test_an_app_on_a_machine_with_host_files_writes_its_own_file(tmp_path: Path) -> None:
    """A real process, the machine's real name: what an app's log_usage() does after `pip install`."""
    config = config_with(tmp_path, "host_files = true\n")
    script = ("from vaultledger import log_usage\n"
              "log_usage(provider='openai', model='gpt-4o', input_tokens=5, output_tokens=1, ts='2026-03-14T10:00:00Z')\n")
    env = {"VAULTLEDGER_CONFIG": str(config), "VAULTLEDGER_LOGS": str(tmp_path / "logs"), "VAULTLEDGER_TZ": "UTC",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert [path.name for path in (tmp_path / "logs").iterdir()] == [f"2026-03-14.{machine_host()}.jsonl"]


def test_an_import_writes_the_host_file_and_a_second_import_appends_nothing(tmp_path: Path) -> None:
    transcripts = Path(__file__).parent / "fixtures" / "claude-code"
    config = config_with(tmp_path, 'host_files = true\nhost = "laptop"\n')
    logs = tmp_path / "logs"
    args = ["import", "claude-code", str(transcripts), "--logs", str(logs), "--tz", "UTC", "--config", str(config)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    names = {path.name for path in logs.glob("*.jsonl")}
    assert names and all(LOG_NAME.match(name).group(2) == "laptop" for name in names)  # type: ignore[union-attr]
    again = runner.invoke(app, [*args[:-2], "--config", str(config_with(tmp_path, 'host_files = true\nhost = "desk"\n'))])
    assert again.exit_code == 0 and " 0 appended" in again.output, again.output
    assert {path.name for path in logs.glob("*.jsonl")} == names  # another machine finds them in laptop's files


def test_three_hosts_files_of_a_day_count_each_call_once(tmp_path: Path, logs_dir: Path) -> None:
    for host, ids in (("laptop", ["a", "b"]), ("desk", ["b", "c"]), ("server", ["d"])):
        write_lines(logs_dir / f"2026-03-14.{host}.jsonl", *[call(ts="2026-03-14T10:00:00Z", id=i) for i in ids],
                    call(ts="2026-03-14T11:00:00Z"))
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["totals"]["calls"], report["problems"]["duplicates"]) == (4 + 3, 1)


def test_doctor_says_which_files_this_machine_writes(tmp_path: Path, logs_dir: Path) -> None:
    logs_dir.mkdir()
    doctor = runner.invoke(app, ["doctor", "--config", str(config_with(tmp_path, 'host_files = true\nhost = "desk"\n'))])
    assert "host:      desk  [config 'host']" in doctor.output
    assert "host:      (plain day files)  [host_files off]" in runner.invoke(app, ["doctor"]).output


def test_log_usage_under_a_bad_host_setting_warns_and_never_raises(tmp_path: Path, logs_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(config_with(tmp_path, 'host_files = true\nhost = "my laptop"\n')))
    monkeypatch.setattr(vaultledger.capture.logger, "_process_log", vaultledger.capture.logger._ProcessLog())
    monkeypatch.setattr(vaultledger.capture.logger, "_warned", set())
    with pytest.warns(RuntimeWarning, match="usage not logged: config 'host': 'my laptop' is not a host name"):
        assert log_usage(provider="openai", model="gpt-4o", input_tokens=5, output_tokens=1) is None
    assert not logs_dir.exists()
