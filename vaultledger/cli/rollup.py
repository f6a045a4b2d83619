"""`vaultledger rollup`: write usage sections into the vault's notes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, ForceOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.resolve import chosen_period, ledger_for, settings_from
from vaultledger.cli.period_flags import PeriodFlags

if TYPE_CHECKING:
    from vaultledger.capture.importers.sources import SourceImport
    from vaultledger.notes.rollup import Rollup, RollupResult
    from vaultledger.periods import Period


@period_options(last=False)
def rollup_command(
    period: PeriodFlags,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    no_create: Annotated[bool, typer.Option("--no-create", help="Never create missing notes.")] = False,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Rewrite notes whatever the nightly state says: with a period, the notes of its days "
        "and of the weeks, months and quarters holding them; without, every existing note near any log.")] = False,
    force: ForceOpt = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any log line was invalid.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print problems.")] = False,
) -> None:
    """Write usage sections into the vault's notes.

    With no period: the nightly run. It first imports what the config's [import] sources gained
    (Claude Code, Codex, llm ...; a source that fails is a warning), then writes the days whose
    logs changed since the last run, today and yesterday, and their weeks, months and quarters
    (every note again when prices, budgets, time zone, note settings, templates or vaultledger
    changed). With a period: exactly that, and nothing is imported.

    Example: vaultledger rollup --day 2026-03-14 --vault ~/Obsidian/Main

    Example: vaultledger rollup --rebuild --quarter 2026Q1
    """
    from vaultledger.notes.rollup import Rollup, open_vault

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        chosen = chosen_period(period, settings)
        rollup = Rollup(settings, open_vault(settings, force=force), ledger_for(settings),
                        create=not no_create, dry_run=dry_run)
        imports, result = _roll(rollup, chosen, rebuild)
    _print_imports(imports, dry_run, quiet)
    _print_rollup(result, dry_run, quiet)
    invalid = rollup.ledger.stats.invalid_lines
    if invalid:
        typer.echo(f"vaultledger: warning: {invalid:,} invalid log lines skipped "
                   "(run `vaultledger doctor` to list them)", err=True)
    if result.errors or (strict and invalid):
        raise typer.Exit(1)


def _roll(rollup: Rollup, chosen: Period | None, rebuild: bool) -> tuple[list[SourceImport], RollupResult]:
    from vaultledger.notes import nightly

    if chosen is None:
        run = nightly.run_nightly(rollup, rebuild=rebuild)
        run.result.warnings.extend(nightly.budget_alerts(rollup.settings, rollup.week_rule))
        return run.imports, run.result
    return [], rollup.run(nightly.rebuild_periods(chosen, rollup) if rebuild else nightly.periods_to_roll(chosen, rollup))


def _print_imports(imports: list[SourceImport], dry_run: bool, quiet: bool) -> None:
    """A line per source imported first (a dry run says what it would import); failures are warnings."""
    for item in imports:
        if item.error is not None:
            typer.echo(f"vaultledger: warning: {item.describe()}", err=True)
        elif not quiet:
            typer.echo(item.describe(dry_run=dry_run))


def _print_rollup(result: RollupResult, dry_run: bool, quiet: bool) -> None:
    for warning in dict.fromkeys(result.warnings):
        typer.echo(f"vaultledger: warning: {warning}", err=True)
    for error in result.errors:
        typer.echo(f"vaultledger: {error}", err=True)
    if quiet:
        return
    for update in result.updates:
        if not update.changed:
            typer.echo(f"{'read-only' if update.read_only else 'unchanged':<11} {update.path}")
            continue
        typer.echo(f"{_verb(update.created, dry_run):<11} {update.path}")
        if dry_run:
            _print_diff(update.before or "", update.after, str(update.path))
    for hint in result.hints:
        typer.echo(f"note: {hint}")
    typer.echo(_summary(result, dry_run))


def _verb(created: bool, dry_run: bool) -> str:
    verb = "created" if created else "updated"
    return f"would {verb[:-1]}" if dry_run else verb


def _summary(result: RollupResult, dry_run: bool) -> str:
    """`created 3, updated 40, unchanged 2`: one line to read after a long list."""
    changed = result.changed
    counts = {
        _verb(True, dry_run): sum(update.created for update in changed),
        _verb(False, dry_run): sum(not update.created for update in changed),
        "unchanged": sum(not update.changed and not update.read_only for update in result.updates),
        "read-only": sum(update.read_only for update in result.updates),
        "failed": len(result.errors),
    }
    shown = [f"{verb} {count:,}" for verb, count in counts.items() if count]
    return ", ".join(shown) if shown else "no notes to write"


def _print_diff(before: str, after: str, name: str) -> None:
    import difflib

    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), name, name, n=1)
    for line in lines:
        # A last line without a newline is shown as diff(1) shows it, so the next line is not glued on.
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
