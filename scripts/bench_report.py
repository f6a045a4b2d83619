"""How fast is a report over a big history? Ratios against baselines measured in the same run.

    .venv/bin/python scripts/bench_report.py                 # 1M calls over 365 daily files
    .venv/bin/python scripts/bench_report.py --hosts 3       # 1M calls over 3 machines' files a day
    .venv/bin/python scripts/bench_report.py --memory-calls 5000000

(a) cold `report` over the year (no fold cache) vs a bare orjson loop that only sums tokens —
    target <= 1.0x; (b) the same report warm, after 100 new lines in the last file — target <= 5 %
    of cold; (c) peak memory of a cold report at --memory-calls calls — target <= 100 MB. With --hosts, also
(d) `report --by host` over the year, warm: the one breakdown that reads every call.
Needs orjson for the baseline (`pip install orjson`). Logs are generated once into --data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def ensure_logs(folder: Path, calls: int, hosts: int = 0) -> Path:
    logs = folder / (f"year-{calls}-{hosts}-hosts" if hosts else f"year-{calls}")
    if not (logs / last_file_name(hosts)).exists():
        print(f"generating {calls:,} calls into {logs} ...", flush=True)
        subprocess.run([sys.executable, str(SCRIPTS / "generate_logs.py"), "--start", "2025-01-01", "--days", "365",
                        "--calls", str(calls), "--out", str(logs), "--growth", "1.0", "--hosts", str(hosts)], check=True)
    return logs


def last_file_name(hosts: int) -> str:
    """The year's last file (the busiest machine's, with host files): where new lines arrive."""
    return "2025-12-31.host-1.jsonl" if hosts else "2025-12-31.jsonl"


def bare_orjson_seconds(logs: Path) -> float:
    import orjson

    start = time.perf_counter()
    total = 0
    for path in sorted(logs.glob("*.jsonl")):
        with path.open("rb") as handle:
            for line in handle:
                record = orjson.loads(line)
                total += record["input_tokens"] + record["output_tokens"]
    return time.perf_counter() - start


def report_seconds(logs: Path, cache: Path | None) -> tuple[float, int]:
    from vaultledger.ledger import Ledger
    from vaultledger.periods import date_range
    from vaultledger.pricing import PriceBook
    from vaultledger.reports.report import report_json

    start = time.perf_counter()
    ledger = Ledger(logs, "UTC", PriceBook([], "UTC"), cache)
    period = date_range(*YEAR)
    document = report_json(period, ledger.usage(period), ledger.stats)
    return time.perf_counter() - start, document["totals"]["calls"]


def append_lines(logs: Path, count: int, hosts: int = 0) -> None:
    line = json.dumps({"v": 1, "ts": "2025-12-31T12:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
                       "input_tokens": 1000, "output_tokens": 500})
    with (logs / last_file_name(hosts)).open("a") as handle:
        handle.write((line + "\n") * count)


def by_host_seconds(logs: Path, cache: Path) -> tuple[float, int]:
    from vaultledger.ledger import Ledger
    from vaultledger.periods import date_range
    from vaultledger.pricing import PriceBook
    from vaultledger.reports.breakdown import breakdown

    start = time.perf_counter()
    ledger = Ledger(logs, "UTC", PriceBook([], "UTC"), cache)
    rows = breakdown(ledger, date_range(*YEAR), "host").by("host")
    return time.perf_counter() - start, len(rows)


def own_peak_mb() -> float:
    """This process's peak RSS. Linux's VmHWM starts afresh at exec; ru_maxrss would still count
    the memory of the benchmark process that started us."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def peak_memory_mb(logs: Path) -> tuple[float, float]:
    """Peak RSS of a cold report in a fresh process, and the largest of its worker processes
    (forked workers count the pages they share with it, so that figure errs high)."""
    probe = (f"import resource,sys; sys.path.insert(0, {str(SCRIPTS)!r});"
             f"import bench_report as b; from pathlib import Path;"
             f"b.report_seconds(Path({str(logs)!r}), None);"
             "print(b.own_peak_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)  # ru_maxrss is KiB on Linux
    return float(out[0]), float(out[1]) * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--memory-calls", type=int, default=0, help="also measure peak memory at this size")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "vaultledger-bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=0, help="spread each day over this many machines' files")
    args = parser.parse_args()
    logs = ensure_logs(args.data, args.calls, args.hosts)
    work = args.data / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(logs, work / "logs")
    logs = work / "logs"

    # Rounds alternate, so a machine whose speed drifts (a shared or throttled host) slows both alike.
    baselines, colds = [], []
    for _ in range(args.rounds):
        baselines.append(bare_orjson_seconds(logs))
        seconds, calls = report_seconds(logs, None)
        colds.append(seconds)
    baseline, cold = min(baselines), min(colds)
    files = len(list(logs.glob("*.jsonl")))
    print(f"{calls:,} calls in {files} files ({args.hosts or 1} a day); best of {args.rounds}, alternating")
    print(f"(a) bare orjson loop:       {baseline:6.2f} s")
    print(f"    cold report:            {cold:6.2f} s   ratio {cold / baseline:.2f}x  (target <= 1.0x)")

    cache = work / "cache"
    report_seconds(logs, cache)  # fills the cache
    warms = []
    for _ in range(args.rounds):
        append_lines(logs, 100, args.hosts)
        warms.append(report_seconds(logs, cache)[0])
    warm = min(warms)
    print(f"(b) warm, +100 lines:       {warm:6.3f} s   {warm / cold * 100:.1f} % of cold  (target <= 5 %)")

    if args.hosts:
        seconds, rows = min(by_host_seconds(logs, cache) for _ in range(args.rounds))
        print(f"(d) warm --by host, year:   {seconds:6.2f} s   {rows} rows (reads every call; {seconds / cold:.1f}x cold)")

    if args.memory_calls:
        big = ensure_logs(args.data, args.memory_calls, args.hosts)
        main_mb, workers_mb = peak_memory_mb(big)
        print(f"(c) peak memory at {args.memory_calls:,} calls: main {main_mb:.0f} MB, "
              f"largest worker {workers_mb:.0f} MB  (target <= 100 MB)")
    print(f"    this benchmark process peaked at {own_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
