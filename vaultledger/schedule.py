"""The nightly `vaultledger rollup`, installed with the platform's own scheduler (SPEC §8, issue 3).

Pure functions write the scheduler's text (systemd units, crontab block, launchd plist, the Windows
task); one small class per scheduler does the file and process work, through an injectable `Host`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger.nightly import STATE_FILE
from vaultledger.settings import APP_NAME, Setting, Settings, resolve_settings

JOB_NAME = "vaultledger-nightly"
LAUNCHD_LABEL = "io.vaultledger.nightly"
CRON_BEGIN = "# vaultledger nightly (managed by vaultledger schedule)"
CRON_END = "# end vaultledger nightly"
RECORD_FILE = "schedule.json"
LOG_FILE = "nightly.log"
WINDOWS_SCRIPT = "nightly.cmd"
DEFAULT_AT = "23:55"

Runner = Callable[[Sequence[str], str | None], subprocess.CompletedProcess[str]]


# ---------------------------------------------------------------- what runs, and when


@dataclass(frozen=True)
class ScheduleTime:
    """A time of day on the scheduler's clock (the machine's local time)."""

    hour: int
    minute: int

    @property
    def text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True)
class NightlyJob:
    """Everything a scheduler needs: the command line, its pinned environment, the time, the log."""

    argv: tuple[str, ...]
    environment: Mapping[str, str]
    at: ScheduleTime
    cache_dir: Path

    @property
    def log_path(self) -> Path:
        return self.cache_dir / LOG_FILE


def parse_time(text: str) -> ScheduleTime:
    """`--at` as HH:MM between 00:00 and 23:59, or a ConfigError that shows the accepted form."""
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise ConfigError(f"--at: {text!r} is not a time of day; use HH:MM from 00:00 to 23:59, e.g. 23:55")
    return ScheduleTime(int(match[1]), int(match[2]))


def nightly_job(settings: Settings, at: ScheduleTime) -> NightlyJob:
    """The nightly run for these settings, pinned so it resolves the same way from the scheduler."""
    argv = (*vaultledger_command(), "rollup", "--quiet", *pinned_flags(settings))
    return NightlyJob(argv, pinned_environment(settings), at, settings.cache_dir.value)


def vaultledger_command() -> list[str]:
    """The absolute path of this installation's `vaultledger`, else this Python with `-m vaultledger`."""
    python = Path(sys.executable).absolute()
    for scripts_dir in (python.parent, sysconfig.get_path("scripts")):
        found = shutil.which("vaultledger", path=str(scripts_dir))
        if found:
            return [str(Path(found).absolute())]
    return [str(python), "-m", "vaultledger"]


def pinned_flags(settings: Settings) -> list[str]:
    """The settings as explicit flags, because the scheduler has another working folder and environment."""
    flags: list[str] = []
    if settings.config_path.value is not None:
        flags += ["--config", str(settings.config_path.value)]
    for flag, setting in (("--vault", settings.vault), ("--logs", settings.logs), ("--tz", settings.timezone)):
        if setting.value is not None and _needs_pinning(setting):
            flags += [flag, str(setting.value)]
    return flags


def _needs_pinning(setting: Setting[Any]) -> bool:
    # The config file is itself pinned, so what it says stays its business (later edits take effect);
    # the system zone is left to the machine, like the scheduler's own clock.
    return not setting.source.startswith("config") and setting.source != "system"


def pinned_environment(settings: Settings) -> dict[str, str]:
    """The cache folder has no flag; when it came from the shell, the scheduler must be told too."""
    if settings.cache_dir.source == "VAULTLEDGER_CACHE_DIR":
        return {"VAULTLEDGER_CACHE_DIR": str(settings.cache_dir.value)}
    return {}


# ---------------------------------------------------------------- systemd text


def systemd_quote(arg: str, *, in_exec: bool = True) -> str:
    """One word for ExecStart= (or Environment=): C escapes in double quotes, `%` doubled, and `$`
    doubled where systemd would expand variables (ExecStart= only)."""
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("%", "%%")
    escaped = escaped.replace("$", "$$") if in_exec else escaped
    return f'"{escaped}"' if not arg or re.search(r"[\s\"'\\;]", arg) else escaped


