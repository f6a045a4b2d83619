"""The nightly `vaultledger rollup`, installed with the platform's own scheduler (SPEC §8, issue 3).

`job` says what runs and when; `text` writes the scheduler's text (systemd units, crontab block, launchd
plist, the Windows task) with pure functions; `backends` holds one small class per scheduler doing the
file and process work through an injectable `host.Host`; `record` keeps what `install` did. This module
offers the three commands, and keeps every name the package has always exported.

The package reads nothing from the notes/nightly layer: `status` learns where the nightly run leaves its
state through the `state_path` argument (a default that knows the file's name keeps working alone).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


from vaultledger.errors import ConfigError
from vaultledger.schedule.backends import (
    WINDOWS_SCRIPT,
    Backend,
    CrontabEntry,
    LaunchAgent,
    ScheduledTask,
    SystemdTimer,
    backends_for,
    choose_backend,
    systemd_running,
)
from vaultledger.schedule.host import Host, Runner, command_failed, one_line, run_process
from vaultledger.schedule.job import (
    DEFAULT_AT,
    LOG_FILE,
    NightlyJob,
    ScheduleTime,
    nightly_job,
    parse_time,
    pinned_environment,
    pinned_flags,
    vaultledger_command,
)
from vaultledger.schedule.record import RECORD_FILE, read_record, write_record
from vaultledger.schedule.text import (
    CRON_BEGIN,
    CRON_END,
    JOB_NAME,
    LAUNCHD_LABEL,
    cron_block,
    cron_block_lines,
    cron_line,
    launchd_plist,
    schtasks_create_argv,
    systemd_quote,
    systemd_service_text,
    systemd_timer_text,
    table_with_block,
    table_without_block,
    windows_quote,
    windows_script_text,
)
from vaultledger.settings import Settings, resolve_settings, user_dir

__all__ = [
    "CRON_BEGIN", "CRON_END", "DEFAULT_AT", "JOB_NAME", "LAUNCHD_LABEL", "LOG_FILE", "NIGHTLY_STATE_FILE",
    "RECORD_FILE", "WINDOWS_SCRIPT", "Backend", "CrontabEntry", "Host", "LaunchAgent", "NightlyJob", "Runner",
    "ScheduleTime", "ScheduledTask", "StatePath", "SystemdTimer", "backends_for", "choose_backend",
    "command_failed", "cron_block", "cron_block_lines", "cron_line", "install", "launchd_plist",
    "nightly_job", "nightly_state_path", "one_line", "parse_time", "pinned_environment", "pinned_flags",
    "read_record", "remove", "run_process", "schtasks_create_argv", "status", "systemd_quote",
    "systemd_running", "systemd_service_text", "systemd_timer_text", "table_with_block",
    "table_without_block", "vaultledger_command", "windows_quote", "windows_script_text", "write_record",
]

# The file `vaultledger.notes.nightly` rewrites after every successful run (its STATE_FILE; a test holds the
# two names together). Only its modification time matters here.
NIGHTLY_STATE_FILE = "nightly-state.json"

StatePath = Callable[[Path], Path]
"""Where the nightly run keeps its state, given the cache folder the scheduled job runs with."""


def nightly_state_path(cache_dir: Path) -> Path:
    """The default `StatePath`: the nightly state file in the job's cache folder."""
    return cache_dir / NIGHTLY_STATE_FILE


def _current_cache_dir() -> Path:
    # `remove` must work even when today's config cannot be read.
    try:
        return resolve_settings().cache_dir.value
    except ConfigError:
        return Path(os.environ.get("VAULTLEDGER_CACHE_DIR") or user_dir("cache")).absolute()


# ---------------------------------------------------------------- the three commands


def install(settings: Settings, at: str, *, home: Path | None = None, runner: Runner | None = None,
            system: str | None = None) -> str:
    """Schedule the nightly rollup at `at` (HH:MM, local time); replaces an earlier install."""
    at_time = parse_time(at)
    host = _host(home, runner, system)
    job = nightly_job(settings, at_time)
    candidates = backends_for(host, job.cache_dir)
    chosen = choose_backend(candidates)
    job.cache_dir.mkdir(parents=True, exist_ok=True)  # the log and the record live there
    done = chosen.install(job)
    replaced = [line for other in candidates if other is not chosen for line in other.remove()]
    return _install_report(chosen, job, done + replaced, write_record(chosen, job))


