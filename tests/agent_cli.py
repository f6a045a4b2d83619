"""Shared by the agent import tests: run `vaultledger import AGENT PATH` through the real CLI into a logs
folder, and read back what it wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from vaultledger.cli import app

runner = CliRunner()


def cli_import(agent: str, path: Path, logs: Path) -> str:
    """What `vaultledger import AGENT PATH --logs LOGS --tz UTC` prints; it must succeed."""
    result = runner.invoke(app, ["import", agent, str(path), "--logs", str(logs), "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    return result.stdout


def logged(logs: Path, last_wins: bool = False) -> list[dict[str, Any]]:
    """Every line of the logs folder in file order; with `last_wins`, one per id (the reader's rule)."""
    records = [json.loads(line) for path in sorted(logs.glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    if not last_wins:
        return records
    return list({record["id"]: record for record in records}.values())


def skipped_line(output: str) -> str:
    """The summary's `skipped …` line (exactly one)."""
    [line] = [line for line in output.splitlines() if line.startswith("skipped")]
    return line
