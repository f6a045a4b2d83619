"""`archive` and `import` killed at every write step (and at a seeded sample of a bigger run): what the
reports count afterwards is the old set or the new one (an import, cut short, a part of the new one on
top of the old), never a call twice or with other tokens, and a re-run converges to the uninterrupted
result. Real processes, real SIGKILLs (`VAULTLEDGER_KILL_AT`), the real CLI."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import call, write_lines

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill points need SIGKILL")]

Call = tuple[str, str, str, int, int]  # provider, id, ts, input, output


def vaultledger(*args: str, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaultledger", *args], env={**env, **extra},
                          capture_output=True, text=True, timeout=120)


def counted(logs: Path, env: dict[str, str]) -> Counter[Call]:
    """Every call `export` lists over all time, as the multiset reports count (the same rules, SPEC §2)."""
    result = vaultledger("export", "--format", "jsonl", "--from", "2020-01-01", "--to", "2030-12-31",
                         "--logs", str(logs), env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return Counter((row["provider"], row["id"] or "", row["ts"], row["input_tokens"], row["output_tokens"])
                   for row in rows)


def report_totals(logs: Path, env: dict[str, str]) -> dict:
    result = vaultledger("report", "--format", "json", "--from", "2020-01-01", "--to", "2030-12-31",
                         "--logs", str(logs), env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["totals"]


def stored(logs: Path) -> dict[str, Counter[bytes]]:
    """Each log file's lines (decompressed), by name: what a converged folder must hold."""
    return {path.name: Counter((gzip.decompress(path.read_bytes()) if path.name.endswith(".gz")
                                else path.read_bytes()).splitlines())
            for path in sorted(logs.iterdir()) if not path.name.startswith(".")}


def learn_steps(command: list[str], env: dict[str, str], trace: Path) -> list[str]:
    done = vaultledger(*command, env=env, VAULTLEDGER_STEP_LOG=str(trace))
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULTLEDGER_")}
    return {**env, "VAULTLEDGER_TZ": "UTC", "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache"),
            "HOME": str(tmp_path / "home")}


# --- archive ---


def archive_folder(logs: Path, days: int = 5) -> Path:
    """Past days in every shape SPEC §2 allows: plain files with and without ids, a host file, a day
    already archived with late lines beside it, and a day an earlier archive left in both files."""
    for number in range(days):
        day = f"2025-01-{10 + number:02d}"
        write_lines(logs / f"{day}.jsonl", *[call(ts=f"{day}T{hour:02d}:00:00Z", input_tokens=100 + hour)
                                             for hour in range(6)])
        write_lines(logs / f"{day}.jsonl", call(ts=f"{day}T20:00:00Z", id=f"r-{day}", output_tokens=9))
    write_lines(logs / "2025-01-10.laptop.jsonl", call(ts="2025-01-10T07:00:00Z", id="host-1"))
    early = write_lines(logs / "2025-01-02.jsonl", call(ts="2025-01-02T08:00:00Z", id="early"))
    (logs / "2025-01-02.jsonl.gz").write_bytes(gzip.compress(early.read_bytes()))
    early.write_bytes(b"")
    write_lines(early, call(ts="2025-01-02T09:00:00Z", id="late"))
    cut = write_lines(logs / "2025-01-04.jsonl", call(ts="2025-01-04T08:00:00Z"))
    (logs / "2025-01-04.jsonl.gz").write_bytes(gzip.compress(cut.read_bytes()))
    return logs


def check_archive_kills(template: Path, kill_points: list[int], tmp_path: Path, env: dict[str, str]) -> None:
    old = counted(template, env)
    old_totals = report_totals(template, env)
    finished = tmp_path / "finished"
    shutil.copytree(template, finished)
    assert vaultledger("archive", "--older-than", "0d", "--logs", str(finished), env=env).returncode == 0
    converged = stored(finished)
    assert counted(finished, env) == old
    for kill_at in kill_points:
        trial = tmp_path / f"kill-{kill_at}"
        shutil.copytree(template, trial)
        killed = vaultledger("archive", "--older-than", "0d", "--logs", str(trial), env=env,
                             VAULTLEDGER_KILL_AT=str(kill_at))
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        assert counted(trial, env) == old, f"killed at step {kill_at}"
        assert report_totals(trial, env) == old_totals, f"killed at step {kill_at}"
        again = vaultledger("archive", "--older-than", "0d", "--logs", str(trial), env=env)
        assert again.returncode == 0, again.stderr
        assert stored(trial) == converged, f"killed at step {kill_at}"
        shutil.rmtree(trial)


def test_archive_killed_at_every_write_step(tmp_path: Path, base_env: dict[str, str]) -> None:
    template = archive_folder(tmp_path / "template")
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    steps = learn_steps(["archive", "--older-than", "0d", "--logs", str(probe)], base_env, tmp_path / "steps")
    assert {"archive: 2025-01-10.laptop.jsonl.gz in place", "archive: removed 2025-01-04.jsonl",
            "archive: temp file written for 2025-01-02.jsonl.gz"} <= set(steps)
    check_archive_kills(template, list(range(1, len(steps) + 1)), tmp_path, base_env)


