"""The `vaultledger` command: a thin typer layer over the library; errors become exit codes here only."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vaultledger import __version__
from vaultledger.errors import VaultledgerError
from vaultledger.period_flags import PeriodFlags

app = typer.Typer(
    name="vaultledger",
    help="Know what your LLM usage costs, right inside your Obsidian vault.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
schedule_app = typer.Typer(help="Install, remove or show the nightly `vaultledger rollup`.", no_args_is_help=True)
import_app = typer.Typer(help="Bring in usage that other tools already log.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")
app.add_typer(import_app, name="import")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Config file (TOML).", show_default=False)]
VaultOpt = Annotated[Optional[Path], typer.Option("--vault", help="Obsidian vault folder.", show_default=False)]
LogsOpt = Annotated[Optional[Path], typer.Option("--logs", help="Logs folder (YYYY-MM-DD.jsonl files).", show_default=False)]
TzOpt = Annotated[Optional[str], typer.Option("--tz", help="IANA time zone, e.g. Europe/Berlin.", show_default=False)]
DayOpt = Annotated[Optional[str], typer.Option("--day", help="A day: 2026-03-14.", show_default=False)]
WeekOpt = Annotated[Optional[str], typer.Option("--week", help="A week: 2026-W11.", show_default=False)]
MonthOpt = Annotated[Optional[str], typer.Option("--month", help="A month: 2026-03.", show_default=False)]
QuarterOpt = Annotated[Optional[str], typer.Option("--quarter", help="A quarter: 2026Q1.", show_default=False)]
FromOpt = Annotated[Optional[str], typer.Option("--from", help="First day of a range.", show_default=False)]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="Last day of a range (inclusive).", show_default=False)]
TodayOpt = Annotated[bool, typer.Option("--today", help="Shortcut: today.")]
YesterdayOpt = Annotated[bool, typer.Option("--yesterday", help="Shortcut: yesterday.")]
ThisWeekOpt = Annotated[bool, typer.Option("--this-week", help="Shortcut: this week.")]
LastWeekOpt = Annotated[bool, typer.Option("--last-week", help="Shortcut: last week.")]
ThisMonthOpt = Annotated[bool, typer.Option("--this-month", help="Shortcut: this month.")]
ThisQuarterOpt = Annotated[bool, typer.Option("--this-quarter", help="Shortcut: this quarter.")]
LastOpt = Annotated[Optional[str], typer.Option("--last", help="Shortcut: the last N days, weeks or months (7d, 4w, 3m).",
                                                show_default=False)]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"vaultledger: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """The one place where library errors become a message on stderr and exit code 1."""
    try:
        yield
    except VaultledgerError as error:
        raise fail(str(error)) from None


def settings_from(config: Path | None, vault: Path | None = None, logs: Path | None = None, tz: str | None = None):
    from vaultledger.settings import resolve_settings

    return resolve_settings(config=config, vault=vault, logs=logs, tz=tz)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"vaultledger {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Know what your LLM usage costs, right inside your Obsidian vault.

    Example: vaultledger rollup --day 2026-03-14 --vault ~/Obsidian/Main
    """


