"""One small class per scheduler (systemd timer, crontab entry, launchd agent, Task Scheduler task),
each doing the file and process work behind the `Backend` protocol, through an injectable `Host`."""

from __future__ import annotations

import os
import plistlib
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from vaultledger.errors import VaultledgerError
from vaultledger.schedule.host import Host, command_failed, one_line
from vaultledger.schedule.job import LOG_FILE, NightlyJob
from vaultledger.schedule.text import (
    JOB_NAME,
    LAUNCHD_LABEL,
    cron_block,
    cron_block_lines,
    launchd_plist,
    schtasks_create_argv,
    systemd_service_text,
    systemd_timer_text,
    table_with_block,
    table_without_block,
    windows_script_text,
)

WINDOWS_SCRIPT = "nightly.cmd"


class Backend(Protocol):
    """A scheduler: which files it owns, whether this machine has it, and how to add, drop and show the job."""

    name: str
    description: str
    output: str

    def files(self) -> list[Path]: ...

    def usable(self) -> bool: ...

    def install(self, job: NightlyJob) -> list[str]: ...

    def remove(self) -> list[str]: ...

    def installed(self) -> list[str] | None: ...


def systemd_running(host: Host) -> bool:
    """Whether a systemd user manager answers; `degraded` still runs timers."""
    state = host.run(["systemctl", "--user", "is-system-running"]).stdout.strip()
    if state in {"running", "degraded", "starting", "initializing"}:
        return True
    return host.run(["systemctl", "--user", "show-environment"]).returncode == 0


class SystemdTimer:
    name = "systemd"
    description = "a systemd user timer"
    output = f"the systemd journal (journalctl --user -u {JOB_NAME}.service)"

    def __init__(self, host: Host) -> None:
        self.host = host
        self.unit_dir = host.home / ".config" / "systemd" / "user"
        self.service_path = self.unit_dir / f"{JOB_NAME}.service"
        self.timer_path = self.unit_dir / f"{JOB_NAME}.timer"

    def files(self) -> list[Path]:
        return [self.service_path, self.timer_path]

    def usable(self) -> bool:
        return systemd_running(self.host)

    def install(self, job: NightlyJob) -> list[str]:
        replacing = self.timer_path.exists()
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        self.service_path.write_text(systemd_service_text(job), encoding="utf-8")
        self.timer_path.write_text(systemd_timer_text(job.at), encoding="utf-8")
        done = [f"wrote {self.service_path}", f"wrote {self.timer_path}"]
        done.append(self.host.check(self._systemctl("daemon-reload")))
        done.append(self.host.check(self._systemctl("enable", "--now", self.timer_path.name)))
        if replacing:  # a timer already running keeps its old schedule until restarted
            done.append(self.host.check(self._systemctl("restart", self.timer_path.name)))
        return done

    def remove(self) -> list[str]:
        present = [path for path in self.files() if path.exists()]
        if not present:
            return []
        running = systemd_running(self.host)
        done = [self.host.check(self._systemctl("disable", "--now", self.timer_path.name))] if running else []
        enabled_link = self.unit_dir / "timers.target.wants" / self.timer_path.name
        for path in [*present, *([enabled_link] if enabled_link.is_symlink() else [])]:
            path.unlink()
            done.append(f"deleted {path}")
        if running:
            done.append(self.host.check(self._systemctl("daemon-reload")))
        return done

    def installed(self) -> list[str] | None:
        if not self.timer_path.exists():
            return None
        lines = [f"timer: {self.timer_path}", f"service: {self.service_path}"]
        lines += _unit_lines(self.timer_path, "OnCalendar=") + _unit_lines(self.service_path, "ExecStart=")
        return lines + self._timer_state()

    def _timer_state(self) -> list[str]:
        # Cheap and informative, but never worth failing `status` over.
        shown = self.host.run(self._systemctl("show", self.timer_path.name, "-p", "ActiveState",
                                              "-p", "NextElapseUSecRealtime"))
        values = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
        lines = [f"timer state: {values['ActiveState']}"] if values.get("ActiveState") else []
        next_run = values.get("NextElapseUSecRealtime", "")
        return lines + ([f"next run: {next_run}"] if next_run and next_run not in {"0", "n/a"} else [])

    def _systemctl(self, *args: str) -> list[str]:
        return ["systemctl", "--user", *args]


def _unit_lines(path: Path, prefix: str) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(prefix)]
    except OSError:
        return []


