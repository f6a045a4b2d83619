"""`doctor` lists each import source: where it reads, its calls in the ledger, how far back its files
go, and a warning while it holds usage the ledger lacks (a dry-run import, which changes nothing).
Claude Code's home is a real-world corpus set, read in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vaultledger.cli import app

REAL_WORLD = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real-world"
CLAUDE_SET = REAL_WORLD / "claude-code" / "codemie-tmp-private"
pytestmark = pytest.mark.skipif(not CLAUDE_SET.is_dir(), reason=f"{CLAUDE_SET} is absent (a bare clone has no ../shared)")
runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, vault: Path, logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(CLAUDE_SET))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-codex"))
    logs_dir.mkdir()
    path = tmp_path / "vaultledger.toml"
    path.write_text('[import]\nsources = ["claude-code"]\n', encoding="utf-8")
    return path


def source_lines(config: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["doctor", "--config", str(config)])
    return result.exit_code, [line for line in result.output.splitlines() if "import" in line]


def oldest_transcript() -> str:
    oldest = min(path.stat().st_mtime for path in (CLAUDE_SET / "projects").rglob("*.jsonl"))
    return dt.datetime.fromtimestamp(oldest).date().isoformat()


def test_a_source_is_listed_with_its_calls_files_and_what_is_not_imported_yet(config: Path) -> None:
    code, lines = source_lines(config)
    assert code == 0, lines  # usage not imported yet is a warning, not a problem
    assert lines == [
        f"import:    claude-code reads {CLAUDE_SET / 'projects'}",
        f"import:    claude-code: 0 calls in the ledger; 3 files on disk, the oldest last written {oldest_transcript()}",
        "import:    warning: claude-code holds 9 calls not yet in the ledger; the nightly rollup imports them "
        "(or now: vaultledger import claude-code)",
    ]
    assert runner.invoke(app, ["import", "claude-code", "--config", str(config)]).exit_code == 0  # doctor left no hint
    code, lines = source_lines(config)
    assert code == 0 and lines[1].startswith("import:    claude-code: 9 calls in the ledger;") and len(lines) == 2


def test_a_listed_source_this_machine_lacks_is_a_problem(config: Path) -> None:
    config.write_text('[import]\nsources = ["claude-code", "codex"]\n', encoding="utf-8")
    code, lines = source_lines(config)
    assert code == 1
    assert 'problem: import codex: its logs are not on this machine; take it out of [import] sources, or use ' \
           'sources = "auto" (every tool found)' in lines


def test_a_tool_found_but_not_listed_is_suggested(config: Path) -> None:
    config.write_text('timezone = "UTC"\n', encoding="utf-8")
    code, lines = source_lines(config)
    assert code == 0 and lines == ["import:    claude-code logs are on this machine but not imported automatically: add it to "
                     '[import] sources (or sources = "auto")']


def test_auto_lists_what_it_found(config: Path) -> None:
    config.write_text('[import]\nsources = "auto"\n', encoding="utf-8")
    code, lines = source_lines(config)
    assert code == 0 and [line.split()[1] for line in lines[:2]] == ["claude-code", "claude-code:"]
