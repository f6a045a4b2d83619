"""Answers to the commands users run most, without loading typer, rich or pydantic (tens of ms each).

`vaultledger --version` and a plain `vaultledger log --flag value …` are answered here. Anything this
parser does not fully understand (help, an unknown or repeated-looking flag, a value that is not a plain
number, a missing flag) returns None, and the typer app answers instead, with its own messages and
exit codes. A test keeps the flag table below equal to the typer `log` command's options.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vaultledger.cli.append import LOG_COUNT_FIELDS

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


def answer_quickly(argv: list[str]) -> int | None:
    """The exit code after answering `argv`, or None when the typer app must answer it."""
    if argv == ["--version"]:
        from vaultledger import __version__

        sys.stdout.write(f"vaultledger {__version__}\n")
        return 0
    if argv[:1] == ["log"]:
        values = parse_log_flags(argv[1:])
        return None if values is None else run_log(values)
    return None


def parse_log_flags(args: list[str]) -> dict[str, Any] | None:
    """The values of `log`'s flags (last one wins, `--tag` collects), or None when unsure."""
    values: dict[str, Any] = {"tags": []}
    position = 0
    while position < len(args):
        flag, equals, inline = args[position].partition("=")
        if not equals and flag in LOG_SWITCHES:
            values[LOG_SWITCHES[flag]] = True
            position += 1
            continue
        if flag not in LOG_VALUE_FLAGS or (not equals and position + 1 == len(args)):
            return None
        text = inline if equals else args[position + 1]
        position += 1 if equals else 2
        name, kind = LOG_VALUE_FLAGS[flag]
        value = _plain_value(text, kind)
        if value is None:
            return None
        if kind is list:
            values[name].append(text)
        else:
            values[name] = value
    return values if all(name in values for name in _REQUIRED) else None


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
    from vaultledger.cli.append import append_from_flags, cut_notice
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
    notice = cut_notice(appended)
    if notice:
        sys.stderr.write(f"vaultledger: {notice}\n")
    return 0
