"""`report --by attr.KEY` and `--by host` (SPEC §8): spend by any attr and by the machine that logged it,
worked out from exactly the calls reports count, priced as the fold prices them; the rows add up to
the report's totals to the last digit, in table, JSON and CSV, on the typer and the fast path alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.reports import breakdown

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from generate_logs import write_logs  # noqa: E402

runner = CliRunner()
MONTH = ["--month", "2026-03"]


def report(*args: str) -> dict:
    result = runner.invoke(app, ["report", *MONTH, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def csv_rows(*args: str) -> list[dict[str, str]]:
    result = runner.invoke(app, ["report", *MONTH, "--format", "csv", *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def branches(logs_dir: Path) -> Path:
    """Calls on two branches and none, across a plain file and two hosts' files, priced four ways:
    by bundled prices, by an override, by their own cost_usd, and not at all."""
    write_lines(logs_dir / "2026-03-12.jsonl",
                call(ts="2026-03-12T09:00:00Z", attrs={"git_branch": "main", "sidechain": False}),
                call(ts="2026-03-12T09:01:00Z", provider="acme", model="m1", attrs={"git_branch": "main"}),
                call(ts="2026-03-12T09:02:00Z", cost_usd=1.25, attrs={"git_branch": "feature/x", "turn": 3}))
    write_lines(logs_dir / "2026-03-13.laptop.jsonl",
                call(ts="2026-03-13T09:00:00Z", id="s1", output_tokens=10, attrs={"git_branch": "main"}),
                call(ts="2026-03-13T09:05:00Z", provider="anthropic", model="claude-sonnet-4-5",
                     input_tokens=5000, cache_read_tokens=4000, attrs={"git_branch": "feature/x", "sidechain": True}))
    # The same call logged on the desk too, later and with its final usage: desk's line counts.
    write_lines(logs_dir / "2026-03-13.desk.jsonl",
                call(ts="2026-03-13T09:00:09Z", id="s1", output_tokens=90, attrs={"git_branch": "release"}),
                call(ts="2026-03-13T10:00:00Z", model="gpt-4o"))
    return logs_dir


def test_spend_by_git_branch_adds_up_to_the_totals(branches: Path) -> None:
    document = report("--by", "attr.git_branch")
    rows = {row["key"]: row for row in document["by_attr.git_branch"]}
    assert set(rows) == {"main", "feature/x", "release", None}
    assert {key: row["calls"] for key, row in rows.items()} == {"main": 2, "feature/x": 2, "release": 1, None: 1}
    assert rows["release"]["output_tokens"] == 90  # the line that counts carries the attr that counts
    assert rows["main"]["unpriced_calls"] == 1
    totals = document["totals"]
    assert totals == report()["totals"]  # a breakdown never changes the report's numbers
    for field in ("calls", "input_tokens", "output_tokens", "cache_read_tokens", "unpriced_calls"):
        assert sum(row[field] for row in rows.values()) == totals[field], field
    assert sum(row["cost_usd"] for row in rows.values()) == pytest.approx(totals["cost_usd"], abs=1e-9)
    assert document["by_provider"] == report()["by_provider"]  # every other breakdown is kept


def exact_total() -> tuple[int, Decimal]:
    """The month's calls and exact cost as the ledger folds them (the CSV holds data rows only)."""
    from vaultledger.ledger import Ledger
    from vaultledger.periods.parse import parse_period
    from vaultledger.periods import WeekRule
    from vaultledger.settings import resolve_settings

    totals = Ledger.from_settings(resolve_settings()).usage(parse_period(MONTH[1], WeekRule.iso())).totals()
    return totals.calls, totals.cost


def test_the_csv_rows_add_up_to_the_exact_total(branches: Path) -> None:
    calls, cost = exact_total()
    for by in ("attr.git_branch", "host", "attr.sidechain"):
        rows = csv_rows("--by", by)
        assert sum(Decimal(row["cost_usd"]) for row in rows) == cost, by
        assert sum(int(row["calls"]) for row in rows) == calls == 6


def test_spend_by_host_counts_each_call_where_its_line_counts(branches: Path) -> None:
    rows = {row["key"]: row["calls"] for row in report("--by", "host")["by_host"]}
    assert rows == {None: 3, "laptop": 1, "desk": 2}


