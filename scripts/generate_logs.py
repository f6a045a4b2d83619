"""Write realistic, deterministic usage logs: the bundled sample and the benchmarks' big years.

    python scripts/generate_logs.py --start 2026-01-01 --days 90 --calls 2000 --out logs/llm-usage
    python scripts/generate_logs.py --days 30 --calls 5000 --hosts 3 --out /tmp/three-machines
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import zoneinfo
from pathlib import Path


from vaultledger.record import UsageRecord, to_line

# (provider, model, typical input, typical output, cache share, weight)
MODELS = [
    ("anthropic", "claude-sonnet-4-5-20250929", 6000, 700, 0.6, 30),
    ("anthropic", "claude-haiku-4-5-20251001", 2500, 300, 0.3, 12),
    ("anthropic", "claude-opus-4-1-20250805", 9000, 900, 0.5, 3),
    ("openai", "gpt-4o-mini-2024-07-18", 1800, 350, 0.2, 18),
    ("openai", "gpt-5-2025-08-07", 5000, 1500, 0.3, 6),
    ("openai", "o4-mini-2025-04-16", 3000, 1800, 0.1, 4),
    ("gcp.gemini", "gemini-2.5-flash", 4000, 600, 0.2, 12),
    ("gcp.gemini", "gemini-2.5-pro", 8000, 1200, 0.2, 3),
    ("mistral_ai", "mistral-small-latest", 1500, 400, 0.0, 4),
    ("ollama", "llama3.1:8b", 1200, 500, 0.0, 8),
    ("acme", "acme-llm-7b", 900, 200, 0.0, 1),
]
# (app, project, use case, unit prefix, calls per unit)
WORK = [
    ("poet", "poetry", "poem", "poem", 4),
    ("claude-code", "orbis", "code", None, 0),
    ("scholar", "research-bot", "research", "report", 25),
    ("chatty", "companion", "dialog", "dialog", 12),
    ("n8n", None, "summary", None, 0),
]
ZONE = zoneinfo.ZoneInfo("Europe/Berlin")


def records_for_day(day: dt.date, calls: int, rng: random.Random, serial: list[int]) -> list[UsageRecord]:
    start = dt.datetime.combine(day, dt.time(0), ZONE)
    seconds = sorted(rng.randrange(86_400) for _ in range(calls))
    return [make_call(start + dt.timedelta(seconds=s), rng, serial) for s in seconds]


def make_call(ts: dt.datetime, rng: random.Random, serial: list[int]) -> UsageRecord:
    provider, model, typical_in, typical_out, cache_share, _ = rng.choices(MODELS, [m[5] for m in MODELS])[0]
    app, project, use_case, unit_prefix, per_unit = rng.choice(WORK)
    serial[0] += 1
    input_tokens = max(1, int(rng.lognormvariate(0, 0.6) * typical_in))
    cached = int(input_tokens * cache_share * rng.random())
    written = int((input_tokens - cached) * 0.3) if provider == "anthropic" and rng.random() < 0.2 else 0
    output_tokens = max(1, int(rng.lognormvariate(0, 0.5) * typical_out))
    reasoning = int(output_tokens * 0.6) if model.startswith(("o4", "gpt-5")) else 0
    unit = f"{unit_prefix}-{serial[0] // per_unit:05d}" if unit_prefix else None
    return UsageRecord(
        ts=ts.replace(microsecond=rng.randrange(1000) * 1000), provider=provider, model=model,
        input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached,
        cache_write_tokens=written, reasoning_tokens=reasoning, id=f"req_{serial[0]:09d}", app=app,
        project=project, use_case=use_case, unit_id=unit, duration_ms=rng.randrange(300, 30_000),
    )


def write_logs(out: Path, start: dt.date, days: int, calls: int, seed: int, growth: float, hosts: int = 0) -> int:
    """`calls` spread over `days` files, rising by `growth` over the span; returns lines written.

    With `hosts`, each day's calls are spread over that many machines' files (`DAY.host-N.jsonl`,
    SPEC §2), the busiest machine taking about half, as a laptop, a desktop and a server would.
    """
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    serial = [0]
    weights = [1 + growth * i / max(days - 1, 1) for i in range(days)]
    scale = calls / sum(weights)
    names = [f"host-{number}" for number in range(1, hosts + 1)]
    shares = [1 / 2**number for number in range(1, hosts + 1)]
    written = 0
    for index, weight in enumerate(weights):
        day = start + dt.timedelta(days=index)
        count = round(weight * scale * rng.uniform(0.7, 1.3))
        records = records_for_day(day, count, rng, serial)
        if not hosts:
            (out / f"{day.isoformat()}.jsonl").write_bytes(b"".join(map(to_line, records)))
        else:
            by_host: dict[str, list[bytes]] = {name: [] for name in names}
            for record in records:
                by_host[rng.choices(names, shares)[0]].append(to_line(record))
            for name, lines in by_host.items():
                (out / f"{day.isoformat()}.{name}.jsonl").write_bytes(b"".join(lines))
        written += count
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--growth", type=float, default=0.5, help="how much busier the last day is than the first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hosts", type=int, default=0, help="spread each day over this many machines' files")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = write_logs(args.out, args.start, args.days, args.calls, args.seed, args.growth, args.hosts)
    files = args.days * max(args.hosts, 1)
    print(f"wrote {lines:,} records in {files} files to {args.out}")


if __name__ == "__main__":
    main()