def remove(settings: Settings | None = None, *, home: Path | None = None, runner: Runner | None = None,
           system: str | None = None) -> str:
    """Undo `install`: scheduler entries, files and the record; says what went, or that nothing was there."""
    cache_dir = settings.cache_dir.value if settings else _current_cache_dir()
    record = read_record(cache_dir)
    record_dir = Path(record["cache_dir"]) if record and record.get("cache_dir") else cache_dir
    done = [line for backend in backends_for(_host(home, runner, system), record_dir) for line in backend.remove()]
    if (cache_dir / RECORD_FILE).exists():
        (cache_dir / RECORD_FILE).unlink()
        done.append(f"deleted {cache_dir / RECORD_FILE}")
    if not done:
        return "Nothing to remove: the nightly rollup is not installed."
    return "\n".join(["Removed the nightly rollup:", *(f"  {line}" for line in done)])


def status(settings: Settings | None = None, *, home: Path | None = None, runner: Runner | None = None,
           system: str | None = None, state_path: StatePath = nightly_state_path) -> str:
    """What the scheduler holds now, what `install` recorded, and when the nightly run last succeeded
    (the modification time of `state_path(cache folder)`)."""
    cache_dir = settings.cache_dir.value if settings else _current_cache_dir()
    record = read_record(cache_dir)
    state_dir = Path(record["cache_dir"]) if record and record.get("cache_dir") else cache_dir
    found = [(backend, lines) for backend in backends_for(_host(home, runner, system), state_dir)
             if (lines := backend.installed()) is not None]
    lines = _installed_lines(found, record) if found else _not_installed_lines(record, cache_dir)
    return "\n".join([*lines, _last_run_line(state_path(state_dir))])


def _host(home: Path | None, runner: Runner | None, system: str | None) -> Host:
    return Host(system or sys.platform, home or Path.home(), runner or run_process)


def _install_report(backend: Backend, job: NightlyJob, done: list[str], record_path: Path) -> str:
    environment = " ".join(f"{name}={shlex.quote(value)}" for name, value in job.environment.items())
    return "\n".join([
        f"Installed the nightly rollup as {backend.description}, daily at {job.at.text} "
        "(this machine's local time):",
        *(f"  {line}" for line in done),
        f"Command: {shlex.join(job.argv)}",
        *([f"Environment: {environment}"] if environment else []),
        f"Output: {backend.output}",
        f"Recorded in {record_path}. Undo with: vaultledger schedule remove",
    ])


def _installed_lines(found: list[tuple[Backend, list[str]]], record: dict[str, Any] | None) -> list[str]:
    lines: list[str] = []
    for backend, details in found:
        lines += [f"Installed: {backend.description}", *(f"  {detail}" for detail in details)]
    if record:
        lines += [f"Recorded install ({record.get('installed_at', 'unknown time')}): {record.get('backend')}, "
                  f"daily at {record.get('at')}",
                  f"  command: {record.get('command_line')}", f"  output: {record.get('output')}"]
    return lines


def _not_installed_lines(record: dict[str, Any] | None, cache_dir: Path) -> list[str]:
    lines = ["Not installed. Set it up with: vaultledger schedule install --at 23:55"]
    if record:
        lines.append(f"  ({cache_dir / RECORD_FILE} says {record.get('backend')} was set up on "
                     f"{record.get('installed_at')}, but the scheduler no longer has it; "
                     "`vaultledger schedule remove` clears the record)")
    return lines


def _last_run_line(state_path: Path) -> str:
    try:
        finished = dt.datetime.fromtimestamp(state_path.stat().st_mtime).astimezone()
    except OSError:
        return f"Last successful nightly run: none yet (no {state_path})"
    return f"Last successful nightly run: {finished.strftime('%Y-%m-%d %H:%M %Z')}"