def systemd_service_text(job: NightlyJob) -> str:
    """The oneshot service the timer starts; its output goes to the journal."""
    environment = [f"Environment={systemd_quote(f'{name}={value}', in_exec=False)}"
                   for name, value in job.environment.items()]
    return "\n".join([
        "[Unit]",
        "Description=vaultledger nightly rollup (managed by vaultledger schedule)",
        "",
        "[Service]",
        "Type=oneshot",
        *environment,
        "ExecStart=" + " ".join(systemd_quote(arg) for arg in job.argv),
        "",
    ])


def systemd_timer_text(at: ScheduleTime) -> str:
    """Daily at `at`; Persistent= runs a missed night as soon as the laptop wakes."""
    return "\n".join([
        "[Unit]",
        f"Description=Run the vaultledger nightly rollup daily at {at.text}",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* {at.text}:00",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])


# ---------------------------------------------------------------- crontab text


def cron_line(job: NightlyJob) -> str:
    """The crontab line: minute, hour, the pinned environment, the command, output appended to the log."""
    words = [*job.argv, *job.environment.values(), str(job.log_path)]
    if any("\n" in word or "\r" in word for word in words):
        raise ConfigError("a path or setting holds a line break, which a crontab line cannot carry")
    environment = "".join(f"{name}={shlex.quote(value)} " for name, value in job.environment.items())
    command = f"{environment}{shlex.join(job.argv)} >> {shlex.quote(str(job.log_path))} 2>&1"
    # cron turns an unescaped % into a line break.
    return f"{job.at.minute} {job.at.hour} * * * " + command.replace("%", "\\%")


def cron_block(job: NightlyJob) -> str:
    """Our lines between the marker comments, each ending in a newline."""
    return f"{CRON_BEGIN}\n{cron_line(job)}\n{CRON_END}\n"


def table_with_block(table: str, block: str) -> str:
    """The crontab with our block in place of the old one (or appended); every other byte kept."""
    kept, block_at, _ = _split_blocks(table)
    if block_at is not None:
        return "".join(kept[:block_at]) + block + "".join(kept[block_at:])
    text = "".join(kept)
    return text + ("\n" if text and not text.endswith("\n") else "") + block


def table_without_block(table: str) -> str:
    """The crontab without our block; every other byte kept."""
    return "".join(_split_blocks(table)[0])


def cron_block_lines(table: str) -> list[str]:
    """The lines inside our block (without the markers), empty when there is no block."""
    return _split_blocks(table)[2]


def _table_lines(table: str) -> list[str]:
    # Split on \n only, keeping it: the lines join back into exactly the bytes we read.
    return re.findall(r"[^\n]*\n|[^\n]+\Z", table)


def _split_blocks(table: str) -> tuple[list[str], int | None, list[str]]:
    """Other lines, where the first block stood among them, and the first block's inner lines."""
    kept: list[str] = []
    inner: list[str] = []
    block_at: int | None = None
    blocks_seen = 0
    inside = False
    for line in _table_lines(table):
        marker = line.rstrip()
        if not inside and marker == CRON_BEGIN:
            inside, blocks_seen = True, blocks_seen + 1
            block_at = len(kept) if block_at is None else block_at
        elif inside:
            inside = marker != CRON_END
            if inside and blocks_seen == 1:
                inner.append(line.rstrip("\r\n"))
        else:
            kept.append(line)
    if inside:
        raise VaultledgerError(f"your crontab has {CRON_BEGIN!r} without {CRON_END!r}; fix it with `crontab -e`")
    return kept, block_at, inner


# ---------------------------------------------------------------- launchd and Windows text


def launchd_plist(job: NightlyJob) -> bytes:
    """The launch agent: launchd runs a missed StartCalendarInterval when the Mac wakes."""
    agent: dict[str, Any] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(job.argv),
        "StartCalendarInterval": {"Hour": job.at.hour, "Minute": job.at.minute},
        "StandardOutPath": str(job.log_path),
        "StandardErrorPath": str(job.log_path),
        "RunAtLoad": False,
    }
    if job.environment:
        agent["EnvironmentVariables"] = dict(job.environment)
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=False)


def windows_quote(arg: str) -> str:
    """One word for a .cmd file: double quotes around anything cmd.exe would act on; % doubled."""
    escaped = arg.replace("%", "%%")
    return f'"{escaped}"' if not arg or re.search(r"[\s&|<>^(),;=!]", arg) else escaped


def windows_script_text(job: NightlyJob) -> str:
    """The batch file the task runs: a file, because /TR holds at most 261 characters and no redirect."""
    environment = [f'set "{name}={value.replace("%", "%%")}"' for name, value in job.environment.items()]
    command = " ".join(windows_quote(arg) for arg in job.argv)
    return "\r\n".join([
        "@echo off",
        "rem vaultledger nightly (managed by vaultledger schedule)",
        "chcp 65001 >nul",  # the file is UTF-8; cmd.exe would read it in the OEM code page
        *environment,
        f"{command} >> {windows_quote(str(job.log_path))} 2>&1",
        "",
    ])


