"""Wikilinks between periodic notes, so the graph, backlinks and hover previews connect a day to its week.

A note links another where that note exists, or where a rollup that creates notes writes it: a period
with usage whose kind of note the vault has on. The answer must not depend on the order notes are
written in (the nightly run writes days before their weeks, watch writes a week when its turn comes),
or the same logs would give different notes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from vaultledger.errors import VaultError
from vaultledger.notes.escape import markdown_text
from vaultledger.notes.vault import NoteSettings, note_path
from vaultledger.periods import Period, WeekRule

NOTE_KIND = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}
# Obsidian refuses these in note names; a path holding one cannot be linked by name.
_UNLINKABLE = set("[]|#^")


@dataclass(frozen=True)
class Link:
    """A label, linked to a note's vault-relative path (without `.md`) when there is one."""

    label: str
    target: str | None = None

    @property
    def md(self) -> str:
        """For prose: `[[Weekly/2026-W11|2026-W11]]`, or the label as plain text."""
        return f"[[{self.target}|{self.label}]]" if self.target else markdown_text(self.label)

    @property
    def cell(self) -> str:
        """For a table cell, where the alias pipe must be escaped or it would split the cell."""
        return f"[[{self.target}\\|{self.label}]]" if self.target else markdown_text(self.label)

    def __str__(self) -> str:
        return self.md


def is_enabled(settings: NoteSettings) -> bool:
    """Whether the vault has notes of this kind: the one place that asks, should the rule move."""
    return settings.enabled


@dataclass
class NoteLinks:
    """Finds the note of a period, as the rollup writing into `vault` would."""

    vault: Path
    note_settings: Mapping[str, NoteSettings]
    rule: WeekRule
    creates: bool = False
    """Whether rollups create missing notes (they do, unless `--no-create`)."""
    has_usage: Callable[[Period], bool] = lambda period: False
    """Whether a period has usage, so that a rollup creating notes writes its note."""

    def to(self, period: Period, label: str) -> Link:
        """`label` linked to the period's note where that note is (or is about to be) in the vault."""
        target = self.target(period)
        return Link(label, target)

    def target(self, period: Period) -> str | None:
        settings = self.note_settings.get(NOTE_KIND.get(period.kind, ""))
        if settings is None or not is_enabled(settings):
            return None
        try:
            path = note_path(self.vault, settings, period.start, self.rule)
        except VaultError:
            return None
        if not os.path.lexists(path) and not (self.creates and self.has_usage(period)):
            return None
        target = path.relative_to(self.vault).as_posix().removesuffix(".md")
        return None if _UNLINKABLE & set(target) else target


NO_LINKS = NoteLinks(Path("."), {}, WeekRule.iso())
"""For sections rendered outside a vault (tests, previews): every label stays plain text."""
