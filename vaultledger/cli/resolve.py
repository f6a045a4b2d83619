"""What the shared options name: settings, the period, the week rule, and a ledger to read with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vaultledger.cli import fail
from vaultledger.cli.period_flags import PeriodFlags

if TYPE_CHECKING:
    from vaultledger.ledger import Ledger
    from vaultledger.periods import Period, WeekRule
    from vaultledger.settings import Settings


def settings_from(
    config: Path | None, vault: Path | None = None, logs: Path | None = None, tz: str | None = None,
    *, check: bool = True,
) -> Settings:
    """Settings resolved flag > environment > config file > vault > default, and validated the one
    way `doctor` validates them (`check=False` is for doctor itself, which lists every problem)."""
    from vaultledger.ops.validate import require_valid
    from vaultledger.settings import resolve_settings

    settings = resolve_settings(config=config, vault=vault, logs=logs, tz=tz)
    return require_valid(settings) if check else settings


def warn_if_no_logs(settings: Settings) -> None:
    """A report over a logs folder that is not there says so on stderr (its numbers are all 0)."""
    from vaultledger.ops.validate import logs_folder_problem

    problem = logs_folder_problem(settings)
    if problem:
        print(f"vaultledger: warning: {problem}", file=sys.stderr)


def chosen_period(flags: PeriodFlags, settings: Settings) -> Period | None:
    """The period the flags name (None if none); contradictory flags are a usage error (exit 2)."""
    from vaultledger.cli.period_flags import UsageMistake, choose_period
    from vaultledger.periods import today

    try:
        return choose_period(flags, today(settings.timezone.value), rule_for_flags(flags, settings))
    except UsageMistake as mistake:
        raise fail(str(mistake), code=2) from None


def rule_for_flags(flags: PeriodFlags, settings: Settings) -> WeekRule:
    """The week rule where the flags name weeks; else any rule will do, and reading the vault's
    settings for it would only cost start-up."""
    from vaultledger.cli.period_flags import names_weeks
    from vaultledger.periods import WeekRule

    return week_rule_for(settings) if names_weeks(flags) else WeekRule.iso()


def period_or_today(flags: PeriodFlags, settings: Settings) -> Period:
    """The period the flags name, else today."""
    from vaultledger.periods import day_of, today

    return chosen_period(flags, settings) or day_of(today(settings.timezone.value))


def week_rule_for(settings: Settings) -> WeekRule:
    """Weeks as the vault's notes count them, else as the config says (notes/weeks.py)."""
    from vaultledger.notes.weeks import week_rule_for as rule

    return rule(settings)


def ledger_for(settings: Settings) -> Ledger:
    """A Ledger whose long reads show a progress bar on a terminal, and whose day prices are kept in
    the cache folder (a warm report then never loads genai-prices)."""
    from vaultledger.ledger import Ledger

    ledger = Ledger.from_settings(settings)
    if settings.cache_dir.value:
        ledger.book.remember_in(settings.cache_dir.value)
    if sys.stderr.isatty():
        from vaultledger.progress import terminal_progress

        ledger.progress = terminal_progress
    return ledger
