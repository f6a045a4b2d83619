"""`vaultledger schedule`: the generated scheduler text, and the backends driving fake schedulers.

The fakes are real executables first on PATH (systemctl, crontab, launchctl, schtasks) that record
their argv, so every backend runs real subprocesses without touching this machine's scheduler.
The real crontab is used only with VAULTLEDGER_TEST_REAL_CRONTAB=1 (it edits your crontab, then
restores it).
"""

from __future__ import annotations

import ast
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vaultledger import schedule
from vaultledger.cli import app
from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger.schedule import CRON_BEGIN, CRON_END, Host, NightlyJob, ScheduleTime
from vaultledger.settings import resolve_settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake schedulers are sh scripts")

OTHER_LINES = "MAILTO=me@example.com\n# my backups\n30 2 * * *\t/usr/bin/backup  --all   \n@reboot  ~/start.sh\r\n"

FAKE_SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "@DIR@/calls.log"
if [ "$2" = is-system-running ]; then
  if [ -f "@DIR@/systemd-running" ]; then echo running; exit 0; fi
  echo offline; exit 1
fi
if [ "$2" = show-environment ]; then
  [ -f "@DIR@/systemd-running" ] && exit 0
  echo "Failed to connect to bus: No medium found" >&2; exit 1
fi
if [ -f "@DIR@/fail-$2" ]; then printf 'Failed to %s unit:\\n  Access denied\\n' "$2" >&2; exit 1; fi
if [ "$2" = show ]; then echo ActiveState=active; echo "NextElapseUSecRealtime=Sat 2026-03-14 23:55:00 UTC"; fi
exit 0
"""

FAKE_CRONTAB = """#!/bin/sh
echo "crontab $*" >> "@DIR@/calls.log"
case "$1" in
  -l) if [ -f "@DIR@/crontab.txt" ]; then cat "@DIR@/crontab.txt"; else echo "no crontab for tester" >&2; exit 1; fi ;;
  -) cat > "@DIR@/crontab.txt" ;;
  *) echo "crontab: usage" >&2; exit 1 ;;
esac
"""

FAKE_LAUNCHCTL = """#!/bin/sh
echo "launchctl $*" >> "@DIR@/calls.log"
if [ -f "@DIR@/fail-$1" ]; then echo "$1 failed: 5: Input/output error" >&2; exit 5; fi
exit 0
"""

FAKE_SCHTASKS = """#!/bin/sh
echo "schtasks $*" >> "@DIR@/calls.log"
case "$1" in
  /Create) touch "@DIR@/task" ;;
  /Query) [ -f "@DIR@/task" ] || { echo "ERROR: The system cannot find the file specified." >&2; exit 1; }
          printf 'TaskName: \\\\vaultledger-nightly\\nNext Run Time: 3/14/2026 11:55:00 PM\\nStatus: Ready\\n' ;;
  /Delete) rm -f "@DIR@/task" ;;
esac
"""


class FakeSchedulers:
    """The fake tools' folder: what they were asked, the crontab they hold, switches for their moods."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.crontab = folder / "crontab.txt"

    def calls(self) -> list[str]:
        log = self.folder / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def switch(self, name: str, on: bool = True) -> None:
        (self.folder / name).touch() if on else (self.folder / name).unlink(missing_ok=True)


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSchedulers:
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    for name, script in (("systemctl", FAKE_SYSTEMCTL), ("crontab", FAKE_CRONTAB),
                         ("launchctl", FAKE_LAUNCHCTL), ("schtasks", FAKE_SCHTASKS)):
        tool = folder / name
        tool.write_text(script.replace("@DIR@", str(folder)))
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return FakeSchedulers(folder)


@pytest.fixture
def vault_with_space(tmp_path: Path) -> Path:
    vault = tmp_path / "my vault"
    (vault / ".obsidian").mkdir(parents=True)
    return vault


@pytest.fixture
def settings(vault_with_space: Path, tmp_path: Path):
    return resolve_settings(vault=vault_with_space, logs=tmp_path / "logs", tz="Europe/Berlin")


def job_for(argv: tuple[str, ...], cache_dir: Path, at: ScheduleTime = ScheduleTime(23, 55)) -> NightlyJob:
    return NightlyJob(argv, {"VAULTLEDGER_CACHE_DIR": str(cache_dir)}, at, cache_dir)


