"""Streaming reads: an import's peak memory stays flat as a transcript grows. Each size runs the real CLI
in its own process, and the peak resident set the kernel reports for that process is compared: a
transcript ten times larger (ten times the calls) may not raise it by a fifth. The transcripts are
real ones (read in place) written out again and again with fresh message ids, as a long session grows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
CLAUDE = SHARED / "real-world" / "claude-code" / "claude-code-viewer" / "projects" / "sample-project" / \
    "fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"  # 774 KB, 170 messages
CODEX = SHARED / "real-world" / "codex" / "codemie-rollouts" / "sessions" / "2026" / "05" / "11" / \
    "rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl"  # 748 KB, 66 token counts
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLAUDE.is_file(), reason=f"{CLAUDE.parent} is absent (a bare clone has no ../shared)"),
    pytest.mark.skipif(not hasattr(os, "wait4"), reason="a child's peak memory is read with os.wait4 (POSIX)"),
]
BASE_COPIES = 5
GROWTH = 10
MAX_RATIO = 1.2


def grown(source: Path, target: Path, copies: int, renamed: list[bytes]) -> Path:
    """`source` written `copies` times, each copy's ids made its own by prefixing every `renamed` marker."""
    data = source.read_bytes()
    with target.open("wb") as out:
        for copy in range(copies):
            chunk = data
            for marker in renamed:
                chunk = chunk.replace(marker, marker + f"c{copy}x".encode())
            out.write(chunk)
    return target


def peak_rss(tmp_path: Path, source: str, transcript: Path) -> tuple[int, int]:
    """The peak resident set of `vaultledger import SOURCE TRANSCRIPT`, run as a process of its own,
    and the calls it appended."""
    logs = tmp_path / f"logs-{transcript.stem}"
    command = [sys.executable, "-m", "vaultledger", "import", source, str(transcript), "--logs", str(logs),
               "--tz", "UTC"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = process.stdout.read() + process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    appended = re.search(rb"calls seen, ([\d,]+) appended", output)
    assert appended, output
    return usage.ru_maxrss, int(appended.group(1).replace(b",", b""))


@pytest.mark.parametrize(("source", "real", "renamed"), [
    ("claude-code", CLAUDE, [b'"msg_', b'"req_']),
    ("codex", CODEX, [b'"019e1625-']),  # the session id: each copy is a session of its own
])
def test_peak_memory_stays_flat_as_a_transcript_grows_tenfold(source: str, real: Path, renamed: list[bytes],
                                                              tmp_path: Path) -> None:
    small = grown(real, tmp_path / f"small-{real.name}", BASE_COPIES, renamed)
    large = grown(real, tmp_path / f"large-{real.name}", BASE_COPIES * GROWTH, renamed)
    (small_peak, small_calls), (large_peak, large_calls) = peak_rss(tmp_path, source, small), peak_rss(
        tmp_path, source, large)
    assert large_calls == GROWTH * small_calls > 0
    assert large_peak < MAX_RATIO * small_peak, (
        f"{source}: peak {large_peak:,} for {large.stat().st_size:,} bytes vs {small_peak:,} for "
        f"{small.stat().st_size:,} bytes")
