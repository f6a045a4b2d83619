"""Real agent logs nobody here wrote (`../shared/fixtures/agents/`): each sample set imported through the
CLI into a fresh logs folder, its tokens summed per session and in `report --format json`, and compared
exactly with the usage its README states. The expected figures are parsed from the README's `usage:`
lines, never typed in here. Sets marked SYNTHETIC are hand-written shapes (kept as such in the test ids).

The corpus is read in place: nothing may change or appear beside it (no -wal/-shm next to a database).
The fast tier runs one set per agent; the slow tier runs every set.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vaultledger.cli import app

AGENTS_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "agents"
README = AGENTS_CORPUS / "README.md"
needs_corpus = pytest.mark.skipif(
    not README.is_file(), reason=f"{AGENTS_CORPUS} is absent (a bare clone has no ../shared): agent corpus not run"
)
runner = CliRunner()

# Where each agent keeps its data inside a set (a set is laid out as a home folder).
DATA_DIRS = {
    "gemini-cli": ".gemini/tmp",
    "opencode": ".local/share/opencode",
    "copilot-cli": ".copilot",
    "qwen-code": ".qwen",
    "goose": ".local/share/goose/sessions/sessions.db",
}
FAST_SETS = {"gemini-cli/ai-sessions-2025-10", "opencode/lantern-1.18.13-sqlite", "copilot-cli/lantern-1.0.78-ollama",
             "qwen-code/lantern-0.21.6-ollama", "goose/lantern-1.45.0-sqlite"}
ALL_SESSIONS = "*"  # expected sums the README gives for the whole set only


@dataclass
class Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(left + right for left, right in zip(asdict(self).values(), asdict(other).values())))


@dataclass
class Entry:
    """One file of the README: its set, path and `usage:` line."""

    agent: str
    set: str
    path: str
    usage: str


def readme_entries() -> list[Entry]:
    entries, section = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"## (\S+) / (\S+)", line):
            section = match.groups()
        elif section and (match := re.match(r"- (\S+)$", line)):
            entries.append(Entry(*section, match.group(1), ""))
        elif section and entries and (match := re.match(r"\s+usage: (.*)", line)):
            entries[-1].usage = match.group(1)
    return [entry for entry in entries if entry.agent in DATA_DIRS]


def expected_usage(agent: str, entries: list[Entry]) -> dict[str, Usage]:
    """Session (or a prefix of its id, or ALL_SESSIONS) -> the usage the README says the set holds."""
    expected: dict[str, Usage] = defaultdict(Usage)
    for entry in entries:
        for session, usage in PARSERS[agent](entry):
            expected[session] = expected[session] + usage
    return dict(expected)


def gemini_usage(entry: Entry) -> list[tuple[str, Usage]]:
    found = re.search(r"(\d+) gemini msgs with tokens.*input=(\d+) cached=(\d+) output=(\d+) thoughts=(\d+) "
                      r"tool=(\d+) total=\d+;.*session=(\S+)$", entry.usage)
    if not found:
        return []  # logs.json: prompts only
    calls, prompt, cached, output, thoughts, tool = map(int, found.groups()[:6])
    # SPEC §1: input includes the cache and the tool-use prompt; output includes the thoughts
    return [(found.group(7), Usage(calls, prompt + tool, output + thoughts, cached, 0, thoughts))]


def opencode_usage(entry: Entry) -> list[tuple[str, Usage]]:
    if found := re.search(r"(\d+) step-finish parts; assistant tokens input=(\d+) output=(\d+) reasoning=(\d+) "
                          r"cache\.read=(\d+) cache\.write=(\d+)", entry.usage):
        steps, prompt, output, reasoning, read, write = map(int, found.groups())
        return [(ALL_SESSIONS, Usage(steps, prompt + read + write, output + reasoning, read, write, reasoning))]
    if "/part/" in entry.path and (found := re.search(r"tokens=(\{.*\}) cost", entry.usage)):
        tokens = ast.literal_eval(found.group(1))  # a step-finish part of the legacy layout
        read, write = tokens["cache"]["read"], tokens["cache"]["write"]
        return [(ALL_SESSIONS, Usage(1, tokens["input"] + read + write, tokens["output"], read, write, 0))]
    return []


def copilot_usage(entry: Entry) -> list[tuple[str, Usage]]:
    found = re.search(r"\((\d+) assistant\.message.*modelMetrics=(\[.*\]); copilotVersion", entry.usage)
    if not found:
        return []
    total = Usage()
    for metrics in json.loads(found.group(2)):
        for figures in metrics.values():
            usage = figures["usage"]
            total = total + Usage(figures["requests"]["count"], usage["inputTokens"], usage["outputTokens"],
                                  usage["cacheReadTokens"], usage["cacheWriteTokens"], usage["reasoningTokens"])
    total.calls = max(total.calls, int(found.group(1)))
    return [(Path(entry.path).parent.name, total)]


def qwen_usage(entry: Entry) -> list[tuple[str, Usage]]:
    """Every call's telemetry (api_response events) of a chat; the usage_record runs for every session.
    Where both name a session they agree (asserted), so a session counts once."""
    if entry.path.endswith("usage_record.jsonl"):
        runs = re.findall(r"(\w{8}): \S+ req=(\d+) in=(\d+) out=(\d+) thoughts=(\d+) cached=(\d+)", entry.usage)
        return [(session, Usage(int(calls), int(prompt), int(output), int(cached), 0, int(thoughts)))
                for session, calls, prompt, output, thoughts, cached in runs]
    found = re.search(r"api_response n=(\d+) input=(\d+) output=(\d+) thoughts=(\d+) cached=(\d+)", entry.usage)
    if not found:
        return []
    calls, prompt, output, thoughts, cached = map(int, found.groups())
    return [(Path(entry.path).stem[:8] + ":chat", Usage(calls, prompt, output, cached, 0, thoughts))]


def goose_usage(entry: Entry) -> list[tuple[str, Usage]]:
    found = re.search(r"usage_ledger rows=(\d+) input=(\d+) output=(\d+)", entry.usage)
    return [(ALL_SESSIONS, Usage(*map(int, found.groups())))] if found else []


PARSERS = {"gemini-cli": gemini_usage, "opencode": opencode_usage, "copilot-cli": copilot_usage,
           "qwen-code": qwen_usage, "goose": goose_usage}


def sample_sets() -> list[Any]:
    if not README.is_file():
        return []
    by_set: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in readme_entries():
        by_set[entry.agent, entry.set].append(entry)
    return [pytest.param(agent, name, entries, id=f"{agent}/{name}",
                         marks=() if f"{agent}/{name}" in FAST_SETS else pytest.mark.slow)
            for (agent, name), entries in sorted(by_set.items())]


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*")}


def logged_usage(logs: Path) -> dict[str, Usage]:
    """Session -> summed usage of the calls in the logs folder (a provider+id counted once, last line wins)."""
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(logs.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            last[record["provider"], record["id"]] = record
    sessions: dict[str, Usage] = defaultdict(Usage)
    for record in last.values():
        sessions[record["session"]] = sessions[record["session"]] + Usage(
            1, *(record.get(name, 0) for name in list(asdict(Usage()))[1:]))
    return dict(sessions)


def matching(expected: dict[str, Usage], logged: dict[str, Usage]) -> dict[str, Usage]:
    """The logged sums keyed as the README keys them (a whole set, a session id, or its first characters)."""
    if set(expected) == {ALL_SESSIONS}:
        return {ALL_SESSIONS: sum(logged.values(), Usage())}
    return {key: sum((usage for session, usage in logged.items() if session.startswith(key)), Usage())
            for key in expected}


def report_totals(logs: Path) -> Usage:
    totals = json.loads(cli("report", "--logs", str(logs), "--tz", "UTC", "--format", "json",
                            "--from", "2020-01-01", "--to", "2030-12-31"))["totals"]
    return Usage(totals["calls"], *(totals[name] for name in list(asdict(Usage()))[1:]))


def import_set(agent: str, set_dir: Path, logs: Path) -> str:
    return cli("import", agent, str(set_dir / DATA_DIRS[agent]), "--logs", str(logs), "--tz", "UTC")


@needs_corpus
@pytest.mark.parametrize(("agent", "name", "entries"), sample_sets())
def test_sample_set_gives_the_usage_its_readme_states(agent: str, name: str, entries: list[Entry],
                                                      tmp_path: Path) -> None:
    set_dir = AGENTS_CORPUS / agent / name
    expected = expected_usage(agent, entries)
    if agent == "qwen-code":
        expected = qwen_sessions_once(expected)
    before = snapshot(set_dir)
    import_set(agent, set_dir, tmp_path / "logs")
    assert snapshot(set_dir) == before, "the corpus must be read in place: nothing changed, nothing created"
    assert matching(expected, logged_usage(tmp_path / "logs")) == expected
    assert report_totals(tmp_path / "logs") == sum(expected.values(), Usage())


def qwen_sessions_once(expected: dict[str, Usage]) -> dict[str, Usage]:
    """A session both a chat and usage_record.jsonl name: the two agree, and it counts once."""
    chats = {key.removesuffix(":chat"): usage for key, usage in expected.items() if key.endswith(":chat")}
    runs = {key: usage for key, usage in expected.items() if not key.endswith(":chat")}
    for session, usage in chats.items():
        assert runs.get(session, usage) == usage, f"{session}: telemetry and usage_record.jsonl disagree"
    return {**chats, **runs}


@needs_corpus
@pytest.mark.parametrize(("agent", "name", "entries"), sample_sets())
def test_importing_a_sample_set_again_appends_nothing(agent: str, name: str, entries: list[Entry],
                                                      tmp_path: Path) -> None:
    set_dir = AGENTS_CORPUS / agent / name
    import_set(agent, set_dir, tmp_path / "logs")
    before = snapshot(tmp_path / "logs")
    again = import_set(agent, set_dir, tmp_path / "logs")
    assert "0 appended" in again
    assert snapshot(tmp_path / "logs") == before


ENVIRONMENTS = {  # the agent's own variable, pointed into a set: the import takes no PATH
    "gemini-cli": ("GEMINI_CLI_HOME", ""),
    "opencode": ("XDG_DATA_HOME", ".local/share"),
    "copilot-cli": ("COPILOT_HOME", ".copilot"),
    "qwen-code": ("QWEN_DATA_DIR", ".qwen"),
    "goose": ("GOOSE_PATH_ROOT", None),  # its layout under the root differs from a home folder's
}


@needs_corpus
@pytest.mark.parametrize("agent", sorted(ENVIRONMENTS))
def test_without_a_path_the_import_reads_where_the_agent_keeps_its_data(agent: str, tmp_path: Path) -> None:
    [set_name] = [name.split("/")[1] for name in FAST_SETS if name.startswith(agent + "/")]
    set_dir = AGENTS_CORPUS / agent / set_name
    variable, inside = ENVIRONMENTS[agent]
    if inside is None:
        if not sys.platform.startswith("linux"):
            pytest.skip("the sample is laid out as Goose keeps its data on Linux")
        variable, inside = "XDG_DATA_HOME", ".local/share"
    output = cli("import", agent, "--logs", str(tmp_path / "logs"), "--tz", "UTC",
                 env={variable: str(set_dir / inside)})
    assert re.search(r"[1-9][\d,]* appended", output), output


@needs_corpus
def test_a_real_process_imports_a_sample_and_says_what_it_did(tmp_path: Path) -> None:
    set_dir = AGENTS_CORPUS / "goose" / "lantern-1.45.0-sqlite"
    command = [sys.executable, "-m", "vaultledger", "import", "goose", str(set_dir / DATA_DIRS["goose"]),
               "--logs", str(tmp_path / "logs"), "--tz", "UTC"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "9 calls seen, 9 appended" in first.stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 appended" in again.stdout
    assert sum(1 for path in (tmp_path / "logs").glob("*.jsonl") for _ in path.open()) == 9


@pytest.mark.parametrize("agent", sorted(DATA_DIRS))
def test_importing_from_a_place_without_the_agents_data_fails_naming_it(agent: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for place in (tmp_path / "missing", tmp_path / "empty"):
        result = runner.invoke(app, ["import", agent, str(place), "--logs", str(tmp_path / "logs")])
        assert result.exit_code == 1, result.output
        assert str(place) in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").iterdir())


def test_every_importer_has_a_command_and_every_command_an_importer() -> None:
    from typer.main import get_command

    from vaultledger.capture.importers import IMPORTER_NAMES
    from vaultledger.cli.imports import import_app

    assert sorted(get_command(import_app).commands) == sorted(IMPORTER_NAMES)  # type: ignore[attr-defined]
