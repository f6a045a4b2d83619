"""The span cache over months of logs: whatever changes between runs (a late line in an old file, a new
newest day, a line whose id a neighbour holds, a removed file), a report from the cache is the report
read cold, for the whole range and for the periods inside it (settled spans, months, blocks of days)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultledger.ledger import Ledger
from vaultledger.periods import Period, date_range, month_of
from vaultledger.pricing import PriceBook

pytestmark = pytest.mark.slow  # each example reads three months of files some twenty times

FIRST = dt.date(2025, 10, 1)
DAYS = 92  # to December 31st: runs that add days pass into January, where December is settled block by block


def line(day: dt.date, output: int, call_id: str) -> bytes:
    return json.dumps({"ts": f"{day}T12:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 100,
                       "output_tokens": output, "id": call_id}).encode() + b"\n"


def ledger(logs: Path, cache: Path | None) -> Ledger:
    return Ledger(logs, "UTC", PriceBook([], "UTC"), cache, parallel=False)


def figures(reader: Ledger, period: Period) -> tuple[object, ...]:
    usage = reader.usage(period)
    stats = reader.stats_between(period.start, period.end)
    return sorted(usage.groups.items()), usage.units, stats.counts(), [str(problem) for problem in stats.problems]


changes = st.lists(st.tuples(st.sampled_from(["late line", "shared id", "new day", "remove", "bad line", "nothing"]),
                             st.integers(0, DAYS + 5)), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow])
@given(steps=changes, edge=st.integers(0, 40))
def test_a_report_from_the_span_cache_is_the_report_read_cold(steps: list[tuple[str, int]], edge: int) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        logs, cache = root / "logs", root / "cache"
        logs.mkdir()
        days = [FIRST + dt.timedelta(days=n) for n in range(DAYS)]
        for day in days:
            (logs / f"{day}.jsonl").write_bytes(line(day, day.day, f"{day}-a"))
        for step, (change, at) in enumerate([("nothing", 0), *steps]):
            files = sorted(logs.glob("*.jsonl"))
            target = files[at % len(files)] if files else None
            day = dt.date.fromisoformat(target.name[:10]) if target else FIRST
            if change == "late line" and target:
                with target.open("ab") as handle:
                    handle.write(line(day, 7, f"late-{step}"))
            elif change == "shared id" and target:  # the id of the call of the day before: the two files join
                with target.open("ab") as handle:
                    handle.write(line(day, 9, f"{day - dt.timedelta(days=1)}-a"))
            elif change == "new day":
                newest = dt.date.fromisoformat(files[-1].name[:10]) + dt.timedelta(days=1)
                (logs / f"{newest}.jsonl").write_bytes(line(newest, 3, f"{newest}-a"))
            elif change == "remove" and target and len(files) > 1:
                target.unlink()
            elif change == "bad line" and target:
                with target.open("ab") as handle:
                    handle.write(b'{"not": "a record"}\n')
            newest = dt.date.fromisoformat(sorted(logs.glob("*.jsonl"))[-1].name[:10])
            periods = [date_range(FIRST, newest), month_of(newest), date_range(FIRST + dt.timedelta(days=edge), newest)]
            for run in ("first run", "second run"):  # the first keeps what the second reads
                for period in periods:
                    want = figures(ledger(logs, None), period)
                    assert figures(ledger(logs, cache), period) == want, (step, run, period)
    finally:
        shutil.rmtree(root)
