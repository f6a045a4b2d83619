"""The vault's own settings for periodic notes, and the notes' paths.

Settings resolve per kind of note (SPEC §5): vaultledger config, key by key, over the one vault
source that owns that kind (the Periodic Notes plugin, else core Daily notes for daily notes), over
the built-in defaults.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.moment import format_moment
from vaultledger.periods import WeekRule, week_rule_for_format

KINDS = ("daily", "weekly", "monthly", "quarterly")
DEFAULT_FORMATS = {
    "daily": "YYYY-MM-DD",
    "weekly": "gggg-[W]ww",
    "monthly": "YYYY-MM",
    "quarterly": "YYYY-[Q]Q",
}
# SPEC §6 makes the monthly section optional, so monthly notes are off unless something enables them.
ENABLED_BY_DEFAULT = frozenset({"daily", "weekly", "quarterly"})
DEFAULT_TIME_FORMAT = "HH:mm"

CONFIG_SOURCE = "vaultledger config"
DEFAULT_SOURCE = "default"
_KIND_ALIASES = {**{kind: kind for kind in KINDS}, "day": "daily", "week": "weekly",
                 "month": "monthly", "quarter": "quarterly"}  # fmt: skip
_CONFIG_KEYS = frozenset({"folder", "format", "template", "enabled"})
_PERIODIC_1X_KEYS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}


class MissingTemplateWarning(UserWarning):
    """The vault's settings name a template file that does not exist; the note starts empty."""


@dataclass(frozen=True)
class NoteSettings:
    """Where and how one kind of periodic note lives in the vault, and which source said so.

    `folder` is vault-relative without leading or trailing slashes ("" is the vault root);
    `template` is vault-relative as the settings wrote it, or None. `source` is for people: the
    sources that gave the folder and format (and template), joined with " + ".
    """

    kind: str
    folder: str
    format: str
    template: str | None
    enabled: bool
    source: str


@dataclass(frozen=True)
class _Layer:
    """What one settings source says about one kind; None means it does not say."""

    source: str
    folder: str | None
    format: str | None
    template: str | None
    enabled: bool


def is_vault(path: Path) -> bool:
    """Whether `path` is an Obsidian vault (a folder holding `.obsidian/`)."""
    return (Path(path) / ".obsidian").is_dir()


def load_note_settings(
    vault: Path, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, NoteSettings]:
    """Settings for daily, weekly, monthly and quarterly notes; see the module docstring.

    `overrides` is the config's `[notes.<kind>]` tables (keys folder, format, template, enabled).
    Raises VaultError naming the file when a settings file is not valid JSON.
    """
    vault = Path(vault)
    config = _config_layers(overrides or {})
    found = _vault_layers(vault)
    return {kind: _resolve(kind, config.get(kind), found.get(kind)) for kind in KINDS}


def _resolve(kind: str, config: _Layer | None, found: _Layer | None) -> NoteSettings:
    layers = [layer for layer in (config, found) if layer is not None]
    folder, folder_source = _first_said(layers, "folder", "")
    fmt, format_source = _first_said(layers, "format", DEFAULT_FORMATS[kind])
    template, template_source = _first_said(layers, "template", "")
    sources = [folder_source, format_source] + ([template_source] if template else [])
    return NoteSettings(
        kind=kind,
        folder=normalise_vault_path(folder),
        format=fmt,
        template=normalise_vault_path(template) or None,
        enabled=layers[0].enabled if layers else kind in ENABLED_BY_DEFAULT,
        source=" + ".join(dict.fromkeys(sources)),
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


def _config_layers(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, _Layer]:
    layers: dict[str, _Layer] = {}
    for name, values in overrides.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"[notes.{name}] must be a table with folder, format, template")
        kind = _KIND_ALIASES.get(name)
        unknown = set(values) - _CONFIG_KEYS
        if kind is None or unknown:
            bad = name if kind is None else f"{name}.{sorted(unknown)[0]}"
            raise ConfigError(
                f"[notes.{bad}] is not a setting; use [notes.daily|weekly|monthly|quarterly] "
                "with folder, format, template, enabled"
            )
        layers[kind] = _Layer(
            CONFIG_SOURCE,
            folder=_config_text(values, "folder", name),
            format=_config_text(values, "format", name),
            template=_config_text(values, "template", name),
            enabled=_config_flag(values.get("enabled", True), name),
        )
    return layers


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
    """Per kind, the one vault source that owns it: Periodic Notes, else core Daily notes.

    A kind Periodic Notes has switched off still comes from it (enabled=False) unless core Daily
    notes can take the daily notes over, as it does in Obsidian.
    """
    layers = _periodic_notes_layers(vault)
    core_daily = _core_daily_notes_layer(vault)
    periodic_daily = layers.get("daily")
    if core_daily is not None and (periodic_daily is None or not periodic_daily.enabled):
        layers["daily"] = core_daily
    return layers


def obsidian_file(vault: Path, *parts: str) -> Path:
    return vault.joinpath(".obsidian", *parts)


