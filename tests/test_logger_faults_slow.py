"""The logger never loses, raises or blocks (issue 13, items 1-5), proved on real processes: a disk
filled through RLIMIT_FSIZE (EFBIG) and a full tmpfs (ENOSPC), a timer signal whose handler logs,
`ulimit -n 256`, a FIFO at the day's path, and `python -W error`. Every record a call returned must
be read back exactly once by the real reader, nothing glued, every lost record counted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vaultledger.capture.dropped import DroppedRecords, dropped_records
from vaultledger.ledger.files import ReadStats, list_log_files, read_file

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="rlimits, signals and FIFOs are POSIX")]

DAY = "2026-03-14"
LOG_CALL = """
def log(rid, **extra):
    fields = dict(provider="openai", model="gpt-4o-mini", input_tokens=1000, output_tokens=100,
                  project="diskfull", ts="2026-03-14T12:00:00+00:00", id=rid)
    return [rid, log_usage(**{**fields, **extra}) is not None]
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "VAULTLEDGER_LOGS": str(tmp_path / "logs"), "VAULTLEDGER_TZ": "UTC",
            "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONWARNINGS": "ignore"}


def run_child(script: str, env: dict[str, str], *args: str, timeout: float = 120) -> Any:
    """Run `script` in a fresh Python (a timeout fails the test: it proves nothing blocks) and
    return the JSON it prints last."""
    code = "import json, os, sys\nfrom vaultledger import log_usage\n" + LOG_CALL + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def read_back(logs: Path) -> tuple[Counter[str], ReadStats]:
    """How often each id is in the folder's log files, read by the real reader (duplicates counted apart)."""
    stats = ReadStats()
    ids = Counter(record.id or "" for log in list_log_files(logs) for record in read_file(log.path, stats))
    return ids, stats


def assert_nothing_lost_or_glued(logs: Path, results: list[list[Any]], state: Path) -> None:
    ids, stats = read_back(logs)
    returned = {rid for rid, ok in results if ok}
    assert {rid: ids[rid] for rid in returned} == dict.fromkeys(returned, 1)  # every returned record, once
    assert set(ids) <= returned  # and no record that was reported lost
    assert stats.duplicates == 0 and stats.partial_lines == 0
    assert stats.invalid_lines <= 1  # at most the one line the full disk cut in half
    lost = sum(1 for _, ok in results if not ok)
    assert dropped_records(logs, state_dir=state / "vaultledger") == DroppedRecords(
        lost, {"unwritable": lost} if lost else {})


FILL_WITH_RLIMIT = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death, as a service would set it
limit = int(sys.argv[1])
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
results = [log(f"full-{n}", input_tokens=1000 + n) for n in range(400)]
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space is back
results += [log(f"after-{n}", project="after-free") for n in range(10)]
print(json.dumps(results))
"""


def test_a_file_size_limit_efbig_loses_no_returned_record_and_glues_nothing(env: dict[str, str],
                                                                           tmp_path: Path) -> None:
    results = run_child(FILL_WITH_RLIMIT, env, "20011")  # not a multiple of the line length: a short write
    assert any(ok for rid, ok in results if rid.startswith("full-"))
    assert not all(ok for rid, ok in results if rid.startswith("full-"))
    assert all(ok for rid, ok in results if rid.startswith("after-"))
    assert_nothing_lost_or_glued(tmp_path / "logs", results, tmp_path / "state")
    assert read_back(tmp_path / "logs")[1].invalid_lines == 1  # the limit did cut a line


FILL_TMPFS = """
logs = os.environ["VAULTLEDGER_LOGS"]
os.makedirs(logs)
filler = os.path.join(os.path.dirname(logs), "filler")
with open(filler, "wb") as handle:
    handle.write(b"\\0" * 40_000)
results = [log(f"full-{n}", input_tokens=1000 + n) for n in range(400)]
os.remove(filler)  # space is back
results += [log(f"after-{n}", project="after-free") for n in range(10)]
print(json.dumps(results))
"""


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Any:
    mount = tmp_path / "small"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_enospc_loses_no_returned_record_and_glues_nothing(env: dict[str, str], small_tmpfs: Path,
                                                                       tmp_path: Path) -> None:
    logs = small_tmpfs / "logs"
    results = run_child(FILL_TMPFS, {**env, "VAULTLEDGER_LOGS": str(logs)})
    assert not all(ok for rid, ok in results if rid.startswith("full-"))
    assert all(ok for rid, ok in results if rid.startswith("after-"))
    assert_nothing_lost_or_glued(logs, results, tmp_path / "state")


SIGNAL_REENTRY = """
import faulthandler, itertools, signal
faulthandler.dump_traceback_later(100, exit=True)  # a deadlock shows where it hangs
handled, numbers = [], itertools.count()

