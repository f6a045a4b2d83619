"""`vaultledger budget` in a terminal: every amount whole at 80 columns, and figures that add up as shown."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from conftest import call, write_lines
from vaultledger.budgets import Budget, BudgetStatus
from vaultledger.budgets.report import budget_table
from vaultledger.periods import day_of, month_of, quarter_of
from vaultledger.pricing import format_usd

TODAY = dt.date(2026, 3, 14)
STATUSES = [
    BudgetStatus(Budget("monthly", Decimal(20000)), month_of(TODAY), Decimal("17104.5678"), TODAY, 3),
    BudgetStatus(Budget("quarterly", Decimal(60), "project", "research-bot-with-a-long-name"), quarter_of(TODAY),
                 Decimal("71.234"), TODAY),
    BudgetStatus(Budget("daily", Decimal("0.5")), day_of(TODAY), Decimal("0.0045"), TODAY),
    BudgetStatus(Budget("monthly", Decimal(50)), month_of(dt.date(2026, 2, 1)), Decimal("40.005"), TODAY),
    BudgetStatus(Budget("monthly", Decimal(50), "model", "openai/gpt-4o"), month_of(dt.date(2026, 5, 1)),
                 Decimal(0), TODAY),
]


def shown(statuses: list[BudgetStatus], width: int) -> str:
    output = io.StringIO()
    budget_table(statuses, Console(file=output, width=width, color_system=None))
    return output.getvalue()


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_no_amount_is_cut_off(width: int) -> None:
    text = shown(STATUSES, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    for status in STATUSES:
        for amount in (status.spent, status.amount, status.shown_remaining, status.projection):
            assert format_usd(amount) in text, (width, format_usd(amount))


def test_a_terminal_too_narrow_for_any_table_gets_a_line_per_budget() -> None:
    text = shown(STATUSES, 50)
    for status in STATUSES:
        assert format_usd(status.spent) in text.replace("\n", " ")
    assert "…" not in text


def test_two_months_of_one_budget_stay_apart_when_the_period_column_goes() -> None:
    text = shown(STATUSES, 80)
    assert "period" not in text.splitlines()[1] and "2026-02" in text and "2026-03" in text


def test_left_is_the_limit_minus_the_spending_as_shown() -> None:
    rows = [line for line in shown(STATUSES, 200).splitlines() if "budget" in line and "│" in line]
    assert len(rows) == len(STATUSES)
    for line in rows:
        cells = [cell.strip() for cell in line.split("│")]
        spent, limit = (Decimal(cell.replace("$", "").replace(",", "")) for cell in cells[2:4])
        assert cells[5] == format_usd(limit - spent), line
    # $40.005 shows as $40.01, so $50.00 - $40.01 leaves $9.99 (not the $10.00 a rounded difference would say).
    assert STATUSES[3].shown_remaining == Decimal("9.99")


@pytest.mark.parametrize(("spent", "amount", "share"), [
    (Decimal("0.0045"), Decimal(500), "<1 %"), (Decimal(0), Decimal(5), "0 %"), (Decimal(3), Decimal(0), "∞ %"),
    (Decimal(0), Decimal(0), "0 %"), (Decimal("4.3"), Decimal(5), "86 %"),
])
def test_a_share_of_spending_is_never_0_percent(spent: Decimal, amount: Decimal, share: str) -> None:
    assert BudgetStatus(Budget("daily", amount), day_of(TODAY), spent, TODAY).share_text == share


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_budget_command_in_an_80_column_terminal_shows_whole_amounts(logs_dir: Path, tmp_path: Path) -> None:
    import pty

    now = dt.datetime.now(dt.timezone.utc)
    write_lines(logs_dir / f"{now.date()}.jsonl", call(ts=now.isoformat(), cost_usd=12345.678))
    config = tmp_path / "vaultledger.toml"
    config.write_text("[budgets]\ndaily = 20000\nmonthly = 25000\nquarterly = 99999\n"
                      "[budgets.project.a-project-with-a-long-name]\nmonthly = 1000\n")
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "NO_COLOR": "1", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "vaultledger", "budget", "--config", str(config)],
                               stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the program is done
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", output.decode())
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "$12,345.68" in text and "$20,000.00" in text and "$99,999.00" in text and "…" not in text, text
