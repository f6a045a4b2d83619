"""Set up .venv with the test extras and run the whole test suite: `python3 scripts/test.py [pytest args]`."""

from __future__ import annotations

import os
import subprocess
import sys

from _venv import REPO, ensure_venv


def main() -> int:
    python = ensure_venv("test")
    workers = ["-n", str(min(os.cpu_count() or 1, 4))] if "-n" not in sys.argv[1:] else []
    return subprocess.run([str(python), "-m", "pytest", *workers, *sys.argv[1:]], cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
