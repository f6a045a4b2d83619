"""Files for other programs: `export` writes files as any program would (the umask decides their mode), and
`report --format csv` holds data rows only, with a numeric share."""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.reports.export import write_export_file

runner = CliRunner()
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="file modes and umask are POSIX")


@pytest.fixture
def march(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2026-03-14.jsonl",
                call(ts="2026-03-14T09:00:00Z", model="big", cost_usd=9.99),
                call(ts="2026-03-14T10:00:00Z", model="small", cost_usd=0.0000015),
                call(ts="2026-03-14T11:00:00Z", provider="acme", model="unknown"),
                call(ts="2026-03-14T12:00:00Z", model="mid", cost_usd=0.01))
    return logs_dir


def with_umask(mask: int, action):
    previous = os.umask(mask)
    try:
        return action()
    finally:
        os.umask(previous)


@posix_only
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_an_export_file_gets_the_mode_the_umask_gives(march: Path, tmp_path: Path, mask: int, mode: int) -> None:
    out = tmp_path / "out" / "march.csv"
    result = with_umask(mask, lambda: runner.invoke(app, ["export", "--month", "2026-03", "-o", str(out)]))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert len(out.read_text().splitlines()) == 5


@posix_only
def test_an_export_over_an_existing_file_keeps_its_mode(march: Path, tmp_path: Path) -> None:
    out = tmp_path / "march.jsonl"
    out.write_text("old\n")
    out.chmod(0o640)
    result = with_umask(0o022, lambda: runner.invoke(app, ["export", "--month", "2026-03", "--format", "jsonl",
                                                           "-o", str(out)]))
    assert result.exit_code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert "old" not in out.read_text()


def test_a_failed_export_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "exports" / "march.csv"
    out.parent.mkdir()
    out.write_text("old\n")

    def rows():
        yield {"ts": "2026-03-14T09:00:00+00:00", "cost_usd": Decimal(1), "tags": ()}
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_export_file(out, rows(), "csv")
    assert out.read_text() == "old\n" and sorted(path.name for path in out.parent.iterdir()) == ["march.csv"]


def test_report_csv_holds_data_rows_only_with_a_numeric_share(march: Path) -> None:
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--by", "model", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["model"] for row in rows] == ["big", "mid", "small", "unknown"]  # no TOTAL row among the data
    shares = [Decimal(row["share"]) for row in rows]  # every share a number, even the tiny one
    assert shares[2] > 0 and shares[3] == 0 and abs(sum(shares) - 1) < Decimal("0.000001")
    assert sum(Decimal(row["cost_usd"]) for row in rows) == Decimal("10.0000015")


def test_report_csv_of_calls_that_cost_nothing_shares_by_calls(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", provider="ollama", model="a"),
                call(ts="2026-03-14T10:00:00Z", provider="ollama", model="a"),
                call(ts="2026-03-14T11:00:00Z", provider="ollama", model="b"))
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--by", "model", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(row["model"], Decimal(row["share"])) for row in rows] == [("a", Decimal("0.666666667")),
                                                                       ("b", Decimal("0.333333333"))]
