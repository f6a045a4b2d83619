"""Write the usage of periods into their notes: the pipeline's back half, shared by every command."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger._faults import step
from vaultledger._fs import sweep_folder_once
from vaultledger.budgets import Budget, parse_budgets
from vaultledger.errors import NoteError, VaultError
from vaultledger.ledger import Ledger
from vaultledger.notes.links import NoteLinks
from vaultledger.notes.properties import note_properties, set_properties
from vaultledger.notes.splice import SECTION_HEADINGS, splice_section
from vaultledger.notes.vault import MissingTemplateWarning, NoteSettings, is_vault, load_note_settings, note_path
from vaultledger.notes.templates import new_note_text
from vaultledger.notes.write import NoteUpdate, update_note
from vaultledger.periods import Period, WeekRule, week_rule_for_format
from vaultledger.notes.render import render_section
from vaultledger.notes.sections import section_context
from vaultledger.settings import Settings

NOTE_KIND_FOR_PERIOD = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}


@dataclass
class RollupResult:
    updates: list[NoteUpdate] = field(default_factory=list)
    skipped: list[tuple[Period, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[NoteUpdate]:
        return [update for update in self.updates if update.changed]


def open_vault(settings: Settings, *, force: bool = False) -> Path:
    """The configured vault, refused when it is not an Obsidian vault (unless forced)."""
    vault = settings.vault.value
    if vault is None:
        raise VaultError("no vault given: pass --vault, set VAULTLEDGER_VAULT, or put vault = \"...\" in the config")
    if not vault.is_dir():
        raise VaultError(f"{vault}: vault folder does not exist ({settings.vault.source})")
    if not is_vault(vault) and not force:
        raise VaultError(f"{vault}: not an Obsidian vault (no .obsidian/ folder); use --force to write there anyway")
    return vault


@dataclass
class Rollup:
    """Splices sections into the notes of a vault, creating missing notes that have usage."""

    settings: Settings
    vault: Path
    ledger: Ledger
    create: bool = True
    dry_run: bool = False
    now: dt.datetime | None = None

    def __post_init__(self) -> None:
        self.note_settings = load_note_settings(self.vault, self.settings.notes)
        self.budgets: list[Budget] = parse_budgets(self.settings.budgets, self.settings.config_label)
        self.links = NoteLinks(self.vault, self.note_settings, self.week_rule, self.create,
                               lambda period: bool(self.ledger.days(period.start, period.end)))

    @property
    def week_rule(self) -> WeekRule:
        weekly = self.note_settings["weekly"]
        return week_rule_for_format(weekly.format, self.settings.week_start.value, self.settings.week_doy)

    def run(self, periods: Iterable[Period], *, existing_only: Iterable[Period] = ()) -> RollupResult:
        """Roll each period into its note; periods in `existing_only` only refresh notes that exist."""
        result = RollupResult()
        refresh_only = set(existing_only)
        for period in periods:
            self._roll(period, result, create=self.create and period not in refresh_only)
        return result

    def _roll(self, period: Period, result: RollupResult, *, create: bool) -> None:
        kind = NOTE_KIND_FOR_PERIOD.get(period.kind)
        if kind is None:
            raise ValueError(f"no note kind for a {period.kind}")
        settings = self.note_settings[kind]
        path = note_path(self.vault, settings, period.start, self.week_rule)
        if not self.dry_run:
            sweep_folder_once(path.parent)  # temp files a killed run left beside the notes
        exists = os.path.lexists(path)
        if not exists and not create:
            result.skipped.append((period, f"{path} does not exist and is not created"))
            return
        usage = self.ledger.usage(period)
        if usage.is_empty() and not _has_section(path, kind):
            result.skipped.append((period, f"no usage and no {kind} section in {path.name}"))
            return
        context = section_context(kind, period, self.ledger, self.budgets, self.week_rule, self.links)
        body = render_section(kind, context, self.settings.templates_dir)
        self._write(path, kind, settings, period, body, usage.totals(), result)

    def _write(self, path, kind, settings: NoteSettings, period, body, total, result: RollupResult) -> None:
        def transform(text: str) -> str:
            spliced = splice_section(text, kind, body)
            result.warnings.extend(f"{path}: {warning}" for warning in spliced.warnings)
            if not self.settings.properties:
                return spliced.text
            return set_properties(spliced.text, note_properties(period, total))

        create_text = None if os.path.lexists(path) else self._new_note_text(settings, period, result)
        try:
            update = update_note(path, transform, create_text=create_text, dry_run=self.dry_run, root=self.vault)
        except NoteError as error:
            result.errors.append(str(error))
            return
        result.updates.append(update)
        if update.read_only:
            result.warnings.append(f"{path}: read-only (no write permission bits), so left as it is")
        if update.changed and not self.dry_run:
            step(f"note {path.name} written")

    def _new_note_text(self, settings: NoteSettings, period: Period, result: RollupResult) -> str:
        """The vault's template for a new note; a template it names but lacks becomes a warning line."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MissingTemplateWarning)
            text = new_note_text(self.vault, settings, period.start, self._now(), self.week_rule)
        result.warnings.extend(str(warning.message) for warning in caught)
        return text

    def _now(self) -> dt.datetime:
        return self.now or dt.datetime.now().astimezone()


def _has_section(path: Path, kind: str) -> bool:
    """A note that already shows our section gets corrected even when its usage went away."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return f"vaultledger:begin {kind}" in text or SECTION_HEADINGS[kind].split(" ", 2)[-1] in text
