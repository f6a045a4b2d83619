"""`[import] sources`: validated like every setting, "auto" finding exactly the tools on this machine,
every registered importer keeping the discovery contract, dry runs that write nothing, and zeroed
copies of a call that never replace its real usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines, written
from test_settings_validation import COMMANDS
from vaultledger.capture.importers import IMPORTER_NAMES, DryRunLog, ImportRun, importer_for, importer_module
from vaultledger.capture.importers.claude_code import import_claude_code
from vaultledger.capture.importers.sources import configured_sources, import_sources
from vaultledger.capture.importers.state import ImportState
from vaultledger.capture.logger import UsageLog
from vaultledger.cli import app
from vaultledger.settings import resolve_settings

runner = CliRunner()

BAD_IMPORT_CONFIGS = {
    "unknown source": ('[import]\nsources = ["claude-code", "cursor"]\n',
                       "[import] sources: unknown source 'cursor' (choose from claude-code, codex, llm"),
    "a single name": ('[import]\nsources = "codex"\n', "[import] sources must be a list of source names or \"auto\""),
    "a number in the list": ("[import]\nsources = [1]\n", "[import] sources must be a list of source names"),
    "a misspelt key": ('[import]\nsource = "auto"\n', "[import] has no key 'source' (it takes: sources)"),
}


@pytest.mark.parametrize("case", BAD_IMPORT_CONFIGS, ids=list(BAD_IMPORT_CONFIGS))
def test_every_command_refuses_a_bad_import_table_in_doctors_words(case: str, tmp_path: Path, logs_dir: Path,
                                                                   vault: Path) -> None:
    text, expected = BAD_IMPORT_CONFIGS[case]
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z"))
    config = tmp_path / "vaultledger.toml"
    config.write_text(text, encoding="utf-8")
    doctor = runner.invoke(app, ["doctor", "--config", str(config)])
    [listed] = [line for line in doctor.output.splitlines() if expected in line]
    assert doctor.exit_code == 1 and listed.startswith(f"problem: {config}: "), doctor.output  # names the file
    for command in [*COMMANDS, ["rollup"]]:
        refused = runner.invoke(app, [*command, "--config", str(config)])
        assert refused.exit_code == 1 and listed.removeprefix("problem: ") in refused.output, (command, refused.output)


def test_an_import_table_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('import = "auto"\n', encoding="utf-8")
    result = runner.invoke(app, ["report", "--config", str(config)])
    assert result.exit_code == 1 and "config 'import' must be a table ([import])" in result.output


def settings_with(tmp_path: Path, text: str) -> Any:
    config = tmp_path / "vaultledger.toml"
    config.write_text(text, encoding="utf-8")
    return resolve_settings(config=config, logs=tmp_path / "logs", tz="UTC")


def test_auto_imports_exactly_the_tools_found_on_this_machine(tmp_path: Path, isolated_home: Path) -> None:
    settings = settings_with(tmp_path, '[import]\nsources = "auto"\n')
    env = {"CODEX_HOME": str(tmp_path / "codex"), "LLM_USER_PATH": str(tmp_path / "llm")}
    assert configured_sources(settings, env) == []
    (isolated_home / ".claude" / "projects").mkdir(parents=True)
    assert configured_sources(settings, env) == ["claude-code"]
    (tmp_path / "codex" / "archived_sessions").mkdir(parents=True)
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm" / "logs.db").write_bytes(b"")
    assert configured_sources(settings, env) == ["claude-code", "codex", "llm"]


def test_listed_sources_are_imported_whether_found_or_not_and_without_a_table_none(tmp_path: Path) -> None:
    assert configured_sources(settings_with(tmp_path, '[import]\nsources = ["codex", "codex", "llm"]\n'), {}) == [
        "codex", "llm"]
    assert configured_sources(settings_with(tmp_path, 'timezone = "UTC"\n'), {}) == []


@pytest.mark.parametrize("name", IMPORTER_NAMES)
def test_every_importer_keeps_the_discovery_contract(name: str, tmp_path: Path) -> None:
    """What `auto`, `doctor` and `watch` rely on, for every registered importer (new ones too)."""
    module = importer_module(name)
    empty = {key: str(tmp_path / "nothing") for key in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "LLM_USER_PATH")}
    assert module.found_on_this_machine(empty) is False  # the test's home holds no agent's logs
    roots = module.default_roots(empty)
    assert all(isinstance(root, Path) for root in roots)
    assert roots or module.NEEDS_PATH, "an importer without a usual place says so (NEEDS_PATH)"
    assert callable(importer_for(name))
    assert hasattr(module, "session_reader") == hasattr(module, "SESSION_FILES")


def assistant(message_id: str, output: int, **usage: int) -> str:
    counts = {"input_tokens": 3, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 0,
              "output_tokens": output, **usage}
    return json.dumps({"type": "assistant", "sessionId": "s1", "timestamp": "2026-03-14T10:00:00.000Z",
                       "requestId": f"req_{message_id}", "message": {"id": message_id, "model": "claude-sonnet-4-5",
                                                                     "usage": counts}}) + "\n"


def test_a_dry_run_counts_what_would_come_in_and_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    projects = tmp_path / "claude" / "projects" / "p"
    projects.mkdir(parents=True)
    (projects / "s1.jsonl").write_text(assistant("msg_A", 5) + assistant("msg_B", 7), encoding="utf-8")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    settings = settings_with(tmp_path, '[import]\nsources = ["claude-code"]\n')
    for _ in range(2):  # the second dry run finds no hint the first could have left
        [dry] = import_sources(settings, dry_run=True)
        assert dry.summary is not None and (dry.summary.appended, dry.summary.files_unchanged) == (2, 0)
    assert not (tmp_path / "logs").exists()
    [real] = import_sources(settings)
    assert real.summary is not None and real.summary.appended == 2
    [after] = import_sources(settings, dry_run=True)
    assert after.summary is not None and (after.summary.appended, after.summary.files_unchanged) == (0, 1)


def offer(tmp_path: Path, usage_log: UsageLog, **counts: int) -> None:
    with ImportState(tmp_path / "state", "test") as state:
        run = ImportRun("test", usage_log, state)
        run.offer({"ts": "2026-03-14T10:00:00Z", "provider": "anthropic", "model": "claude-sonnet-4-5",
                   "id": "msg_A", "input_tokens": 0, "output_tokens": 0, **counts})


def test_a_zeroed_copy_never_replaces_usage_the_destination_holds(tmp_path: Path, usage_log: UsageLog) -> None:
    offer(tmp_path, usage_log, input_tokens=1200, output_tokens=80)
    offer(tmp_path, usage_log)
    assert [(r.input_tokens, r.output_tokens) for r in written(usage_log)] == [(1200, 80)]
    (tmp_path / "state" / "imports.sqlite3").unlink()  # the destination decides, not the hints
    offer(tmp_path, usage_log)
    assert len(written(usage_log)) == 1


def test_real_usage_replaces_a_zeroed_call(tmp_path: Path, usage_log: UsageLog) -> None:
    offer(tmp_path, usage_log)
    offer(tmp_path, usage_log, input_tokens=1200, output_tokens=80)
    assert [(r.input_tokens, r.output_tokens) for r in written(usage_log)] == [(0, 0), (1200, 80)]


def test_a_dry_run_log_stands_in_for_the_logger(tmp_path: Path) -> None:
    projects = tmp_path / "projects" / "p"
    projects.mkdir(parents=True)
    (projects / "s1.jsonl").write_text(assistant("msg_A", 5), encoding="utf-8")
    summary = import_claude_code(tmp_path / "projects", DryRunLog(tmp_path / "logs", "UTC"), tmp_path / "state")
    assert summary.appended == 1 and not (tmp_path / "logs").exists()


def test_validating_the_import_table_loads_neither_the_logger_nor_an_importer(tmp_path: Path) -> None:
    """Every command validates the config: a report must not pay for what only imports use."""
    import subprocess
    import sys

    config = tmp_path / "vaultledger.toml"
    config.write_text('[import]\nsources = ["claude-code", "codex"]\n', encoding="utf-8")
    code = ("import sys; from vaultledger.settings import resolve_settings; from vaultledger.ops.validate import "
            f"require_valid; require_valid(resolve_settings(config={str(config)!r})); "
            "print(sorted(m for m in sys.modules if m.startswith('vaultledger.capture')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "vaultledger.capture.importers.sources" in loaded  # it was validated...
    assert "logger" not in loaded and "claude_code" not in loaded and "usage_log" not in loaded  # ...cheaply
