"""The vault's own settings for periodic notes, and the notes' paths.

Settings resolve per kind of note (SPEC §5): vaultledger config, key by key, over the one vault
source that owns that kind (Periodic Notes while it is enabled, else Calendar's weekly notes for weekly
notes and core Daily notes for daily notes), over the built-in defaults. Daily notes exist in every
vault (core Daily notes is on by default); a weekly, monthly, quarterly or yearly note is written only
where a source enables that kind, because Obsidian itself has no such notes otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.locales import MomentLocale
from vaultledger.notes.moment import format_moment
from vaultledger.notes.obsidian import (
    CALENDAR, PERIODIC_NOTES, core_plugin_enabled, ignored_plugin_data, obsidian_file, plugin_data, read_json,
    text_or_none,
)
from vaultledger.periods import WeekRule

KINDS = ("daily", "weekly", "monthly", "quarterly", "yearly")
DEFAULT_FORMATS = {
    "daily": "YYYY-MM-DD",
    "weekly": "gggg-[W]ww",
    "monthly": "YYYY-MM",
    "quarterly": "YYYY-[Q]Q",
    "yearly": "YYYY",
}
DEFAULT_TIME_FORMAT = "HH:mm"

CONFIG_SOURCE = "vaultledger config"
DEFAULT_SOURCE = "default"
PERIODIC_0017 = "Periodic Notes 0.0.17"
PERIODIC_1X = "Periodic Notes 1.x"
CALENDAR_SOURCE = "Calendar"
CORE_DAILY = "core Daily notes"

_KIND_ALIASES = {**{kind: kind for kind in KINDS}, "day": "daily", "week": "weekly",
                 "month": "monthly", "quarter": "quarterly", "year": "yearly"}  # fmt: skip
_CONFIG_KEYS = frozenset({"folder", "format", "template", "enabled", "templater"})
_PERIODIC_1X_KEYS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter",
                     "yearly": "year"}  # fmt: skip
# What to do with a template that uses Templater (`<% … %>`) when a note must be created.
TEMPLATER_CHOICES = ("create", "skip")


class MissingTemplateWarning(UserWarning):
    """The vault's settings name a template file that does not exist; the note starts empty."""


class NoteSettings(msgspec.Struct, frozen=True):
    """Where and how one kind of periodic note lives in the vault, and which source said so.

    `folder` is vault-relative without leading or trailing slashes ("" is the vault root);
    `template` is as the settings wrote it (a path or a link), or None. `source` is for people: the
    sources that gave the folder and format (and template), joined with " + ". `owner` is the plugin
    that creates this kind of note in Obsidian (its template rules apply). `templater` says whether a
    note whose template uses Templater is created ("create") or left for Obsidian to create ("skip").
    """

    kind: str
    folder: str
    format: str
    template: str | None
    enabled: bool
    source: str
    owner: str = DEFAULT_SOURCE
    templater: str = "create"


class _Layer(msgspec.Struct, frozen=True):
    """What one settings source says about one kind; None means it does not say."""

    source: str
    folder: str | None
    format: str | None
    template: str | None
    enabled: bool
    templater: str | None = None


def is_vault(path: Path) -> bool:
    """Whether `path` is an Obsidian vault (a folder holding `.obsidian/`)."""
    return (Path(path) / ".obsidian").is_dir()


def load_note_settings(
    vault: Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, NoteSettings]:
    """Settings for daily, weekly, monthly, quarterly and yearly notes; see the module docstring.

    `overrides` is the config's `[notes]` table: `[notes.<kind>]` tables (keys folder, format,
    template, enabled, templater) and `templater` for every kind. Raises VaultError naming the file
    when a settings file is not valid JSON, ConfigError for a config key that is not a setting.
    """
    vault = Path(vault)
    config, templater = _config_layers(overrides or {})
    found = _vault_layers(vault)
    return {kind: _resolve(kind, config.get(kind), found.get(kind), templater) for kind in KINDS}


def _resolve(kind: str, config: _Layer | None, found: _Layer | None, templater: str) -> NoteSettings:
    layers = [layer for layer in (config, found) if layer is not None]
    folder, folder_source = _first_said(layers, "folder", "")
    fmt, format_source = _first_said(layers, "format", DEFAULT_FORMATS[kind])
    template, template_source = _first_said(layers, "template", "")
    sources = [folder_source, format_source] + ([template_source] if template else [])
    return NoteSettings(
        kind=kind,
        folder=normalise_vault_path(folder),
        format=fmt,
        template=template.strip() or None,
        enabled=layers[0].enabled if layers else kind == "daily",
        source=" + ".join(dict.fromkeys(sources)),
        owner=found.source if found else (CONFIG_SOURCE if config else DEFAULT_SOURCE),
        templater=(config.templater if config and config.templater else templater),
    )