SPACED_JOB = job_for(("/opt/vault ledger/bin/vaultledger", "rollup", "--quiet", "--vault", "/home/u/my vault",
                      "--tz", "Europe/Berlin"), Path("/home/u/.cache/vault ledger"), ScheduleTime(7, 5))


# ---------------------------------------------------------------- what runs, and when


@pytest.mark.parametrize("bad", ["24:00", "23:60", "7:05", "12:00:00", "noon", "", "-1:00"])
def test_at_outside_hh_mm_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="HH:MM"):
        schedule.parse_time(bad)


def test_at_accepts_the_whole_day() -> None:
    assert schedule.parse_time("00:00") == ScheduleTime(0, 0)
    assert schedule.parse_time("23:59").text == "23:59"


def test_job_runs_this_installation_with_settings_pinned_as_flags(settings, vault_with_space: Path,
                                                                   tmp_path: Path) -> None:
    job = schedule.nightly_job(settings, ScheduleTime(23, 55))
    executable = Path(job.argv[0])
    assert executable.is_absolute() and executable.exists()
    assert job.argv[1:] == ("rollup", "--quiet", "--vault", str(vault_with_space), "--logs", str(tmp_path / "logs"),
                            "--tz", "Europe/Berlin")
    assert job.environment == {"VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    assert job.log_path == tmp_path / "cache" / "nightly.log"


def test_settings_from_the_config_are_left_to_the_pinned_config(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('vault = "v"\ntimezone = "Asia/Tokyo"\n')
    job = schedule.nightly_job(resolve_settings(config=config), ScheduleTime(1, 0))
    assert job.argv[3:] == ("--config", str(config), "--logs", str(tmp_path / "logs" / "llm-usage"))


# ---------------------------------------------------------------- systemd text


def test_timer_runs_daily_at_the_time_and_catches_up_after_sleep() -> None:
    timer = schedule.systemd_timer_text(ScheduleTime(7, 5))
    assert "OnCalendar=*-*-* 07:05:00\n" in timer
    assert "Persistent=true\n" in timer and "WantedBy=timers.target\n" in timer


def test_service_execstart_quotes_paths_with_spaces() -> None:
    service = schedule.systemd_service_text(SPACED_JOB)
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert exec_start == ('ExecStart="/opt/vault ledger/bin/vaultledger" rollup --quiet --vault '
                          '"/home/u/my vault" --tz Europe/Berlin')
    assert shlex.split(exec_start.removeprefix("ExecStart=")) == list(SPACED_JOB.argv)
    assert 'Environment="VAULTLEDGER_CACHE_DIR=/home/u/.cache/vault ledger"\n' in service
    assert "Type=oneshot" in service


def test_service_escapes_systemd_specifiers_and_variables() -> None:
    assert schedule.systemd_quote("/data/100%/$HOME") == "/data/100%%/$$HOME"
    assert schedule.systemd_quote('it\'s "x"') == '"it\'s \\"x\\""'


# ---------------------------------------------------------------- crontab text


def test_cron_line_quotes_escapes_percent_and_logs_to_the_cache() -> None:
    job = job_for(("/opt/vl/vaultledger", "rollup", "--quiet", "--vault", "/v/50% done"), Path("/c d"))
    line = schedule.cron_line(job)
    assert line == ("55 23 * * * VAULTLEDGER_CACHE_DIR='/c d' /opt/vl/vaultledger rollup --quiet "
                    "--vault '/v/50\\% done' >> '/c d/nightly.log' 2>&1")


def test_cron_line_refuses_a_line_break() -> None:
    with pytest.raises(ConfigError, match="line break"):
        schedule.cron_line(job_for(("/bin/vl", "--vault", "a\nb"), Path("/c")))


def test_block_goes_into_an_empty_table() -> None:
    block = schedule.cron_block(SPACED_JOB)
    assert schedule.table_with_block("", block) == block
    assert block.startswith(CRON_BEGIN + "\n") and block.endswith(CRON_END + "\n")


def test_block_after_a_table_without_final_newline_keeps_its_lines() -> None:
    table = OTHER_LINES + "0 5 * * 1 /last/line"
    with_block = schedule.table_with_block(table, schedule.cron_block(SPACED_JOB))
    assert with_block.startswith(table + "\n" + CRON_BEGIN)
    assert schedule.table_without_block(with_block) == table + "\n"


def test_block_is_replaced_in_place_and_removed_leaving_other_bytes() -> None:
    old_block = f"{CRON_BEGIN}\n1 1 * * * /old/vaultledger rollup\n{CRON_END}\n"
    table = OTHER_LINES + old_block + "15 * * * * /after/us\n"
    replaced = schedule.table_with_block(table, schedule.cron_block(SPACED_JOB))
    assert replaced == OTHER_LINES + schedule.cron_block(SPACED_JOB) + "15 * * * * /after/us\n"
    assert schedule.table_with_block(replaced, schedule.cron_block(SPACED_JOB)) == replaced
    assert schedule.table_without_block(replaced) == OTHER_LINES + "15 * * * * /after/us\n"


def test_duplicate_blocks_collapse_into_one() -> None:
    block = schedule.cron_block(SPACED_JOB)
    table = block + OTHER_LINES + block
    assert schedule.table_with_block(table, block) == block + OTHER_LINES


def test_begin_marker_without_end_is_not_guessed_at() -> None:
    with pytest.raises(VaultledgerError, match="crontab -e"):
        schedule.table_without_block(OTHER_LINES + CRON_BEGIN + "\n1 1 * * * x\n")


# ---------------------------------------------------------------- launchd and Windows text


def test_plist_runs_the_command_daily_and_logs_to_the_cache() -> None:
    agent = plistlib.loads(schedule.launchd_plist(SPACED_JOB))
    assert agent["Label"] == "io.vaultledger.notes.nightly"
    assert agent["ProgramArguments"] == list(SPACED_JOB.argv)
    assert agent["StartCalendarInterval"] == {"Hour": 7, "Minute": 5}
    assert agent["StandardOutPath"] == agent["StandardErrorPath"] == "/home/u/.cache/vault ledger/nightly.log"
    assert agent["EnvironmentVariables"] == {"VAULTLEDGER_CACHE_DIR": "/home/u/.cache/vault ledger"}


def test_schtasks_creates_a_daily_task_running_the_batch_file() -> None:
    script = Path("C:/Users/A B/AppData/Local/vaultledger/Cache/nightly.cmd")
    assert schedule.schtasks_create_argv(ScheduleTime(7, 5), script) == [
        "schtasks", "/Create", "/SC", "DAILY", "/ST", "07:05", "/TN", "vaultledger-nightly",
        "/TR", f'"{script}"', "/F"]


def test_batch_file_quotes_for_cmd_and_redirects_to_the_log() -> None:
    job = NightlyJob((r"C:\Py\Scripts\vaultledger.exe", "rollup", "--vault", r"C:\A&B\100%"), {},
                     ScheduleTime(1, 2), Path(r"C:\Cache Dir"))
    assert schedule.windows_script_text(job) == (
        "@echo off\r\nrem vaultledger nightly (managed by vaultledger schedule)\r\nchcp 65001 >nul\r\n"
        f'C:\\Py\\Scripts\\vaultledger.exe rollup --vault "C:\\A&B\\100%%" >> "{job.log_path}" 2>&1\r\n')


# ---------------------------------------------------------------- backends on fake schedulers


def test_cron_install_twice_is_one_entry_and_remove_restores_the_table(fakes: FakeSchedulers, settings) -> None:
    fakes.crontab.write_bytes(OTHER_LINES.encode())
    first = schedule.install(settings, "23:55")
    second = schedule.install(settings, "06:30")
    table = fakes.crontab.read_bytes().decode()
    assert table.count(CRON_BEGIN) == 1 and "30 6 * * * " in table and "55 23 * * *" not in table
    assert table.startswith(OTHER_LINES)
    assert "added a vaultledger block" in first and "replaced the vaultledger block" in second
    assert shlex.join(schedule.nightly_job(settings, ScheduleTime(6, 30)).argv) in second
    removed = schedule.remove()
    assert "removed the vaultledger block" in removed and "schedule.json" in removed
    assert fakes.crontab.read_bytes() == OTHER_LINES.encode()


def test_cron_install_when_the_user_has_no_crontab(fakes: FakeSchedulers, settings, tmp_path: Path) -> None:
    report = schedule.install(settings, "23:55")
    assert fakes.crontab.read_text() == schedule.cron_block(schedule.nightly_job(settings, ScheduleTime(23, 55)))
    assert f"Output: {tmp_path / 'cache' / 'nightly.log'}" in report
    assert (tmp_path / "cache" / "schedule.json").exists()


def test_remove_when_nothing_is_installed_says_so(fakes: FakeSchedulers) -> None:
    assert schedule.remove() == "Nothing to remove: the nightly rollup is not installed."
    assert not fakes.crontab.exists()


def test_systemd_install_writes_units_and_enables_the_timer(fakes: FakeSchedulers, settings,
                                                            isolated_home: Path) -> None:
    fakes.switch("systemd-running")
    report = schedule.install(settings, "23:55")
    unit_dir = isolated_home / ".config" / "systemd" / "user"
    service, timer = unit_dir / "vaultledger-nightly.service", unit_dir / "vaultledger-nightly.timer"
    assert f"wrote {service}" in report and f"wrote {timer}" in report and "journalctl --user" in report
    assert "OnCalendar=*-*-* 23:55:00" in timer.read_text()
    assert "systemctl --user enable --now vaultledger-nightly.timer" in fakes.calls()
    schedule.install(settings, "01:00")
    assert "OnCalendar=*-*-* 01:00:00" in timer.read_text()
    assert "systemctl --user restart vaultledger-nightly.timer" in fakes.calls()


def test_switching_to_systemd_removes_the_old_crontab_block(fakes: FakeSchedulers, settings) -> None:
    fakes.crontab.write_text(OTHER_LINES)
    schedule.install(settings, "23:55")
    fakes.switch("systemd-running")
    report = schedule.install(settings, "23:55")
    assert fakes.crontab.read_bytes() == OTHER_LINES.encode()
    assert "removed the vaultledger block from your crontab" in report


def test_systemd_remove_disables_the_timer_and_deletes_the_units(fakes: FakeSchedulers, settings,
                                                                 isolated_home: Path) -> None:
    fakes.switch("systemd-running")
    schedule.install(settings, "23:55")
    report = schedule.remove()
    assert "ran systemctl --user disable --now vaultledger-nightly.timer" in report
    assert not list((isolated_home / ".config" / "systemd" / "user").glob("vaultledger-nightly.*"))
    assert schedule.remove() == "Nothing to remove: the nightly rollup is not installed."


def test_a_failing_scheduler_command_is_one_line_with_its_stderr(fakes: FakeSchedulers, settings) -> None:
    fakes.switch("systemd-running")
    fakes.switch("fail-enable")
    with pytest.raises(VaultledgerError) as raised:
        schedule.install(settings, "23:55")
    assert str(raised.value) == ("`systemctl --user enable --now vaultledger-nightly.timer` failed: "
                                 "Failed to enable unit: Access denied")


def test_no_systemd_and_no_crontab_is_an_error(settings) -> None:
    def nothing_installed(argv, stdin_text=None):
        return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]}: No such file or directory")

    with pytest.raises(VaultledgerError, match="no scheduler found"):
        schedule.install(settings, "23:55", runner=nothing_installed, system="linux")


