"""The kill-point switch itself: a real process passes named steps, logs them, and dies at the one asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

WRITE = "from pathlib import Path; from vaultledger._fs import atomic_write_text as w; import sys; w(Path(sys.argv[1]), 'new')"


def run(target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WRITE, str(target)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_steps_are_logged_in_order(tmp_path: Path) -> None:
    trace = tmp_path / "steps.txt"
    assert run(tmp_path / "note.md", VAULTLEDGER_STEP_LOG=str(trace)).returncode == 0
    assert trace.read_text().splitlines() == [
        "1 temp file for note.md", "2 temp file written for note.md", "3 replaced note.md"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this platform")
@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_a_kill_at_any_step_leaves_the_old_or_the_new_file(tmp_path: Path, kill_at: int) -> None:
    note = tmp_path / "note.md"
    note.write_text("old")
    done = run(note, VAULTLEDGER_KILL_AT=str(kill_at))
    assert done.returncode == -signal.SIGKILL
    assert note.read_text() == ("new" if kill_at == 3 else "old")
