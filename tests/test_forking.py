"""forking.forked_map: the fork start method's worker pool, without ProcessPoolExecutor. Real forked
processes, real pipes, real signals."""

from __future__ import annotations

import os
import signal
import time

import pytest

from fresh import printed
from vaultledger.ledger.forking import forked_map

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")

_given: list[str] = []


def _remember(value: str) -> None:
    _given.append(value)


def _job(job: tuple[str, int]) -> tuple[int, int, list[str]]:
    kind, number = job
    if kind == "late":
        time.sleep(0.3)  # answered after the jobs behind it
    elif kind == "slow":
        time.sleep(1.5)  # long enough for quick jobs elsewhere to be done under any load
    elif kind == "fail":
        raise ValueError(f"job {number} went wrong")
    elif kind == "unpicklable":
        raise _Unpicklable()
    elif kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return number, os.getpid(), list(_given)


class _Unpicklable(Exception):
    def __reduce__(self):  # type: ignore[override]
        raise TypeError("not this one")


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_results_come_in_job_order_from_every_worker_each_set_up_once() -> None:
    jobs = [("late", 0), *(("quick", number) for number in range(1, 40))]
    results = list(forked_map(_job, jobs, 2, _remember, ("set up",)))
    assert [number for number, _, _ in results] == list(range(40))
    assert len({pid for _, pid, _ in results}) == 2 and os.getpid() not in {pid for _, pid, _ in results}
    assert all(given == ["set up"] for _, _, given in results)  # the initializer ran once in each worker
    assert _given == [] and _no_children_left()


def test_big_answers_pass_through_the_pipes() -> None:
    def payload(job: int) -> bytes:
        return bytes([job % 256]) * (3 << 20)  # bigger than a pipe holds: written while the parent reads

    results = list(forked_map(payload, list(range(6)), 2))
    assert [(len(result), result[:1]) for result in results] == [(3 << 20, bytes([job])) for job in range(6)]
    assert _no_children_left()


def test_a_jobs_error_is_raised_here_with_the_workers_traceback_and_no_worker_is_left() -> None:
    with pytest.raises(ValueError, match="job 3 went wrong") as raised:
        list(forked_map(_job, [("quick", 0), ("quick", 1), ("quick", 2), ("fail", 3), ("quick", 4)], 2))
    assert "_job" in str(raised.value.__cause__) and "raise ValueError" in str(raised.value.__cause__)
    assert _no_children_left()


def test_an_error_that_cannot_be_pickled_is_named() -> None:
    with pytest.raises(RuntimeError, match="a worker process failed: _Unpicklable"):
        list(forked_map(_job, [("unpicklable", 0)], 1))
    assert _no_children_left()


def test_a_worker_that_dies_is_an_error_that_says_how() -> None:
    with pytest.raises(ChildProcessError, match="killed by SIGKILL"):
        list(forked_map(_job, [("quick", 0), ("die", 1), ("quick", 2)], 2))
    assert _no_children_left()


def test_stopping_early_kills_and_reaps_the_busy_workers() -> None:
    results = forked_map(_job, [("quick", 0), *(("late", number) for number in range(1, 6))], 2)
    assert next(results)[0] == 0
    results.close()
    assert _no_children_left()


def test_fewer_jobs_than_workers_and_no_jobs() -> None:
    assert [number for number, _, _ in forked_map(_job, [("quick", 0)], 4)] == [0]
    assert list(forked_map(_job, [], 4)) == []
    assert _no_children_left()


def test_running_out_of_descriptors_leaves_none_of_the_pools_open() -> None:
    """With room for one pipe only, starting a worker fails with the OS's error; the pipe made
    before the failing one is closed again, as are the workers' of earlier forks."""
    probe = (
        "import errno, os, resource\nfrom vaultledger.ledger.forking import forked_map\n"
        "def lowest_free():\n    fd = os.dup(0)\n    os.close(fd)\n    return fd\n"
        "free = lowest_free()\n_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (free + 3, hard))\n"
        "try:\n    list(forked_map(abs, [-1], 1))\nexcept OSError as error:\n    print(error.errno == errno.EMFILE)\n"
        "print(lowest_free() == free)\n"
    )
    assert printed(probe) == ["True", "True"]


def _first_job(job: tuple[str, int]) -> tuple[str, int, int, list[str]]:
    number, pid, given = _job(job)
    return "first", number, pid, given


def test_a_first_job_is_worked_on_while_prepare_runs_and_its_worker_goes_once_done() -> None:
    """The first job goes to a worker forked before `prepare` (which it does not inherit), the others
    to workers forked after it; results still come in job order, and the early worker, done, is
    reaped before the others finish."""
    jobs = [("quick", 0), ("quick", 1), *(("late", number) for number in range(2, 6))]
    try:
        results = forked_map(_job, jobs, 2, _remember, ("set up",), prepare=lambda: _remember("prepared"),
                             first=_first_job)
        kind, number, early_pid, given = next(results)
        assert (kind, number, given) == ("first", 0, ["set up"])
        second = next(results)
        with pytest.raises(ChildProcessError):  # reaped once its job was done
            os.waitpid(early_pid, os.WNOHANG)
        rest = [second, *results]
    finally:
        _given.clear()
    assert [number for number, _, _ in rest] == list(range(1, 6))
    assert all(given == ["prepared", "set up"] for _, _, given in rest)
    assert early_pid not in {pid for _, pid, _ in rest} and len({pid for _, pid, _ in rest}) == 2
    assert _no_children_left()


def test_a_first_job_alone_waits_for_prepare_and_a_failing_one_is_raised() -> None:
    try:
        [(number, _, given)] = forked_map(_job, [("quick", 0)], 2, prepare=lambda: _remember("prepared"),
                                          first=_first_job)
    finally:
        _given.clear()
    assert (number, given) == (0, ["prepared"])  # no worker is forked early for a single job
    with pytest.raises(ValueError, match="job 0 went wrong"):
        list(forked_map(_job, [("fail", 0), ("quick", 1)], 2, first=_first_job))
    assert _no_children_left()


def test_a_worker_with_nothing_left_to_do_ends_while_the_others_work() -> None:
    """Its exit (freeing what it held) overlaps the last jobs instead of following the last result."""
    results = forked_map(_job, [("quick", 0), ("slow", 1), ("quick", 2), ("quick", 3)], 2)
    assert next(results)[0] == 0
    assert next(results)[0] == 1  # the slow job: the other worker was done with 2 and 3 meanwhile
    ended, _ = os.waitpid(-1, os.WNOHANG)
    assert ended != 0, "the idle worker should have ended already"
    assert [number for number, _, _ in results] == [2, 3]
    assert _no_children_left()
