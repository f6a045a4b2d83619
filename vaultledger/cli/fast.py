"""Answers to the commands users run most, without loading typer, rich or pydantic (tens of ms each).

`vaultledger --version`, a plain `vaultledger log --flag value …` and `vaultledger report …` are answered
here. Anything this parser does not fully understand (help, an unknown or repeated-looking flag, a value
that is not a plain number, a missing flag, a mistake) returns None, and the typer app answers instead,
with its own messages and exit codes. Tests keep the flag tables below equal to the typer commands'
options, and the answers equal to the typer app's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaultledger.cli.append import LOG_COUNT_FIELDS
from vaultledger.cli.lean import import_msgspec_lean

_COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
           *LOG_COUNT_FIELDS, "duration_ms")
_TEXTS = ("provider", "model", "cost_usd", "project", "use_case", "unit_id", "session", "service_tier", "ts", "tz")
LOG_VALUE_FLAGS: dict[str, tuple[str, type]] = {
    **{"--" + name.replace("_", "-"): (name, int) for name in _COUNTS},
    **{"--" + name.replace("_", "-"): (name, str) for name in _TEXTS},
    "--app": ("app", str), "--id": ("id", str), "--tag": ("tags", list),
    "--logs": ("logs", Path), "--config": ("config", Path),
}
"""`log`'s flags that take a value: the flag -> (name here, kind)."""
LOG_SWITCHES: dict[str, str] = {"--void": "void", "--quiet": "quiet", "-q": "quiet"}
_REQUIRED = ("provider", "model", "input_tokens", "output_tokens")
_PERIOD_TEXTS = {"--day": "day", "--week": "week", "--month": "month", "--quarter": "quarter", "--year": "year",
                 "--from": "start", "--to": "end", "--last": "last"}
REPORT_VALUE_FLAGS: dict[str, tuple[str, type]] = {
    **{flag: (name, str) for flag, name in _PERIOD_TEXTS.items()},
    "--by": ("by", str), "--compare": ("compare", str), "--format": ("fmt", str), "--tz": ("tz", str),
    "--vault": ("vault", Path), "--logs": ("logs", Path), "--config": ("config", Path),
}
"""`report`'s flags that take a value: the flag -> (name here, kind)."""
REPORT_SWITCHES: dict[str, str] = {
    "--" + name.replace("_", "-"): name
    for name in ("today", "yesterday", "this_week", "last_week", "this_month", "this_quarter", "this_year")
}


def answer_quickly(argv: list[str]) -> int | None:
    """The exit code after answering `argv`, or None when the typer app must answer it."""
    if argv == ["--version"]:
        from vaultledger import __version__

        sys.stdout.write(f"vaultledger {__version__}\n")
        return 0
    if argv[:1] == ["log"]:
        values = parse_log_flags(argv[1:])
        if values is None:
            return None
        import_msgspec_lean()
        return run_log(values)
    if argv[:1] == ["report"]:
        values = parse_flags(argv[1:], REPORT_VALUE_FLAGS, REPORT_SWITCHES, {})
        return None if values is None else _short_lived(run_report, values)
    if argv[:1] == ["statusline"]:  # runs on every prompt of Claude Code (issue 17)
        import_msgspec_lean()
        from vaultledger.cli.statusline_run import STATUSLINE_VALUE_FLAGS, answer_statusline

        values = parse_flags(argv[1:], STATUSLINE_VALUE_FLAGS, {}, {})
        return None if values is None else _short_lived(answer_statusline, values)
    return None


def _short_lived(answer: Callable[[dict[str, Any]], int | None], values: dict[str, Any]) -> int | None:
    """`answer(values)` in a process that ends right after: it may read cache entries mapped."""
    import_msgspec_lean()
    # pydantic loads here only for genai-prices' price data, and would read every installed package's
    # entry points to find plugins that watch validations (5 ms with 130 packages installed): nothing
    # in this process has a use for them. A value the user set is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from vaultledger.ledger.entries import map_span_entries

    map_span_entries()
    return answer(values)


def parse_log_flags(args: list[str]) -> dict[str, Any] | None:
    """The values of `log`'s flags (last one wins, `--tag` collects), or None when unsure."""
    values = parse_flags(args, LOG_VALUE_FLAGS, LOG_SWITCHES, {"tags": []})
    return values if values is not None and all(name in values for name in _REQUIRED) else None


def parse_flags(
    args: list[str], value_flags: dict[str, tuple[str, type]], switches: dict[str, str], values: dict[str, Any]
) -> dict[str, Any] | None:
    """`values` with the flags' values added (last one wins, list kinds collect), or None when unsure."""
    position = 0
    while position < len(args):
        flag, equals, inline = args[position].partition("=")
        if not equals and flag in switches:
            values[switches[flag]] = True
            position += 1
            continue
        if flag not in value_flags or (not equals and position + 1 == len(args)):
            return None
        text = inline if equals else args[position + 1]
        position += 1 if equals else 2
        name, kind = value_flags[flag]
        value = _plain_value(text, kind)
        if value is None:
            return None
        if kind is list:
            values[name].append(text)
        else:
            values[name] = value
    return values


def _plain_value(text: str, kind: type) -> Any:
    """The value when it cannot mean anything unusual to click, else None."""
    if text.startswith("-"):
        return None
    if kind is int:
        return int(text) if text.isascii() and text.isdigit() else None
    if kind is Path:
        return Path(text) if text else None
    return text


def run_log(values: dict[str, Any]) -> int:
    """Append the record, as the typer `log` command would: same line, message and exit code."""
    from vaultledger.cli.append import append_from_flags, notices
    from vaultledger.errors import VaultledgerError

    options = {name: values.pop(name, None) for name in ("cost_usd", "ts", "logs", "tz", "config")}
    quiet = values.pop("quiet", False)
    values["tags"] = values["tags"] or None
    try:
        appended = append_from_flags(values, **options)
    except VaultledgerError as error:
        sys.stderr.write(f"vaultledger: {error}\n")
        return 1
    if not quiet:
        sys.stdout.write(f"logged to {appended.path}\n")
    for notice in notices(appended, values.get("service_tier")):
        sys.stderr.write(f"vaultledger: {notice}\n")
    return 0


def run_report(values: dict[str, Any]) -> int | None:
    """Print the report as the typer `report` command would, or None (nothing printed) where the
    typer app must answer: a mistake in the flags or the settings, which it reports in its own words."""
    from vaultledger.cli.period_flags import PeriodFlags, UsageMistake, choose_period
    from vaultledger.cli.reporting import FORMATS, ReportRequest, valid_by, write_report
    from vaultledger.cli.resolve import rule_for_flags, settings_from
    from vaultledger.errors import VaultledgerError
    from vaultledger.periods import today

    request = ReportRequest(PeriodFlags(**{name: values.pop(name) for name in list(values)
                                           if name in _PERIOD_TEXTS.values() or name in REPORT_SWITCHES.values()}),
                            values.pop("by", "provider"), values.pop("compare", None), values.pop("fmt", "table"))
    if not valid_by(request.by) or request.fmt not in FORMATS:
        return None
    try:
        settings = settings_from(values.get("config"), values.get("vault"), values.get("logs"), values.get("tz"))
        choose_period(request.period, today(settings.timezone.value), rule_for_flags(request.period, settings))
        write_report(settings, request)
    except (VaultledgerError, UsageMistake):
        return None  # write_report prints only once all is worked out: nothing was printed
    return 0
