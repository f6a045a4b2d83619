"""`vaultledger prices`: the price a model gets (every unit, where it comes from, its tier) and an estimate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.append import LOG_COUNT_FIELDS
from vaultledger.cli.options import ConfigOpt, TzOpt, option_group
from vaultledger.cli.resolve import settings_from

_PART_OPTIONS = tuple(
    (field, Annotated[int, typer.Option(help=help_text, show_default=False)], 0)
    for field, help_text in LOG_COUNT_FIELDS.items()
)


@option_group("parts", _PART_OPTIONS, dict)
def prices_command(
    model_ref: Annotated[str, typer.Argument(help="provider/model, e.g. anthropic/claude-sonnet-4-5.")],
    input_tokens: Annotated[int, typer.Option(help="Input tokens for an estimate.")] = 0,
    output_tokens: Annotated[int, typer.Option(help="Output tokens for an estimate.")] = 0,
    cache_read_tokens: Annotated[int, typer.Option(help="Cache-read tokens (part of input).")] = 0,
    cache_write_tokens: Annotated[int, typer.Option(help="Cache-write tokens (part of input).")] = 0,
    reasoning_tokens: Annotated[int, typer.Option(help="Reasoning tokens (part of output).")] = 0,
    parts: dict[str, int] | None = None,
    at: Annotated[Optional[str], typer.Option("--at", help="Price at this day or time (default now).")] = None,
    service_tier: Annotated[Optional[str], typer.Option(help="standard, batch, flex or priority.")] = None,
    tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show the prices used for a model (every unit), where they come from, and an estimate.

    Example: vaultledger prices openai/gpt-5 --service-tier batch --at 2026-03-01 --input-tokens 1000000
    """
    from vaultledger.ledger import Ledger
    from vaultledger.ledger.usage import is_known_tier
    from vaultledger.pricing import format_usd, parse_model_ref
    from vaultledger.pricing.price import describe_rates, tier_note

    with user_errors():
        settings = settings_from(config, tz=tz)
        book = Ledger.from_settings(settings).book
        provider, model = parse_model_ref(model_ref)
        estimate = book.estimate(provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                                 ts=_moment(at, settings.timezone.value), service_tier=service_tier,
                                 reasoning_tokens=reasoning_tokens, **(parts or {}))
        price = estimate.price
        if price is None:
            raise fail(f"no price known for {model_ref} ({estimate.source}); add a [[prices]] entry to the config")
    typer.echo(f"{model_ref}  ({price.source})")
    for line in describe_rates(price):
        typer.echo(f"  {line}")
    if price.tiered_from:
        typer.echo(f"  higher rates apply to calls over {price.tiered_from:,} input tokens")
    note = tier_note(price)
    if note:
        typer.echo(f"  {price.fallback_tier} calls then are priced at the standard rate: {note} "
                   f"(a [[prices]] entry with service_tier = \"{price.fallback_tier}\" sets one)")
    if input_tokens or output_tokens:
        typer.echo(f"  estimate for {input_tokens:,} in / {output_tokens:,} out: {format_usd(estimate.cost)}")
    if not is_known_tier(service_tier):
        typer.echo(f"  service tier {service_tier!r} is not one SPEC §1 names (standard, batch, flex, priority, "
                   "fast): priced as standard", err=True)


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