def test_launchd_agent_is_bootstrapped_and_booted_out(fakes: FakeSchedulers, settings, isolated_home: Path) -> None:
    report = schedule.install(settings, "23:55", system="darwin")
    plist = isolated_home / "Library" / "LaunchAgents" / "io.vaultledger.notes.nightly.plist"
    assert f"wrote {plist}" in report
    assert plistlib.loads(plist.read_bytes())["StartCalendarInterval"] == {"Hour": 23, "Minute": 55}
    assert fakes.calls() == [f"launchctl bootstrap gui/{os.getuid()} {plist}"]
    assert "Installed: a launchd agent" in schedule.status(system="darwin")
    removed = schedule.remove(system="darwin")
    assert f"launchctl bootout gui/{os.getuid()}/io.vaultledger.notes.nightly" in removed and not plist.exists()


def test_launchd_falls_back_to_load_on_old_macos(fakes: FakeSchedulers, settings) -> None:
    fakes.switch("fail-bootstrap")
    schedule.install(settings, "23:55", system="darwin")
    assert fakes.calls()[-1].startswith("launchctl load -w ")
    fakes.switch("fail-load")
    with pytest.raises(VaultledgerError, match="load failed: 5: Input/output error"):
        schedule.install(settings, "23:55", system="darwin")


