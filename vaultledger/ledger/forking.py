"""Jobs run in worker processes forked straight from this one, a pipe each way: the fork start
method's pool without ProcessPoolExecutor, whose imports, queues, feeder and manager threads cost
a cold year 30-40 ms (of which 15 ms importing multiprocessing), and whose results reached the parent
through a thread that waited for the busy main thread to hand over the GIL.

A worker gets its next job before it finishes the one in hand, and writes each result into a pipe
widened to hold about a run's results, so it seldom waits on the parent. Only where `os.fork` is the
start method.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_HEADER = 8  # bytes of a message's length, before its pickled body
_PIPE_BYTES = 1 << 20  # Linux's default limit for an unprivileged pipe; a run's results at 1M calls a year


def forked_map(
    function: Callable[[Any], Any], jobs: Sequence[Any], workers: int,
    initializer: Callable[..., None] = lambda: None, initargs: tuple = (),
    prepare: Callable[[], None] = lambda: None, first: Callable[[Any], Any] | None = None,
) -> Iterator[Any]:
    """`function(job)` for each job, in the order of `jobs`, worked out in `workers` forked
    processes that each ran `initializer(*initargs)` first, and inherit what `prepare()` made ready
    (it runs before they are forked). With `first`, one more worker is forked before `prepare()` runs
    and works out `first(jobs[0])` alone while `prepare()` takes its time: work that needs none of
    what it loads need not wait for it. An exception raised by a job is raised here; a worker that
    dies is a ChildProcessError. Workers left when the caller stops early, or on an error, are
    killed and reaped."""
    pools: list[_Pool] = []
    try:
        rest = jobs
        if first is not None and len(jobs) > 1:
            pools.append(_Pool(first, initializer, initargs, 1))
            pools[0].start(jobs[:1])
            rest = jobs[1:]
        prepare()
        pools.append(_Pool(function, initializer, initargs, min(workers, len(rest)), pools))
        pools[-1].start(rest)
        for pool in pools:
            yield from pool.results()
            pool.close()  # the early worker is done: reaped now, not at the end
    finally:
        for pool in pools:
            pool.close()


class _Worker:
    __slots__ = ("pid", "tasks", "results", "pending")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid, self.tasks, self.results = pid, tasks, results
        self.pending: list[int] = []  # the jobs it was given and has not answered yet, oldest first


class _Pool:
    def __init__(self, function: Callable[[Any], Any], initializer: Callable[..., None], initargs: tuple,
                 count: int, others: Sequence[_Pool] = ()) -> None:
        self.workers: list[_Worker] = []
        # Pipe ends of pools forked before this one, which its workers close: they must not keep those
        # pipes open (a worker would never see its parent go).
        self._inherited = [end for pool in others for worker in pool.workers for end in (worker.tasks, worker.results)]
        self._jobs: Sequence[Any] = ()
        self._waiting: Iterator[int] = iter(())
        try:
            for _ in range(count):
                self.workers.append(self._fork(function, initializer, initargs))
        except BaseException:  # no pipe or no process to be had: the workers forked so far go too
            self.close()
            raise

    def _fork(self, function: Callable[[Any], Any], initializer: Callable[..., None], initargs: tuple) -> _Worker:
        task_read, task_write = os.pipe()
        try:
            result_read, result_write = os.pipe()
        except OSError:  # out of descriptors: the first pipe must not stay open
            os.close(task_read)
            os.close(task_write)
            raise
        _widen(result_write)
        try:
            pid = os.fork()
        except OSError:
            for fd in (task_read, task_write, result_read, result_write):
                os.close(fd)
            raise
        if pid == 0:  # the worker: never returns into the caller's code
            try:
                for fd in (task_write, result_read, *self._inherited, *(end for other in self.workers
                                                                        for end in (other.tasks, other.results))):
                    os.close(fd)
                _serve(function, initializer, initargs, task_read, result_write)
            finally:
                os._exit(1)
        os.close(task_read)
        os.close(result_write)
        return _Worker(pid, task_write, result_read)

    def start(self, jobs: Sequence[Any]) -> None:
        """Hand out the first jobs: two each, so that the next one waits while the first is worked on."""
        self._jobs, self._waiting = jobs, iter(range(len(jobs)))
        for worker in self.workers:
            for number in [next(self._waiting, None), next(self._waiting, None)]:
                if number is not None:
                    self._give(worker, number, jobs[number])

    def results(self) -> Iterator[Any]:
        """The results of the jobs `start` was given, in their order, as the workers finish them."""
        jobs, waiting = self._jobs, self._waiting
        by_fd = {worker.results: worker for worker in self.workers}
        poll = select.poll()
        for fd in by_fd:
            poll.register(fd, select.POLLIN)
        done: dict[int, Any] = {}
        for wanted in range(len(jobs)):
            while wanted not in done:
                for fd, _ in poll.poll():
                    worker = by_fd[fd]
                    number, failed, value = _receive(worker)
                    if failed:
                        raise _raised(value)
                    done[number] = value
                    following = next(waiting, None)
                    if following is not None:
                        self._give(worker, following, jobs[following])
                    elif not worker.pending:
                        _let_go(worker)
                        poll.unregister(fd)  # its end of the pipe closes as it exits
            yield done.pop(wanted)

    def _give(self, worker: _Worker, number: int, job: Any) -> None:
        worker.pending.append(number)
        _send(worker.tasks, (number, job))

    def close(self) -> None:
        """Tell idle workers to stop, kill the ones still busy (the caller stopped early or failed),
        and reap them all."""
        for worker in self.workers:
            try:
                if worker.pid and worker.pending:
                    os.kill(worker.pid, signal.SIGKILL)
                elif worker.pid and worker.tasks >= 0:
                    _send(worker.tasks, None)
            except OSError:
                pass  # it ended already
            _let_go(worker)
            os.close(worker.results)
        for worker in self.workers:
            if worker.pid:
                try:
                    os.waitpid(worker.pid, 0)
                except ChildProcessError:
                    pass
        self.workers = []


def _let_go(worker: _Worker) -> None:
    """Close the worker's task pipe: with nothing left to give it, it ends on reading the pipe's end,
    while the others work on (not after the last result, when the caller waits for its exit)."""
    if worker.tasks >= 0:
        os.close(worker.tasks)
        worker.tasks = -1


def _serve(function: Callable[[Any], Any], initializer: Callable[..., None], initargs: tuple, tasks: int,
           results: int) -> None:
    """A worker's life: jobs in, results out, until told to stop. Ends the process (os._exit: the
    parent's atexit handlers and buffered output are the parent's, never run or flushed twice)."""
    status = 0
    try:
        initializer(*initargs)
        while True:
            message = _read_message(tasks)
            task = None if message is None else pickle.loads(message)
            if task is None:  # told to stop, or the parent is gone
                break
            number, job = task
            try:
                _send(results, (number, False, function(job)))
            except Exception as error:  # the job's failure is the caller's to raise, with where it happened
                _send(results, (number, True, _failure(error)))
    except BaseException:  # interrupted, or the parent is gone: nothing is left to tell it
        status = 1
    finally:
        os._exit(status)


def _failure(error: Exception) -> tuple[Exception, str]:
    """A job's error and the worker's traceback of it, to be sent; a RuntimeError naming the error
    where it cannot be pickled."""
    import traceback

    text = "".join(traceback.format_exception(error))
    try:
        pickle.dumps(error)
    except Exception:
        error = RuntimeError(f"a worker process failed: {error!r}")
    return error, text


def _raised(failure: tuple[Exception, str]) -> Exception:
    """The error to raise here, caused by the worker's traceback (as concurrent.futures shows it)."""
    error, text = failure
    error.__cause__ = _RemoteTraceback(text)
    return error


