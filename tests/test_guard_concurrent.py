"""Two real processes spend against one hard limit at once, each guarding its calls and logging them with
log_usage(); together they must stop within one call's cost (and two seconds of spend) of the limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from vaultledger.budgets import budgets_from
from vaultledger.budgets.report import evaluate_budgets
from vaultledger.periods import WeekRule
from vaultledger.settings import resolve_settings

pytestmark = pytest.mark.slow

LIMIT, CALL_COST = Decimal("3.00"), Decimal("0.01")
SPENDER = """
import json, os, sys, time
from decimal import Decimal
from pathlib import Path
import vaultledger

vaultledger.check_budget(project="orbis")  # warm: imports, prices and the first fold
start = Path(sys.argv[1])
while not start.exists():  # both processes begin together
    time.sleep(0.001)
calls, began = 0, time.monotonic()
try:
    while True:
        with vaultledger.guard(project="orbis", provider="openai", estimate_usd=sys.argv[2]):
            vaultledger.log_usage(provider="openai", model="gpt-4o-mini", input_tokens=10, output_tokens=5,
                                  project="orbis", cost_usd=float(sys.argv[2]))
        calls += 1
except vaultledger.BudgetExceeded as error:
    print(json.dumps({"calls": calls, "seconds": time.monotonic() - began, "refused": str(error)}))
"""


def test_two_guarded_processes_stop_within_one_call_of_the_limit(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text(f'logs = "logs"\n[budgets.project.orbis]\ndaily = {LIMIT}\nhard = true\n', encoding="utf-8")
    script = tmp_path / "spend.py"
    script.write_text(SPENDER, encoding="utf-8")
    environment = {**os.environ, "VAULTLEDGER_CONFIG": str(config), "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    start = tmp_path / "start"
    spenders = [subprocess.Popen([sys.executable, str(script), str(start), str(CALL_COST)], cwd=tmp_path,
                                 env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    time.sleep(2.0)  # both are warm and wait
    start.touch()
    results = []
    for spender in spenders:
        out, err = spender.communicate(timeout=120)
        assert spender.returncode == 0, err
        results.append(json.loads(out))

    settings = resolve_settings(config=config)
    [status] = evaluate_budgets(settings, None, WeekRule.iso())
    calls = sum(result["calls"] for result in results)
    assert all(result["calls"] > 0 and "call refused" in result["refused"] for result in results), results
    assert status.spent == calls * CALL_COST  # every call both processes made was logged and counted
    rate = status.spent / Decimal(str(max(result["seconds"] for result in results)))  # dollars per second
    assert status.spent <= LIMIT + CALL_COST + 2 * rate, (status.spent, rate)  # what the issue asks
    assert LIMIT - CALL_COST <= status.spent <= LIMIT + CALL_COST, results  # what reading the tail achieves
    assert [budget.hard for budget in budgets_from(settings)] == [True]
    print(f"two guarded processes: {calls} calls, spent {status.spent} of {LIMIT}, {rate:.2f} USD/s")