def handler(signum, frame):  # handlers nest when a signal lands inside one: next() is atomic
    handled.append(log(f"h{next(numbers)}"))

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
results = [log(f"o{n}") for n in range(int(sys.argv[1]))]
signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps({"outer": results, "handled": handled}))
"""


def test_log_usage_from_a_signal_handler_never_deadlocks_and_every_record_lands_once(env: dict[str, str],
                                                                                  tmp_path: Path) -> None:
    found = run_child(SIGNAL_REENTRY, env, "4000", timeout=150)
    outer, handled = found["outer"], found["handled"]
    assert len(handled) > 20 and all(ok for _, ok in outer)
    ids, stats = read_back(tmp_path / "logs")
    # A handler's record is returned when written at once, None when queued for the call it
    # interrupted: either way it lands, exactly once.
    assert ids == Counter({rid: 1 for rid, _ in outer + handled})
    assert stats.invalid_lines == 0 and stats.partial_lines == 0
    assert dropped_records(tmp_path / "logs", state_dir=tmp_path / "state" / "vaultledger").count == 0


BACKFILL_UNDER_ULIMIT = """
import datetime as dt, resource, tempfile
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
start = dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone.utc)
results = [log(f"d{n}", ts=start + dt.timedelta(days=n)) for n in range(400)]
apps_own = [tempfile.TemporaryFile() for _ in range(200)]  # the host app still has its descriptors
print(json.dumps({"results": results, "open": len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))}))
"""


def test_a_400_day_backfill_under_ulimit_256_leaves_the_app_its_descriptors(env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    found = run_child(BACKFILL_UNDER_ULIMIT, env)
    assert all(ok for _, ok in found["results"]) and found["open"] < 256
    ids, stats = read_back(tmp_path / "logs")
    assert ids == Counter({f"d{n}": 1 for n in range(400)}) and stats.invalid_lines == 0


LOG_INTO_FIFO = """
results = [log(f"p{n}", attrs={"pad": "x" * 3000}) for n in range(200)]
results.append(log("next-day", ts="2026-03-15T12:00:00+00:00"))
print(json.dumps(results))
"""


def test_a_fifo_at_the_days_path_never_blocks_the_app(env: dict[str, str], tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    os.mkfifo(logs / f"{DAY}.jsonl")
    results = run_child(LOG_INTO_FIFO, env, timeout=60)
    assert [ok for _, ok in results] == [False] * 200 + [True]
    assert dropped_records(logs) == DroppedRecords(200, {"unwritable": 200})
    cli = subprocess.run([sys.executable, "-m", "vaultledger", "log", "--provider", "openai", "--model", "m",
                          "--input-tokens", "1", "--output-tokens", "1", "--ts", f"{DAY}T12:00:00Z"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1 and "is not a regular file" in cli.stderr and cli.stderr.count("\n") == 1


WARNINGS_AS_ERRORS = {
    "invalid call": "print(log_usage(provider='openai', model='gpt-4o', input_tokens=-1, output_tokens=1))",
    "valid call, unwritable folder": "print(log_usage(provider='openai', model='gpt-4o', input_tokens=1, "
                                     "output_tokens=1))",
    "unreadable response": "from vaultledger import record_response\nprint(record_response(object()))",
    "oversized model": "print(log_usage(provider='openai', model='m' * 5000, input_tokens=1, output_tokens=1))",
}


@pytest.mark.parametrize("code", WARNINGS_AS_ERRORS.values(), ids=WARNINGS_AS_ERRORS.keys())
@pytest.mark.parametrize("flag", ["-Werror", "-Werror::RuntimeWarning"])
def test_python_w_error_never_raises_into_the_app(code: str, flag: str, env: dict[str, str],
                                                 tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("where the logs folder should be")
    environment = {**env, "VAULTLEDGER_LOGS": str(blocker / "logs")}
    del environment["PYTHONWARNINGS"]
    done = subprocess.run([sys.executable, flag, "-c", "from vaultledger import log_usage\n" + code],
                          env=environment, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr
    assert "vaultledger: usage not logged" in done.stderr and "Traceback" not in done.stderr


def test_pytest_filterwarnings_error_in_the_app_sees_no_exception(tmp_path: Path, env: dict[str, str]) -> None:
    app_tests = tmp_path / "app" / "test_app.py"
    app_tests.parent.mkdir()
    app_tests.write_text(textwrap.dedent("""
        from vaultledger import log_usage, record_response

        def test_logging_never_breaks_the_app():
            assert log_usage(provider="openai", model="gpt-4o", input_tokens=-1, output_tokens=1) is None
            assert log_usage(provider="openai", model="gpt-4o", input_tokens=1, output_tokens=1) is None
            assert record_response({"weird": True}) is None
    """))
    blocker = tmp_path / "a-file"
    blocker.write_text("where the logs folder should be")
    environment = {**env, "VAULTLEDGER_LOGS": str(blocker / "logs")}
    del environment["PYTHONWARNINGS"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-o", "filterwarnings=error", str(app_tests)], cwd=app_tests.parent,
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vaultledger_log_on_a_full_disk_exits_1_and_the_next_line_starts_fresh(env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    day_file = logs / f"{DAY}.jsonl"
    day_file.write_bytes(b'{"v":1,"ts":"2026-03-14T12:00:00Z","provider":"openai","model":"m","input_tokens":1,'
                         b'"output_tokens":1}\n' * 20 + b"x" * 50)  # then a crash; the limit leaves room for a trace
    command = [sys.executable, "-m", "vaultledger", "log", "--provider", "openai", "--model", "gpt-4o",
               "--input-tokens", "5", "--output-tokens", "5", "--ts", f"{DAY}T13:00:00Z", "--id", "cli-1"]

    def full_disk() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (day_file.stat().st_size + 40, resource.RLIM_INFINITY))

    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, preexec_fn=full_disk)
    assert refused.returncode == 1 and refused.stderr.startswith(f"vaultledger: {logs}: cannot append")
    assert refused.stderr.count("\n") == 1
    written = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert written.returncode == 0, written.stderr
    ids, stats = read_back(logs)
    assert ids == Counter({"": 20, "cli-1": 1}) and stats.invalid_lines == 2  # the old junk and the cut line
    assert dropped_records(logs).count == 1


FORK_WHILE_HELD = """
import threading
from vaultledger.capture import dropped
from vaultledger.capture.logger import _process_log
log("parent-first")
usage_log = _process_log.get()
held, release = threading.Event(), threading.Event()
holder = threading.Thread(target=lambda: (usage_log._lock.acquire(), held.set(), release.wait(30),
                                          usage_log._lock.release()))