class CrontabEntry:
    name = "cron"
    description = "a crontab entry"

    def __init__(self, host: Host, cache_dir: Path) -> None:
        self.host = host
        self.output = str(cache_dir / LOG_FILE)

    def files(self) -> list[Path]:
        return []

    def usable(self) -> bool:
        return self.read_table() is not None

    def read_table(self) -> str | None:
        """The user's crontab ('' when they have none), or None when there is no `crontab` command."""
        listed = self.host.run(["crontab", "-l"])
        if listed.returncode == 0:
            return listed.stdout
        if listed.returncode == 127:
            return None
        if re.search(r"no crontab|no such file", listed.stderr, re.IGNORECASE):
            return ""
        raise command_failed(["crontab", "-l"], listed)

    def install(self, job: NightlyJob) -> list[str]:
        table = self.read_table()
        if table is None:
            raise VaultledgerError("`crontab` is not available, so the nightly run cannot be scheduled with cron")
        verb = "replaced the vaultledger block in" if cron_block_lines(table) else "added a vaultledger block to"
        self.host.check(["crontab", "-"], table_with_block(table, cron_block(job)))
        return [f"{verb} your crontab (see `crontab -l`):", *cron_block(job).splitlines()]

    def remove(self) -> list[str]:
        table = self.read_table()
        if not table or not cron_block_lines(table):
            return []
        self.host.check(["crontab", "-"], table_without_block(table))
        return ["removed the vaultledger block from your crontab (your other lines are unchanged)"]

    def installed(self) -> list[str] | None:
        table = self.read_table()
        job_lines = cron_block_lines(table) if table else []
        return [f"crontab: {line}" for line in job_lines] or None


class LaunchAgent:
    name = "launchd"
    description = "a launchd agent"

    def __init__(self, host: Host, cache_dir: Path) -> None:
        self.host = host
        self.output = str(cache_dir / LOG_FILE)
        self.plist_path = host.home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        self.domain = f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/0"

    def files(self) -> list[Path]:
        return [self.plist_path]

    def usable(self) -> bool:
        return True

    def install(self, job: NightlyJob) -> list[str]:
        done = [self._unload()] if self.plist_path.exists() else []  # bootstrap refuses a loaded agent
        self.plist_path.parent.mkdir(parents=True, exist_ok=True)
        self.plist_path.write_bytes(launchd_plist(job))
        return [*done, f"wrote {self.plist_path}", self._load()]

    def remove(self) -> list[str]:
        if not self.plist_path.exists():
            return []
        done = [self._unload()]
        self.plist_path.unlink()
        return [*done, f"deleted {self.plist_path}"]

    def installed(self) -> list[str] | None:
        if not self.plist_path.exists():
            return None
        agent = plistlib.loads(self.plist_path.read_bytes())
        interval = agent.get("StartCalendarInterval", {})
        return [f"agent: {self.plist_path}",
                f"daily at {interval.get('Hour', 0):02d}:{interval.get('Minute', 0):02d}",
                f"runs: {shlex.join(agent.get('ProgramArguments', []))}"]

    def _load(self) -> str:
        bootstrap = ["launchctl", "bootstrap", self.domain, str(self.plist_path)]
        if self.host.run(bootstrap).returncode == 0:
            return f"ran {shlex.join(bootstrap)}"
        return self.host.check(["launchctl", "load", "-w", str(self.plist_path)])  # macOS before 10.11

    def _unload(self) -> str:
        bootout = ["launchctl", "bootout", f"{self.domain}/{LAUNCHD_LABEL}"]
        if self.host.run(bootout).returncode == 0:
            return f"ran {shlex.join(bootout)}"
        unload = ["launchctl", "unload", "-w", str(self.plist_path)]
        result = self.host.run(unload)
        if result.returncode == 0:
            return f"ran {shlex.join(unload)}"
        # Both fail when the agent is not loaded, which is the state we want anyway.
        return f"launchctl had nothing to unload ({one_line(result.stderr) or 'not loaded'})"


class ScheduledTask:
    name = "schtasks"
    description = "a Task Scheduler task"

    def __init__(self, host: Host, cache_dir: Path) -> None:
        self.host = host
        self.output = str(cache_dir / LOG_FILE)
        self.script_path = cache_dir / WINDOWS_SCRIPT

    def files(self) -> list[Path]:
        return [self.script_path]

    def usable(self) -> bool:
        return True

    def install(self, job: NightlyJob) -> list[str]:
        self.script_path.parent.mkdir(parents=True, exist_ok=True)
        self.script_path.write_bytes(windows_script_text(job).encode("utf-8"))
        return [f"wrote {self.script_path}", self.host.check(schtasks_create_argv(job.at, self.script_path))]

    def remove(self) -> list[str]:
        done = []
        if self._query().returncode == 0:
            done.append(self.host.check(["schtasks", "/Delete", "/TN", JOB_NAME, "/F"]))
        if self.script_path.exists():
            self.script_path.unlink()
            done.append(f"deleted {self.script_path}")
        return done

    def installed(self) -> list[str] | None:
        query = self._query()
        if query.returncode != 0:
            return None
        return [f"task: {line.strip()}" for line in query.stdout.splitlines() if line.strip()][:8]

    def _query(self) -> subprocess.CompletedProcess[str]:
        return self.host.run(["schtasks", "/Query", "/TN", JOB_NAME, "/FO", "LIST"])


def backends_for(host: Host, cache_dir: Path) -> list[Backend]:
    """The schedulers this platform might use, preferred first."""
    if host.system == "darwin":
        return [LaunchAgent(host, cache_dir)]
    if host.system == "win32":
        return [ScheduledTask(host, cache_dir)]
    return [SystemdTimer(host), CrontabEntry(host, cache_dir)]


def choose_backend(candidates: Sequence[Backend]) -> Backend:
    for backend in candidates:
        if backend.usable():
            return backend
    raise VaultledgerError("no scheduler found: no systemd user session answers and there is no `crontab`")
