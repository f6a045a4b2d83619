"""The version, and the commands that look after the setup: doctor, archive, merge."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt
from vaultledger.cli.resolve import settings_from


def _show_version(value: bool) -> None:
    if value:
        from vaultledger import __version__

        typer.echo(f"vaultledger {__version__}")
        raise typer.Exit()


def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Know what your LLM usage costs, right inside your Obsidian vault.

    Example: vaultledger rollup --day 2026-03-14 --vault ~/Obsidian/Main
    """


def doctor_command(
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show resolved paths and settings with their sources, and every problem (exit 1 if any).

    Example: vaultledger doctor --vault ~/Obsidian/Main
    """
    from vaultledger.ops.doctor import run_checkup

    with user_errors():
        checkup = run_checkup(settings_from(config, vault, logs, tz, check=False))
    for line in checkup.lines:
        typer.echo(line)
    for problem in checkup.problems:
        typer.echo(f"problem: {problem}")
    typer.echo(f"{len(checkup.problems)} problem(s) found" if checkup.problems else "no problems found")
    if checkup.problems:
        raise typer.Exit(1)


def archive_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age of days to archive: 90d, 12w, 6m.")] = "90d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be archived; change nothing.")] = False,
    logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Gzip whole past days of logs (YYYY-MM-DD.jsonl.gz); every report stays the same.

    Example: vaultledger archive --older-than 90d
    """
    from vaultledger.ops.archive import archive_logs, parse_age
    from vaultledger.periods import today

    with user_errors():
        settings = settings_from(config, logs=logs, tz=tz)
        result = archive_logs(settings.logs.value, parse_age(older_than), today(settings.timezone.value),
                              dry_run=dry_run)
    typer.echo(str(result))


def merge_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be merged; change nothing.")] = False,
    logs: LogsOpt = None, config: ConfigOpt = None,
) -> None:
    """Fold sync tools' conflict copies of log files (Syncthing, Dropbox, iCloud) back into the logs.

    Lines a copy holds that the day's files lack are appended to this machine's own file of that day;
    the copy is then renamed NAME.merged. No log line is edited or deleted; running it again is harmless.

    Example: vaultledger merge --dry-run
    """
    from vaultledger.ops.merge import merge_conflict_copies

    with user_errors():
        settings = settings_from(config, logs=logs)
        try:
            result = merge_conflict_copies(settings.logs.value, settings.host.value, dry_run=dry_run)
        except OSError as error:
            raise fail(f"{settings.logs.value}: cannot merge ({error})") from None
    typer.echo(str(result))
    if result.left:
        raise typer.Exit(1)
