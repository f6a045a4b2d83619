"""A real `vaultledger rollup` killed (SIGKILL) at every write step it passes, or at a seeded sample of them.

The run under test is a nightly catch-up after new log lines and a new `[[prices]]` entry: it re-folds
the logs (cache writes), rewrites every note already written, creates new ones, then saves its state.
After each kill every note must be byte-equal to its old or its new text (or absent, where it was new),
nothing else may appear in the vault but our own temp files; a later re-run must remove those and
converge to exactly the bytes and state of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import re
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import call, write_lines
from vaultledger._fs import TEMP_NAME

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]

# Fewer than the ledger's PARALLEL_MIN_FILES, so the whole run is one process with one step counter.
FIRST_DAYS = ["2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
LATER_DAYS = ["2026-03-03", "2026-03-04"]
SAMPLE = 40
SEED = 20261205

OLD_CONFIG = "[notes.monthly]\nenabled = true\n"
NEW_CONFIG = OLD_CONFIG + '[[prices]]\nprovider = "acme"\nmodel = "frobnicator-*"\ninput = 5.00\noutput = 10.00\n'


def cli() -> list[str]:
    script = Path(sys.executable).with_name("vaultledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vaultledger"]


class World:
    """Logs and config stay put; the vault and the cache are put back to their saved state before each run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.vault, self.cache, self.logs = root / "vault", root / "cache", root / "logs"
        self.config = root / "vaultledger.toml"
        self.saved = root / "saved"

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "VAULTLEDGER_CONFIG": str(self.config), "VAULTLEDGER_VAULT": str(self.vault),
                       "VAULTLEDGER_LOGS": str(self.logs), "VAULTLEDGER_TZ": "UTC",
                       "VAULTLEDGER_CACHE_DIR": str(self.cache), "HOME": str(self.root), **env}
        for name in ("VAULTLEDGER_KILL_AT", "VAULTLEDGER_STEP_LOG"):
            if name not in env:
                environment.pop(name, None)
        return subprocess.run([*cli(), "rollup", "--quiet"], env=environment, capture_output=True, text=True,
                              timeout=120, cwd=self.root)

    def save(self) -> None:
        for name in ("vault", "cache"):
            shutil.copytree(self.root / name, self.saved / name, symlinks=True)

    def restore(self) -> None:
        for name in ("vault", "cache"):
            shutil.rmtree(self.root / name, ignore_errors=True)
            shutil.copytree(self.saved / name, self.root / name, symlinks=True)

    def files(self) -> dict[str, bytes]:
        return {str(path.relative_to(self.vault)): path.read_bytes()
                for path in sorted(self.vault.rglob("*")) if path.is_file() and ".obsidian" not in path.parts}

    def state(self) -> object:
        return json.loads((self.cache / "nightly-state.json").read_text())


def log_day(logs: Path, day: str, hour: int) -> None:
    write_lines(logs / f"{day}.jsonl",
                call(ts=f"{day}T{hour:02d}:00:00Z", id=f"{day}-{hour}", project="poetry"),
                call(ts=f"{day}T{hour:02d}:30:00Z", provider="acme", model="frobnicator-9000", id=f"{day}-{hour}b"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Saved: the notes and state of a first nightly run, a user's edit in one note. Then: more lines and a price."""
    world = World(tmp_path_factory.mktemp("killed-rollup"))
    (world.vault / ".obsidian").mkdir(parents=True)
    world.config.write_text(OLD_CONFIG)
    for day in FIRST_DAYS:
        log_day(world.logs, day, 9)
    assert world.run().returncode == 0
    edited = world.vault / "2026-02-27.md"
    edited.write_text("# Friday\n\nMet Ana.\n\n" + edited.read_text() + "\nLater: a walk.\n")
    world.save()
    for day in FIRST_DAYS[-2:] + LATER_DAYS:
        log_day(world.logs, day, 15)
    world.config.write_text(NEW_CONFIG)
    return world


@pytest.fixture(scope="module")
def reference(world: World) -> tuple[dict[str, bytes], dict[str, bytes], object, list[str]]:
    """Old notes, new notes and state of an uninterrupted run, and the names of the steps it passed."""
    world.restore()
    old = world.files()
    trace = world.root / "steps.txt"
    done = world.run(VAULTLEDGER_STEP_LOG=str(trace))
    assert done.returncode == 0, done.stderr
    steps = [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]
    new = world.files()
    assert old.keys() < new.keys() and any(old[name] != new[name] for name in old)
    return old, new, world.state(), steps


def kill_points(count: int) -> list[int]:
    if count <= SAMPLE:
        return list(range(1, count + 1))
    ends = {1, 2, 3, count - 2, count - 1, count}
    rest = sorted(set(range(1, count + 1)) - ends)
    return sorted(ends | set(random.Random(SEED).sample(rest, SAMPLE - len(ends))))


def test_the_run_passes_a_step_at_every_kind_of_write(reference) -> None:
    *_, steps = reference
    assert any(step.startswith("replaced") and step.endswith(".msgpack") for step in steps)  # fold cache
    assert any(step == "note 2026-02-27.md written" for step in steps)  # an update
    assert any(step == "note 2026-03-04.md written" for step in steps)  # a creation
    assert steps[-2:] == ["replaced nightly-state.json", "nightly state saved"]


def test_a_kill_at_any_step_leaves_old_or_new_notes_and_a_rerun_converges(world: World, reference) -> None:
    old, new, new_state, steps = reference
    failures = []
    for kill_at in kill_points(len(steps)):
        world.restore()
        killed = world.run(VAULTLEDGER_KILL_AT=str(kill_at))
        where = f"kill at step {kill_at} ({steps[kill_at - 1]})"
        assert killed.returncode == -signal.SIGKILL, (where, killed.stderr)
        failures += check_old_or_new(world, old, new, where)
        age_temp_files(world.vault)
        rerun = world.run()
        assert rerun.returncode == 0, (where, rerun.stderr)
        if world.files() != new:
            failures.append(f"{where}: the re-run did not converge")
        if world.state() != new_state:
            failures.append(f"{where}: the re-run saved another state")
    assert failures == []


def check_old_or_new(world: World, old: dict[str, bytes], new: dict[str, bytes], where: str) -> list[str]:
    problems = []
    for name, data in world.files().items():
        if re.fullmatch(TEMP_NAME, Path(name).name):
            continue  # ours, half written: the re-run must sweep it
        if data not in (old.get(name), new.get(name)):
            problems.append(f"{where}: {name} is neither its old nor its new text")
    missing = [name for name in old if not (world.vault / name).exists()]
    return problems + [f"{where}: {name} went missing" for name in missing]


def age_temp_files(vault: Path) -> None:
    """The next nightly run comes hours later: temp files left now are stale by then."""
    then = time.time() - 3600
    for path in vault.rglob(".*.tmp"):
        os.utime(path, (then, then))
