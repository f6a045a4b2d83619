"""How cheap is logging a call? `log_usage()` against an SQLite WAL insert+commit, in the same run.

    .venv/bin/python scripts/bench_logger.py [--calls 20000]

Target (issue 2): log_usage ≤ 0.5× SQLite's per-call time. The SQLite baseline is what an app
would otherwise do: one INSERT and COMMIT per call into a WAL database (synchronous=NORMAL, its
usual pairing with WAL, so neither side fsyncs per call). A log_usage() makes two system calls,
fstat and one write() of the whole line; it reads the file's last byte only when another writer
(or a failed write) changed the file since its own last line (issue 13).
Each round times both sides back to back, so a machine whose speed drifts slows them alike; the
spread of the per-round ratios is printed too.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

FIELDS = dict(provider="anthropic", model="claude-sonnet-4-5-20250929", input_tokens=1200, output_tokens=500,
              cache_read_tokens=200, app="bench", project="poetry", use_case="poem", unit_id="poem-0042")


def time_vaultledger(folder: Path, calls: int) -> float:
    os.environ["VAULTLEDGER_LOGS"] = str(folder / "logs")
    os.environ["VAULTLEDGER_TZ"] = "UTC"
    from vaultledger import log_usage

    log_usage(**FIELDS)  # first call resolves settings and opens the file
    start = time.perf_counter()
    for _ in range(calls):
        log_usage(**FIELDS)
    return (time.perf_counter() - start) / calls


def time_sqlite(folder: Path, calls: int) -> float:
    connection = sqlite3.connect(folder / "usage.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE usage (ts TEXT, provider TEXT, model TEXT, input_tokens INT, output_tokens INT, "
        "cache_read_tokens INT, app TEXT, project TEXT, use_case TEXT, unit_id TEXT)"
    )
    row = ("2026-03-14T09:12:03+01:00", *(FIELDS[k] for k in ("provider", "model", "input_tokens",
           "output_tokens", "cache_read_tokens", "app", "project", "use_case", "unit_id")))
    start = time.perf_counter()
    for _ in range(calls):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO usage VALUES (?,?,?,?,?,?,?,?,?,?)", row)
        connection.execute("COMMIT")
    elapsed = (time.perf_counter() - start) / calls
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ours, theirs = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            ours.append(time_vaultledger(Path(folder), args.calls))
            theirs.append(time_sqlite(Path(folder), args.calls))
    ours_us, theirs_us = statistics.median(ours) * 1e6, statistics.median(theirs) * 1e6
    print(f"python {sys.version.split()[0]}, {args.calls:,} calls x {args.rounds} rounds (medians)")
    print(f"log_usage():             {ours_us:8.2f} µs/call")
    print(f"sqlite WAL insert+commit: {theirs_us:8.2f} µs/call")
    ratios = sorted(mine / sqlite for mine, sqlite in zip(ours, theirs))
    print(f"ratio: {ours_us / theirs_us:.2f}x sqlite  (target <= 0.50x; per round {ratios[0]:.2f}-{ratios[-1]:.2f}x)")


if __name__ == "__main__":
    main()