def test_task_scheduler_task_is_created_queried_and_deleted(fakes: FakeSchedulers, settings, tmp_path: Path) -> None:
    script = tmp_path / "cache" / "nightly.cmd"
    schedule.install(settings, "23:55", system="win32")
    assert script.read_bytes().startswith(b"@echo off\r\n")
    assert fakes.calls() == [f"schtasks /Create /SC DAILY /ST 23:55 /TN vaultledger-nightly /TR {script} /F"]
    assert "task: Next Run Time: 3/14/2026 11:55:00 PM" in schedule.status(system="win32")
    assert "schtasks /Delete /TN vaultledger-nightly /F" in schedule.remove(system="win32")
    assert not script.exists()


# ---------------------------------------------------------------- status


def test_status_before_and_after_install(fakes: FakeSchedulers, settings, tmp_path: Path) -> None:
    before = schedule.status()
    assert before.startswith("Not installed.") and "none yet" in before
    fakes.switch("systemd-running")
    schedule.install(settings, "23:55")
    (tmp_path / "cache" / "nightly-state.json").write_text("{}")
    after = schedule.status()
    assert "Installed: a systemd user timer" in after and "next run: Sat 2026-03-14 23:55:00 UTC" in after
    assert "Recorded install" in after and str(settings.vault.value) in after
    assert "Last successful nightly run: 2" in after


