"""What `vaultledger statusline` prints, worked out and written without typer: it runs on every prompt
of Claude Code, so the fast path (`cli.fast`) answers it, and the typer command calls the same code."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from vaultledger.errors import VaultledgerError

if TYPE_CHECKING:
    from vaultledger.periods import WeekRule
    from vaultledger.settings import Settings

STATUSLINE_VALUE_FLAGS: dict[str, tuple[str, type]] = {
    "--vault": ("vault", Path), "--logs": ("logs", Path), "--tz": ("tz", str), "--config": ("config", Path),
}
"""`statusline`'s flags: the flag -> (name here, kind); the typer command has the same ones."""


def answer_statusline(values: dict[str, Any]) -> int:
    """Read Claude Code's JSON on stdin, print the line; a settings mistake is said on stderr (exit 1)."""
    try:
        write_status_line(stdin_text(), sys.stdout, sys.stderr, **values)
    except VaultledgerError as error:
        sys.stderr.write(f"vaultledger: {error}\n")
        return 1
    return 0


def write_status_line(
    stdin_text: str, out: IO[str], err: IO[str], *, vault: Path | None = None, logs: Path | None = None,
    tz: str | None = None, config: Path | None = None, now: dt.datetime | None = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """One line on `out`; what could not be read from stdin goes to `err` (the line still shows)."""
    from vaultledger.budgets import parse_budgets
    from vaultledger.ledger import Ledger
    from vaultledger.ops.validate import require_valid
    from vaultledger.periods import today
    from vaultledger.reports.statusline import day_status, read_session_cost, status_line
    from vaultledger.settings import resolve_settings

    session = read_session_cost(stdin_text)
    # As cli.resolve's settings_from and ledger_for, without their imports (or a progress bar: the line
    # is read by Claude Code, not a terminal).
    settings = require_valid(resolve_settings(config=config, vault=vault, logs=logs, tz=tz))
    budgets = parse_budgets(settings.budgets, settings.config_label)
    ledger = Ledger.from_settings(settings)
    ledger.book.remember_in(settings.cache_dir.value)
    status = day_status(ledger, budgets, lambda: _week_rule(settings), today(settings.timezone.value, now))
    out.write(status_line(status, session, colour=not environ.get("NO_COLOR")) + "\n")
    if session.problem:
        err.write(f"vaultledger: warning: {session.problem}\n")


def _week_rule(settings: Settings) -> WeekRule:
    from vaultledger.cli.resolve import week_rule_for

    return week_rule_for(settings)


def stdin_text() -> str:
    """Claude Code pipes its JSON; at a terminal (someone trying the command) there is none to wait for."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    raw = getattr(sys.stdin, "buffer", None)
    # Bytes that are not UTF-8 must not stop the line: they only make the JSON unreadable.
    return raw.read().decode("utf-8", "replace") if raw is not None else sys.stdin.read()
