"""Options several commands share, declared once: settings options, and the period flags as one group.

A command that names a period takes one `period: PeriodFlags` parameter and is decorated with
`@period_options(...)`; the decorator puts the period flags in its signature for typer (in the spirit
of sqlite-utils' `insert_upsert_options`) and hands the command the PeriodFlags the user typed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from vaultledger.cli.period_flags import PeriodFlags

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Config file (TOML).", show_default=False)]
VaultOpt = Annotated[Optional[Path], typer.Option("--vault", help="Obsidian vault folder.", show_default=False)]
LogsOpt = Annotated[Optional[Path], typer.Option("--logs", help="Logs folder (YYYY-MM-DD.jsonl files).", show_default=False)]
TzOpt = Annotated[Optional[str], typer.Option("--tz", help="IANA time zone, e.g. Europe/Berlin.", show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Write even into a folder without .obsidian/.")]

Command = TypeVar("Command", bound=Callable[..., Any])


def _text(flag: str, help_text: str) -> Any:
    return Annotated[Optional[str], typer.Option(flag, help=help_text, show_default=False)]


def _switch(flag: str, help_text: str) -> Any:
    return Annotated[bool, typer.Option(flag, help=help_text)]


# (PeriodFlags field, annotation, default), in the order the flags appear in --help.
_EXPLICIT = (
    ("day", _text("--day", "A day: 2026-03-14."), None),
    ("week", _text("--week", "A week: 2026-W11."), None),
    ("month", _text("--month", "A month: 2026-03."), None),
    ("quarter", _text("--quarter", "A quarter: 2026Q1."), None),
    ("year", _text("--year", "A year: 2026."), None),
)
_RANGE = (
    ("start", _text("--from", "First day of a range."), None),
    ("end", _text("--to", "Last day of a range (inclusive)."), None),
)
_SHORTCUTS = (
    ("today", _switch("--today", "Shortcut: today."), False),
    ("yesterday", _switch("--yesterday", "Shortcut: yesterday."), False),
    ("this_week", _switch("--this-week", "Shortcut: this week."), False),
    ("last_week", _switch("--last-week", "Shortcut: last week."), False),
    ("this_month", _switch("--this-month", "Shortcut: this month."), False),
    ("this_quarter", _switch("--this-quarter", "Shortcut: this quarter."), False),
    ("this_year", _switch("--this-year", "Shortcut: this year."), False),
)
_LAST = (("last", _text("--last", "Shortcut: the last N days, weeks or months (7d, 4w, 3m)."), None),)


def period_options(*, ranges: bool = True, last: bool = True) -> Callable[[Command], Command]:
    """Give a command the period flags (--day … --year, --today … --this-year, optionally --from/--to and --last);
    the command receives them as `period: PeriodFlags`."""
    group = _EXPLICIT + (_RANGE if ranges else ()) + _SHORTCUTS + (_LAST if last else ())
    return option_group("period", group, lambda values: PeriodFlags(**values))


def option_group(
    name: str, group: tuple[tuple[str, Any, Any], ...], build: Callable[[dict[str, Any]], Any]
) -> Callable[[Command], Command]:
    """Put the group's options (in order) where the command's parameter `name` stands, and call the
    command with `name=build({option: value})`."""
    members = [inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
               for field, annotation, default in group]

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            parameters += members if param.name == name else [param.replace(kind=inspect.Parameter.KEYWORD_ONLY)]

        @functools.wraps(command)
        def with_group(**values: Any) -> Any:
            grouped = {field: values.pop(field) for field, _, _ in group}
            return command(**values, **{name: build(grouped)})

        with_group.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_group.__annotations__ = _annotations(parameters, signature.return_annotation)
        return with_group  # type: ignore[return-value]

    return decorate


def _annotations(parameters: list[inspect.Parameter], returns: Any) -> Mapping[str, Any]:
    return {**{param.name: param.annotation for param in parameters}, "return": returns}
