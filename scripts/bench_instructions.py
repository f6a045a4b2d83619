"""Instructions per call of the fold vs the bare orjson loop, counted by valgrind's cachegrind.

    .venv/bin/pip install orjson && .venv/bin/python scripts/bench_instructions.py [--files 10]

Wall-clock ratios on a shared machine swing with its neighbours; instruction counts do not, so
this is the figure to compare two versions of the fold by. It folds --files daily files of the
year that bench_report.py generates (one process, no workers), runs the same files through the
orjson loop, and subtracts a run that only imports and warms up, so start-up does not count.
Needs valgrind (`apt install valgrind`); takes about a minute.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_report import ensure_logs

# What each valgrind run executes: warm up (imports, the first price lookups), then one job.
PROBE = """
from pathlib import Path
from vaultledger.ledger.fold import fold_log_file
from vaultledger.pricing import PriceBook
import orjson
book = PriceBook([], "UTC")
paths = {paths!r}
fold_log_file(Path({warmup!r}), book, "UTC")
if {job!r} == "fold":
    for path in paths:
        fold_log_file(Path(path), book, "UTC")
elif {job!r} == "orjson":
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            for line in handle:
                record = orjson.loads(line)
                total += record["input_tokens"] + record["output_tokens"]
"""


def instructions(job: str, paths: list[str], warmup: str) -> int:
    code = PROBE.format(paths=paths, warmup=warmup, job=job)
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", sys.executable, "-c", code],
        capture_output=True, text=True, check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{result.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "vaultledger-bench")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt install valgrind, brew install valgrind)")
    logs = sorted(map(str, ensure_logs(args.data, 1_000_000).glob("*.jsonl")))
    paths, warmup = logs[150:150 + args.files], logs[100]
    calls = sum(Path(path).read_bytes().count(b"\n") for path in paths)
    idle = instructions("none", paths, warmup)
    fold = (instructions("fold", paths, warmup) - idle) / calls
    baseline = (instructions("orjson", paths, warmup) - idle) / calls
    print(f"{calls:,} calls in {len(paths)} files")
    print(f"fold:        {fold:8,.0f} instructions per call")
    print(f"orjson loop: {baseline:8,.0f} instructions per call")
    print(f"ratio:       {fold / baseline:.2f}x  (one core; the cold report splits the fold over the cores)")


if __name__ == "__main__":
    main()