def test_status_notices_a_record_the_scheduler_no_longer_has(fakes: FakeSchedulers, settings) -> None:
    schedule.install(settings, "23:55")
    fakes.crontab.write_text(OTHER_LINES)  # the user deleted our block by hand
    assert "the scheduler no longer has it" in schedule.status()


def test_status_reads_the_last_run_through_the_state_path_it_is_given(fakes: FakeSchedulers, tmp_path: Path) -> None:
    state = tmp_path / "elsewhere" / "state.json"
    asked: list[Path] = []

    def state_path(cache_dir: Path) -> Path:
        asked.append(cache_dir)
        return state

    assert f"none yet (no {state})" in schedule.status(state_path=state_path)
    state.parent.mkdir()
    state.write_text("{}")
    assert "Last successful nightly run: 2" in schedule.status(state_path=state_path)
    assert asked == [tmp_path / "cache"] * 2


def test_the_default_state_file_is_the_one_the_nightly_run_writes() -> None:
    from vaultledger.notes.nightly import STATE_FILE

    assert schedule.nightly_state_path(Path("/c")) == Path("/c") / STATE_FILE


def test_schedule_imports_only_settings_errors_and_itself_from_vaultledger() -> None:
    allowed = ("vaultledger.settings", "vaultledger.errors", "vaultledger.schedule")
    for module in Path(schedule.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith("vaultledger"):
                    assert name.startswith(allowed), f"{module.name} imports {name}"


# ---------------------------------------------------------------- through the CLI


def test_cli_install_status_remove(fakes: FakeSchedulers, vault_with_space: Path) -> None:
    cli = CliRunner()
    installed = cli.invoke(app, ["schedule", "install", "--at", "22:10", "--vault", str(vault_with_space)])
    assert installed.exit_code == 0, installed.output
    assert "daily at 22:10" in installed.output and shlex.quote(str(vault_with_space)) in installed.output
    assert "10 22 * * * " in fakes.crontab.read_text()
    assert "Installed: a crontab entry" in cli.invoke(app, ["schedule", "status"]).output
    removed = cli.invoke(app, ["schedule", "remove"])
    assert removed.exit_code == 0 and "Removed the nightly rollup" in removed.output
    assert fakes.crontab.read_text() == ""


def test_cli_refuses_a_bad_time(fakes: FakeSchedulers) -> None:
    result = CliRunner().invoke(app, ["schedule", "install", "--at", "25:00"])
    assert result.exit_code == 1 and "--at: '25:00' is not a time of day" in result.output
    assert fakes.calls() == []


# ---------------------------------------------------------------- the real crontab, on request


@pytest.mark.skipif(os.environ.get("VAULTLEDGER_TEST_REAL_CRONTAB") != "1" or not shutil.which("crontab"),
                    reason="edits your real crontab; set VAULTLEDGER_TEST_REAL_CRONTAB=1 to run")
def test_real_crontab_round_trip_keeps_the_users_table(tmp_path: Path) -> None:
    host = Host(sys.platform, tmp_path, schedule.run_process)
    cron = schedule.CrontabEntry(host, tmp_path)
    job = job_for(("/opt/vl/vaultledger", "rollup", "--quiet"), tmp_path)
    before = cron.read_table()
    assert before is not None
    try:
        cron.install(job)
        assert cron.installed() == [f"crontab: {schedule.cron_line(job)}"]
        cron.remove()
        # cron needs a final newline, so a table without one gets it; nothing else changes
        assert cron.read_table() == before + ("\n" if before and not before.endswith("\n") else "")
    finally:
        if cron.installed():
            cron.remove()
