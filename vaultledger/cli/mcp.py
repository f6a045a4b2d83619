"""`vaultledger mcp`: a Model Context Protocol server on stdio, for Claude Code, Claude Desktop and other MCP clients."""

from __future__ import annotations

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt

INSTALL_HINT = "vaultledger mcp needs the MCP SDK: pip install 'vaultledger[mcp]'"


def mcp_command(vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None) -> None:
    """Serve cost reports, budgets, estimates and task costs to an MCP client over stdio (read-only).

    Example: vaultledger mcp --config ~/.config/vaultledger/vaultledger.toml

    Add it to Claude Code with: claude mcp add vaultledger -- vaultledger mcp
    """
    from vaultledger.cli.mcp_tools import CostTools
    from vaultledger.cli.resolve import settings_from

    with user_errors():
        settings_from(config, vault, logs, tz)  # a broken config stops here, not at the first question
    try:
        from vaultledger.cli.mcp_server import build_server
    except ImportError as error:
        raise fail(f"{INSTALL_HINT} ({error})") from None
    build_server(CostTools(config, vault, logs, tz)).run("stdio")
