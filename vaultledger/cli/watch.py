"""`vaultledger watch`: keep today's note (and this week's) live as apps log."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, ForceOpt, LogsOpt, TzOpt, VaultOpt
from vaultledger.cli.resolve import settings_from


def watch_command(
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No status line per update.")] = False,
    force: ForceOpt = False,
) -> None:
    """Keep today's note (and this week's) live as apps log, until Ctrl-C.

    Example: vaultledger watch --vault ~/Obsidian/Main
    """
    from vaultledger.watch import watch_forever

    with user_errors():
        watch_forever(settings_from(config, vault, logs, tz), quiet=quiet, force=force)
