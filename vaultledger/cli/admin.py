"""The version, and the commands that look after the setup: prices, doctor, archive, merge."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

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


def prices_command(
    model_ref: Annotated[str, typer.Argument(help="provider/model, e.g. anthropic/claude-sonnet-4-5.")],
    input_tokens: Annotated[int, typer.Option(help="Input tokens for an estimate.")] = 0,
    output_tokens: Annotated[int, typer.Option(help="Output tokens for an estimate.")] = 0,
    cache_read_tokens: Annotated[int, typer.Option(help="Cache-read tokens (part of input).")] = 0,
    cache_write_tokens: Annotated[int, typer.Option(help="Cache-write tokens (part of input).")] = 0,
    at: Annotated[Optional[str], typer.Option("--at", help="Price at this day or time (default now).")] = None,
    service_tier: Annotated[Optional[str], typer.Option(help="standard, batch, flex or priority.")] = None,
    tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show the per-million prices used for a model, where they come from, and an estimate.

    Example: vaultledger prices openai/gpt-4o-mini --input-tokens 1000 --output-tokens 500
    """
    from vaultledger.ledger import Ledger
    from vaultledger.ledger.usage import is_known_tier
    from vaultledger.pricing import format_usd, parse_model_ref

    with user_errors():
        settings = settings_from(config, tz=tz)
        book = Ledger.from_settings(settings).book
        provider, model = parse_model_ref(model_ref)
        estimate = book.estimate(provider, model, input_tokens, output_tokens, cache_read_tokens,
                                 cache_write_tokens, ts=_moment(at, settings.timezone.value), service_tier=service_tier)
        price = estimate.price
        if price is None:
            raise fail(f"no price known for {model_ref} ({estimate.source}); add a [[prices]] entry to the config")
    typer.echo(f"{model_ref}  ({price.source})")
    typer.echo(f"  per million tokens: input ${price.input}, output ${price.output}, "
               f"cache read ${price.cache_read}, cache write ${price.cache_write}")
    if price.tiered_from:
        typer.echo(f"  higher rates apply to calls over {price.tiered_from:,} input tokens")
    if input_tokens or output_tokens:
        typer.echo(f"  estimate for {input_tokens:,} in / {output_tokens:,} out: {format_usd(estimate.cost)}")
    if not is_known_tier(service_tier):
        typer.echo(f"  service tier {service_tier!r} is not one SPEC §1 names (standard, batch, flex, priority): "
                   "priced as standard", err=True)


def _moment(text: str | None, tz: str) -> dt.datetime:
    import zoneinfo

    from vaultledger.errors import PeriodError

    if text is None:
        return dt.datetime.now(zoneinfo.ZoneInfo(tz))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"--at {text!r}: expected a day (2026-03-14) or a time (2026-03-14T09:00+01:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))


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
