"""How fast are the agent importers, and does their memory stay flat as a session grows?

    .venv/bin/python scripts/bench_importers.py [--scales 1,10,100] [--agents gemini-cli,goose]

Each real sample set of `../shared/fixtures/agents/` is grown N times (N = each scale) into a temporary
home: the same session with N times the messages (new ids, same shape), or the same database with N
times the rows. Then, per agent and scale:
- calls/s: the import alone, in this process, into an empty logs folder;
- peak: the most memory Python held during that import (tracemalloc, a separate run);
- process: `python -m vaultledger import …` at the largest scale, wall time from start to exit
  (what a user waits for: start-up included).
Memory is flat when the peak at 10x is under 1.2x the peak at 1x (issue 15); calls grow with the
session too, and each appended call is remembered for the run (the destination check), so a
session of many more calls may hold a little more.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "fixtures" / "agents"
SETS = {  # agent -> (sample set, where the agent's data is inside it)
    "gemini-cli": ("aim-benchmark-2026-03", ".gemini/tmp"),
    "opencode": ("lantern-1.18.13-sqlite", ".local/share/opencode"),
    "copilot-cli": ("lantern-1.0.78-ollama", ".copilot"),
    "qwen-code": ("lantern-0.21.6-ollama", ".qwen"),
    "goose": ("lantern-1.45.0-sqlite", ".local/share/goose/sessions/sessions.db"),
}


def grow_gemini(source: Path, target: Path, scale: int) -> None:
    for path in source.rglob("session-*.json"):
        session = json.loads(path.read_text(encoding="utf-8"))
        session["messages"] = [{**message, "id": f"{message['id']}-{copy}"}
                               for copy in range(scale) for message in session["messages"]]
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(session, indent=2), encoding="utf-8")


def grow_copilot(source: Path, target: Path, scale: int) -> None:
    for path in source.rglob("events.jsonl"):
        events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        head = [event for event in events[:3]]
        body = [event for event in events[3:] if event["type"] != "session.shutdown"]
        grown = head + [renamed(event, copy) for copy in range(scale) for event in body]
        grown += [scaled_shutdown(event, scale) for event in events if event["type"] == "session.shutdown"]
        write_lines(target / path.relative_to(source), grown)


def renamed(event: dict[str, Any], copy: int) -> dict[str, Any]:
    data = event.get("data", {})
    if "messageId" in data:
        data = {**data, "messageId": f"{data['messageId']}-{copy}"}
    return {**event, "id": f"{event.get('id')}-{copy}", "data": data}


def scaled_shutdown(event: dict[str, Any], scale: int) -> dict[str, Any]:
    metrics = {model: {"requests": {**figures["requests"], "count": figures["requests"]["count"] * scale},
                       "usage": {key: value * scale for key, value in figures["usage"].items()}}
               for model, figures in event["data"]["modelMetrics"].items()}
    return {**event, "data": {**event["data"], "modelMetrics": metrics}}


def grow_qwen(source: Path, target: Path, scale: int) -> None:
    for path in source.rglob("chats/*.jsonl"):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        write_lines(target / path.relative_to(source),
                    [{**line, "uuid": f"{line['uuid']}-{copy}"} for copy in range(scale) for line in lines])
    runs = [json.loads(line) for line in (source / "usage_record.jsonl").read_text(encoding="utf-8").splitlines()]
    for run in runs:
        run["models"] = {model: {key: value * scale if isinstance(value, int) else value
                                 for key, value in figures.items()} for model, figures in run["models"].items()}
    write_lines(target / "usage_record.jsonl", runs)


def grow_opencode(source: Path, target: Path, scale: int) -> None:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "opencode.db", target / "opencode.db")
    with closing(sqlite3.connect(target / "opencode.db")) as db:
        db.execute("CREATE TEMP TABLE m AS SELECT * FROM message")
        db.execute("CREATE TEMP TABLE p AS SELECT * FROM part")
        for copy in range(1, scale):
            db.execute("INSERT INTO message SELECT id || ?, session_id, time_created + ?, time_updated, data FROM m",
                       (f"-{copy}", copy))
            db.execute("INSERT INTO part SELECT id || ?, message_id || ?, session_id, time_created + ?, time_updated, "
                       "data FROM p", (f"-{copy}", f"-{copy}", copy))
        db.commit()


def grow_goose(source: Path, target: Path, scale: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    with closing(sqlite3.connect(target)) as db:
        columns = "session_id, created_timestamp, model, input_tokens, output_tokens, total_tokens, " \
                  "cache_read_tokens, cache_write_tokens, cost, cost_source, is_compaction"
        db.execute(f"CREATE TEMP TABLE l AS SELECT {columns} FROM usage_ledger")
        for _ in range(1, scale):
            db.execute(f"INSERT INTO usage_ledger ({columns}) SELECT {columns} FROM l")
        db.commit()


GROW: dict[str, Callable[[Path, Path, int], None]] = {
    "gemini-cli": grow_gemini, "opencode": grow_opencode, "copilot-cli": grow_copilot, "qwen-code": grow_qwen,
    "goose": grow_goose,
}


def write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)


def import_once(agent: str, data: Path, folder: Path) -> int:
    from vaultledger.capture.importers import run_import
    from vaultledger.capture.logger import UsageLog

    logs = Path(tempfile.mkdtemp(dir=folder))
    usage_log = UsageLog(logs / "logs", "UTC")
    try:
        return run_import(agent, data, usage_log, logs / "state").appended
    finally:
        usage_log.close()


def measure(agent: str, data: Path, folder: Path) -> tuple[int, float, int]:
    """(calls appended, seconds, peak bytes) of importing `data` into fresh logs folders."""
    start = time.perf_counter()
    calls = import_once(agent, data, folder)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        import_once(agent, data, folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return calls, seconds, peak


def whole_process(agent: str, data: Path, folder: Path) -> float:
    command = [sys.executable, "-m", "vaultledger", "import", agent, str(data), "--logs", str(folder / "cli-logs"),
               "--tz", "UTC"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={"VAULTLEDGER_CACHE_DIR": str(folder / "cache"),
                                                                   "PATH": "/usr/bin:/bin", "HOME": str(folder)})
    return time.perf_counter() - start


def bench(agent: str, scales: list[int], folder: Path) -> None:
    set_name, inside = SETS[agent]
    source = CORPUS / agent / set_name / inside
    peaks: dict[int, int] = {}
    for scale in scales:
        data = folder / f"{agent}-{scale}" / inside
        GROW[agent](source, data, scale)
        calls, seconds, peaks[scale] = measure(agent, data, folder)
        print(f"{agent:12} {scale:>5}x  {calls:>8,} calls  {calls / seconds:>9,.0f} calls/s  "
              f"peak {peaks[scale] / 1e6:7.2f} MB  ({size_of(data) / 1e6:.1f} MB of agent data)")
    base = scales[0]
    for scale in scales[1:]:
        print(f"{'':12} peak {scale}x / {base}x = {peaks[scale] / peaks[base]:.2f}")
    process = whole_process(agent, folder / f"{agent}-{scales[-1]}" / inside, folder)
    print(f"{'':12} whole process at {scales[-1]}x: {process:.2f} s")


def size_of(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(item.stat().st_size for item in path.rglob("*")
                                                          if item.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100", help="growth factors, smallest first")
    parser.add_argument("--agents", default=",".join(SETS))
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is absent: the benchmark grows its real samples")
    scales = [int(scale) for scale in args.scales.split(",")]
    print(f"python {sys.version.split()[0]}; samples from {CORPUS}")
    with tempfile.TemporaryDirectory() as folder:
        for agent in args.agents.split(","):
            bench(agent, scales, Path(folder))


if __name__ == "__main__":
    main()
