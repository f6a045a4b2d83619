"""Python code run in a fresh interpreter: for tests of what a process has loaded, or of process-wide
state (descriptor limits, environment variables) that the test runner's own process must not get."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def printed(code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> list[str]:
    """The lines `code` printed, run by this Python with `args`; the run must succeed."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
