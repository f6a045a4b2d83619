"""Format dates with moment.js format strings exactly as moment 2.30.1 does, in its own locales.

Obsidian names periodic notes with moment, so a note's path is only found again if every token,
bracketed literal and escape prints byte for byte the same. The tokenizer below is moment's own
regular expression; characters that are not tokens print as themselves, as in moment. Names,
ordinals, long-date formats and the meridiem come from the locale (`notes/locales.py`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

import msgspec

from vaultledger.notes.locales import DEFAULT_LOCALE, LOCALES, MomentLocale
from vaultledger.periods import WeekRule, moment_weekday

# moment's `formattingTokens`, verbatim. JavaScript's `.` skips line terminators, so the final
# alternative does too (moment drops such characters from formats, and so do we).
_FORMAT_TOKEN = re.compile(
    r"(\[[^\[]*\])|(\\)?([Hh]mm(ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?"
    r"|N{1,5}|YYYYYY|YYYYY|YYYY|YY|y{2,4}|yo?|gg(ggg?)?|GG(GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?"
    r"|S{1,9}|x|X|zz?|ZZ?|[^\n\r\u2028\u2029])"
)
# moment's `localFormattingTokens`: long-date shorthands expanded before formatting.
_LONG_DATE_TOKEN = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")

# What moment's format() prints when given no format at all.
_DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"


class _Call(msgspec.Struct, frozen=True):
    """What every token of one format() call sees: the week rule, the locale and the whole format
    (moment hands each token the expanded format; Russian months decline by it)."""

    rule: WeekRule
    locale: MomentLocale
    fmt: str


TokenFormatter = Callable[[datetime, _Call], str]


def format_moment(
    value: date | datetime, fmt: str, rule: WeekRule | None = None, locale: MomentLocale | None = None
) -> str:
    """`value` formatted like moment(value).locale(locale).format(fmt); default locale `en`.

    Locale week tokens (`gggg gg w ww wo e`) follow `rule` (default: the locale's own dow and doy);
    ISO tokens (`GGGG GG W WW Wo E`) never depend on it, token by token as in moment. A `date`
    formats as its midnight; an aware `datetime` keeps its own wall clock and offset. An empty
    format means moment's default.
    """
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    chosen = locale or LOCALES[DEFAULT_LOCALE]
    expanded, parts = _compiled(fmt or _DEFAULT_FORMAT, chosen)
    call = _Call(rule if rule is not None else WeekRule(chosen.dow, chosen.doy), chosen, expanded)
    return "".join(part if isinstance(part, str) else part(moment, call) for part in parts)


@functools.lru_cache(maxsize=512)
def _compiled(fmt: str, locale: MomentLocale) -> tuple[str, tuple[str | TokenFormatter, ...]]:
    """The expanded format and its literal text and token formatters (moment's makeFormatFunction)."""
    expanded = _expand_long_dates(fmt, locale)
    parts = tuple(
        _TOKENS.get(match[0]) or _literal_text(match[0]) for match in _FORMAT_TOKEN.finditer(expanded)
    )
    return expanded, parts


def _expand_long_dates(fmt: str, locale: MomentLocale) -> str:
    # moment expands at most six levels of nested long-date shorthands.
    for _ in range(6):
        expanded = _LONG_DATE_TOKEN.sub(lambda m: locale.long_date(m[0]) or m[0], fmt)
        if expanded == fmt:
            break
        fmt = expanded
    return fmt


def _literal_text(piece: str) -> str:
    """What a non-token piece prints (moment's removeFormattingTokens)."""
    if re.search(r"\[[\s\S]", piece):
        return re.sub(r"^\[|\]\Z", "", piece)
    return piece.replace("\\", "")


def zero_fill(number: int, width: int, force_sign: bool = False) -> str:
    """moment's zeroFill: pad to `width` digits, never truncate."""
    sign = "-" if number < 0 else ("+" if force_sign else "")
    return sign + str(abs(number)).rjust(width, "0")


def _locale_week(moment: datetime, call: _Call) -> tuple[int, int]:
    return call.rule.week_year_and_number(moment.date())


def _iso_week(moment: datetime) -> tuple[int, int]:
    year, week, _ = moment.isocalendar()
    return year, week


def _hour12(moment: datetime) -> int:
    return moment.hour % 12 or 12


def _utc_offset_minutes(moment: datetime) -> int:
    # A date or naive datetime is local time, as in a browser; an aware one has its own offset.
    offset = (moment if moment.tzinfo else moment.astimezone()).utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


def _offset_text(moment: datetime, separator: str) -> str:
    minutes = _utc_offset_minutes(moment)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{separator}{rest:02d}"


def _unix_milliseconds(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.astimezone()
    return (aware - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def _year_text(moment: datetime, call: _Call) -> str:
    # moment's single `Y`: the year, with a sign only beyond 9999.
    return zero_fill(moment.year, 4) if moment.year <= 9999 else f"+{moment.year}"


def _era_year(moment: datetime, call: _Call) -> int:
    era = call.locale.era_of(moment.date())
    return moment.year if era is None else moment.year - era.since.year + era.offset


def _era_text(attribute: str) -> TokenFormatter:
    def era_text(moment: datetime, call: _Call) -> str:
        era = call.locale.era_of(moment.date())
        return "" if era is None else str(getattr(era, attribute))

    return era_text


def _fraction(digits: int) -> TokenFormatter:
    """`S`…`SSSSSSSSS`: moment knows milliseconds only, scaled to `digits` digits."""

    def fraction(moment: datetime, call: _Call) -> str:
        milliseconds = moment.microsecond // 1000
        return zero_fill(milliseconds * 10**digits // 1000, digits)

    return fraction


Number = Callable[[datetime, _Call], int]

# The numeric building blocks, named the way moment's getters are (and its ordinals' periods).
_NUMBERS: dict[str, Number] = {
    "M": lambda m, c: m.month,
    "Q": lambda m, c: (m.month - 1) // 3 + 1,
    "D": lambda m, c: m.day,
    "DDD": lambda m, c: m.timetuple().tm_yday,
    "d": lambda m, c: moment_weekday(m.date()),
    "e": lambda m, c: (moment_weekday(m.date()) - c.rule.dow) % 7,
    "E": lambda m, c: m.isoweekday(),
    "w": lambda m, c: _locale_week(m, c)[1],
    "W": lambda m, c: _iso_week(m)[1],
    "g": lambda m, c: _locale_week(m, c)[0],
    "G": lambda m, c: _iso_week(m)[0],
    "Y": lambda m, c: m.year,
    "y": _era_year,
    "H": lambda m, c: m.hour,
    "h": lambda m, c: _hour12(m),
    "k": lambda m, c: m.hour or 24,
    "m": lambda m, c: m.minute,
    "s": lambda m, c: m.second,
}


def _padded(number: str, width: int, modulo: int | None = None, sign: bool = False) -> TokenFormatter:
    getter = _NUMBERS[number]
    if modulo is None:
        return lambda m, c: zero_fill(getter(m, c), width, sign)
    return lambda m, c: zero_fill(getter(m, c) % modulo, width, sign)


def _ordinal_of(number: str) -> TokenFormatter:
    getter = _NUMBERS[number]
    return lambda m, c: c.locale.ordinal(getter(m, c), number)


def _meridiem(lower: bool) -> TokenFormatter:
    return lambda m, c: c.locale.meridiem(m.hour, m.minute, lower)


_TOKENS: dict[str, TokenFormatter] = {
    **{token: _padded(token, 1) for token in ("M", "Q", "D", "DDD", "d", "e", "E", "w", "W")},
    **{token: _padded(token, 1) for token in ("H", "h", "k", "m", "s")},
    **{f"{token}o": _ordinal_of(token) for token in ("M", "Q", "D", "DDD", "d", "w", "W", "y")},
    "MM": _padded("M", 2),
    "MMM": lambda m, c: c.locale.months_short(m.month - 1, c.fmt),
    "MMMM": lambda m, c: c.locale.months(m.month - 1, c.fmt),
    "DD": _padded("D", 2),
    "DDDD": _padded("DDD", 3),
    "dd": lambda m, c: c.locale.weekdays_min(moment_weekday(m.date()), c.fmt),
    "ddd": lambda m, c: c.locale.weekdays_short(moment_weekday(m.date()), c.fmt),
    "dddd": lambda m, c: c.locale.weekdays(moment_weekday(m.date()), c.fmt),
    "ww": _padded("w", 2),
    "WW": _padded("W", 2),
    "gg": _padded("g", 2, modulo=100),
    "gggg": _padded("g", 4),
    "ggggg": _padded("g", 5),
    "GG": _padded("G", 2, modulo=100),
    "GGGG": _padded("G", 4),
    "GGGGG": _padded("G", 5),
    "Y": _year_text,
    "YY": _padded("Y", 2, modulo=100),
    "YYYY": _padded("Y", 4),
    "YYYYY": _padded("Y", 5),
    "YYYYYY": _padded("Y", 6, sign=True),
    # Era tokens: the era of the locale's calendar holding the day (Anno Domini but in Japanese).
    "y": _padded("y", 1),
    "yy": _padded("y", 2),
    "yyy": _padded("y", 3),
    "yyyy": _padded("y", 4),
    **{"N" * count: _era_text("abbr") for count in (1, 2, 3)},
    "NNNN": _era_text("name"),
    "NNNNN": _era_text("narrow"),
    "HH": _padded("H", 2),
    "hh": _padded("h", 2),
    "kk": _padded("k", 2),
    "mm": _padded("m", 2),
    "ss": _padded("s", 2),
    "hmm": lambda m, c: f"{_hour12(m)}{m.minute:02d}",
    "hmmss": lambda m, c: f"{_hour12(m)}{m.minute:02d}{m.second:02d}",
    "Hmm": lambda m, c: f"{m.hour}{m.minute:02d}",
    "Hmmss": lambda m, c: f"{m.hour}{m.minute:02d}{m.second:02d}",
    "a": _meridiem(lower=True),
    "A": _meridiem(lower=False),
    **{"S" * digits: _fraction(digits) for digits in range(1, 10)},
    "x": lambda m, c: str(_unix_milliseconds(m)),
    "X": lambda m, c: str(_unix_milliseconds(m) // 1000),
    # moment prints a zone abbreviation only in UTC mode, which Obsidian never uses.
    "z": lambda m, c: "",
    "zz": lambda m, c: "",
    "Z": lambda m, c: _offset_text(m, ":"),
    "ZZ": lambda m, c: _offset_text(m, ""),
}
