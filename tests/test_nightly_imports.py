"""The nightly `rollup` imports what the configured sources gained before it writes the notes: real
Claude Code transcripts (read in place from the real-world corpus) reach the notes with their expected
day figures, the summary says what came in, and a failing source is a warning, never a failed run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vaultledger.cli import app

REAL_WORLD = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real-world"
CLAUDE_SET = REAL_WORLD / "claude-code" / "codemie-tmp-private"  # Claude Code 2.0.64, three transcripts
pytestmark = pytest.mark.skipif(not CLAUDE_SET.is_dir(), reason=f"{CLAUDE_SET} is absent (a bare clone has no ../shared)")
runner = CliRunner()
DAY = "2025-12-10"


@pytest.fixture
def config(tmp_path: Path, vault: Path, logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Claude Code's home is the corpus set (read in place); Codex and llm are not on this machine."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(CLAUDE_SET))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-codex"))
    path = tmp_path / "vaultledger.toml"
    path.write_text('[import]\nsources = ["claude-code"]\n', encoding="utf-8")
    return path


def nightly(config: Path, *args: str) -> object:
    return runner.invoke(app, ["rollup", "--config", str(config), *args], catch_exceptions=False)


def expected_line() -> str:
    day = json.loads((CLAUDE_SET / "expected.json").read_text(encoding="utf-8"))["days"][DAY]
    tokens_in = day["uncached_input"] + day["cache_read"] + day["cache_write"]
    return f"{tokens_in:,} in / {day['output']:,} out tokens"


def test_the_nightly_run_imports_first_and_the_notes_show_it(config: Path, vault: Path) -> None:
    result = nightly(config)
    assert result.exit_code == 0, result.output
    assert "imported claude-code: 9 calls (0 updated) from 3 changed of 3 files" in result.stdout
    assert expected_line() in (vault / f"{DAY}.md").read_text(encoding="utf-8")
    again = nightly(config)
    assert "imported claude-code: 0 calls (0 updated) from 0 changed of 3 files" in again.stdout
    assert "updated" not in again.stdout.replace("(0 updated)", "")


def test_a_dry_run_says_what_it_would_import_and_writes_nothing(config: Path, vault: Path, logs_dir: Path) -> None:
    result = nightly(config, "--dry-run")
    assert result.exit_code == 0 and "would import claude-code: 9 calls" in result.stdout
    assert not logs_dir.exists() and not (vault / f"{DAY}.md").exists()
    assert "imported claude-code: 9 calls" in nightly(config).stdout  # the dry run left no hint behind


def test_quiet_keeps_the_import_line_to_itself(config: Path) -> None:
    result = nightly(config, "--quiet")
    assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize("broken", ["not there", "not a database"])
def test_a_failing_source_is_a_warning_and_the_others_still_come_in(
        broken: str, config: Path, vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    llm_home = tmp_path / "llm"
    if broken == "not a database":
        llm_home.mkdir()
        (llm_home / "logs.db").write_bytes(b"this is no SQLite file" * 100)
    monkeypatch.setenv("LLM_USER_PATH", str(llm_home))
    config.write_text('[import]\nsources = ["llm", "codex", "claude-code"]\n', encoding="utf-8")
    result = nightly(config)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("vaultledger: warning: import ")]
    assert [line.split()[3] for line in warnings] == ["llm", "codex"], result.stderr
    assert "imported claude-code: 9 calls" in result.stdout
    assert expected_line() in (vault / f"{DAY}.md").read_text(encoding="utf-8")


def test_a_transcript_that_grew_brings_only_its_new_calls(config: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "claude"
    shutil.copytree(CLAUDE_SET / "projects", copy / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(copy))
    [main] = [path for path in (copy / "projects").rglob("*.jsonl") if not path.name.startswith("agent-")]
    lines = main.read_text(encoding="utf-8").splitlines(keepends=True)
    main.write_text("".join(lines[:12]), encoding="utf-8")
    first = nightly(config)
    main.write_text("".join(lines), encoding="utf-8")
    second = nightly(config)
    appended = [int(run.stdout.split("imported claude-code: ")[1].split()[0]) for run in (first, second)]
    assert sum(appended) == 9 and appended[1] > 0, (first.stdout, second.stdout)