def read_json(path: Path, *expected: type) -> Any:
    """The JSON in `path`; VaultError naming the file when it cannot be read as one of `expected`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise VaultError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise VaultError(f"cannot read {path}: {error}") from None
    if not isinstance(data, expected):
        wanted = " or ".join(_JSON_TYPE_NAMES.get(kind, kind.__name__) for kind in expected)
        raise VaultError(f"{path} should hold a JSON {wanted}, not {type(data).__name__}")
    return data


_JSON_TYPE_NAMES: dict[type, str] = {dict: "object", list: "array"}


def _community_plugin_enabled(vault: Path, plugin_id: str) -> bool:
    # Without community-plugins.json we cannot tell, so trust that the plugin's data.json is used.
    listing = obsidian_file(vault, "community-plugins.json")
    return not listing.is_file() or plugin_id in read_json(listing, list)


def _core_plugin_enabled(vault: Path, plugin_id: str) -> bool:
    # Older Obsidian writes a list of enabled ids, newer an {id: bool} object; absent means unknown.
    listing = obsidian_file(vault, "core-plugins.json")
    if not listing.is_file():
        return True
    enabled = read_json(listing, list, dict)
    return plugin_id in enabled if isinstance(enabled, list) else bool(enabled.get(plugin_id, True))


def _periodic_notes_layers(vault: Path) -> dict[str, _Layer]:
    data_file = obsidian_file(vault, "plugins", "periodic-notes", "data.json")
    if not data_file.is_file() or not _community_plugin_enabled(vault, "periodic-notes"):
        return {}
    data = read_json(data_file, dict)
    if "calendarSets" in data:
        return _periodic_1x_layers(data)
    return _periodic_layers_from(data, "Periodic Notes 0.0.17", lambda kind: kind, "template")


def _periodic_1x_layers(data: dict[str, Any]) -> dict[str, _Layer]:
    sets = [entry for entry in data.get("calendarSets") or [] if isinstance(entry, dict)]
    active = next((entry for entry in sets if entry.get("id") == data.get("activeCalendarSet")), None)
    chosen = active or (sets[0] if sets else {})
    return _periodic_layers_from(chosen, "Periodic Notes 1.x", _PERIODIC_1X_KEYS.get, "templatePath")


def _periodic_layers_from(
    data: Mapping[str, Any], source: str, key_for: Callable[[str], str | None], template_key: str
) -> dict[str, _Layer]:
    layers: dict[str, _Layer] = {}
    for kind in KINDS:
        entry = data.get(key_for(kind) or kind)
        if isinstance(entry, dict):
            layers[kind] = _Layer(
                source,
                folder=_text_or_none(entry.get("folder")),
                format=_text_or_none(entry.get("format")),
                template=_text_or_none(entry.get(template_key)),
                enabled=entry.get("enabled") is True,
            )
    return layers


def _core_daily_notes_layer(vault: Path) -> _Layer | None:
    settings_file = obsidian_file(vault, "daily-notes.json")
    if not settings_file.is_file() or not _core_plugin_enabled(vault, "daily-notes"):
        return None
    data = read_json(settings_file, dict)
    return _Layer(
        "core Daily notes",
        folder=_text_or_none(data.get("folder")),
        format=_text_or_none(data.get("format")),
        template=_text_or_none(data.get("template")),
        enabled=True,
    )


def _text_or_none(value: Any) -> str | None:
    # Settings files hold null or odd types where nothing was chosen; both mean "not set".
    return value if isinstance(value, str) else None


def vault_relative_parts(path: str, what: str) -> list[str]:
    """The parts of a vault-relative path; VaultError if it would leave the vault."""
    normalised = normalise_vault_path(path)
    parts = normalised.split("/") if normalised else []
    if ".." in parts:
        raise VaultError(f"{what} {path!r} would leave the vault ('..' is not allowed)")
    return parts


def note_name(settings: NoteSettings, period_start: date, rule: WeekRule | None = None) -> str:
    """The period's note name: its start formatted with the note format (may hold "/")."""
    return format_moment(period_start, settings.format, rule or week_rule_for_format(settings.format))


def note_path(
    vault: Path, settings: NoteSettings, period_start: date, rule: WeekRule | None = None
) -> Path:
    """`vault/folder/<period start formatted>.md`; a "/" in the format makes subfolders.

    `rule` numbers locale weeks (`gggg`/`ww`); None means the rule the format implies with a
    Sunday start. Raises VaultError if the folder or the formatted name would leave the vault.
    """
    name = note_name(settings, period_start, rule)
    parts = vault_relative_parts(f"{settings.folder}/{name}", f"{settings.kind} note path")
    if not vault_relative_parts(name, "note name"):
        raise VaultError(f"the {settings.kind} note format {settings.format!r} gives an empty name")
    leaf = parts[-1] if parts[-1].endswith(".md") else parts[-1] + ".md"
    path = Path(vault).joinpath(*parts[:-1], leaf)
    if not path.is_relative_to(vault):
        raise VaultError(f"{settings.kind} note path {path} would leave the vault {vault}")
    return path