def _first_said(layers: list[_Layer], name: str, default: str) -> tuple[str, str]:
    """The first layer's value for `name`; an empty value there means the default."""
    for layer in layers:
        value = getattr(layer, name)
        if value is not None:
            return (value if value.strip() else default), layer.source
    return default, DEFAULT_SOURCE


def normalise_vault_path(path: str) -> str:
    """A vault-relative path the way Obsidian normalises it: "/" only, none leading or trailing."""
    cleaned = unicodedata.normalize("NFC", path.replace("\u00a0", " ").replace("\u202f", " "))
    return "/".join(part for part in re.split(r"[\\/]+", cleaned.strip()) if part not in ("", "."))


def _config_layers(overrides: Mapping[str, Any]) -> tuple[dict[str, _Layer], str]:
    layers: dict[str, _Layer] = {}
    templater = _templater_choice(overrides.get("templater", "create"), "[notes] templater")
    for name, values in overrides.items():
        if name == "templater":
            continue
        if not isinstance(values, Mapping):
            raise ConfigError(f"[notes.{name}] must be a table with folder, format, template")
        kind = _KIND_ALIASES.get(name)
        unknown = set(values) - _CONFIG_KEYS
        if kind is None or unknown:
            bad = name if kind is None else f"{name}.{sorted(unknown)[0]}"
            raise ConfigError(
                f"[notes.{bad}] is not a setting; use [notes.daily|weekly|monthly|quarterly|yearly] "
                "with folder, format, template, enabled, templater"
            )
        layers[kind] = _Layer(
            CONFIG_SOURCE,
            folder=_config_text(values, "folder", name),
            format=_config_text(values, "format", name),
            template=_config_text(values, "template", name),
            enabled=_config_flag(values.get("enabled", True), name),
            templater=_templater_choice(values["templater"], f"[notes.{name}] templater")
            if "templater" in values else None,
        )
    return layers, templater


def _templater_choice(value: Any, where: str) -> str:
    if value in TEMPLATER_CHOICES:
        return str(value)
    raise ConfigError(f"{where} must be \"create\" (copy the template, Templater commands and all) or "
                      f"\"skip\" (leave creating such notes to Obsidian), not {value!r}")


def _config_text(values: Mapping[str, Any], key: str, kind: str) -> str | None:
    value = values.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"[notes.{kind}] {key} must be text, not {value!r}")


