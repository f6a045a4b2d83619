"""What the scheduler runs, and when: the pinned `vaultledger rollup` command line and its time of day."""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultledger.errors import ConfigError
from vaultledger.settings import Setting, Settings

LOG_FILE = "nightly.log"
DEFAULT_AT = "23:55"


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
