"""Reports count what can be read and say what cannot: cut files, outliers, corrections."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def report(*period: str) -> dict:
    return json.loads(invoke("report", "--format", "json", *period).stdout)


@pytest.fixture
def cut_archive(logs_dir: Path) -> Path:
    """The finding's repro: 200 calls, the .gz cut in half."""
    lines = "".join(json.dumps(call(ts=f"2026-03-05T12:00:{i % 60:02d}+00:00", model="gpt-4o", input_tokens=1000,
                                    output_tokens=100)) + "\n" for i in range(200)).encode()
    whole = gzip.compress(lines)
    logs_dir.mkdir(parents=True)
    path = logs_dir / "2026-03-05.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def test_a_cut_archive_counts_its_readable_part_everywhere(cut_archive: Path) -> None:
    result = invoke("report", "--format", "json", "--day", "2026-03-05")
    document = json.loads(result.stdout)
    exported = invoke("export", "--format", "jsonl", "--day", "2026-03-05").stdout.splitlines()
    readable = len(exported)
    assert readable > 20 and document["totals"]["calls"] == readable  # report and export agree
    assert document["problems"]["truncated_files"] == 1
    assert document["problems"]["truncated"] == [{"file": "2026-03-05.jsonl.gz", "after_line": readable}]
    message = f"2026-03-05.jsonl.gz is cut after line {readable}: the rest of that day is missing"
    assert message in result.stderr
    assert message in invoke("report", "--day", "2026-03-05").stderr  # the table says it too
    assert message in runner.invoke(app, ["export", "--day", "2026-03-05"]).stderr
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and f"problem: {message}" in doctor.output
    assert "unreadable from here on" not in doctor.output  # said once, in words


def test_a_cut_archive_reads_the_same_warm_and_cold(cut_archive: Path) -> None:
    cold = report("--day", "2026-03-05")
    assert report("--day", "2026-03-05") == cold


def test_outliers_are_named_and_still_counted(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl",
                call(ts="2026-03-14T09:00:00Z", id="huge", input_tokens=10**15, output_tokens=0),
                call(ts="2026-03-14T10:00:00Z", id="dear", provider="anthropic", model="x", cost_usd="1500"),
                call(ts="2026-03-14T11:00:00Z", id="edge", input_tokens=10**9 - 500, output_tokens=500),
                call(ts="2026-03-14T12:00:00Z"))
    result = invoke("report", "--format", "json", "--month", "2026-03")
    document = json.loads(result.stdout)
    assert document["totals"]["calls"] == 4 and document["totals"]["input_tokens"] > 10**15
    outliers = document["problems"]["outliers"]
    assert [(o["provider"], o["id"], o["day"]) for o in outliers] == [
        ("openai", "huge", "2026-03-14"), ("anthropic", "dear", "2026-03-14")]
    assert outliers[1]["cost_usd"] == 1500 and outliers[0]["tokens"] == 10**15
    assert "outlier: openai/gpt-4o-mini id huge on 2026-03-14: 1,000,000,000,000,000 tokens" in result.stderr
    assert "vaultledger log --void --id huge --provider openai" in result.stderr
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and "problem: outlier: anthropic/x id dear on 2026-03-14" in doctor.output


def test_a_quiet_month_has_no_outliers(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", *[call(ts=f"2026-03-14T{h:02d}:00:00Z") for h in range(10)])
    assert report("--month", "2026-03")["problems"]["outliers"] == []


def test_a_void_line_cancels_and_a_later_line_corrects(logs_dir: Path) -> None:
    base = ["log", "--provider", "openai", "--model", "gpt-4o-mini", "--ts", "2026-03-14T09:00:00Z"]
    invoke(*base, "--id", "wrong", "--input-tokens", "1000000000000", "--output-tokens", "0")
    invoke(*base, "--id", "fixed", "--input-tokens", "5000", "--output-tokens", "0")
    assert len(report("--day", "2026-03-14")["problems"]["outliers"]) == 1
    invoke(*base, "--id", "wrong", "--input-tokens", "0", "--output-tokens", "0", "--void")
    invoke(*base, "--id", "fixed", "--input-tokens", "50", "--output-tokens", "0")
    document = report("--day", "2026-03-14")
    assert (document["totals"]["calls"], document["totals"]["input_tokens"]) == (1, 50)
    assert document["problems"]["outliers"] == []
    assert len((logs_dir / "2026-03-14.jsonl").read_text().splitlines()) == 4  # nothing edited, all appended


def test_a_report_by_time_keeps_the_real_breakdowns_and_names_unpriced_models(logs_dir: Path) -> None:
    """`--by day|week|month` adds by_day/by_week/by_month rows; by_provider, by_model … and the unpriced
    models stay what they are (they used to be filled with the time rows)."""
    write_lines(logs_dir / "2026-03-10.jsonl", call(ts="2026-03-10T10:00:00Z"),
                call(ts="2026-03-11T10:00:00Z", provider="mystery", model="frobnicator-9000"))
    for unit in ("day", "week", "month"):
        document = report("--month", "2026-03", "--by", unit)
        plain = report("--month", "2026-03")
        assert {key: document[key] for key in plain} == plain
        rows = document[f"by_{unit}"]
        assert sum(row["calls"] for row in rows) == 2 and len(rows) == {"day": 31, "week": 5, "month": 1}[unit]
        assert document["unpriced_models"] == {"mystery/frobnicator-9000": 1}
    table = runner.invoke(app, ["report", "--month", "2026-03", "--by", "week"])
    assert "unpriced: mystery/frobnicator-9000 (1 calls)" in table.output
