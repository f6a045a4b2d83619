"""How fast does `vaultledger watch` put an appended line into today's note, and what does idling cost?

    .venv/bin/python scripts/bench_watch.py [--rates 10,50] [--lines 200] [--burst 1000] [--bursts 3]
                                            [--idle-seconds 60]

A Watcher runs in a thread of this process (real watchdog observer, temp vault and logs folder);
lines are appended through vaultledger's own logger (one write() per line). A poller thread reads
the note every 2 ms and notes when its call count first reaches each line, so a line's latency is
append -> section on disk. Targets (issue 4): median <= 250 ms, worst <= 1 s; a burst of 1,000
appends -> a handful of note writes; idle costs nothing measurable (CPU seconds over the idle run,
measured with time.process_time while this process does nothing but watch). First (--day-sizes),
the same 100 appends at 10/s are watched after today's file was filled with 100 and with 100,000 lines:
an update must not grow with today's file (target: within 1.5x). That comparison is of the updates'
own time (from the schedule's call to the note written, timed around the watcher's update): a line's
latency also holds the wait for the quiet window, which at 10 appends/s is either most of a window or
none of one by a few ms of jitter, so its median is printed beside but does not decide.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

CALLS = re.compile(r"· ([\d,]+) calls? ·")
FIELDS = dict(provider="anthropic", model="claude-sonnet-4-5-20250929", input_tokens=1200, output_tokens=500,
              app="bench", project="poetry", use_case="poem")


class NotePoller(threading.Thread):
    """Records the first moment the note's call count reached each value."""

    def __init__(self, note: Path) -> None:
        super().__init__(daemon=True)
        self.note = note
        self.seen_at: dict[int, float] = {}
        self.count = 0
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            count = self._count()
            now = time.perf_counter()
            for value in range(self.count + 1, count + 1):
                self.seen_at.setdefault(value, now)
            self.count = max(self.count, count)
            time.sleep(0.002)

    def _count(self) -> int:
        try:
            match = CALLS.search(self.note.read_text(encoding="utf-8"))
        except (FileNotFoundError, UnicodeDecodeError):
            return 0
        return int(match.group(1).replace(",", "")) if match else 0

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.perf_counter() + timeout
        while self.count < count:
            if time.perf_counter() > deadline:
                raise SystemExit(f"the note never showed {count} calls (stuck at {self.count})")
            time.sleep(0.005)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def steady(append, poller: NotePoller, watcher, lines: int, rate: float, done: int) -> tuple[list[float], int]:
    """Append `lines` lines `1/rate` s apart; latency of each."""
    writes = watcher.note_writes
    appended_at = {}
    start = time.perf_counter()
    for number in range(1, lines + 1):
        target = start + (number - 1) / rate
        time.sleep(max(target - time.perf_counter(), 0))
        append()
        appended_at[done + number] = time.perf_counter()
    poller.wait_for(done + lines)
    latencies = [poller.seen_at[n] - appended_at[n] for n in appended_at]
    return latencies, watcher.note_writes - writes


def burst(append, poller: NotePoller, watcher, lines: int, done: int) -> tuple[float, float, int]:
    """Append `lines` lines back to back: (time to append them, latency of the last one, note writes)."""
    writes = watcher.note_writes
    start = time.perf_counter()
    for _ in range(lines):
        append()
    appended = time.perf_counter()
    poller.wait_for(done + lines)
    latency = poller.seen_at[done + lines] - appended
    time.sleep(watcher.schedule.max_delay + 0.2)  # let anything still scheduled land before counting
    return appended - start, latency, watcher.note_writes - writes


