"""Set up .venv with the test extras and run the fast test tier: `python3 scripts/test.py [pytest args]`.

The slow tier (tests marked `slow`: real subprocesses, kill loops, parallel workers under fork and
spawn) runs with `python3 scripts/test.py -m slow`; `.ci/run` runs both.
"""

from __future__ import annotations

import os
import subprocess
import sys

from _venv import REPO, ensure_venv


def main() -> int:
    python = ensure_venv("test")
    args = sys.argv[1:]
    workers = ["-n", str(min(os.cpu_count() or 1, 4))] if "-n" not in args else []
    tier = ["-m", "not slow"] if "-m" not in args else []
    return subprocess.run([str(python), "-m", "pytest", *workers, *tier, *args], cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