holder.start()
held.wait(10)
queued = log("parent-queued")  # waits LOCK_WAIT, then is queued for the stuck holder
state = os.environ["XDG_STATE_HOME"]
open(state, "w").close()  # nowhere to save a drop of a missing logs folder: it stays in memory
dropped.note_dropped(usage_log.logs_dir / "missing", __import__("datetime").date(2026, 3, 14), "unwritable")
os.remove(state)
child = os.fork()
if child == 0:  # the holder does not exist here: its lock must not either, nor the parent's queue
    code = 0 if log("child")[1] else 3
    sys.exit(code)  # runs atexit: it must not save the parent's drop
_, status = os.waitpid(child, 0)
release.set()
holder.join()
dropped.save_unsaved()
results = [log("parent-after"), queued]
print(json.dumps({"child": os.waitstatus_to_exitcode(status), "results": results}))
"""


def test_a_child_forked_while_a_thread_holds_the_log_writes_at_once_and_nothing_twice(
        env: dict[str, str], tmp_path: Path) -> None:
    found = run_child(FORK_WHILE_HELD, env, timeout=60)
    assert found["child"] == 0
    assert found["results"] == [["parent-after", True], ["parent-queued", False]]
    ids, stats = read_back(tmp_path / "logs")
    assert ids == Counter({"parent-first": 1, "parent-queued": 1, "child": 1, "parent-after": 1})
    assert dropped_records(tmp_path / "logs" / "missing", state_dir=tmp_path / "state" / "vaultledger").count == 1
