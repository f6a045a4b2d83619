"""`vaultledger statusline`: one line for Claude Code's status line, from its JSON on stdin.

`vaultledger statusline` with only the flags below is answered by the fast path (`cli.fast`); this
command answers the rest (`--help`, mistakes) and runs the same code.
"""

from __future__ import annotations

import sys

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt
from vaultledger.cli.statusline_run import stdin_text, write_status_line


def statusline_command(
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None
) -> None:
    """Print one short line for Claude Code's status line: today's spend from the logs, this session's
    cost as Claude Code reports it on stdin (shown apart, never added to today's), and the share of the
    tightest budget, coloured green, yellow or red (no colour when NO_COLOR is set).

    In ~/.claude/settings.json: "statusLine": {"type": "command", "command": "vaultledger statusline"}

    Example: vaultledger statusline < status.json
    """
    with user_errors():
        write_status_line(stdin_text(), sys.stdout, sys.stderr, vault=vault, logs=logs, tz=tz, config=config)
