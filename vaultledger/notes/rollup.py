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
from vaultledger.budgets import Budget, budgets_from
from vaultledger.budgets.plans import Plan, parse_plans, plan_values
from vaultledger.errors import NoteError, VaultError
from vaultledger.ledger import Ledger
from vaultledger.notes.links import NoteLinks
from vaultledger.notes.properties import note_properties, set_properties
from vaultledger.notes.splice import SECTION_HEADINGS, splice_section
from vaultledger.notes.lookup import VaultFiles
from vaultledger.notes.vault import (
    KINDS, MissingTemplateWarning, NoteSettings, how_to_enable, is_vault, load_note_settings, note_path,
)
from vaultledger.notes.templates import fill_template, template_text, time_format, uses_templater
from vaultledger.notes.weeks import NoteWeeks, note_weeks
from vaultledger.notes.write import NoteUpdate, update_note
from vaultledger.periods import Period, WeekRule
from vaultledger.notes.render import render_section
from vaultledger.notes.sections import section_context
from vaultledger.settings import Settings

NOTE_KIND_FOR_PERIOD = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
                        "year": "yearly"}


@dataclass
class RollupResult:
    updates: list[NoteUpdate] = field(default_factory=list)
    skipped: list[tuple[Period, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # how to turn on kinds of notes that have usage but are off

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
        self.weeks: NoteWeeks = note_weeks(self.settings, self.note_settings["weekly"].format, self.vault)
        self.budgets: list[Budget] = budgets_from(self.settings)
        self.plans: list[Plan] = parse_plans(self.settings.plans, self.settings.config_label)
        self._files = VaultFiles(self.vault)
        self.links = NoteLinks(self.vault, self.note_settings, self.week_rule, self.create,
                               lambda period: bool(self.ledger.days(period.start, period.end)))

    @property
    def week_rule(self) -> WeekRule:
        """How week periods are bounded: ISO weeks when the weekly format numbers them, else the locale's."""
        return self.weeks.period_rule

    def run(self, periods: Iterable[Period], *, existing_only: Iterable[Period] = ()) -> RollupResult:
        """Roll each period into its note; periods in `existing_only` only refresh notes that exist."""
        result = RollupResult()
        refresh_only = set(existing_only)
        self._files = VaultFiles(self.vault)  # notes may have moved since the last run
        with_usage = False
        for period in periods:
            with_usage |= self._roll(period, result, create=self.create and period not in refresh_only)
        if with_usage:
            off = [kind for kind in KINDS if not self.note_settings[kind].enabled]
            result.hints.extend([how_to_enable(off, self.vault)] if off else [])
        return result

    def note_path(self, period: Period) -> Path:
        """Where the period's note is: where the vault's settings put it, or where the user moved it."""
        settings = self.note_settings[_kind_of(period)]
        path = note_path(self.vault, settings, period.start, self.weeks.locale_rule, self.weeks.locale)
        if os.path.lexists(path):
            return path
        return self._files.moved_note(settings, path) or path

    def _roll(self, period: Period, result: RollupResult, *, create: bool) -> bool:
        """Roll one period; True when it had usage."""
        kind = _kind_of(period)
        settings = self.note_settings[kind]
        if not settings.enabled:
            result.skipped.append((period, f"{kind} notes are off in this vault"))
            return not self.ledger.usage(period).is_empty()
        path = self.note_path(period)
        if not self.dry_run:
            sweep_folder_once(path.parent)  # temp files a killed run left beside the notes
        if not os.path.lexists(path) and not create:
            result.skipped.append((period, f"{path} does not exist and is not created"))
            return False
        usage = self.ledger.usage(period)
        if usage.is_empty() and not _has_section(path, kind):
            result.skipped.append((period, f"no usage and no {kind} section in {path.name}"))
            return False
        context = section_context(kind, period, self.ledger, self.budgets, self.week_rule, self.links)
        # What flat-fee plans were worth, on the notes whose period a fee is charged for (not days or weeks).
        context["plans"] = ([value.line() for value in plan_values(self.plans, period, usage)]
                            if period.kind in ("month", "quarter", "year") else [])
        body = render_section(kind, context, self.settings.templates_dir)
        self._write(path, kind, settings, period, body, usage.totals(), result)
        return not usage.is_empty()

    def _write(self, path, kind, settings: NoteSettings, period, body, total, result: RollupResult) -> None:
        def transform(text: str) -> str:
            spliced = splice_section(text, kind, body)
            result.warnings.extend(f"{path}: {warning}" for warning in spliced.warnings)
            if not self.settings.properties:
                return spliced.text
            return set_properties(spliced.text, note_properties(period, total))

        create_text = None
        if not os.path.lexists(path):
            create_text = self._new_note_text(settings, period, result)
            if create_text is None:
                result.skipped.append((period, f"{path} is not created: its template uses Templater "
                                               f"(templater = \"skip\" in the config)"))
                return
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

    def _new_note_text(self, settings: NoteSettings, period: Period, result: RollupResult) -> str | None:
        """The vault's template for a new note, filled; a template it names but lacks becomes a warning
        line; None when the template uses Templater and the config says to leave such notes to Obsidian."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MissingTemplateWarning)
            text = template_text(self.vault, settings, self._files)
        result.warnings.extend(str(warning.message) for warning in caught)
        if text is None:
            return ""
        if uses_templater(text) and settings.templater == "skip":
            return None
        return fill_template(text, settings, period.start, self._now(), self.weeks.locale_rule,
                             time_format(self.vault, settings), self.weeks.locale)

    def _now(self) -> dt.datetime:
        return self.now or dt.datetime.now().astimezone()


def _kind_of(period: Period) -> str:
    kind = NOTE_KIND_FOR_PERIOD.get(period.kind)
    if kind is None:
        raise ValueError(f"no note kind for a {period.kind}")
    return kind


def _has_section(path: Path, kind: str) -> bool:
    """A note that already shows our section gets corrected even when its usage went away."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return f"vaultledger:begin {kind}" in text or SECTION_HEADINGS[kind].split(" ", 2)[-1] in text
