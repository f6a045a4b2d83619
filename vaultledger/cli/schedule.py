"""`vaultledger schedule install|remove|status`: the nightly rollup in the platform's scheduler."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt
from vaultledger.cli.resolve import settings_from

schedule_app = typer.Typer(help="Install, remove or show the nightly `vaultledger rollup`.", no_args_is_help=True)


@schedule_app.command("install")
def schedule_install(
    at: Annotated[str, typer.Option("--at", help="Time of day to run, HH:MM.")] = "23:55",
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Install the nightly rollup with the platform's scheduler.

    Example: vaultledger schedule install --at 23:55 --vault ~/Obsidian/Main
    """
    from vaultledger import schedule

    with user_errors():
        installed = schedule.install(settings_from(config, vault, logs, tz), at)
    typer.echo(installed)


@schedule_app.command("remove")
def schedule_remove() -> None:
    """Remove the nightly rollup from the platform's scheduler.

    Example: vaultledger schedule remove
    """
    from vaultledger import schedule

    with user_errors():
        typer.echo(schedule.remove())


@schedule_app.command("status")
def schedule_status() -> None:
    """Show whether the nightly rollup is installed, and what it runs.

    Example: vaultledger schedule status
    """
    from vaultledger import schedule

    with user_errors():
        typer.echo(schedule.status())
