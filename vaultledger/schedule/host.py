"""The machine a scheduler lives on, and how its commands run: bytes in and out unchanged, failures in
one line. Tests and callers inject a `Host` with their own runner, home and platform."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vaultledger.errors import VaultledgerError

Runner = Callable[[Sequence[str], str | None], subprocess.CompletedProcess[str]]


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
