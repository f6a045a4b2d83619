"""Every test runs in its own world: no real home, config, cache or logs folder is ever touched."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from vaultledger.ledger.fold import DayFolder
from vaultledger.ledger.usage import Usage
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
