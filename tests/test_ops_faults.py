"""Fast kill-point checks for import (the full loops over every step are in test_ops_faults_slow.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill points need SIGKILL")


def transcript(path: Path, count: int) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps({
        "type": "assistant", "sessionId": "s1", "requestId": f"req_{n}", "timestamp": f"2025-02-01T10:{n:02d}:00Z",
        "message": {"id": f"m{n}", "model": "claude-sonnet-4-5-20250929",
                    "usage": {"input_tokens": 10, "output_tokens": n + 1}}}) + "\n" for n in range(count)))
    return path


def run_import(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vaultledger", "import", "claude-code", str(tmp_path / "projects"),
               "--logs", str(tmp_path / "logs"), "--tz", "UTC"]
    return subprocess.run(command, env={**os.environ, "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache"), **env},
                          capture_output=True, text=True, timeout=60)


def test_an_import_killed_after_its_second_append_resumes_without_doubling(tmp_path: Path) -> None:
    transcript(tmp_path / "projects" / "p" / "a.jsonl", 4)
    trace = tmp_path / "steps"
    assert run_import(tmp_path, VAULTLEDGER_KILL_AT="2", VAULTLEDGER_STEP_LOG=str(trace)).returncode == -signal.SIGKILL
    assert trace.read_text().splitlines() == ["1 import: record appended", "2 import: record appended"]
    lines = (tmp_path / "logs" / "2025-02-01.jsonl").read_text().splitlines()
    assert len(lines) == 2  # nothing remembered yet: the hints are saved after the file
    resumed = run_import(tmp_path)
    assert resumed.returncode == 0 and "2 appended" in resumed.stdout and "2 already imported" in resumed.stdout
    ids = [json.loads(line)["id"] for line in (tmp_path / "logs" / "2025-02-01.jsonl").read_text().splitlines()]
    assert sorted(ids) == [f"m{n}:req_{n}" for n in range(4)]
