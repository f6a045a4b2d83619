"""The schedulers' own text, written by pure functions: systemd units, the crontab block, the launchd
plist, the Windows batch file and its `schtasks` line. Nothing here touches a file or runs a process."""

from __future__ import annotations

import plistlib
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger.schedule.job import NightlyJob, ScheduleTime

JOB_NAME = "vaultledger-nightly"
LAUNCHD_LABEL = "io.vaultledger.notes.nightly"
CRON_BEGIN = "# vaultledger nightly (managed by vaultledger schedule)"
CRON_END = "# end vaultledger nightly"


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
