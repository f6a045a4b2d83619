"""`vaultledger log`: every field of SPEC §1 has a flag, and the fast path writes what typer would."""

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
from vaultledger.cli.fast import LOG_SWITCHES, LOG_VALUE_FLAGS, answer_quickly

runner = CliRunner()
BASE = ["log", "--provider", "openai", "--model", "gpt-4o", "--input-tokens", "1000", "--output-tokens", "500",
        "--ts", "2026-03-14T09:00:00+00:00"]


def logged_line(logs_dir: Path) -> dict:
    lines = (logs_dir / "2026-03-14.jsonl").read_text().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


@pytest.mark.parametrize("flag,field,value", [
    ("--cache-write-tokens", "cache_write_tokens", 300),
    ("--cache-write-1h-tokens", "cache_write_1h_tokens", 200),
    ("--input-audio-tokens", "input_audio_tokens", 40),
    ("--input-image-tokens", "input_image_tokens", 50),
    ("--input-video-tokens", "input_video_tokens", 60),
    ("--output-audio-tokens", "output_audio_tokens", 70),
    ("--output-image-tokens", "output_image_tokens", 80),
    ("--web-search-requests", "web_search_requests", 3),
    ("--duration-ms", "duration_ms", 1234),
])
def test_each_count_flag_lands_in_the_logged_line(logs_dir: Path, flag: str, field: str, value: int) -> None:
    extra = ["--cache-write-tokens", "300"] if field == "cache_write_1h_tokens" else []
    result = runner.invoke(app, [*BASE, *extra, flag, str(value)])
    assert result.exit_code == 0, result.output
    assert logged_line(logs_dir)[field] == value


def test_cache_read_audio_tokens_lands_in_the_logged_line(logs_dir: Path) -> None:
    result = runner.invoke(app, [*BASE, "--cache-read-tokens", "100", "--cache-read-audio-tokens", "30"])
    assert result.exit_code == 0, result.output
    assert logged_line(logs_dir)["cache_read_audio_tokens"] == 30


def test_service_tier_lands_in_the_logged_line(logs_dir: Path) -> None:
    assert runner.invoke(app, [*BASE, "--service-tier", "flex"]).exit_code == 0
    assert logged_line(logs_dir)["service_tier"] == "flex"


def test_void_writes_a_cancelling_line_for_the_id(logs_dir: Path) -> None:
    result = runner.invoke(app, [*BASE, "--id", "resp_1", "--void"])
    assert result.exit_code == 0, result.output
    line = logged_line(logs_dir)
    assert line["void"] is True and line["id"] == "resp_1"


def test_void_without_an_id_exits_1_and_writes_nothing(logs_dir: Path) -> None:
    result = runner.invoke(app, [*BASE, "--void"])
    assert result.exit_code == 1 and "void needs the id" in result.output
    assert not logs_dir.exists()


def test_a_subset_larger_than_its_whole_exits_1(logs_dir: Path) -> None:
    result = runner.invoke(app, [*BASE, "--cache-write-tokens", "10", "--cache-write-1h-tokens", "20"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not logs_dir.exists()


def test_the_fast_path_knows_exactly_the_typer_log_flags() -> None:
    command = get_command(app).commands["log"]  # type: ignore[attr-defined]
    typer_flags = {opt for param in command.params for opt in param.opts} - {"--help", "-h"}
    assert typer_flags == set(LOG_VALUE_FLAGS) | set(LOG_SWITCHES)


SAME_INPUTS = [
    [*BASE, "--app", "bot", "--tag", "a", "--tag", "b", "--cost-usd", "0.0012", "--id", "r1", "-q"],
    [*BASE, "--cache-read-tokens=100", "--cache-read-audio-tokens", "30", "--web-search-requests", "2",
     "--service-tier", "batch", "--session", "s1", "--use-case", "poem", "--unit-id", "u1", "--project", "p"],
    [*BASE, "--id", "r2", "--void", "--duration-ms", "15", "--reasoning-tokens", "100", "--tz", "Europe/Berlin"],
    [*BASE, "--input-tokens", "20", "--cache-write-tokens", "30"],  # last one wins, then too many cache writes
    [*BASE, "--void"],
    [*BASE, "--cost-usd", "lots"],
    [*BASE, "--ts", "yesterday"],
    [*BASE, "--tz", "Mars/Olympus"],
    [*BASE, "--provider", "", "--model", "m"],
]


@pytest.mark.parametrize("args", SAME_INPUTS, ids=range(len(SAME_INPUTS)))
def test_fast_path_writes_the_same_bytes_and_says_the_same_as_typer(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(tmp_path / "typer"))
    by_typer = runner.invoke(app, args)
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(tmp_path / "fast"))
    code = answer_quickly(args)
    fast = capsys.readouterr()
    assert code == by_typer.exit_code
    assert (fast.out + fast.err).replace(str(tmp_path / "fast"), "LOGS") == by_typer.output.replace(
        str(tmp_path / "typer"), "LOGS")
    assert _files(tmp_path / "fast") == _files(tmp_path / "typer")


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.glob("*")} if folder.exists() else {}


@pytest.mark.parametrize("args", [
    ["log", "--help"], ["log", "--provider", "openai"], [*BASE, "--input-tokens", "-3"], [*BASE, "--bogus", "1"],
    [*BASE, "--input-tokens", "1_000"], [*BASE, "stray"], [*BASE, "--quiet=yes"], [*BASE, "--logs", ""],
    [*BASE, "--app"], ["--version", "log"], [],
])
def test_anything_unusual_goes_to_typer(args: list[str]) -> None:
    assert answer_quickly(args) is None


def test_version_and_log_load_neither_typer_nor_rich(tmp_path: Path) -> None:
    probe = ("import atexit, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', *sys.argv[1:]]\n"
             "atexit.register(lambda: print(sorted(m for m in ('typer', 'rich', 'pydantic', 'genai_prices', 'inspect')"
             " if m in sys.modules)))\nmain()")
    env = {**os.environ, "VAULTLEDGER_LOGS": str(tmp_path / "logs"), "VAULTLEDGER_TZ": "UTC"}
    for args in (["--version"], BASE):
        done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "[]"
    assert done.stdout.startswith("logged to ")
    assert (tmp_path / "logs" / "2026-03-14.jsonl").exists()


@pytest.mark.parametrize("tier,warned", [("turbo", True), ("batch", False), ("default", False), ("Fast", False)])
def test_a_tier_spec_does_not_name_is_kept_and_warned_about(logs_dir: Path, tier: str, warned: bool,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = [*BASE, "--service-tier", tier]
    assert answer_quickly(args) == 0
    fast = capsys.readouterr().err
    by_typer = runner.invoke(app, args)
    assert by_typer.exit_code == 0 and by_typer.stderr == fast
    assert ("service tier 'turbo' is not one SPEC §1 names" in fast) is warned
    assert [json.loads(line)["service_tier"] for line in (logs_dir / "2026-03-14.jsonl").read_text().splitlines()] == [
        tier, tier]
