"""How fast do whole `vaultledger` processes start and answer? Ratios against `python -c pass`.

    .venv/bin/python scripts/bench_startup.py                  # the year holds 1,000,000 calls
    .venv/bin/python scripts/bench_startup.py --calls 20000    # a quick run

Every figure is a whole process (start-up and imports included), the median of --runs runs, and
runs alternate between commands so a machine whose speed drifts slows them all alike:
  log       `vaultledger log …` into a temp logs folder            target <= 9x python -c pass
  version   `vaultledger --version`                                target <= 5.5x
  cold      `vaultledger report --format json` over the year, empty cache folder    target <= the orjson loop
  orjson    a bare orjson loop summing the year's tokens (only where orjson is installed: the cold baseline)
  first     the same report after 100 new lines, the first run after the cold one (no target)
  warm      the same report after 100 new lines, cache warm        target <= 5 % of cold
  statusline  `vaultledger statusline` (Claude Code's JSON on stdin) after 10 new lines in today's log,
            over this quarter so far at the year's pace, with a budget of every kind   target <= 8x
Logs are generated once into --data (scripts/generate_logs.py), as scripts/bench_report.py does. The
package's bytecode is compiled first, as `pip install` leaves it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
YEAR = 2025
NEW_LINE = json.dumps({"v": 1, "ts": f"{YEAR}-12-31T12:00:00Z", "provider": "openai", "model": "gpt-4o-mini",
                       "input_tokens": 1000, "output_tokens": 500}) + "\n"


def vaultledger() -> list[str]:
    """The installed console script beside this Python, else `python -m vaultledger`."""
    script = Path(sys.executable).with_name("vaultledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vaultledger"]


def seconds(command: list[str], env: dict[str, str], before: Callable[[], None] = lambda: None,
            stdin: bytes | None = None) -> float:
    before()
    start = time.perf_counter()
    subprocess.run(command, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def ensure_logs(folder: Path, calls: int) -> Path:
    logs = folder / f"year-{calls}"
    if not (logs / f"{YEAR}-12-31.jsonl").exists():
        print(f"generating {calls:,} calls into {logs} ...", flush=True)
        subprocess.run([sys.executable, str(SCRIPTS / "generate_logs.py"), "--start", f"{YEAR}-01-01",
                        "--days", "365", "--calls", str(calls), "--out", str(logs), "--growth", "1.0"], check=True)
    return logs


def append_new_lines(logs: Path, count: int = 100) -> None:
    with (logs / f"{YEAR}-12-31.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(NEW_LINE * count)


# The baseline of a cold report as a whole process: a bare orjson loop that only sums tokens (as
# scripts/bench_report.py measures it in process), run only where orjson is installed.
ORJSON_LOOP = """
import sys, orjson
from pathlib import Path
total = 0
for path in sorted(Path(sys.argv[1]).glob("*.jsonl")):
    with path.open("rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            total += record["input_tokens"] + record["output_tokens"]
"""


def has_orjson() -> bool:
    return subprocess.run([sys.executable, "-c", "import orjson"], capture_output=True).returncode == 0


STATUS_JSON = json.dumps({"session_id": "bench", "model": {"display_name": "Opus"},
                          "workspace": {"current_dir": "/tmp"}, "cost": {"total_cost_usd": 0.42}}).encode()


def statusline_world(work: Path, calls_per_year: int) -> Path:
    """This quarter (and the week before it) up to today at the year's pace, and a config with a budget
    of every kind, as a user of `vaultledger statusline` has them; returns the config."""
    today = dt.date.today()
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - dt.timedelta(days=7)
    days = (today - start).days + 1
    subprocess.run([sys.executable, str(SCRIPTS / "generate_logs.py"), "--start", start.isoformat(), "--days",
                    str(days), "--calls", str(max(calls_per_year * days // 365, 1000)), "--out", str(work / "now"),
                    "--growth", "1.0"], check=True)
    config = work / "statusline.toml"
    config.write_text(f"logs = {json.dumps(str(work / 'now'))}\n[budgets]\ndaily = 20\nweekly = 100\nmonthly = 400\n"
                      "quarterly = 1000\n[budgets.project.orbis]\nmonthly = 150\n", encoding="utf-8")
    return config


def append_today(logs: Path, count: int = 10) -> None:
    """`count` calls completed now, in today's file (the system's zone, as the config names none)."""
    now = dt.datetime.now().astimezone()
    line = json.dumps({"v": 1, "ts": now.isoformat(), "provider": "anthropic", "model": "claude-sonnet-4-5-20250929",
                       "input_tokens": 3000, "output_tokens": 400, "app": "claude-code"}) + "\n"
    with (logs / f"{now.date()}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(line * count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls in the generated year")
    parser.add_argument("--runs", type=int, default=9, help="runs per command (median; at least 7)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "vaultledger-bench")
    args = parser.parse_args()
    runs = max(args.runs, 7)
    # Bytecode as an installed package has it (pip compiles on install): with PYTHONDONTWRITEBYTECODE
    # set, a module edited since its .pyc was written would be compiled again on every run measured.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SCRIPTS.parent / "vaultledger")], check=True)
    work = Path(tempfile.mkdtemp(prefix="vaultledger-startup-"))
    shutil.copytree(ensure_logs(args.data, args.calls), work / "year")
    env = {**os.environ, "VAULTLEDGER_TZ": "UTC", "VAULTLEDGER_CACHE_DIR": str(work / "cache"),
           "HOME": str(work), "XDG_CONFIG_HOME": str(work / "config")}
    env.pop("VAULTLEDGER_TZ")  # `log` as users run it: the system zone, looked up
    tool = vaultledger()
    report = [*tool, "report", "--format", "json", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31",
              "--logs", str(work / "year"), "--tz", "UTC"]
    commands: dict[str, tuple[list[str], Callable[[], None]]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], lambda: None),
        "vaultledger log ...": ([*tool, "log", "--provider", "openai", "--model", "gpt-4o-mini", "--input-tokens",
                                 "1200", "--output-tokens", "300", "--app", "bench", "--logs", str(work / "logs")],
                                lambda: None),
        "vaultledger --version": ([*tool, "--version"], lambda: None),
        "report, cold (year)": (report, lambda: shutil.rmtree(work / "cache", ignore_errors=True)),
    }
    if has_orjson():
        commands["orjson loop (year)"] = ([sys.executable, "-c", ORJSON_LOOP, str(work / "year")], lambda: None)
    times: dict[str, list[float]] = {name: [] for name in [*commands, "report, first after cold",
                                                           "report, warm (+100 lines)", "statusline (+10 lines)"]}
    seconds(report, env)  # fill the cache once
    # A cache folder of its own: the cold report's runs empty the other one.
    status_env = {**env, "VAULTLEDGER_CONFIG": str(statusline_world(work, args.calls)),
                  "VAULTLEDGER_CACHE_DIR": str(work / "statusline-cache")}
    statusline = ([*tool, "statusline"], status_env, lambda: append_today(work / "now"), STATUS_JSON)
    seconds(*statusline)  # fill its cache once
    for _ in range(runs):
        for name, (command, before) in commands.items():
            times[name].append(seconds(command, env, before))
        # The first run after the cold one keeps the months and settled span a cold run leaves to it.
        times["report, first after cold"].append(seconds(report, env, lambda: append_new_lines(work / "year")))
        times["report, warm (+100 lines)"].append(seconds(report, env, lambda: append_new_lines(work / "year")))
        times["statusline (+10 lines)"].append(seconds(*statusline))
    show(times, runs, args.calls)
    shutil.rmtree(work, ignore_errors=True)


def show(times: dict[str, list[float]], runs: int, calls: int) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    base, cold = median["python -c pass"], median["report, cold (year)"]
    orjson = median.get("orjson loop (year)")
    targets: dict[str, tuple[str, bool]] = {
        "vaultledger log ...": ("<= 9x", median["vaultledger log ..."] <= 9 * base),
        "vaultledger --version": ("<= 5.5x", median["vaultledger --version"] <= 5.5 * base),
        "report, warm (+100 lines)": ("<= 5 % of cold", median["report, warm (+100 lines)"] <= 0.05 * cold),
        "statusline (+10 lines)": ("<= 8x", median["statusline (+10 lines)"] <= 8 * base),
    }
    if orjson:
        targets["report, cold (year)"] = (f"<= orjson ({cold / orjson:.2f}x)", cold <= orjson)
    print(f"median of {runs} whole-process runs each; the year holds {calls:,} calls")
    print(f"{'command':<28} {'median ms':>10} {'ratio':>8} {'% of cold':>10}  {'target':<20} result")
    for name, value in median.items():
        target, passed = targets.get(name, ("", True))
        verdict = ("pass" if passed else "FAIL") if target else ""
        print(f"{name:<28} {value * 1000:10.1f} {value / base:7.1f}x {value / cold * 100:9.1f}%  {target:<20} {verdict}")


if __name__ == "__main__":
    main()
