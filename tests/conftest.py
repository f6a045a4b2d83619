"""Every test runs in its own world: no real home, config, cache or logs folder is ever touched."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from vaultledger.capture.logger import UsageLog
from vaultledger.ledger import entries as ledger_entries
from vaultledger.ledger.fold import DayFolder
from vaultledger.ledger.usage import Usage
from vaultledger.record import UsageRecord, parse_line
from vaultledger.pricing import PriceBook
from vaultledger.ledger.files import ReadStats, read_file

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("VAULTLEDGER_CONFIG", "VAULTLEDGER_VAULT", "VAULTLEDGER_LOGS", "VAULTLEDGER_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("VAULTLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    # A fast-path answer in this process lets it map cache entries (cli.fast): each test starts without.
    monkeypatch.setattr(ledger_entries, "_map_entries", False)
    return home


@pytest.fixture
def logs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The logs folder, also named in the environment for code that resolves it itself."""
    logs = tmp_path / "logs"
    monkeypatch.setenv("VAULTLEDGER_LOGS", str(logs))
    monkeypatch.setenv("VAULTLEDGER_TZ", "UTC")
    return logs


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Obsidian vault with core Daily notes in the root, as a fresh install has it."""
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    monkeypatch.setenv("VAULTLEDGER_VAULT", str(root))
    return root


def write_lines(path: Path, *lines: dict | str) -> Path:
    """Append records (dicts become compact JSON) or raw text lines to a log file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def call(ts: str = "2026-03-14T09:12:03+00:00", **fields) -> dict:
    """A valid record dict; override any field."""
    return {"v": 1, "ts": ts, "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
            "output_tokens": 500, **fields}


def slow_fold(path: Path, book: PriceBook, tz: str) -> tuple[dict[dt.date, Usage], ReadStats]:
    """The reference fold: read line by line, added call by call."""
    stats = ReadStats()
    folder = DayFolder(book, tz)
    for record in read_file(path, stats):
        folder.add(record)
    return folder.finish(), stats


def same_days(left: dict[dt.date, Usage], right: dict[dt.date, Usage]) -> None:
    assert left.keys() == right.keys()
    for day in left:
        assert left[day].groups == right[day].groups, day
        assert left[day].units == right[day].units, day


@pytest.fixture
def usage_log(tmp_path: Path) -> Iterator[UsageLog]:
    """A logger appending to `tmp_path/logs` in UTC, as importers and capture tests write through it."""
    usage_log = UsageLog(tmp_path / "logs", "UTC")
    yield usage_log
    usage_log.close()


def written(usage_log: UsageLog) -> list[UsageRecord]:
    """Every record in a logger's folder, in file then line order."""
    return [parse_line(line) for path in sorted(usage_log.logs_dir.glob("*.jsonl"))
            for line in path.read_bytes().splitlines()]


T = TypeVar("T")


def with_peak_memory(action: Callable[[], T]) -> tuple[T, int]:
    """What `action` returns, and the most memory (bytes) Python held while it ran."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Our count fields as genai-prices' Usage names them (every unit it prices).
GENAI_USAGE_KEYS = {
    "input_tokens": "input_tokens", "output_tokens": "output_tokens", "cache_read_tokens": "cache_read_tokens",
    "cache_write_tokens": "cache_write_tokens", "reasoning_tokens": "output_reasoning_tokens",
    "cache_write_1h_tokens": "cache_write_1h_tokens", "input_audio_tokens": "input_audio_tokens",
    "input_image_tokens": "input_image_tokens", "input_video_tokens": "input_video_tokens",
    "cache_read_audio_tokens": "cache_audio_read_tokens", "output_audio_tokens": "output_audio_tokens",
    "output_image_tokens": "output_image_tokens", "web_search_requests": "web_searches",
}


def enable_periodic_notes(vault: Path, *kinds: str, **settings: dict) -> None:
    """Periodic Notes enabled, with these kinds of notes in the vault root (or as `settings` says): a vault
    without a source for them has no weekly, monthly, quarterly or yearly notes."""
    plugin = vault / ".obsidian" / "plugins" / "periodic-notes"
    plugin.mkdir(parents=True, exist_ok=True)
    data = {**{kind: {"enabled": True, "folder": "", "format": ""} for kind in kinds}, **settings}
    (plugin / "data.json").write_text(json.dumps(data), encoding="utf-8")
    (vault / ".obsidian" / "community-plugins.json").write_text('["periodic-notes"]', encoding="utf-8")
