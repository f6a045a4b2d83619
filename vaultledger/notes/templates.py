"""New-note text from the vault's templates.

Template placeholders are filled the way Periodic Notes fills them when it creates a note, so a note
vaultledger creates looks like one Obsidian would have created.
"""

from __future__ import annotations

import calendar
import re
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from vaultledger.notes.moment import format_moment
from vaultledger.notes.vault import (
    DEFAULT_TIME_FORMAT, MissingTemplateWarning, NoteSettings, note_name, obsidian_file, read_json, vault_relative_parts,
)
from vaultledger.periods import WEEKDAY_NAMES, WeekRule, week_rule_for_format

def template_file(vault: Path, settings: NoteSettings) -> Path | None:
    """The template file the settings name (with or without ".md"), or None if none exists."""
    if not settings.template:
        return None
    parts = vault_relative_parts(settings.template, f"{settings.kind} template")
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
    settings_file = obsidian_file(vault, "templates.json")
    if not settings_file.is_file():
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