def _config_flag(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise ConfigError(f"[notes.{kind}] enabled must be true or false, not {value!r}")


def _vault_layers(vault: Path) -> dict[str, _Layer]:
    """Per kind, the one vault source that owns it, as obsidian-daily-notes-interface chooses.

    A kind Periodic Notes has switched off still comes from it (enabled=False) unless core Daily
    notes (daily) or Calendar's weekly notes (weekly) can take it over, as they do in Obsidian.
    """
    layers = _periodic_notes_layers(vault)
    for kind, fallback in (("daily", _core_daily_notes_layer(vault)), ("weekly", _calendar_weekly_layer(vault))):
        own = layers.get(kind)
        if fallback is not None and (own is None or not own.enabled):
            layers[kind] = fallback
    return layers


def _periodic_notes_layers(vault: Path) -> dict[str, _Layer]:
    data = plugin_data(vault, PERIODIC_NOTES)
    if data is None:
        return {}
    if "calendarSets" in data:
        return _periodic_1x_layers(data)
    return _periodic_layers_from(data, PERIODIC_0017, lambda kind: kind, "template")


def _periodic_1x_layers(data: dict[str, Any]) -> dict[str, _Layer]:
    sets = [entry for entry in data.get("calendarSets") or [] if isinstance(entry, dict)]
    active = next((entry for entry in sets if entry.get("id") == data.get("activeCalendarSet")), None)
    chosen = active or (sets[0] if sets else {})
    return _periodic_layers_from(chosen, PERIODIC_1X, _PERIODIC_1X_KEYS.get, "templatePath")


def _periodic_layers_from(
    data: Mapping[str, Any], source: str, key_for: Callable[[str], str | None], template_key: str
) -> dict[str, _Layer]:
    entries = {kind: data.get(key_for(kind) or kind) for kind in KINDS}
    return {kind: _layer_from(source, entry, ("folder", "format", template_key), entry.get("enabled") is True)
            for kind, entry in entries.items() if isinstance(entry, dict)}


def _layer_from(source: str, data: Mapping[str, Any], keys: tuple[str, str, str], enabled: bool = True) -> _Layer:
    """A layer from a settings file's (folder, format, template) keys."""
    folder, fmt, template = (text_or_none(data.get(key)) for key in keys)
    return _Layer(source, folder=folder, format=fmt, template=template, enabled=enabled)


def _calendar_weekly_layer(vault: Path) -> _Layer | None:
    """Calendar's weekly notes (its "Show week number" option), which dni uses when Periodic Notes'
    weekly notes are off."""
    data = plugin_data(vault, CALENDAR)
    if data is None or data.get("showWeeklyNote") is not True:
        return None
    return _layer_from(CALENDAR_SOURCE, data, ("weeklyNoteFolder", "weeklyNoteFormat", "weeklyNoteTemplate"))


def _core_daily_notes_layer(vault: Path) -> _Layer | None:
    settings_file = obsidian_file(vault, "daily-notes.json")
    if not settings_file.is_file() or not core_plugin_enabled(vault, "daily-notes"):
        return None
    return _layer_from(CORE_DAILY, read_json(settings_file, dict), ("folder", "format", "template"))


def how_to_enable(kinds: str | list[str], vault: Path) -> str:
    """One sentence: these kinds of notes are off in the vault, and how the user turns them on."""
    kinds = [kinds] if isinstance(kinds, str) else kinds
    names = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    turn_on = f"turn on {kinds[0].capitalize()} Notes" if len(kinds) == 1 else "turn them on"
    if plugin_data(vault, PERIODIC_NOTES) is not None:
        plugin = f"{turn_on} in Periodic Notes' settings"
    elif ignored_plugin_data(vault, PERIODIC_NOTES) is not None:
        plugin = f"enable the Periodic Notes plugin (Settings → Community plugins) and {turn_on} there"
    else:
        plugin = f"install Periodic Notes and {turn_on} there"
    if "weekly" in kinds:
        plugin += " (weekly notes also with Calendar's \"Show week number\")"
    tables = ", ".join(f"[notes.{kind}]" for kind in kinds)
    return (f"{names} notes are off in this vault, so none is written: {plugin}, or add {tables} to the "
            "vaultledger config (in the vault root unless you set folder)")


def vault_relative_parts(path: str, what: str) -> list[str]:
    """The parts of a vault-relative path; VaultError if it would leave the vault."""
    normalised = normalise_vault_path(path)
    parts = normalised.split("/") if normalised else []
    if ".." in parts:
        raise VaultError(f"{what} {path!r} would leave the vault ('..' is not allowed)")
    return parts


def note_name(
    settings: NoteSettings, period_start: date, rule: WeekRule | None = None, locale: MomentLocale | None = None
) -> str:
    """The period's note name: its start formatted with the note format (may hold "/").

    `rule` numbers locale weeks (`gggg`/`ww`) and `locale` names months and weekdays; ISO tokens
    are ISO whatever the rule, token by token, as in moment.
    """
    return format_moment(period_start, settings.format, rule, locale)


def note_path(
    vault: Path,
    settings: NoteSettings,
    period_start: date,
    rule: WeekRule | None = None,
    locale: MomentLocale | None = None,
) -> Path:
    """`vault/folder/<period start formatted>.md`; a "/" in the format makes subfolders.

    Raises VaultError if the folder or the formatted name would leave the vault.
    """
    name = note_name(settings, period_start, rule, locale)
    parts = vault_relative_parts(f"{settings.folder}/{name}", f"{settings.kind} note path")
    if not vault_relative_parts(name, "note name"):
        raise VaultError(f"the {settings.kind} note format {settings.format!r} gives an empty name")
    leaf = parts[-1] if parts[-1].endswith(".md") else parts[-1] + ".md"
    path = Path(vault).joinpath(*parts[:-1], leaf)
    if not path.is_relative_to(vault):
        raise VaultError(f"{settings.kind} note path {path} would leave the vault {vault}")
    return path