class _RemoteTraceback(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def _send(fd: int, value: Any) -> None:
    body = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    _write_all(fd, len(body).to_bytes(_HEADER, "little") + body)


def _receive(worker: _Worker) -> tuple[int, bool, Any]:
    message = _read_message(worker.results)
    if message is None:
        _, status = os.waitpid(worker.pid, 0)
        worker.pid = 0
        raise ChildProcessError(f"a worker process ended unexpectedly ({_how_it_ended(status)}) while "
                                "reading log files; run again, or with fewer files at once")
    number, failed, value = pickle.loads(message)
    worker.pending.remove(number)
    return number, failed, value


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        return f"killed by {signal.Signals(signal_number).name}" if signal_number in signal.valid_signals() \
            else f"killed by signal {signal_number}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _read_message(fd: int) -> bytes | None:
    """One message's body; None at the end of the pipe (the other end closed)."""
    header = _read_exactly(fd, _HEADER)
    return None if header is None else _read_exactly(fd, int.from_bytes(header, "little"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    first = os.read(fd, size)
    if len(first) == size:
        return first  # the usual case: the whole message was in the pipe
    if not first:
        return None
    parts, have = [first], len(first)
    while have < size:
        part = os.read(fd, size - have)
        if not part:
            return None
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _widen(fd: int) -> None:
    """A result pipe that holds a whole run's results, where the system allows it (Linux)."""
    if sys.platform.startswith("linux"):
        import fcntl

        try:
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        except OSError:
            pass  # a lower limit set by the administrator: results then wait for the parent to read
