"""`vaultledger log`: append one usage record from flags."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.append import LOG_COUNT_FIELDS, append_from_flags, notices
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, option_group

_COUNT_OPTIONS = tuple(
    (field, Annotated[Optional[int], typer.Option(help=help_text, show_default=False)], None)
    for field, help_text in LOG_COUNT_FIELDS.items()
)


@option_group("counts", _COUNT_OPTIONS, dict)
def log_command(
    provider: Annotated[str, typer.Option(help="Provider, e.g. anthropic, openai, gcp.gemini, ollama.")],
    model: Annotated[str, typer.Option(help="Model as the response named it.")],
    input_tokens: Annotated[int, typer.Option(help="All input tokens, cache included.")],
    output_tokens: Annotated[int, typer.Option(help="All output tokens, reasoning included.")],
    cache_read_tokens: Annotated[Optional[int], typer.Option(help="Input tokens read from a cache.")] = None,
    cache_write_tokens: Annotated[Optional[int], typer.Option(help="Input tokens written to a cache.")] = None,
    reasoning_tokens: Annotated[Optional[int], typer.Option(help="Output tokens spent reasoning.")] = None,
    counts: dict[str, Optional[int]] | None = None,
    cost_usd: Annotated[Optional[str], typer.Option(help="Cost already known, in USD (overrides prices).")] = None,
    app_name: Annotated[Optional[str], typer.Option("--app", help="The program that made the call.")] = None,
    project: Annotated[Optional[str], typer.Option(help="What the spend is for.")] = None,
    use_case: Annotated[Optional[str], typer.Option(help="Kind of work: poem, dialog, research, code…")] = None,
    unit_id: Annotated[Optional[str], typer.Option(help="The finished output unit this call belongs to.")] = None,
    session: Annotated[Optional[str], typer.Option(help="Conversation or session id.")] = None,
    service_tier: Annotated[Optional[str], typer.Option(help="standard, batch, flex or priority.")] = None,
    duration_ms: Annotated[Optional[int], typer.Option(help="Wall time of the call in ms.")] = None,
    record_id: Annotated[Optional[str], typer.Option("--id", help="Provider response id (dedupes).")] = None,
    void: Annotated[bool, typer.Option("--void", help="This line cancels the call with the same --provider "
                                                      "and --id (logs are never edited).")] = False,
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
    fields: dict[str, Any] = {
        "provider": provider, "model": model, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "cache_read_tokens": cache_read_tokens, "cache_write_tokens": cache_write_tokens,
        "reasoning_tokens": reasoning_tokens, **(counts or {}), "app": app_name, "project": project,
        "use_case": use_case, "unit_id": unit_id, "session": session, "service_tier": service_tier,
        "duration_ms": duration_ms, "id": record_id, "void": void, "tags": tag or None,
    }
    with user_errors():
        appended = append_from_flags(fields, cost_usd, ts, logs, tz, config)
    if not quiet:
        typer.echo(f"logged to {appended.path}")
    for notice in notices(appended, fields.get("service_tier")):
        typer.echo(f"vaultledger: {notice}", err=True)
