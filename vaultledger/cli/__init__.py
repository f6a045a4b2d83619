"""The `vaultledger` command: a thin typer layer over the library; errors become exit codes here only.

`main` answers `--version` and a plain `vaultledger log …` without loading typer or rich (see
`vaultledger.cli.fast`); everything else, help and every mistake included, goes to the typer `app`,
which is built on first use (`from vaultledger.cli import app` works as before).
"""

from __future__ import annotations

import functools
import gc
import sys
from contextlib import contextmanager

from vaultledger.errors import VaultledgerError

TYPE_CHECKING = False  # typing itself is imported by the command once the collector is off (see main)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NoReturn

    import typer

__all__ = ["app", "fail", "main", "user_errors"]

APP_HELP = "Know what your LLM usage costs, right inside your Obsidian vault."


def main() -> None:
    """The console script: the fast path when it can answer, else the typer app."""
    # A fast-path answer makes its objects once and drops them all at exit: the collector's passes over
    # them (an import alone makes thousands) were 3-4 % of a warm report's instructions. Commands that
    # run long (watch, the dashboard, the MCP server) get it back before typer takes over.
    gc.disable()
    from vaultledger.cli.lean import import_datetime_lean, import_pathlib_lean

    import_pathlib_lean()  # before the fast path's modules import pathlib and datetime
    import_datetime_lean()
    from vaultledger.cli.fast import answer_quickly

    code = answer_quickly(sys.argv[1:])
    if code is not None:
        exit_at_once(code)
    gc.enable()
    build_app()()


def exit_at_once(code: int) -> NoReturn:
    """Exit as Python would, minus tearing the interpreter down: freeing a warm report's objects one by
    one took about 10 ms, a tenth of the run. Exit handlers still run (a logger's drops are saved) and
    stdio is flushed; the fast paths leave no other file with data unwritten (they write files whole)."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what Python exits with when it cannot flush stdout
    os._exit(code)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say `vaultledger: message` on stderr; raise the result to exit with `code`."""
    import typer

    typer.echo(f"vaultledger: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """The one place where library errors become a message on stderr and exit code 1."""
    try:
        yield
    except VaultledgerError as error:
        raise fail(str(error)) from None


@functools.cache
def build_app() -> typer.Typer:
    """The typer app with every command; built once, on first use."""
    import typer

    from vaultledger.cli import (
        admin, budget, dashboard, export, imports, init, log, mcp, prices, report, rollup, schedule, statusline, watch,
    )

    app = typer.Typer(name="vaultledger", help=APP_HELP, no_args_is_help=True, add_completion=False,
                      rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})
    app.callback()(admin.main_callback)
    commands = {"log": log.log_command, "rollup": rollup.rollup_command, "watch": watch.watch_command,
                "report": report.report_command, "export": export.export_command, "prices": prices.prices_command,
                "doctor": admin.doctor_command, "budget": budget.budget_command, "archive": admin.archive_command,
                "merge": admin.merge_command, "mcp": mcp.mcp_command,
                "dashboard": dashboard.dashboard_command, "statusline": statusline.statusline_command,
                "init": init.init_command}
    for name, command in commands.items():
        app.command(name)(command)
    app.add_typer(schedule.schedule_app, name="schedule")
    app.add_typer(imports.import_app, name="import")
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
