"""`vaultledger report` answered without typer: the same bytes, warnings and exit codes as the typer
command, for every flag it takes; anything unusual (help, a mistake) is left to typer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from vaultledger.cli import app
from vaultledger.cli.fast import REPORT_SWITCHES, REPORT_VALUE_FLAGS, answer_quickly

runner = CliRunner()
CALLS = [
    {"ts": "2026-03-12T10:00:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 1200,
     "output_tokens": 300, "project": "orbis", "id": "a"},
    {"ts": "2026-03-13T23:30:00Z", "provider": "anthropic", "model": "claude-sonnet-4-5", "input_tokens": 5000,
     "cache_write_tokens": 1000, "cache_write_1h_tokens": 400, "output_tokens": 50, "use_case": "poem"},
    {"ts": "2026-03-14T09:00:00Z", "provider": "mystery", "model": "frobnicator", "input_tokens": 10,
     "output_tokens": 1},
    {"ts": "2026-03-14T09:30:00Z", "provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 1,
     "id": "a"},
]


@pytest.fixture
def logs(logs_dir: Path) -> Path:
    logs_dir.mkdir()
    for call in CALLS:
        with (logs_dir / f"{call['ts'][:10]}.jsonl").open("a") as handle:
            handle.write(json.dumps(call) + "\n")
    (logs_dir / "2026-03-14.jsonl").open("a").write("not json\n")
    return logs_dir


def test_the_fast_path_knows_exactly_the_typer_report_flags() -> None:
    command = get_command(app).commands["report"]  # type: ignore[attr-defined]
    typer_flags = {opt for param in command.params for opt in param.opts} - {"--help", "-h"}
    assert typer_flags == set(REPORT_VALUE_FLAGS) | set(REPORT_SWITCHES)


SAME = [
    ["report", "--from", "2026-03-10", "--to", "2026-03-16", "--format", "json"],
    ["report", "--week", "2026-W11", "--format", "json", "--by", "model"],
    ["report", "--month=2026-03", "--format", "csv", "--by", "project"],
    ["report", "--day", "2026-03-14", "--format", "json", "--by", "day"],
    ["report", "--month", "2026-03", "--by", "week", "--format", "json"],
    ["report", "--month", "2026-03", "--compare", "2026-02", "--format", "json"],
    ["report", "--month", "2026-03", "--compare", "2026-02", "--format", "csv", "--by", "model"],
    ["report", "--quarter", "2026Q1", "--by", "use_case"],
    ["report", "--from", "2026-03-10", "--to", "2026-03-16", "--tz", "Asia/Tokyo", "--format", "json"],
    ["report", "--today", "--format", "json"],
    ["report", "--last", "7d", "--format", "csv"],
    ["report", "--month", "2026-03", "--format", "json", "--logs", "/nonexistent/typo"],  # a warning, exit 0
]


@pytest.mark.parametrize("args", SAME, ids=range(len(SAME)))
def test_the_fast_path_prints_what_typer_prints(args: list[str], logs: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    by_typer = runner.invoke(app, args)
    code = answer_quickly(args)
    fast = capsys.readouterr()
    assert (code, fast.out + fast.err) == (by_typer.exit_code, by_typer.output)
    assert code == 0


@pytest.mark.parametrize("args", [
    ["report", "--help"], ["report", "--format", "yaml"], ["report", "--by", "planet"],
    ["report", "--day", "2026-03-14", "--week", "2026-W11"], ["report", "--day", "yesterday-ish"],
    ["report", "--tz", "Mars/Olympus"], ["report", "--compare", "later"], ["report", "--bogus"], ["report", "--day"],
])
def test_mistakes_are_left_to_typer_and_nothing_is_printed(args: list[str], logs: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert answer_quickly(args) is None
    assert capsys.readouterr() == ("", "")
    assert runner.invoke(app, args).exit_code != 0 or args[1] == "--help"


def test_msgspec_loaded_lean_leaves_uuid_and_platform_as_they_are() -> None:
    """The stand-ins are gone once msgspec is in: a later `import platform` is the real module, and
    uuid worked out what it would have."""
    probe = ("import os, sys\nfrom vaultledger.cli.lean import import_msgspec_lean\nimport_msgspec_lean()\n"
             "lean = sorted(m for m in ('platform', 'typing_extensions') if m in sys.modules)\n"
             "import platform, uuid, typing_extensions\n"
             "print(lean, platform.python_version() == '.'.join(map(str, sys.version_info[:3])),"
             " uuid._LINUX == (platform.system() == 'Linux'), uuid.uuid4().version, typing_extensions.__name__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["[]", "True", "True", "4", "typing_extensions"]


def test_a_warm_report_loads_neither_typer_nor_pydantic(logs: Path, tmp_path: Path) -> None:
    """typer and pydantic never; genai-prices only on the first run, whose day prices the cache keeps.
    msgspec comes without typing_extensions (and its `inspect`), which pydantic still loads when asked.
    The worker pools' modules load only where workers start (a few files never start them)."""
    probe = ("import atexit, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', *sys.argv[1:]]\n"
             "atexit.register(lambda: print(sorted(m for m in ('typer', 'pydantic', 'genai_prices', 'typing_extensions',"
             " 'inspect', 'platform', 'multiprocessing', 'pickle', 'vaultledger.ledger.forking', 'textwrap',"
             " 'urllib.parse', 'importlib.metadata', 'vaultledger.ledger.attr_rows') if m in sys.modules),"
             " file=sys.stderr))\nmain()")
    env = {**os.environ, "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    # pydantic brings textwrap and urllib.parse along; a warm run loads neither, nor importlib.metadata.
    for loaded in (["genai_prices", "inspect", "pydantic", "textwrap", "typing_extensions", "urllib.parse"], []):
        done = subprocess.run([sys.executable, "-c", probe, "report", "--month", "2026-03", "--format", "json"],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["totals"]["calls"] == 3
        assert done.stderr.strip().splitlines()[-1] == str(loaded)


@pytest.mark.parametrize(("args", "collecting"), [(["report", "--format", "json"], False), (["report", "--help"], True)])
def test_fast_answers_run_without_the_collector_and_the_typer_app_with_it(
    args: list[str], collecting: bool, logs: Path, tmp_path: Path
) -> None:
    """A fast-path answer exits at once: its objects need no collecting. Whatever typer runs (watch, the
    dashboard, the MCP server run for hours) collects as usual."""
    probe = ("import atexit, gc, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', *sys.argv[1:]]\n"
             "atexit.register(lambda: print('collecting', gc.isenabled(), file=sys.stderr))\nmain()")
    env = {**os.environ, "VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"collecting {collecting}"


@pytest.mark.parametrize(("user_value", "scanned"), [(None, False), ("some_plugin", True)])
def test_a_cold_report_does_not_look_for_pydantic_plugins_unless_the_user_chose(
    user_value: str | None, scanned: bool, logs: Path, tmp_path: Path
) -> None:
    """pydantic comes in only for genai-prices' price data; finding its plugins reads every installed
    package's entry points, with importlib.metadata, which is then not even imported. A
    PYDANTIC_DISABLE_PLUGINS the user set is theirs."""
    probe = ("import atexit, os, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', *sys.argv[1:]]\n"
             "atexit.register(lambda: print(sys.modules['pydantic.plugin._loader']._plugins is not None,"
             " 'importlib.metadata' in sys.modules, os.environ['PYDANTIC_DISABLE_PLUGINS'], file=sys.stderr))\nmain()")
    env = {key: value for key, value in os.environ.items() if key != "PYDANTIC_DISABLE_PLUGINS"}
    env["VAULTLEDGER_CACHE_DIR"] = str(tmp_path / "cache")
    if user_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = user_value
    done = subprocess.run([sys.executable, "-c", probe, "report", "--month", "2026-03", "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"{scanned} {scanned} {user_value or '__all__'}"
