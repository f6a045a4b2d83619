"""`vaultledger doctor`: every resolved setting with its source, and every problem we can find."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger.errors import VaultledgerError
from vaultledger.ledger import Ledger
from vaultledger.notes.splice import check_note
from vaultledger.notes.vault import is_vault, load_note_settings
from vaultledger.periods import date_range
from vaultledger.ledger.files import NEIGHBOUR_DAYS, list_log_files
from vaultledger.settings import Settings


@dataclass
class Checkup:
    """Lines to show, and the problems among them (any problem makes `doctor` exit 1)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)


def run_checkup(settings: Settings) -> Checkup:
    checkup = Checkup()
    _settings_lines(settings, checkup)
    _vault_lines(settings, checkup)
    _log_lines(settings, checkup)
    _schedule_lines(settings, checkup)
    _cache_lines(settings, checkup)
    return checkup


def _settings_lines(settings: Settings, checkup: Checkup) -> None:
    checkup.say(f"config:    {settings.config_path.value or '(none)'}  [{settings.config_path.source}]")
    checkup.say(f"vault:     {settings.vault.value or '(not set)'}  [{settings.vault.source}]")
    checkup.say(f"logs:      {settings.logs.value}  [{settings.logs.source}]")
    checkup.say(f"timezone:  {settings.timezone.value}  [{settings.timezone.source}]")
    checkup.say(f"cache:     {settings.cache_dir.value}  [{settings.cache_dir.source}]")
    checkup.say(f"weeks:     start {settings.week_start.value}  [{settings.week_start.source}]")
    for key in settings.unknown_keys:
        checkup.problem(f"{settings.config_label}: unknown config key {key!r}")


def _vault_lines(settings: Settings, checkup: Checkup) -> None:
    vault = settings.vault.value
    if vault is None:
        checkup.say("vault:     none configured (rollup needs --vault or VAULTLEDGER_VAULT)")
        return
    if not is_vault(vault):
        checkup.problem(f"{vault}: not an Obsidian vault (no .obsidian/ folder)")
        return
    try:
        notes = load_note_settings(vault, settings.notes)
    except VaultledgerError as error:
        checkup.problem(str(error))
        return
    for kind, note in notes.items():
        state = "" if note.enabled else " (disabled)"
        checkup.say(f"{kind + ':':<10} {note.folder or '/'} + {note.format}{state}  [{note.source}]")
    _note_marker_lines(vault, checkup)


def _note_marker_lines(vault: Path, checkup: Checkup) -> None:
    """Notes whose markers are unbalanced or doubled are never touched by a rollup: say which."""
    for note in sorted(vault.rglob("*.md")):
        if ".obsidian" in note.parts or ".trash" in note.parts:
            continue
        try:
            text = note.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "vaultledger:" not in text:
            continue
        for problem in check_note(text):
            checkup.problem(f"{note}:{problem}")


def _log_lines(settings: Settings, checkup: Checkup) -> None:
    logs_dir = settings.logs.value
    files = list_log_files(logs_dir)
    if not logs_dir.is_dir():
        checkup.say(f"logs:      {logs_dir} does not exist yet (it is created by the first logged call)")
        return
    ledger = Ledger.from_settings(settings)
    unpriced: dict[str, int] = {}
    if files:
        # The whole folder through the ledger every report reads with: the same problems, the same duplicates.
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        unpriced = ledger.usage(date_range(files[0].day - margin, files[-1].day + margin)).unpriced_models()
    stats = ledger.stats
    checkup.say(f"log files: {len(files)}, {stats.lines:,} lines, {stats.duplicates:,} duplicates, "
                f"{stats.partial_lines} partial last line(s)")
    if stats.truncated_files:
        checkup.problem(f"{stats.truncated_files} log file(s) cut short: the calls after the line named below are missing")
    for problem in stats.problems:
        checkup.problem(str(problem))
    if stats.invalid_lines > len(stats.problems):
        checkup.problem(f"... and {stats.invalid_lines - len(stats.problems):,} more invalid lines")
    for ref, calls in sorted(unpriced.items()):
        checkup.problem(f"unknown model {ref} ({calls:,} calls unpriced): add a [[prices]] entry to the config")


# The nightly run is late when it has not succeeded for longer than this.
NIGHTLY_OVERDUE = dt.timedelta(days=2)
CACHE_SAMPLE_FILES = 3


def _schedule_lines(settings: Settings, checkup: Checkup) -> None:
    from vaultledger.notes.nightly import STATE_FILE
    from vaultledger.schedule import read_record, status

    try:
        text = status(settings)
    except VaultledgerError as error:
        checkup.say(f"schedule:  could not ask the scheduler ({error})")
        return
    for line in text.splitlines():
        checkup.say(f"schedule:  {line}")
    state = settings.cache_dir.value / STATE_FILE
    if read_record(settings.cache_dir.value) and state.exists():
        age = dt.datetime.now() - dt.datetime.fromtimestamp(state.stat().st_mtime)
        if age > NIGHTLY_OVERDUE:
            checkup.problem(f"the nightly rollup last succeeded {age.days} days ago (see its log in "
                            f"{settings.cache_dir.value})")


def _cache_lines(settings: Settings, checkup: Checkup) -> None:
    """Re-fold the newest files and compare with their cache entries: a stale entry is a bug to report."""
    from vaultledger.ledger.cache import FoldCache, file_signature, fingerprint
    from vaultledger.ledger.fold import fold_log_file

    ledger = Ledger.from_settings(settings)
    cache = FoldCache(settings.cache_dir.value, fingerprint(ledger.tz, ledger.book.overrides))
    checked = 0
    for log in reversed(list_log_files(settings.logs.value)[-CACHE_SAMPLE_FILES:]):
        cached = cache.load(log.path, file_signature(log.path))
        if cached is None:
            continue
        checked += 1
        fresh = fold_log_file(log.path, ledger.book, ledger.tz)
        if fresh.days != cached.days:
            checkup.problem(f"cache entry for {log.path.name} does not match the log; delete {cache.folder}")
    entries = list(cache.folder.glob("*.msgpack")) if cache.folder.is_dir() else []
    size = sum(entry.stat().st_size for entry in entries)
    checkup.say(f"cache:     {len(entries)} day folds, {size / 1024:,.0f} KB; newest {checked} checked against the logs")