def idle(watcher, seconds: float) -> tuple[float, int]:
    wakeups, cpu = watcher.wakeups, time.process_time()
    time.sleep(seconds)
    return time.process_time() - cpu, watcher.wakeups - wakeups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,50", help="steady append rates in lines/s, comma-separated")
    parser.add_argument("--lines", type=int, default=200, help="lines per steady rate")
    parser.add_argument("--burst", type=int, default=1000, help="lines per burst")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--quiet-window", type=float, default=None, help="override the watcher's (seconds)")
    parser.add_argument("--max-delay", type=float, default=None, help="override the watcher's (seconds)")
    parser.add_argument("--day-sizes", default="100,100000",
                        help="today's file holds this many lines before each of two watches of 100 lines at "
                             "10/s; their medians must be within 1.5x (empty: skip)")
    args = parser.parse_args()
    if args.day_sizes:
        compare_day_sizes([int(size) for size in args.day_sizes.split(",")])

    root = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    os.environ.update(XDG_CONFIG_HOME=str(root / "config"), VAULTLEDGER_CACHE_DIR=str(root / "cache"))
    os.chdir(root)  # no ./vaultledger.toml of the caller's
    (root / "vault" / ".obsidian").mkdir(parents=True)

    from vaultledger.capture.logger import UsageLog
    from vaultledger.periods import today
    from vaultledger.record import make_record
    from vaultledger.settings import resolve_settings
    from vaultledger.watch import Watcher
    import datetime as dt

    settings = resolve_settings(vault=root / "vault", logs=root / "logs", tz="UTC")
    note = root / "vault" / f"{today('UTC')}.md"
    usage_log = UsageLog(root / "logs", "UTC")

    def append() -> None:
        usage_log.append(make_record(ts=dt.datetime.now(dt.timezone.utc), **FIELDS))

    timing = {key: value for key, value in (("quiet_window", args.quiet_window), ("max_delay", args.max_delay))
              if value is not None}
    watcher = Watcher(settings, quiet=True, **timing)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    watcher.ready.wait(10)
    poller = NotePoller(note)
    poller.start()
    print(f"watcher: quiet window {ms(watcher.schedule.quiet_window)}, max delay {ms(watcher.schedule.max_delay)}, "
          f"weekly every {watcher.schedule.weekly_every:.0f} s; vault {root / 'vault'}")

    done, all_latencies = 0, []
    for rate in (float(text) for text in args.rates.split(",") if text.strip()):
        latencies, writes = steady(append, poller, watcher, args.lines, rate, done)
        done += args.lines
        all_latencies += latencies
        print(f"steady {args.lines} lines at {rate:g}/s: median {ms(statistics.median(latencies))}, "
              f"p90 {ms(statistics.quantiles(latencies, n=10)[-1])}, worst {ms(max(latencies))}; "
              f"{writes} note writes")
    for number in range(1, args.bursts + 1):
        took, latency, writes = burst(append, poller, watcher, args.burst, done)
        done += args.burst
        all_latencies.append(latency)
        print(f"burst {number}: {args.burst:,} lines appended in {ms(took)}; last line in the note after "
              f"{ms(latency)}; {writes} note writes")
    if all_latencies:
        median, worst = statistics.median(all_latencies), max(all_latencies)
        verdict = "OK" if median <= 0.25 and worst <= 1.0 else "MISSED"
        print(f"overall: median {ms(median)}, worst {ms(worst)} (target median <= 250 ms, worst <= 1 s): {verdict}")

    poller.stopping = True
    poller.join()
    time.sleep(1.0)  # let the last update settle before idling
    if args.idle_seconds > 0:
        cpu, wakeups = idle(watcher, args.idle_seconds)
        print(f"idle {args.idle_seconds:g} s: {cpu:.4f} CPU seconds in this process, {wakeups} watcher wake-ups")
    watcher.stop()
    thread.join(2)


def compare_day_sizes(sizes: list[int]) -> None:
    """A watch update must not grow with today's file: the same 100 appends after each prefill."""
    import datetime as dt
    import json

    from vaultledger.settings import resolve_settings
    from vaultledger.watch import Watcher

    medians = []
    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix="bench-watch-day-"))
        os.environ.update(XDG_CONFIG_HOME=str(root / "config"), VAULTLEDGER_CACHE_DIR=str(root / "cache"))
        (root / "vault" / ".obsidian").mkdir(parents=True)
        (root / "logs").mkdir()
        now = dt.datetime.now(dt.timezone.utc)
        line = json.dumps({"v": 1, "ts": now.isoformat(), **FIELDS}) + "\n"
        (root / "logs" / f"{now.date()}.jsonl").write_text(line * size)
        settings = resolve_settings(vault=root / "vault", logs=root / "logs", tz="UTC")
        from vaultledger.capture.logger import UsageLog
        from vaultledger.record import make_record

        usage_log = UsageLog(root / "logs", "UTC")
        watcher = Watcher(settings, quiet=True)
        durations = timed_updates(watcher)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        watcher.ready.wait(30)
        poller = NotePoller(root / "vault" / f"{now.date()}.md")
        poller.start()
        poller.wait_for(size, timeout=120)

        def append() -> None:
            usage_log.append(make_record(ts=dt.datetime.now(dt.timezone.utc), **FIELDS))

        durations.clear()  # the first update read the prefilled file whole
        latencies, _ = steady(append, poller, watcher, 100, 10.0, size)
        medians.append(statistics.median(durations))
        print(f"today's file with {size:,} lines, then 100 appends at 10/s: {len(durations)} updates, median "
              f"{ms(medians[-1])}, worst {ms(max(durations))}; a line's latency median "
              f"{ms(statistics.median(latencies))}, worst {ms(max(latencies))}")
        poller.stopping = True
        watcher.stop()
        thread.join(5)
        usage_log.close()
    ratio = medians[-1] / medians[0]
    verdict = "OK" if ratio <= 1.5 else "MISSED"
    print(f"an update on a {sizes[-1]:,}-line day vs a {sizes[0]:,}-line day: {ratio:.2f}x (target <= 1.5x): {verdict}")


def timed_updates(watcher) -> list[float]:
    """The seconds each of the watcher's updates takes from here on, timed around its update method."""
    durations: list[float] = []
    update = watcher._update

    def timed(**kwargs) -> None:
        start = time.perf_counter()
        update(**kwargs)
        durations.append(time.perf_counter() - start)

    watcher._update = timed
    return durations


if __name__ == "__main__":
    main()