def schtasks_create_argv(at: ScheduleTime, script_path: Path) -> list[str]:
    """`schtasks /Create` for a daily task running the batch file; /F replaces an existing one."""
    task_command = subprocess.list2cmdline([str(script_path)])
    return ["schtasks", "/Create", "/SC", "DAILY", "/ST", at.text, "/TN", JOB_NAME, "/TR", task_command, "/F"]


# ---------------------------------------------------------------- running scheduler commands


def run_process(argv: Sequence[str], stdin_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a scheduler command; bytes in and out unchanged (a crontab keeps its exact bytes)."""
    data = stdin_text.encode("utf-8", "surrogateescape") if stdin_text is not None else None
    try:
        done = subprocess.run(list(argv), input=data, capture_output=True, check=False)
    except OSError as error:  # not installed, or not executable: a failure like any other
        return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: {error.strerror or error}")
    return subprocess.CompletedProcess(list(argv), done.returncode, _text(done.stdout), _text(done.stderr))


def _text(output: bytes) -> str:
    return output.decode("utf-8", "surrogateescape")


def one_line(text: str) -> str:
    return " ".join(text.split())


def command_failed(argv: Sequence[str], result: subprocess.CompletedProcess[str]) -> VaultledgerError:
    """A scheduler command's non-zero exit, told in one line with its own words."""
    reason = one_line(result.stderr) or one_line(result.stdout) or f"exit status {result.returncode}"
    return VaultledgerError(f"`{shlex.join(argv)}` failed: {reason}")


@dataclass(frozen=True)
class Host:
    """The machine a scheduler lives on: its platform, the user's home, how commands are run."""

    system: str
    home: Path
    runner: Runner

    def run(self, argv: Sequence[str], stdin_text: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.runner(list(argv), stdin_text)

    def check(self, argv: Sequence[str], stdin_text: str | None = None) -> str:
        """Run and return a line saying so; a non-zero exit is a VaultledgerError with its stderr."""
        result = self.run(argv, stdin_text)
        if result.returncode != 0:
            raise command_failed(argv, result)
        return f"ran {shlex.join(argv)}"


# ---------------------------------------------------------------- one backend per scheduler


class Backend(Protocol):
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


# ---------------------------------------------------------------- the install record


def read_record(cache_dir: Path) -> dict[str, Any] | None:
    """What `install` recorded, or None; a damaged record is as good as none (the scheduler is the truth)."""
    try:
        record = json.loads((cache_dir / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def write_record(backend: Backend, job: NightlyJob) -> Path:
    record = {
        "backend": backend.name,
        "at": job.at.text,
        "command": list(job.argv),
        "command_line": shlex.join(job.argv),
        "environment": dict(job.environment),
        "paths": [str(path) for path in backend.files()],
        "output": backend.output,
        "cache_dir": str(job.cache_dir),
        "installed_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    path = job.cache_dir / RECORD_FILE
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


def _current_cache_dir() -> Path:
    # `remove` must work even when today's config cannot be read.
    try:
        return resolve_settings().cache_dir.value
    except ConfigError:
        return Path(os.environ.get("VAULTLEDGER_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME)).absolute()


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
           system: str | None = None) -> str:
    """What the scheduler holds now, what `install` recorded, and when the nightly run last succeeded."""
    cache_dir = settings.cache_dir.value if settings else _current_cache_dir()
    record = read_record(cache_dir)
    state_dir = Path(record["cache_dir"]) if record and record.get("cache_dir") else cache_dir
    found = [(backend, lines) for backend in backends_for(_host(home, runner, system), state_dir)
             if (lines := backend.installed()) is not None]
    lines = _installed_lines(found, record) if found else _not_installed_lines(record, cache_dir)
    return "\n".join([*lines, _last_run_line(state_dir)])


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


def _last_run_line(cache_dir: Path) -> str:
    state_path = cache_dir / STATE_FILE
    try:
        finished = dt.datetime.fromtimestamp(state_path.stat().st_mtime).astimezone()
    except OSError:
        return f"Last successful nightly run: none yet (no {state_path})"
    return f"Last successful nightly run: {finished.strftime('%Y-%m-%d %H:%M %Z')}"
