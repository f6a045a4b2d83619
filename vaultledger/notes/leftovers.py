"""Notes holding a vaultledger section where the vault's settings would not put that kind of note.

Older vaultledger wrote weekly and quarterly notes into the vault root of vaults that have no such
notes, and a change of folder or format leaves the old notes behind. Nothing rolls into them any
more, so `doctor` lists them for the user to delete or move.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from vaultledger.notes.lookup import VaultFiles, names_a_year
from vaultledger.notes.vault import NoteSettings, note_path
from vaultledger.notes.weeks import NoteWeeks
from vaultledger.periods import Period, day_of, month_of, quarter_of, week_of, year_of

_BEGIN = re.compile(r"^ {0,3}%%[ \t]*vaultledger:begin[ \t]+([\w-]+)[ \t]*%%", re.MULTILINE)


@dataclass(frozen=True)
class Leftover:
    path: Path
    kind: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}: a {self.kind} section no rollup updates any more ({self.why})"


def leftover_notes(
    vault: Path, notes: dict[str, NoteSettings], weeks: NoteWeeks, years: Iterable[int]
) -> list[Leftover]:
    """Every note with a section of a kind that is off, or that lies where no period of `years`
    (the years with logs) has its note of that kind, moved notes the plugins still find included."""
    files = VaultFiles(vault)
    expected = {kind: _expected_places(vault, note, weeks, years) for kind, note in notes.items() if note.enabled}
    found = []
    for relative in files.markdown_files():
        path = vault / relative
        for kind in _section_kinds(path):
            note = notes.get(kind)
            if note is None:
                continue
            if not note.enabled:
                found.append(Leftover(path, kind, f"{kind} notes are off in this vault"))
            elif not _is_expected(relative, path, note, expected[kind]):
                where = f"{note.folder or 'the vault root'}/{note.format}"
                found.append(Leftover(path, kind, f"{kind} notes go to {where} ({note.source})"))
    return found


def _section_kinds(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return list(dict.fromkeys(_BEGIN.findall(text))) if "vaultledger:begin" in text else []


@dataclass(frozen=True)
class _Places:
    paths: frozenset[Path]
    names: frozenset[str]  # file names a moved note may keep (when the format's name holds the year)


def _expected_places(vault: Path, note: NoteSettings, weeks: NoteWeeks, years: Iterable[int]) -> _Places:
    paths = frozenset(note_path(vault, note, period.start, weeks.locale_rule, weeks.locale)
                      for period in _periods(note.kind, years, weeks))
    movable = names_a_year(note.format.rsplit("/", 1)[-1])
    return _Places(paths, frozenset(path.name for path in paths) if movable else frozenset())


def _is_expected(relative: str, path: Path, note: NoteSettings, places: _Places) -> bool:
    if path in places.paths:
        return True
    in_folder = not note.folder or relative.startswith(note.folder + "/")
    return in_folder and path.name in places.names


_PERIOD_OF: dict[str, Callable[[date, NoteWeeks], Period]] = {
    "daily": lambda day, weeks: day_of(day),
    "weekly": lambda day, weeks: week_of(day, weeks.period_rule),
    "monthly": lambda day, weeks: month_of(day),
    "quarterly": lambda day, weeks: quarter_of(day),
    "yearly": lambda day, weeks: year_of(day),
}


def _periods(kind: str, years: Iterable[int], weeks: NoteWeeks) -> Iterator[Period]:
    period_of = _PERIOD_OF[kind]
    seen: set[Period] = set()
    for year in sorted(set(years)):
        day = date(year, 1, 1)
        while day.year == year:
            period = period_of(day, weeks)
            if period not in seen:
                seen.add(period)
                yield period
            day = period.end + timedelta(days=1)
