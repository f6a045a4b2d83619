"""`vaultledger import claude-code|codex|llm [PATH]`: usage that other tools already log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt
from vaultledger.cli.resolve import settings_from

import_app = typer.Typer(help="Bring in usage that other tools already log.", no_args_is_help=True)

PathArg = Annotated[Optional[Path], typer.Argument(help="Where the tool keeps its logs (default: its usual place).")]


def _import(kind: str, path: Path | None, logs: Path | None, tz: str | None, config: Path | None) -> None:
    from vaultledger.capture import importers
    from vaultledger.capture.logger import UsageLog

    with user_errors():
        settings = settings_from(config, logs=logs, tz=tz)
        usage_log = UsageLog.from_settings(settings)
        try:
            summary = importers.run_import(kind, path, usage_log, settings.cache_dir.value, progress=sys.stderr.isatty())
        finally:
            usage_log.close()
    typer.echo(str(summary))


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


@import_app.command("otlp")
def import_otlp(
    path: Annotated[Path, typer.Argument(help="The OTLP JSON file (or folder of files) the Collector's file exporter writes.")],
    logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Import GenAI spans from OTLP JSON, one ExportTraceServiceRequest per line.

    Example: vaultledger import otlp /var/lib/otelcol/traces.json
    """
    _import("otlp", path, logs, tz, config)
