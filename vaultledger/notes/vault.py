"""The vault's own settings for periodic notes, the notes' paths, and new-note text from templates.

Settings resolve per kind of note (SPEC §5): vaultledger config, key by key, over the one vault
source that owns that kind (the Periodic Notes plugin, else core Daily notes for daily notes), over
the built-in defaults. Template placeholders are filled the way Periodic Notes fills them when it
creates a note, so a note vaultledger creates looks like one Obsidian would have created.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.moment import format_moment
from vaultledger.periods import WEEKDAY_NAMES, WeekRule, week_rule_for_format

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


def _obsidian_file(vault: Path, *parts: str) -> Path:
    return vault.joinpath(".obsidian", *parts)


def _read_json(path: Path, *expected: type) -> Any:
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
    listing = _obsidian_file(vault, "community-plugins.json")
    return not listing.is_file() or plugin_id in _read_json(listing, list)


def _core_plugin_enabled(vault: Path, plugin_id: str) -> bool:
    # Older Obsidian writes a list of enabled ids, newer an {id: bool} object; absent means unknown.
    listing = _obsidian_file(vault, "core-plugins.json")
    if not listing.is_file():
        return True
    enabled = _read_json(listing, list, dict)
    return plugin_id in enabled if isinstance(enabled, list) else bool(enabled.get(plugin_id, True))


def _periodic_notes_layers(vault: Path) -> dict[str, _Layer]:
    data_file = _obsidian_file(vault, "plugins", "periodic-notes", "data.json")
    if not data_file.is_file() or not _community_plugin_enabled(vault, "periodic-notes"):
        return {}
    data = _read_json(data_file, dict)
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
    settings_file = _obsidian_file(vault, "daily-notes.json")
    if not settings_file.is_file() or not _core_plugin_enabled(vault, "daily-notes"):
        return None
    data = _read_json(settings_file, dict)
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


def _vault_relative_parts(path: str, what: str) -> list[str]:
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
    parts = _vault_relative_parts(f"{settings.folder}/{name}", f"{settings.kind} note path")
    if not _vault_relative_parts(name, "note name"):
        raise VaultError(f"the {settings.kind} note format {settings.format!r} gives an empty name")
    leaf = parts[-1] if parts[-1].endswith(".md") else parts[-1] + ".md"
    path = Path(vault).joinpath(*parts[:-1], leaf)
    if not path.is_relative_to(vault):
        raise VaultError(f"{settings.kind} note path {path} would leave the vault {vault}")
    return path


def template_file(vault: Path, settings: NoteSettings) -> Path | None:
    """The template file the settings name (with or without ".md"), or None if none exists."""
    if not settings.template:
        return None
    parts = _vault_relative_parts(settings.template, f"{settings.kind} template")
    names = [parts[-1]] if parts[-1].endswith(".md") else [parts[-1] + ".md", parts[-1]]
    candidates = (Path(vault).joinpath(*parts[:-1], name) for name in names)
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def new_note_text(
    vault: Path,
    settings: NoteSettings,
    period_start: date,
    now: datetime,
    rule: WeekRule | None = None,
) -> str:
    """The text a new note starts with: its template, placeholders filled, or "" without one.

    A template that is named but missing gives "" and a MissingTemplateWarning (warnings.warn).
    `now` (in the user's time zone) supplies the time of day; `rule` is the locale week rule.
    """
    template = template_file(Path(vault), settings)
    if template is None:
        if settings.template:
            warnings.warn(
                f"{settings.kind} note template {settings.template!r} ({settings.source}) was not "
                f"found in {vault}; starting the note empty",
                MissingTemplateWarning,
                stacklevel=2,
            )
        return ""
    with template.open(encoding="utf-8", newline="") as handle:  # keep CRLF templates CRLF
        text = handle.read()
    return fill_template(text, settings, period_start, now, rule, time_format(Path(vault)))


def time_format(vault: Path) -> str:
    """The core Templates plugin's time format (`.obsidian/templates.json`), else "HH:mm"."""
    settings_file = _obsidian_file(vault, "templates.json")
    if not settings_file.is_file():
        return DEFAULT_TIME_FORMAT
    chosen = _read_json(settings_file, dict).get("timeFormat")
    return chosen if isinstance(chosen, str) and chosen.strip() else DEFAULT_TIME_FORMAT


# Periodic Notes' placeholder grammar: {{date}}, {{date+1d}}, {{date:FORMAT}}, {{time-2h:FORMAT}}, …
_SHIFTED = r"\s*(?:([+-]\d+)([yqmwdhs]))?\s*(:.+?)?}}"
_DATE_TIME = re.compile(r"{{\s*(date|time)" + _SHIFTED, re.IGNORECASE)
_BARE = {name: re.compile(r"{{\s*" + name + r"\s*}}", re.IGNORECASE)
         for name in ("date", "time", "title", "yesterday", "tomorrow")}  # fmt: skip
_PERIOD_START = {kind: re.compile(r"{{\s*(" + name + ")" + _SHIFTED, re.IGNORECASE)
                 for kind, name in (("monthly", "month"), ("quarterly", "quarter"))}  # fmt: skip
_WEEKDAY = re.compile(r"{{\s*(" + "|".join(WEEKDAY_NAMES) + r")\s*:(.*?)}}", re.IGNORECASE)


def fill_template(
    text: str,
    settings: NoteSettings,
    period_start: date,
    now: datetime,
    rule: WeekRule | None = None,
    time_text_format: str = DEFAULT_TIME_FORMAT,
) -> str:
    """Template text with Obsidian's placeholders filled for the note of `period_start`.

    `{{date}}` is the note name (the start in the note's format, as Daily notes and Periodic Notes
    write it), `{{title}}` the note's file name without ".md", `{{time}}` now in
    `time_text_format`; `{{date:F}}`/`{{time:F}}` format the period start at now's time of day,
    optionally shifted (`{{date+1d:F}}`). Daily notes add `{{yesterday}}`/`{{tomorrow}}`, weekly
    notes `{{monday:F}}`…, monthly `{{month:F}}`, quarterly `{{quarter:F}}`. Anything else,
    Templater's `<% %>` included, is left as it is.
    """
    week_rule = rule or week_rule_for_format(settings.format)
    name = note_name(settings, period_start, week_rule)
    anchor = datetime.combine(period_start, now.timetz())
    text = _BARE["date"].sub(_constant(name), text)
    text = _BARE["time"].sub(_constant(format_moment(now, time_text_format, week_rule)), text)
    text = _BARE["title"].sub(_constant(name.rstrip("/").rsplit("/", 1)[-1].removesuffix(".md")), text)
    text = _DATE_TIME.sub(_shifted_formatter(anchor, settings.format, week_rule), text)
    return _fill_kind_placeholders(text, settings, period_start, anchor, week_rule)


def _fill_kind_placeholders(
    text: str, settings: NoteSettings, period_start: date, anchor: datetime, rule: WeekRule
) -> str:
    if settings.kind == "daily":
        for placeholder, days in (("yesterday", -1), ("tomorrow", 1)):
            neighbour = format_moment(period_start + timedelta(days=days), settings.format, rule)
            text = _BARE[placeholder].sub(_constant(neighbour), text)
    if settings.kind == "weekly":
        text = _WEEKDAY.sub(_weekday_formatter(rule.first_day_of_week(period_start), rule), text)
    if settings.kind in _PERIOD_START:
        text = _PERIOD_START[settings.kind].sub(_shifted_formatter(anchor, settings.format, rule), text)
    return text


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    # A function, not a replacement string, so backslashes in the value are not re escapes.
    return lambda match: value


def _shifted_formatter(
    anchor: datetime, note_format: str, rule: WeekRule
) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        moment = _shift(anchor, int(match[2]), match[3]) if match[2] else anchor
        fmt = match[4][1:].strip() if match[4] else note_format
        return format_moment(moment, fmt, rule)

    return replace


def _weekday_formatter(week_start: date, rule: WeekRule) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        weekday = WEEKDAY_NAMES.index(match[1].lower())
        day = week_start + timedelta(days=(weekday - rule.dow) % 7)
        return format_moment(day, match[2].strip(), rule)

    return replace


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """moment's add(amount, unit) for the units Periodic Notes allows (M is months, m minutes)."""
    if unit == "M" or unit.lower() in ("y", "q"):
        months = amount * {"y": 12, "q": 3}.get(unit.lower(), 1)
        return _add_months(moment, months)
    if unit == "m":
        return moment + timedelta(minutes=amount)
    step = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
    return moment + amount * step.get(unit.lower(), timedelta(seconds=1))


def _add_months(moment: datetime, months: int) -> datetime:
    # Like moment, keep the day of month but clamp it to the target month's length.
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
