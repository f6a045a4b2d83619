"""Format dates with moment.js format strings exactly as moment 2.30.1 does in English.

Obsidian names periodic notes with moment, so a note's path is only found again if every token,
bracketed literal and escape prints byte for byte the same. The tokenizer below is moment's own
regular expression; characters that are not tokens print as themselves, as in moment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

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
_LONG_DATE_FORMATS = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
    "l": "M/D/YYYY",
    "ll": "MMM D, YYYY",
    "lll": "MMM D, YYYY h:mm A",
    "llll": "ddd, MMM D, YYYY h:mm A",
}

# What moment's format() prints when given no format at all.
_DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
WEEKDAY_MIN_NAMES = ("Su", "Mo", "Tu", "We", "Th", "Fr", "Sa")

TokenFormatter = Callable[[datetime, WeekRule], str]


def format_moment(value: date | datetime, fmt: str, rule: WeekRule | None = None) -> str:
    """`value` formatted like moment(value).format(fmt) in English.

    Locale week tokens (`gggg gg w ww wo e`) follow `rule` (default: en, Sunday start, doy 6); ISO
    tokens (`GGGG GG W WW Wo E`) never depend on it. A `date` formats as its midnight; an aware
    `datetime` keeps its own wall clock and offset. An empty format means moment's default.
    """
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    fmt = fmt or _DEFAULT_FORMAT
    week_rule = rule if rule is not None else WeekRule.locale()
    return "".join(
        part if isinstance(part, str) else part(moment, week_rule) for part in _compiled(fmt)
    )


@functools.lru_cache(maxsize=256)
def _compiled(fmt: str) -> tuple[str | TokenFormatter, ...]:
    """The format split into literal text and token formatters (moment's makeFormatFunction)."""
    return tuple(
        _TOKENS.get(match[0]) or _literal_text(match[0])
        for match in _FORMAT_TOKEN.finditer(_expand_long_dates(fmt))
    )


def _expand_long_dates(fmt: str) -> str:
    # moment expands at most six levels of nested long-date shorthands.
    for _ in range(6):
        expanded = _LONG_DATE_TOKEN.sub(lambda m: _LONG_DATE_FORMATS.get(m[0], m[0]), fmt)
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


def ordinal(number: int) -> str:
    """English ordinal as moment writes it: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if (number % 100) // 10 == 1:
        return f"{number}th"
    return str(number) + _ORDINAL_SUFFIXES.get(number % 10, "th")


_ORDINAL_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


def _locale_week(moment: datetime, rule: WeekRule) -> tuple[int, int]:
    return rule.week_year_and_number(moment.date())


def _iso_week(moment: datetime, rule: WeekRule) -> tuple[int, int]:
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


def _year_text(moment: datetime, rule: WeekRule) -> str:
    # moment's single `Y`: the year, with a sign only beyond 9999.
    return zero_fill(moment.year, 4) if moment.year <= 9999 else f"+{moment.year}"


def _fraction(digits: int) -> TokenFormatter:
    """`S`…`SSSSSSSSS`: moment knows milliseconds only, scaled to `digits` digits."""

    def fraction(moment: datetime, rule: WeekRule) -> str:
        milliseconds = moment.microsecond // 1000
        return zero_fill(milliseconds * 10**digits // 1000, digits)

    return fraction


Number = Callable[[datetime, WeekRule], int]

# The numeric building blocks, named the way moment's getters are.
_NUMBERS: dict[str, Number] = {
    "M": lambda m, r: m.month,
    "Q": lambda m, r: (m.month - 1) // 3 + 1,
    "D": lambda m, r: m.day,
    "DDD": lambda m, r: m.timetuple().tm_yday,
    "d": lambda m, r: moment_weekday(m.date()),
    "e": lambda m, r: (moment_weekday(m.date()) - r.dow) % 7,
    "E": lambda m, r: m.isoweekday(),
    "w": lambda m, r: _locale_week(m, r)[1],
    "W": lambda m, r: _iso_week(m, r)[1],
    "g": lambda m, r: _locale_week(m, r)[0],
    "G": lambda m, r: _iso_week(m, r)[0],
    "Y": lambda m, r: m.year,
    "H": lambda m, r: m.hour,
    "h": lambda m, r: _hour12(m),
    "k": lambda m, r: m.hour or 24,
    "m": lambda m, r: m.minute,
    "s": lambda m, r: m.second,
}


def _padded(number: str, width: int, modulo: int | None = None, sign: bool = False) -> TokenFormatter:
    getter = _NUMBERS[number]
    if modulo is None:
        return lambda m, r: zero_fill(getter(m, r), width, sign)
    return lambda m, r: zero_fill(getter(m, r) % modulo, width, sign)


def _ordinal_of(number: str) -> TokenFormatter:
    getter = _NUMBERS[number]
    return lambda m, r: ordinal(getter(m, r))


def _named(names: tuple[str, ...], number: str, offset: int = 0) -> TokenFormatter:
    getter = _NUMBERS[number]
    return lambda m, r: names[getter(m, r) - offset]


_TOKENS: dict[str, TokenFormatter] = {
    **{token: _padded(token, 1) for token in ("M", "Q", "D", "DDD", "d", "e", "E", "w", "W")},
    **{token: _padded(token, 1) for token in ("H", "h", "k", "m", "s")},
    **{f"{token}o": _ordinal_of(token) for token in ("M", "Q", "D", "DDD", "d", "w", "W")},
    "MM": _padded("M", 2),
    "MMM": lambda m, r: MONTH_NAMES[m.month - 1][:3],
    "MMMM": _named(MONTH_NAMES, "M", offset=1),
    "DD": _padded("D", 2),
    "DDDD": _padded("DDD", 3),
    "dd": _named(WEEKDAY_MIN_NAMES, "d"),
    "ddd": lambda m, r: WEEKDAY_NAMES[moment_weekday(m.date())][:3],
    "dddd": _named(WEEKDAY_NAMES, "d"),
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
    # Era tokens: every Python date is Anno Domini, where moment's era year is the year.
    "y": _padded("Y", 1),
    "yo": _ordinal_of("Y"),
    "yy": _padded("Y", 2),
    "yyy": _padded("Y", 3),
    "yyyy": _padded("Y", 4),
    **{"N" * count: (lambda m, r: "AD") for count in (1, 2, 3, 5)},
    "NNNN": lambda m, r: "Anno Domini",
    "HH": _padded("H", 2),
    "hh": _padded("h", 2),
    "kk": _padded("k", 2),
    "mm": _padded("m", 2),
    "ss": _padded("s", 2),
    "hmm": lambda m, r: f"{_hour12(m)}{m.minute:02d}",
    "hmmss": lambda m, r: f"{_hour12(m)}{m.minute:02d}{m.second:02d}",
    "Hmm": lambda m, r: f"{m.hour}{m.minute:02d}",
    "Hmmss": lambda m, r: f"{m.hour}{m.minute:02d}{m.second:02d}",
    "a": lambda m, r: "pm" if m.hour > 11 else "am",
    "A": lambda m, r: "PM" if m.hour > 11 else "AM",
    **{"S" * digits: _fraction(digits) for digits in range(1, 10)},
    "x": lambda m, r: str(_unix_milliseconds(m)),
    "X": lambda m, r: str(_unix_milliseconds(m) // 1000),
    # moment prints a zone abbreviation only in UTC mode, which Obsidian never uses.
    "z": lambda m, r: "",
    "zz": lambda m, r: "",
    "Z": lambda m, r: _offset_text(m, ":"),
    "ZZ": lambda m, r: _offset_text(m, ""),
}
