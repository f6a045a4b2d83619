"""What the logger could not write and what a killed write left behind are shown where users look:
`report --format json` (`problems.dropped_records`), the report's stderr, and `doctor`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.capture.logger import log_usage
from vaultledger.cli import app

runner = CliRunner()


def test_calls_the_logger_could_not_write_are_counted_in_reports_and_doctor(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T10:00:00Z"))
    huge_model = "m" * 5000  # a required field over the line limit: the call cannot be written at all
    with pytest.warns(RuntimeWarning, match="usage not logged"):
        assert log_usage(provider="openai", model=huge_model, input_tokens=1, output_tokens=1,
                         ts="2026-03-14T11:00:00Z") is None
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["problems"]["dropped_records"] == 1 and document["totals"]["calls"] == 1
    assert "1 call could not be logged (too_large 1)" in result.stderr
    other_day = json.loads(runner.invoke(app, ["report", "--day", "2026-03-13", "--format", "json"]).stdout)
    assert other_day["problems"]["dropped_records"] == 0
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and "problem: 1 call could not be logged (too_large 1)" in doctor.output


def test_a_stale_temp_file_in_the_vault_is_named_by_doctor(logs_dir: Path, vault: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T10:00:00Z"))
    stale = vault / "Daily" / ".2026-03-14.md.0a1b2c3d.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_text("half a note")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and f"problem: {stale}: a temp file left by a write that was killed" in doctor.output


def test_guessed_providers_and_tier_fallbacks_are_counted_and_explained(logs_dir: Path) -> None:
    """SPEC §8's problems.guessed_providers and problems.tier_fallbacks, with a line each on stderr and in doctor."""
    write_lines(logs_dir / "2026-03-14.jsonl",
                call(ts="2026-03-14T10:00:00Z", attrs={"provider_guessed": True}),
                call(ts="2026-03-14T11:00:00Z", provider="openai", model="gpt-4o", service_tier="batch"),
                call(ts="2026-03-14T12:00:00Z"))
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--format", "json"])
    problems = json.loads(result.stdout)["problems"]
    assert (problems["guessed_providers"], problems["tier_fallbacks"]) == (1, 1)
    assert "1 batch calls of openai/gpt-4o priced at the standard rate" in result.stderr
    assert "calls of" in result.stderr and "have a guessed provider" in result.stderr
    doctor = runner.invoke(app, ["doctor"])
    assert "note: 1 batch calls of openai/gpt-4o priced at the standard rate" in doctor.output
    assert "have a guessed provider" in doctor.output
