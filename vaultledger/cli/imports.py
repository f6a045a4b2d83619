"""`vaultledger import NAME [PATH]`: usage that other tools already log, one command per tool (IMPORTS)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt
from vaultledger.cli.resolve import settings_from

import_app = typer.Typer(help="Bring in usage that other tools already log.", no_args_is_help=True)

PathArg = Annotated[Optional[Path], typer.Argument(help="Where the tool keeps its logs (default: its usual place).")]

# name (as in `[import] sources`), what is imported, and from where when no PATH is given
IMPORTS: tuple[tuple[str, str, str], ...] = (
    ("claude-code", "Claude Code transcripts", "~/.claude/projects"),
    ("codex", "Codex CLI sessions", "~/.codex/sessions"),
    ("llm", "the `llm` tool's logs.db", "`llm logs path`"),
    ("gemini-cli", "Gemini CLI sessions", "~/.gemini/tmp, sub-agents included"),
    ("opencode", "OpenCode sessions", "~/.local/share/opencode: opencode.db, one record per step, and storage/"),
    ("copilot-cli", "GitHub Copilot CLI sessions", "~/.copilot/session-state"),
    ("qwen-code", "Qwen Code sessions", "~/.qwen: every call's telemetry in chats/, and usage_record.jsonl"),
    ("goose", "Goose sessions", "the usage ledger of sessions.db in ~/.local/share/goose/sessions "
                                "(macOS ~/Library/Application Support/Block/goose/sessions)"),
)


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


def _command(kind: str, what: str, where: str) -> Callable[..., None]:
    def command(path: PathArg = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None) -> None:
        _import(kind, path, logs, tz, config)

    command.__name__ = f"import_{kind.replace('-', '_')}"
    command.__doc__ = f"Import {what}.\n\nReads {where}.\n\nExample: vaultledger import {kind}"
    return command


for _kind, _what, _where in IMPORTS:
    import_app.command(_kind)(_command(_kind, _what, _where))


@import_app.command("otlp")
def import_otlp(
    path: Annotated[Path, typer.Argument(help="The OTLP JSON file (or folder of files) the Collector's file exporter writes.")],
    logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Import GenAI spans from OTLP JSON, one ExportTraceServiceRequest per line.

    Example: vaultledger import otlp /var/lib/otelcol/traces.json
    """
    _import("otlp", path, logs, tz, config)