def test_archive_of_a_bigger_folder_killed_at_a_seeded_sample(tmp_path: Path, base_env: dict[str, str]) -> None:
    template = archive_folder(tmp_path / "template", days=20)
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    steps = learn_steps(["archive", "--older-than", "0d", "--logs", str(probe)], base_env, tmp_path / "steps")
    sample = sorted(random.Random(13).sample(range(1, len(steps) + 1), 8))
    check_archive_kills(template, sample, tmp_path, base_env)


# --- import ---


def assistant_line(message_id: str, timestamp: str, output: int) -> str:
    return json.dumps({
        "type": "assistant", "sessionId": "s1", "cwd": "/home/dev/atlas", "requestId": f"req_{message_id}",
        "timestamp": timestamp,
        "message": {"id": message_id, "model": "claude-sonnet-4-5-20250929",
                    "usage": {"input_tokens": 10, "cache_read_input_tokens": 100, "output_tokens": output}},
    }) + "\n"


def import_world(root: Path) -> Path:
    """Transcripts over three days (a streamed message, a session copied on resume), a logs folder
    that already holds other calls and an earlier import of part of them, and that import's state."""
    projects = root / "projects" / "-home-dev-atlas"
    projects.mkdir(parents=True)
    first = "".join(assistant_line(f"m{n}", f"2025-02-0{1 + n % 3}T10:{n:02d}:00Z", 5 + n) for n in range(6))
    (projects / "a.jsonl").write_text(first)
    write_lines(root / "logs" / "2025-02-01.jsonl", call(ts="2025-02-01T08:00:00Z", id="own-call"))
    done = vaultledger("import", "claude-code", str(root / "projects"), "--logs", str(root / "logs"),
                       env=env_for(root))
    assert done.returncode == 0, done.stderr
    with (projects / "a.jsonl").open("a") as handle:
        handle.write(assistant_line("m5", "2025-02-03T10:05:30Z", 500))  # m5 was still streaming
        handle.write(assistant_line("m7", "2025-02-02T11:00:00Z", 70))
    (projects / "b.jsonl").write_text(first + assistant_line("m8", "2025-02-03T12:00:00Z", 80))
    return root


def env_for(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULTLEDGER_")}
    return {**env, "VAULTLEDGER_TZ": "UTC", "VAULTLEDGER_CACHE_DIR": str(root / "cache"), "HOME": str(root / "home")}


def by_id(calls: Counter[Call]) -> dict[tuple[str, str], tuple[int, int]]:
    assert all(count == 1 for count in calls.values())
    ids = Counter((provider, call_id) for provider, call_id, *_ in calls)
    assert all(count == 1 for count in ids.values()), "a call counted twice"
    return {(provider, call_id): (tokens_in, tokens_out) for provider, call_id, _, tokens_in, tokens_out in calls}


def test_import_killed_at_every_write_step(tmp_path: Path) -> None:
    # Each world is built in place (its earlier import included): the hints of that import are keyed
    # by its folder and its files, so a copy would not use them.
    finished = import_world(tmp_path / "finished")
    command = ["import", "claude-code", str(finished / "projects"), "--logs"]
    old = by_id(counted(finished / "logs", env_for(finished)))
    steps = learn_steps([*command, str(finished / "logs")], env_for(finished), tmp_path / "steps")
    assert {"import: record appended", "import: hints saved"} <= set(steps)
    new = by_id(counted(finished / "logs", env_for(finished)))
    assert set(old) < set(new) and old[("anthropic", "m5:req_m5")] != new[("anthropic", "m5:req_m5")]
    converged = stored(finished / "logs")
    for kill_at in range(1, len(steps) + 1):
        trial = import_world(tmp_path / f"kill-{kill_at}")
        env, logs = env_for(trial), str(trial / "logs")
        command = ["import", "claude-code", str(trial / "projects"), "--logs", logs]
        killed = vaultledger(*command, env=env, VAULTLEDGER_KILL_AT=str(kill_at))
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        now = by_id(counted(trial / "logs", env))
        assert set(old) <= set(now) <= set(new), f"killed at step {kill_at}"
        assert all(now[key] in (old.get(key), new[key]) for key in now), f"killed at step {kill_at}"
        again = vaultledger(*command, env=env)
        assert again.returncode == 0, again.stderr
        assert by_id(counted(trial / "logs", env)) == new, f"killed at step {kill_at}"
        assert stored(trial / "logs") == converged, f"killed at step {kill_at}: lines appended twice"
        assert "0 appended" in vaultledger(*command, env=env).stdout
        shutil.rmtree(trial)
