"""`merge` killed at every step (real processes, real SIGKILLs through `VAULTLEDGER_KILL_AT`): the calls
reports count afterwards are those before or after each copy's merge, copies taken in order (never a
copy half merged, never a line twice), and a re-run converges to the uninterrupted result, byte for byte."""

from __future__ import annotations

import gzip
import json
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest

from conftest import call
from test_ops_faults_slow import base_env, counted, learn_steps, stored, vaultledger  # noqa: F401 (a fixture)
from vaultledger.ledger.conflicts import list_conflict_copies

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill points need SIGKILL")]


def line(**fields: object) -> bytes:
    return json.dumps(call(**fields)).encode() + b"\n"


def conflicted_folder(logs: Path) -> Path:
    """Two days of a shared folder with a copy in each tool's naming: new calls with and without ids,
    a void for a call the original counts, a line two copies share, a copy of an archived day, a copy
    holding nothing new, and this machine's own file already there."""
    logs.mkdir(parents=True)
    shared = line(ts="2026-03-14T09:00:00Z", id="a") + line(ts="2026-03-14T09:05:00Z")
    (logs / "2026-03-14.jsonl").write_bytes(shared + line(ts="2026-03-14T10:00:00Z", id="b"))
    (logs / "2026-03-14.desk.jsonl").write_bytes(line(ts="2026-03-14T08:00:00Z", id="d0"))
    (logs / "2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl").write_bytes(
        shared + line(ts="2026-03-14T10:30:00Z", id="c", output_tokens=7) + line(ts="2026-03-14T10:31:00Z"))
    (logs / "2026-03-14 (Anna's conflicted copy 2026-03-14).jsonl").write_bytes(
        line(ts="2026-03-14T10:31:00Z") + line(ts="2026-03-14T10:40:00Z", id="b", void=True, output_tokens=0))
    (logs / "2026-03-14 2.jsonl").write_bytes(shared)
    archived = line(ts="2026-03-13T09:00:00Z", id="e")
    (logs / "2026-03-13.jsonl.gz").write_bytes(gzip.compress(archived))
    (logs / "2026-03-13.jsonl 2.gz").write_bytes(gzip.compress(archived + line(ts="2026-03-13T22:00:00Z")))
    return logs


def merge_args(logs: Path, config: Path) -> list[str]:
    return ["merge", "--logs", str(logs), "--config", str(config)]


def states_copy_by_copy(template: Path, config: Path, tmp_path: Path, env: dict[str, str]) -> list[Counter]:
    """What reports count after merging the first k copies, for every k: merging copy k depends only
    on the copies before it, so a folder holding just those shows it."""
    copies = [copy.path.name for copy in list_conflict_copies(template)]
    states = []
    for k in range(len(copies) + 1):
        partial = tmp_path / f"first-{k}"
        shutil.copytree(template, partial)
        for name in copies[k:]:
            (partial / name).unlink()
        assert vaultledger(*merge_args(partial, config), env=env).returncode == 0
        states.append(counted(partial, env))
        shutil.rmtree(partial)
    return states


def test_merge_killed_at_every_step(tmp_path: Path, base_env: dict[str, str]) -> None:  # noqa: F811
    config = tmp_path / "config.toml"
    config.write_text('host_files = true\nhost = "desk"\n')
    template = conflicted_folder(tmp_path / "template")
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    steps = learn_steps(merge_args(probe, config), base_env, tmp_path / "steps")
    assert len(steps) == 7 and sum("renamed" in step for step in steps) == 4, steps
    states = states_copy_by_copy(template, config, tmp_path, base_env)
    assert states[0] != states[-1] and len(set(map(frozenset, (s.items() for s in states)))) >= 4
    converged = stored(probe)
    assert counted(probe, base_env) == states[-1]
    for kill_at in range(1, len(steps) + 1):
        trial = tmp_path / f"kill-{kill_at}"
        shutil.copytree(template, trial)
        killed = vaultledger(*merge_args(trial, config), env=base_env, VAULTLEDGER_KILL_AT=str(kill_at))
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        assert counted(trial, base_env) in states, f"killed at step {kill_at} ({steps[kill_at - 1]})"
        again = vaultledger(*merge_args(trial, config), env=base_env)
        assert again.returncode == 0, again.stderr
        assert stored(trial) == converged, f"killed at step {kill_at} ({steps[kill_at - 1]})"
        once_more = vaultledger(*merge_args(trial, config), env=base_env)
        assert "no conflict copies" in once_more.stdout and stored(trial) == converged
        shutil.rmtree(trial)
