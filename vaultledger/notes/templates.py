"""New-note text from the vault's templates.

Template placeholders are filled the way Periodic Notes fills them when it creates a note, so a note
vaultledger creates looks like one Obsidian would have created.
"""

from __future__ import annotations

import calendar
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from vaultledger.notes.locales import MomentLocale
from vaultledger.notes.lookup import VaultFiles
from vaultledger.notes.moment import format_moment
from vaultledger.notes.obsidian import obsidian_file, read_json
from vaultledger.notes.vault import (
    CALENDAR_SOURCE, DEFAULT_TIME_FORMAT, PERIODIC_0017, PERIODIC_1X, MissingTemplateWarning, NoteSettings, note_name,
)
from vaultledger.periods import WEEKDAY_NAMES, WeekRule

# Periodic Notes (both versions) and dni, which Calendar uses, write {{time}} as HH:mm whatever the
# core Templates plugin says; core Daily notes and notes only vaultledger makes follow Templates.
_PLUGINS_WITH_OWN_TIME = frozenset({PERIODIC_0017, PERIODIC_1X, CALENDAR_SOURCE})


def template_file(vault: Path, settings: NoteSettings, files: VaultFiles | None = None) -> Path | None:
    """The template the settings name, found as Obsidian resolves a link, or None if none exists."""
    if not settings.template:
        return None
    return (files or VaultFiles(vault)).resolve_link(settings.template)


def template_text(vault: Path, settings: NoteSettings, files: VaultFiles | None = None) -> str | None:
    """The raw text of the kind's template; None without one. A template that is named but missing
    gives None and a MissingTemplateWarning (warnings.warn)."""
    template = template_file(Path(vault), settings, files)
    if template is None:
        if settings.template:
            warnings.warn(
                f"{settings.kind} note template {settings.template!r} ({settings.source}) was not "
                f"found in {vault}; starting the note empty",
                MissingTemplateWarning,
                stacklevel=2,
            )
        return None
    with template.open(encoding="utf-8", newline="") as handle:  # keep CRLF templates CRLF
        return handle.read()


def uses_templater(text: str) -> bool:
    """Whether a template holds Templater commands (`<% … %>`), which only Templater can run."""
    return "<%" in text


def new_note_text(
    vault: Path,
    settings: NoteSettings,
    period_start: date,
    now: datetime,
    rule: WeekRule | None = None,
    locale: MomentLocale | None = None,
    files: VaultFiles | None = None,
) -> str:
    """The text a new note starts with: its template, placeholders filled, or "" without one.

    `now` (in the user's time zone) supplies the time of day; `rule` is the locale week rule and
    `locale` names months and weekdays.
    """
    text = template_text(vault, settings, files)
    if text is None:
        return ""
    return fill_template(text, settings, period_start, now, rule, time_format(Path(vault), settings), locale)


def time_format(vault: Path, settings: NoteSettings) -> str:
    """`{{time}}`'s format: "HH:mm" where a plugin creates the kind, else the core Templates
    plugin's time format (`.obsidian/templates.json`), else "HH:mm"."""
    settings_file = obsidian_file(vault, "templates.json")
    if settings.owner in _PLUGINS_WITH_OWN_TIME or not settings_file.is_file():
        return DEFAULT_TIME_FORMAT
    chosen = read_json(settings_file, dict).get("timeFormat")
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
    locale: MomentLocale | None = None,
) -> str:
    """Template text with Obsidian's placeholders filled for the note of `period_start`.

    `{{date}}` is the note name (the start in the note's format, as Daily notes and Periodic Notes
    write it), `{{title}}` the same full name (the plugins' `filename`, folders of the format
    included), `{{time}}` now in `time_text_format`; `{{date:F}}`/`{{time:F}}` format the period
    start at now's hour, minute and second, optionally shifted (`{{date+1d:F}}`; as in moment, `q`
    and `D` shift nothing). Daily notes add `{{yesterday}}`/`{{tomorrow}}`, weekly
    notes `{{monday:F}}`…, monthly `{{month:F}}`, quarterly `{{quarter:F}}`. Anything else,
    Templater's `<% %>` included, is left as it is.
    """
    moment = _Moment(rule or (WeekRule(locale.dow, locale.doy) if locale else WeekRule.locale()), locale)
    name = note_name(settings, period_start, moment.rule, locale)
    # The plugins set now's hour, minute and second on the period's date; milliseconds stay 0.
    anchor = datetime.combine(period_start, now.timetz().replace(microsecond=0))
    text = _BARE["date"].sub(_constant(name), text)
    text = _BARE["time"].sub(_constant(moment.format(now, time_text_format)), text)
    text = _BARE["title"].sub(_constant(name), text)
    text = _DATE_TIME.sub(_shifted_formatter(anchor, settings.format, moment), text)
    return _fill_kind_placeholders(text, settings, period_start, anchor, moment)


@dataclass(frozen=True)
class _Moment:
    """The week rule and locale every placeholder of one note is formatted with."""

    rule: WeekRule
    locale: MomentLocale | None

    def format(self, value: date | datetime, fmt: str) -> str:
        return format_moment(value, fmt, self.rule, self.locale)


def _fill_kind_placeholders(
    text: str, settings: NoteSettings, period_start: date, anchor: datetime, moment: _Moment
) -> str:
    if settings.kind == "daily":
        for placeholder, days in (("yesterday", -1), ("tomorrow", 1)):
            neighbour = moment.format(period_start + timedelta(days=days), settings.format)
            text = _BARE[placeholder].sub(_constant(neighbour), text)
    if settings.kind == "weekly":
        text = _WEEKDAY.sub(_weekday_formatter(moment.rule.first_day_of_week(period_start), moment), text)
    if settings.kind in _PERIOD_START:
        text = _PERIOD_START[settings.kind].sub(_shifted_formatter(anchor, settings.format, moment), text)
    return text


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    # A function, not a replacement string, so backslashes in the value are not re escapes.
    return lambda match: value


def _shifted_formatter(anchor: datetime, note_format: str, moment: _Moment) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        shifted = _shift(anchor, int(match[2]), match[3]) if match[2] else anchor
        fmt = match[4][1:].strip() if match[4] else note_format
        return moment.format(shifted, fmt)

    return replace


def _weekday_formatter(week_start: date, moment: _Moment) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        weekday = WEEKDAY_NAMES.index(match[1].lower())
        day = week_start + timedelta(days=(weekday - moment.rule.dow) % 7)
        return moment.format(day, match[2].strip())

    return replace


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """moment's add(amount, unit) for the units Periodic Notes allows (M is months, m minutes).

    moment knows no unit `q` (its quarter is `Q`), and `D` is a date, not a duration: both add nothing.
    """
    if unit in ("q", "D"):
        return moment
    if unit in ("M", "Q") or unit.lower() == "y":
        months = amount * {"y": 12, "Q": 3}.get(unit if unit == "Q" else unit.lower(), 1)
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
