"""Which moment locale and week rule the vault's notes are named with, read as the plugins read them.

Obsidian formats note names with moment's global locale. The Calendar plugin (its `data.json`) and
Periodic Notes 1.x (`.obsidian/app.json`) set that locale (`localeOverride`) and the first day of the
week (`weekStart`, applied with `moment.updateLocale(locale, {week: {dow}})`, which keeps the locale's
`doy`). The config's `locale`, `week_start` and `week_doy` win over the vault (flag > environment >
config > vault > default); where they make vaultledger number weeks unlike Obsidian, `doctor` says so.

Obsidian's own interface language lives in the app, not the vault: the config's `locale` names it
(default English). With Calendar or Periodic Notes 1.x on, English Obsidian on a system whose language
is not English gets moment's `en-gb`; vaultledger assumes the system speaks Obsidian's language
(en-US: moment's `en`), and `locale = "en-gb"` says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.locales import DEFAULT_LOCALE, MomentLocale, locale_named
from vaultledger.notes.obsidian import (
    CALENDAR, PERIODIC_NOTES, app_config, obsidian_file, plugin_data, plugin_data_file, text_or_none,
)
from vaultledger.periods import WEEKDAY_NAMES, WeekRule, week_rule_for_format
from vaultledger.settings import Settings

_SYSTEM_DEFAULT = "system-default"


class VaultLocale(msgspec.Struct, frozen=True):
    """What the vault's plugins set for moment: a locale and a week start, each None when unset."""

    locale: str | None = None
    week_start: str | None = None
    source: str | None = None  # "Calendar (…/data.json)" or "Periodic Notes 1.x (…/app.json)"
    problems: tuple[str, ...] = ()


class NoteWeeks(msgspec.Struct, frozen=True):
    """How notes are named and weeks are counted.

    `locale` names months and weekdays; `locale_rule` numbers `gggg`/`ww`/`e` tokens and places
    `{{monday:…}}`; `period_rule` bounds week periods (ISO when the weekly format numbers ISO
    weeks). `obsidian_rule`/`obsidian_locale` are what Obsidian itself uses, for `doctor`.
    """

    locale: MomentLocale
    locale_rule: WeekRule
    period_rule: WeekRule
    locale_source: str
    week_start_source: str
    obsidian_locale: MomentLocale
    obsidian_rule: WeekRule
    vault: VaultLocale

    def disagreements(self) -> list[str]:
        """Where the config makes vaultledger name or count unlike Obsidian (one sentence each)."""
        found = []
        if self.locale is not self.obsidian_locale:
            found.append(f"config 'locale' {self.locale.name!r}, but {self.vault.source} sets moment's locale "
                         f"{self.obsidian_locale.name!r}: month and weekday names in note names differ")
        if (self.locale_rule.dow, self.locale_rule.doy) != (self.obsidian_rule.dow, self.obsidian_rule.doy):
            why = (f"as {self.vault.source} sets it" if self.vault.week_start or self.vault.locale
                   else f"in moment's {self.obsidian_locale.name} locale")
            found.append(f"the config counts {self.locale_rule}, but Obsidian counts {self.obsidian_rule}, {why}: "
                         "`gggg`/`ww` weeks and week-based note names differ from the ones Obsidian makes")
        return found


def read_vault_locale(vault: Path | None) -> VaultLocale:
    """Calendar's `weekStart`/`localeOverride` (its data.json), else Periodic Notes 1.x's (app.json),
    each only while that plugin is enabled."""
    if vault is None or not obsidian_file(vault).is_dir():
        return VaultLocale()
    calendar = plugin_data(vault, CALENDAR)
    if calendar is not None:
        return _vault_locale(calendar, f"Calendar ({plugin_data_file(vault, CALENDAR)})")
    periodic = plugin_data(vault, PERIODIC_NOTES)
    if periodic is not None and "calendarSets" in periodic:
        return _vault_locale(app_config(vault), f"Periodic Notes 1.x ({obsidian_file(vault, 'app.json')})")
    return VaultLocale()


def _vault_locale(data: dict[str, Any], source: str) -> VaultLocale:
    locale = text_or_none(data.get("localeOverride"))
    week_start = text_or_none(data.get("weekStart"))
    problems = []
    if week_start is not None and week_start != "locale" and week_start not in WEEKDAY_NAMES:
        # Periodic Notes 1.x writes its Locale dropdown into weekStart (Dashboard.svelte); moment
        # then gets dow -1. Weeks follow the locale here, and doctor names the value.
        problems.append(f"{source}: weekStart {week_start!r} is not a weekday; weeks follow the locale")
    return VaultLocale(
        locale=None if locale in (None, "", _SYSTEM_DEFAULT) else locale,
        week_start=week_start if week_start in WEEKDAY_NAMES else None,
        source=source,
        problems=tuple(problems),
    )


def note_weeks(settings: Settings, weekly_format: str, vault: Path | None = None) -> NoteWeeks:
    """The locale and week rules for `settings` (and the vault's plugins): see the module docstring."""
    found = read_vault_locale(vault if vault is not None else settings.vault.value)
    config_locale = _config_locale(settings)
    obsidian_locale = _chosen_locale(found.locale, found.source) or config_locale \
        or locale_named(DEFAULT_LOCALE)
    locale = config_locale or obsidian_locale
    obsidian_rule = _rule(found.week_start, None, obsidian_locale)
    locale_rule = _rule(settings.week_start.value or found.week_start, settings.week_doy, locale)
    period_rule = week_rule_for_format(weekly_format, WEEKDAY_NAMES[locale_rule.dow], locale_rule.doy)
    return NoteWeeks(
        locale=locale,
        locale_rule=locale_rule,
        period_rule=period_rule,
        locale_source=_source(settings.locale.source if config_locale else found.source if found.locale else None),
        week_start_source=_source(settings.week_start.source if settings.week_start.value
                                  else found.source if found.week_start else None, f"locale {locale.name}"),
        obsidian_locale=obsidian_locale,
        obsidian_rule=obsidian_rule,
        vault=found,
    )


def _config_locale(settings: Settings) -> MomentLocale | None:
    if settings.locale.value is None:
        return None
    try:
        return locale_named(settings.locale.value)
    except ConfigError as error:
        raise ConfigError(f"config 'locale': {error}") from None


def _chosen_locale(name: str | None, source: str | None) -> MomentLocale | None:
    if name is None:
        return None
    try:
        return locale_named(name)
    except ConfigError as error:
        raise VaultError(f"{source} sets localeOverride {name!r}: {error}; set locale in the vaultledger "
                         "config to name one it knows") from None


def _rule(week_start: str | None, doy: int | None, locale: MomentLocale) -> WeekRule:
    dow = WEEKDAY_NAMES.index(week_start) if week_start else locale.dow
    return WeekRule(dow, locale.doy if doy is None else doy)


def _source(source: str | None, default: str = "default (English)") -> str:
    return source or default


def week_rule_for(settings: Settings) -> WeekRule:
    """Weeks as the vault's notes count them (the weekly format, week start and locale), else as the
    config says: what reports, budgets and limits call a week."""
    weekly_format = "gggg-[W]ww"
    vault = settings.vault.value
    if vault is not None and (vault / ".obsidian").is_dir():  # notes.vault's is_vault, without its import
        from vaultledger.notes.vault import load_note_settings

        weekly_format = load_note_settings(vault, settings.notes)["weekly"].format
    elif isinstance(settings.notes.get("weekly"), dict) and settings.notes["weekly"].get("format"):
        weekly_format = settings.notes["weekly"]["format"]
    return note_weeks(settings, weekly_format, vault).period_rule