def test_attr_values_that_are_not_text_are_labelled_as_json_writes_them(branches: Path) -> None:
    assert {row["key"] for row in report("--by", "attr.sidechain")["by_attr.sidechain"]} == {"true", "false", None}
    assert {row["key"] for row in report("--by", "attr.turn")["by_attr.turn"]} == {"3", None}
    [row] = report("--by", "attr.nowhere")["by_attr.nowhere"]
    assert (row["key"], row["calls"]) == (None, 6)


def test_the_table_shows_a_row_per_branch(branches: Path) -> None:
    result = runner.invoke(app, ["report", *MONTH, "--by", "attr.git_branch"], env={"COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "attr.git_branch" in lines[1]
    assert sorted(line.split()[0] for line in lines[3:7]) == ["(none)", "feature/x", "main", "release"]
    assert len(lines) == 8 and "unpriced" in lines[7]


def test_a_comparison_by_branch_lists_both_periods(branches: Path) -> None:
    write_lines(branches / "2026-02-10.jsonl", call(ts="2026-02-10T09:00:00Z", attrs={"git_branch": "old"}))
    result = runner.invoke(app, ["report", *MONTH, "--by", "attr.git_branch", "--compare", "2026-02",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: (row["now"]["calls"], row["then"]["calls"]) for row in json.loads(result.stdout)["by_attr.git_branch"]}
    assert rows["old"] == (0, 1) and rows["main"] == (2, 0)


SAME = [
    ["report", *MONTH, "--by", "attr.git_branch", "--format", "json"],
    ["report", *MONTH, "--by", "attr.git_branch", "--format", "csv"],
    ["report", *MONTH, "--by", "attr.git_branch"],
    ["report", *MONTH, "--by", "host"],
    ["report", *MONTH, "--by=host", "--format", "json"],
    ["report", *MONTH, "--by", "attr.sidechain", "--compare", "2026-02", "--format", "csv"],
]


@pytest.mark.parametrize("args", SAME, ids=range(len(SAME)))
def test_the_fast_path_prints_what_typer_prints(args: list[str], branches: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    by_typer = runner.invoke(app, args)
    assert answer_quickly(args) == by_typer.exit_code == 0
    fast = capsys.readouterr()
    assert fast.out + fast.err == by_typer.output


@pytest.mark.parametrize("by", ["attr.", "attr", "hosts", "Attr.git_branch"])
def test_a_by_that_names_nothing_is_a_usage_error_left_to_typer(by: str, branches: Path) -> None:
    assert answer_quickly(["report", "--by", by]) is None
    result = runner.invoke(app, ["report", "--by", by])
    assert result.exit_code == 2 and "or attr.KEY" in result.output


def test_by_host_sums_each_files_fold_and_is_what_folding_the_calls_again_gives(
    logs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows by host come from the files' folds (a warm cache holds them); only files that share ids
    with a neighbour are read call by call. To the last digit, the rows are those of folding every
    call again by the host whose line counts."""
    from vaultledger.ledger import Ledger
    from vaultledger.periods import WeekRule
    from vaultledger.periods.parse import parse_period
    from vaultledger.settings import resolve_settings

    monkeypatch.setattr(breakdown, "FOLD_EVERY", 97)  # calls are folded in many batches, split anywhere
    write_logs(logs_dir, dt.date(2026, 3, 1), 31, 3000, seed=11, growth=0.5, hosts=3)
    # One call logged by two machines: its later line counts, on host-2.
    write_lines(logs_dir / "2026-03-09.host-1.jsonl", call(ts="2026-03-09T08:00:00Z", id="twice", output_tokens=1))
    write_lines(logs_dir / "2026-03-09.host-2.jsonl", call(ts="2026-03-09T08:00:05Z", id="twice", output_tokens=700))
    period = parse_period(MONTH[1], WeekRule.iso())
    read: list[set[Path] | None] = []
    calls_of = breakdown._rows_of_calls
    monkeypatch.setattr(breakdown, "_rows_of_calls",
                        lambda ledger, period, value_of, within=None: read.append(within) or calls_of(
                            ledger, period, value_of, within))
    by_folds = breakdown.host_rows(Ledger.from_settings(resolve_settings()), period)
    assert [{path.name for path in within} for within in read if within is not None] == [
        {"2026-03-09.host-1.jsonl", "2026-03-09.host-2.jsonl"}]
    assert by_folds == calls_of(Ledger.from_settings(resolve_settings()), period, breakdown._host_value())


def test_three_machines_a_month_by_host_add_up_to_the_totals(logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(breakdown, "FOLD_EVERY", 97)  # calls are folded in many batches, split anywhere
    write_logs(logs_dir, dt.date(2026, 3, 1), 31, 3000, seed=11, growth=0.5, hosts=3)
    document = report("--by", "host")
    rows = document["by_host"]
    assert [row["key"] for row in rows] == ["host-1", "host-2", "host-3"]
    assert sum(row["calls"] for row in rows) == document["totals"]["calls"] > 2000
    assert sum(row["output_tokens"] for row in rows) == document["totals"]["output_tokens"]
    rows_cost = sum(Decimal(row["cost_usd"]) for row in csv_rows("--by", "host"))
    assert rows_cost == exact_total()[1]
    assert float(rows_cost.quantize(Decimal("1e-9"))) == document["totals"]["cost_usd"]


def test_rows_by_an_attr_are_kept_per_file_and_are_what_folding_the_calls_again_gives(
    logs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's rows by an attr are kept beside the folds; a later breakdown works out again only
    the files that changed, and files that share ids with a neighbour are read call by call. To the
    last digit, the rows are those of folding every call again."""
    import random

    from vaultledger.ledger import Ledger, attr_rows as kept_rows_module
    from vaultledger.periods import WeekRule
    from vaultledger.periods.parse import parse_period
    from vaultledger.settings import resolve_settings

    rng = random.Random(7)
    branches = ["main", "feature/x", None, 3, True]
    for day in range(1, 21):
        write_lines(logs_dir / f"2026-03-{day:02}.jsonl", *[
            call(ts=f"2026-03-{day:02}T{rng.randrange(24):02}:{rng.randrange(60):02}:00Z",
                 model=rng.choice(["gpt-4o-mini", "gpt-4o"]), input_tokens=rng.randrange(1, 9000),
                 output_tokens=rng.randrange(1, 900), **({"attrs": {"git_branch": branch}} if branch is not None else {}))
            for branch in rng.choices(branches, k=40)])
    # One call logged on two days' files: its later line counts, on another branch.
    write_lines(logs_dir / "2026-03-09.jsonl", call(ts="2026-03-09T23:59:00Z", id="twice", attrs={"git_branch": "main"}))
    write_lines(logs_dir / "2026-03-10.jsonl", call(ts="2026-03-10T00:00:04Z", id="twice", output_tokens=900,
                                                    attrs={"git_branch": "release"}))
    period = parse_period(MONTH[1], WeekRule.iso())
    worked_out: list[str] = []
    file_rows = kept_rows_module.file_rows
    monkeypatch.setattr(kept_rows_module, "file_rows",
                        lambda path, *rest: worked_out.append(path.name) or file_rows(path, *rest))

    def both() -> tuple[dict, dict]:
        kept = breakdown.attr_rows(Ledger.from_settings(resolve_settings()), period, "git_branch")
        again = breakdown._rows_of_calls(Ledger.from_settings(resolve_settings()), period,
                                         breakdown._attr_value("git_branch"))
        return kept, again

    kept, again = both()
    assert kept == again and set(kept) == {"main", "feature/x", "3", "true", None, "release"}
    assert sorted(worked_out) == [f"2026-03-{day:02}.jsonl" for day in range(1, 21) if day not in (9, 10)]
    worked_out.clear()
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T12:00:00Z", attrs={"git_branch": "main"}))
    kept, again = both()
    assert kept == again and worked_out == ["2026-03-14.jsonl"]


def test_a_file_with_an_attr_value_per_call_keeps_no_rows(logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows by an attr such as a request id would make the kept rows as big as the logs: a file with
    more rows than MAX_KEPT_ROWS keeps none, and the breakdown still adds up."""
    from vaultledger.ledger import attr_rows as kept_rows_module

    monkeypatch.setattr(kept_rows_module, "MAX_KEPT_ROWS", 5)
    write_lines(logs_dir / "2026-03-12.jsonl", *[call(ts="2026-03-12T10:00:00Z", attrs={"request": f"r{n}"})
                                                 for n in range(6)])
    write_lines(logs_dir / "2026-03-13.jsonl", *[call(ts="2026-03-13T10:00:00Z", attrs={"request": f"s{n}"})
                                                 for n in range(5)])
    for _ in range(2):
        rows = report("--by", "attr.request")["by_attr.request"]
        assert len(rows) == 11 and sum(row["calls"] for row in rows) == 11
    [kept] = list((logs_dir.parent / "cache").rglob("attrs-*.msgpack"))
    assert b"2026-03-13.jsonl" in kept.read_bytes() and b"2026-03-12.jsonl" not in kept.read_bytes()
