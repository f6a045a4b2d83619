"""How much does a hard-limit check cost an app? `vaultledger.check_budget()` warm, over a quarter of logs.

    .venv/bin/python scripts/bench_guard.py [--days 92 --calls 184000 --checks 20000]

Target (issue 17): a check costs <= 1 ms warm. Three figures, each per check:
- idle: nothing was logged since the last check;
- after a call: the app's loop as it runs, `with guard(...)` then one log_usage() (the log_usage is
  timed apart and subtracted), so every check reads one new line;
- the fold: what a check pays once every 30 s (limits.REFRESH_EVERY) to read the ledger again with a
  warm fold cache, and its share of the checks of those 30 s at one call per 10 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_logs import write_logs  # noqa: E402

FIELDS = dict(provider="openai", model="gpt-4o-mini", input_tokens=1200, output_tokens=300, project="orbis")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--calls", type=int, default=184_000, help="calls in the generated logs, all days together")
    parser.add_argument("--checks", type=int, default=20_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-guard-"))
    today = dt.datetime.now(dt.timezone.utc).date()
    lines = write_logs(folder / "logs", today - dt.timedelta(days=args.days - 1), args.days, args.calls, 7, 0.5)
    (folder / "vaultledger.toml").write_text(
        'logs = "logs"\ntimezone = "UTC"\n[budgets]\nmonthly = 1000000\ndaily = 100000\nhard = true\n'
        '[budgets.project.orbis]\nquarterly = 1000000\nhard = true\n', encoding="utf-8")
    os.environ.update(VAULTLEDGER_CONFIG=str(folder / "vaultledger.toml"), VAULTLEDGER_CACHE_DIR=str(folder / "cache"))
    import vaultledger
    from vaultledger.budgets.guard import _process_limits

    began = time.perf_counter()
    vaultledger.check_budget(project="orbis")
    print(f"{lines:,} lines over {args.days} days; first check (cold: imports, prices, fold cache filled): "
          f"{time.perf_counter() - began:.2f} s")
    watch = _process_limits.get().watch
    assert watch is not None
    idle = per_call(lambda: vaultledger.check_budget(project="orbis"), args.checks)
    logged = per_call(lambda: vaultledger.log_usage(**FIELDS), args.checks)

    def guarded_call() -> None:
        with vaultledger.guard(project="orbis", estimate_usd=0.01):
            vaultledger.log_usage(**FIELDS)

    folds_before = watch.folds
    both = per_call(guarded_call, args.checks)
    assert watch.folds == folds_before, "a fold fell inside the timed loop: raise REFRESH_EVERY or lower --checks"
    fold = min(timed(lambda: watch._fold(watch._day, time.monotonic())) for _ in range(5))  # type: ignore[arg-type]
    print(f"check, idle:            {idle * 1e6:8.1f} µs")
    print(f"check after a call:     {(both - logged) * 1e6:8.1f} µs  (guard + log_usage {both * 1e6:.1f} µs, "
          f"log_usage alone {logged * 1e6:.1f} µs)")
    print(f"fold (every 30 s):      {fold * 1e3:8.1f} ms  = {fold / 3000 * 1e6:.1f} µs a check at one call per 10 ms")
    print("target: <= 1000 µs a check warm")


def per_call(action, count: int) -> float:
    rounds = [timed(lambda: [action() for _ in range(count // 5)]) / (count // 5) for _ in range(5)]
    return statistics.median(rounds)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