@app.command("log")
def log_command(
    provider: Annotated[str, typer.Option(help="Provider, e.g. anthropic, openai, gcp.gemini, ollama.")],
    model: Annotated[str, typer.Option(help="Model as the response named it.")],
    input_tokens: Annotated[int, typer.Option(help="All input tokens, cache included.")],
    output_tokens: Annotated[int, typer.Option(help="All output tokens, reasoning included.")],
    cache_read_tokens: Annotated[Optional[int], typer.Option(help="Input tokens read from a cache.")] = None,
    cache_write_tokens: Annotated[Optional[int], typer.Option(help="Input tokens written to a cache.")] = None,
    reasoning_tokens: Annotated[Optional[int], typer.Option(help="Output tokens spent reasoning.")] = None,
    cost_usd: Annotated[Optional[str], typer.Option(help="Cost already known, in USD (overrides prices).")] = None,
    app_name: Annotated[Optional[str], typer.Option("--app", help="The program that made the call.")] = None,
    project: Annotated[Optional[str], typer.Option(help="What the spend is for.")] = None,
    use_case: Annotated[Optional[str], typer.Option(help="Kind of work: poem, dialog, research, code…")] = None,
    unit_id: Annotated[Optional[str], typer.Option(help="The finished output unit this call belongs to.")] = None,
    session: Annotated[Optional[str], typer.Option(help="Conversation or session id.")] = None,
    service_tier: Annotated[Optional[str], typer.Option(help="standard, batch, flex or priority.")] = None,
    duration_ms: Annotated[Optional[int], typer.Option(help="Wall time of the call in ms.")] = None,
    record_id: Annotated[Optional[str], typer.Option("--id", help="Provider response id (dedupes).")] = None,
    tag: Annotated[Optional[list[str]], typer.Option("--tag", help="A free label; repeat for more.")] = None,
    ts: Annotated[Optional[str], typer.Option(help="When the call completed (RFC 3339); default now.")] = None,
    logs: LogsOpt = None,
    tz: TzOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Append one usage record, for shell scripts and other languages.

    Example: vaultledger log --provider openai --model gpt-4o-mini --input-tokens 1200 --output-tokens 300 --app mybot
    """
    from vaultledger.logger import UsageLog
    from vaultledger.record import make_record

    with user_errors():
        settings = settings_from(config, logs=logs, tz=tz)
        record = make_record(
            ts=ts or dt.datetime.now(dt.timezone.utc).astimezone().isoformat(), provider=provider, model=model,
            input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens, reasoning_tokens=reasoning_tokens,
            cost_usd=_decimal_flag(cost_usd, "--cost-usd"), app=app_name, project=project, use_case=use_case,
            unit_id=unit_id, session=session, service_tier=service_tier, duration_ms=duration_ms,
            id=record_id, tags=tag or None,
        )
        usage_log = UsageLog(settings.logs.value, settings.timezone.value)
        try:
            path = usage_log.append(record)
        except OSError as error:
            raise fail(f"{settings.logs.value}: cannot append ({error.strerror or error})") from None
        finally:
            usage_log.close()
    if not quiet:
        typer.echo(f"logged to {path}")


def _decimal_flag(text: str | None, flag: str):
    from decimal import Decimal, InvalidOperation

    from vaultledger.errors import InvalidRecord

    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidRecord(f"{flag}: {text!r} is not a number") from None


def chosen_period(flags, settings):
    """The period the flags name (None if none); contradictory flags are a usage error (exit 2)."""
    from vaultledger.period_flags import UsageMistake, choose_period
    from vaultledger.periods import today

    try:
        return choose_period(flags, today(settings.timezone.value), week_rule_for(settings))
    except UsageMistake as mistake:
        raise fail(str(mistake), code=2) from None


def week_rule_for(settings) -> Any:
    """Weeks follow the weekly note's format when a vault is known, else the config's week start."""
    from vaultledger.notes.vault import is_vault, load_note_settings
    from vaultledger.periods import week_rule_for_format

    weekly_format = "gggg-[W]ww"
    vault = settings.vault.value
    if vault is not None and is_vault(vault):
        weekly_format = load_note_settings(vault, settings.notes)["weekly"].format
    elif "weekly" in settings.notes and settings.notes["weekly"].get("format"):
        weekly_format = settings.notes["weekly"]["format"]
    return week_rule_for_format(weekly_format, settings.week_start.value, settings.week_doy)


@app.command("rollup")
def rollup_command(
    day: DayOpt = None, week: WeekOpt = None, month: MonthOpt = None, quarter: QuarterOpt = None,
    start: FromOpt = None, end: ToOpt = None, today: TodayOpt = False, yesterday: YesterdayOpt = False,
    this_week: ThisWeekOpt = False, last_week: LastWeekOpt = False, this_month: ThisMonthOpt = False,
    this_quarter: ThisQuarterOpt = False,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    no_create: Annotated[bool, typer.Option("--no-create", help="Never create missing notes.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write even into a folder without .obsidian/.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any log line was invalid.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print problems.")] = False,
) -> None:
    """Write usage sections into the vault's notes.

    With no period: the nightly run (days whose logs changed since the last run, today and
    yesterday, and their weeks, months and quarters). With a period: exactly that.

    Example: vaultledger rollup --day 2026-03-14 --vault ~/Obsidian/Main
    """
    from vaultledger import nightly
    from vaultledger.rollup import Rollup, open_vault

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        period = chosen_period(PeriodFlags(day, week, month, quarter, start, end, today, yesterday, this_week,
                                           last_week, this_month, this_quarter), settings)
        rollup = Rollup(settings, open_vault(settings, force=force), ledger_for(settings),
                        create=not no_create, dry_run=dry_run)
        if period is None:
            result = nightly.run_nightly(rollup)
            result.warnings.extend(nightly.budget_alerts(settings, rollup.week_rule))
        else:
            result = rollup.run(nightly.periods_to_roll(period, rollup))
    _print_rollup(result, rollup, dry_run, quiet)
    stats = rollup.ledger.stats
    if stats.invalid_lines:
        typer.echo(f"vaultledger: warning: {stats.invalid_lines:,} invalid log lines skipped "
                   "(run `vaultledger doctor` to list them)", err=True)
    if result.errors or (strict and stats.invalid_lines):
        raise typer.Exit(1)


def _print_rollup(result, rollup, dry_run: bool, quiet: bool) -> None:
    import difflib

    for warning in dict.fromkeys(result.warnings):
        typer.echo(f"vaultledger: warning: {warning}", err=True)
    for error in result.errors:
        typer.echo(f"vaultledger: {error}", err=True)
    if quiet:
        return
    for update in result.updates:
        verb = ("would create" if update.created else "would update") if dry_run else (
            "created" if update.created else "updated")
        if not update.changed:
            typer.echo(f"unchanged   {update.path}")
            continue
        typer.echo(f"{verb:<11} {update.path}")
        if dry_run:
            before = (update.before or "").splitlines(keepends=True)
            after = update.after.splitlines(keepends=True)
            sys.stdout.writelines(difflib.unified_diff(before, after, str(update.path), str(update.path), n=1))


@app.command("watch")
def watch_command(
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No status line per update.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write even into a folder without .obsidian/.")] = False,
) -> None:
    """Keep today's note (and this week's) live as apps log, until Ctrl-C.

    Example: vaultledger watch --vault ~/Obsidian/Main
    """
    from vaultledger.watch import watch_forever

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        watch_forever(settings, quiet=quiet, force=force)


BY_CHOICES = ("provider", "model", "project", "use_case", "app", "tag", "service_tier", "day", "week", "month")


@app.command("report")
def report_command(
    day: DayOpt = None, week: WeekOpt = None, month: MonthOpt = None, quarter: QuarterOpt = None,
    start: FromOpt = None, end: ToOpt = None, today: TodayOpt = False, yesterday: YesterdayOpt = False,
    this_week: ThisWeekOpt = False, last_week: LastWeekOpt = False, this_month: ThisMonthOpt = False,
    this_quarter: ThisQuarterOpt = False, last: LastOpt = None,
    by: Annotated[str, typer.Option("--by", help=", ".join(BY_CHOICES) + ".")]
    = "provider",
    compare: Annotated[Optional[str], typer.Option("--compare", help="Another period side by side, e.g. 2025Q4.",
                                                   show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show usage and cost for a period (default: today).

    Example: vaultledger report --quarter 2026Q1 --by model --compare 2025Q4
    """
    from vaultledger import report
    from vaultledger.periods import day_of, parse_period
    from vaultledger.periods import today as today_in

    if by not in BY_CHOICES:
        raise fail(f"--by {by!r}: choose one of {', '.join(BY_CHOICES)}", code=2)
    if fmt not in ("table", "json", "csv"):
        raise fail(f"--format {fmt!r}: choose table, json or csv", code=2)
    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        flags = PeriodFlags(day, week, month, quarter, start, end, today, yesterday, this_week, last_week,
                            this_month, this_quarter, last)
        period = chosen_period(flags, settings) or day_of(today_in(settings.timezone.value))
        other = parse_period(compare, week_rule_for(settings)) if compare else None
        ledger = ledger_for(settings)
        usage = _usage_by(ledger, period, by, settings)
        other_usage = _usage_by(ledger, other, by, settings) if other else None
    if other is not None:
        _print_comparison(period, usage, other, other_usage, by, fmt)
    elif fmt == "json":
        document = report.report_json(period, usage, ledger.stats, [] if by in report.TIME_UNITS else [by])
        if by in report.TIME_UNITS:
            document[f"by_{by}"] = [{"key": key, **report.sums_json(sums)} for key, sums in usage.by(by)]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        typer.echo(report.report_csv(usage, by), nl=False)
    else:
        _print_report_table(period, usage, ledger.stats, by)


def ledger_for(settings):
    """A Ledger whose long reads show a progress bar on a terminal."""
    from vaultledger.ledger import Ledger

    ledger = Ledger.from_settings(settings)
    if sys.stderr.isatty():
        from vaultledger.progress import terminal_progress

        ledger.progress = terminal_progress
    return ledger


def _usage_by(ledger, period, by: str, settings):
    from vaultledger.report import TIME_UNITS, usage_by_time

    if by in TIME_UNITS:
        return usage_by_time(ledger, period, by, week_rule_for(settings))
    return ledger.usage(period)


def _print_comparison(period, usage, other, other_usage, by: str, fmt: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from vaultledger import report
    from vaultledger.pricing import format_usd

    if fmt == "json":
        typer.echo(json.dumps(report.compare_json(period, usage, other, other_usage, by), indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        typer.echo(report.compare_csv(usage, other_usage, by), nl=False)
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    now, then = usage.totals(), other_usage.totals()
    console.print(f"[bold]{period.key}[/] {format_usd(now.cost)} vs [bold]{other.key}[/] {format_usd(then.cost)}: "
                  f"{report.change_percent(now.cost, then.cost)}")
    table = Table(show_edge=False)
    for column in (by, f"calls {period.key}", f"cost {period.key}", f"calls {other.key}", f"cost {other.key}",
                   "change"):
        table.add_column(column, justify="left" if column == by else "right")
    for key, current, previous, change in report.compare_rows(usage, other_usage, by):
        table.add_row("(none)" if key is None else str(key), f"{current.calls:,}", format_usd(current.cost),
                      f"{previous.calls:,}", format_usd(previous.cost), change)
    console.print(table)


def _print_report_table(period, usage, stats, by: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from vaultledger.pricing import format_usd
    from vaultledger.report import report_table_rows

    # Off a terminal rich assumes 80 columns; reports piped to a file or CI deserve full rows.
    console = Console(width=None if sys.stdout.isatty() else 160)
    total = usage.totals()
    console.print(f"[bold]{period.kind} {period.key}[/] ({period.start} – {period.end}): "
                  f"[bold]{format_usd(total.cost)}[/], {total.calls:,} call{'' if total.calls == 1 else 's'}, "
                  f"{total.input_tokens:,} in / {total.output_tokens:,} out tokens")
    table = Table(show_edge=False)
    for column, justify in ((by, "left"), ("calls", "right"), ("tokens in", "right"),
                            ("tokens out", "right"), ("cost", "right"), ("share", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report_table_rows(usage, by):
        table.add_row(*row)
    if total.calls:
        console.print(table)
    for model, calls in usage.unpriced_models().items():
        console.print(f"[yellow]unpriced:[/] {escape(model)} ({calls:,} calls) — add a \\[\\[prices]] entry")
    if stats.invalid_lines:
        console.print(f"[red]{stats.invalid_lines:,} invalid log lines skipped[/] (vaultledger doctor lists them)")


@app.command("export")
def export_command(
    day: DayOpt = None, week: WeekOpt = None, month: MonthOpt = None, quarter: QuarterOpt = None,
    start: FromOpt = None, end: ToOpt = None, today: TodayOpt = False, yesterday: YesterdayOpt = False,
    this_week: ThisWeekOpt = False, last_week: LastWeekOpt = False, this_month: ThisMonthOpt = False,
    this_quarter: ThisQuarterOpt = False, last: LastOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or json.")] = "csv",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Export records with their computed cost and price source (default: today).

    Example: vaultledger export --quarter 2026Q1 --format csv --output q1.csv
    """
    from vaultledger.export import FORMATS, export_rows, write_export
    from vaultledger.ledger import Ledger
    from vaultledger.periods import day_of
    from vaultledger.periods import today as today_in
    from vaultledger.reader import ReadStats

    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", code=2)
    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        flags = PeriodFlags(day, week, month, quarter, start, end, today, yesterday, this_week, last_week,
                            this_month, this_quarter, last)
        period = chosen_period(flags, settings) or day_of(today_in(settings.timezone.value))
        ledger = Ledger.from_settings(settings)
        stats = ReadStats()
        rows = export_rows(settings.logs.value, period, settings.timezone.value, ledger.book, stats,
                           ledger.joined_files(period.start, period.end))
        if output is None:
            count = write_export(rows, sys.stdout, fmt)
        else:
            count = _export_to_file(output, rows, fmt)
    typer.echo(f"exported {count:,} records ({period.kind} {period.key})", err=True)
    if stats.invalid_lines:
        typer.echo(f"vaultledger: warning: {stats.invalid_lines:,} invalid log lines skipped", err=True)


def _export_to_file(output: Path, rows, fmt: str) -> int:
    """Write beside the target and rename, so a failed export never leaves half a file."""
    import os
    import tempfile

    from vaultledger.export import write_export

    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = write_export(rows, stream, fmt)
        os.replace(temp, output)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


@app.command("prices")
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
    from vaultledger.pricing import format_usd, parse_model_ref

    with user_errors():
        settings = settings_from(config, tz=tz)
        book = Ledger.from_settings(settings).book
        provider, model = parse_model_ref(model_ref)
        when = _moment(at, settings.timezone.value)
        estimate = book.estimate(provider, model, input_tokens, output_tokens, cache_read_tokens,
                                 cache_write_tokens, ts=when, service_tier=service_tier)
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


@app.command("doctor")
def doctor_command(
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show resolved paths and settings with their sources, and every problem (exit 1 if any).

    Example: vaultledger doctor --vault ~/Obsidian/Main
    """
    from vaultledger.doctor import run_checkup

    with user_errors():
        checkup = run_checkup(settings_from(config, vault, logs, tz))
    for line in checkup.lines:
        typer.echo(line)
    for problem in checkup.problems:
        typer.echo(f"problem: {problem}")
    typer.echo(f"{len(checkup.problems)} problem(s) found" if checkup.problems else "no problems found")
    if checkup.problems:
        raise typer.Exit(1)


@app.command("budget")
def budget_command(
    day: DayOpt = None, week: WeekOpt = None, month: MonthOpt = None, quarter: QuarterOpt = None,
    today: TodayOpt = False, yesterday: YesterdayOpt = False, this_week: ThisWeekOpt = False,
    last_week: LastWeekOpt = False, this_month: ThisMonthOpt = False, this_quarter: ThisQuarterOpt = False,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    fail_over: Annotated[bool, typer.Option("--fail-over", help="Exit 3 when any budget is over.")] = False,
) -> None:
    """Show how spending stands against the budgets in the config.

    Example: vaultledger budget --month 2026-03
    """
    from vaultledger.budget_report import budget_table, evaluate_budgets

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        period = chosen_period(PeriodFlags(day, week, month, quarter, None, None, today, yesterday, this_week,
                                           last_week, this_month, this_quarter), settings)
        statuses = evaluate_budgets(settings, period, week_rule_for(settings))
    if not statuses:
        typer.echo("no budgets configured: add a [budgets] table to the config (see README)")
        return
    budget_table(statuses)
    if fail_over and any(status.level == "over" for status in statuses):
        raise typer.Exit(3)


@app.command("archive")
def archive_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age of days to archive: 90d, 12w, 6m.")] = "90d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be archived; change nothing.")] = False,
    logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Gzip whole past days of logs (YYYY-MM-DD.jsonl.gz); every report stays the same.

    Example: vaultledger archive --older-than 90d
    """
    from vaultledger.archive import archive_logs, parse_age
    from vaultledger.periods import today

    with user_errors():
        settings = settings_from(config, logs=logs, tz=tz)
        result = archive_logs(settings.logs.value, parse_age(older_than), today(settings.timezone.value),
                              dry_run=dry_run)
    typer.echo(str(result))


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


def _import(kind: str, path: Path | None, logs: Path | None, tz: str | None, config: Path | None) -> None:
    from vaultledger import importers
    from vaultledger.logger import UsageLog

    with user_errors():
        settings = settings_from(config, logs=logs, tz=tz)
        usage_log = UsageLog(settings.logs.value, settings.timezone.value)
        try:
            summary = importers.run_import(kind, path, usage_log, settings.cache_dir.value, progress=sys.stderr.isatty())
        finally:
            usage_log.close()
    typer.echo(str(summary))


PathArg = Annotated[Optional[Path], typer.Argument(help="Where the tool keeps its logs (default: its usual place).")]


@import_app.command("claude-code")
def import_claude_code(path: PathArg = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None) -> None:
    """Import Claude Code transcripts (~/.claude/projects).

    Example: vaultledger import claude-code
    """
    _import("claude-code", path, logs, tz, config)


@import_app.command("codex")
def import_codex(path: PathArg = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None) -> None:
    """Import Codex CLI sessions (~/.codex/sessions).

    Example: vaultledger import codex
    """
    _import("codex", path, logs, tz, config)


@import_app.command("llm")
def import_llm(path: PathArg = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None) -> None:
    """Import the `llm` tool's logs.db.

    Example: vaultledger import llm
    """
    _import("llm", path, logs, tz, config)


def main() -> None:
    app()
