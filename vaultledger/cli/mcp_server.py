"""The Model Context Protocol server behind `vaultledger mcp` (the official `mcp` SDK, major version 2):
six read-only tools over stdio whose answers come from `cli.mcp_tools`. Imported only when the
command runs: the SDK costs a second of start-up that no other command should pay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from vaultledger import __version__
from vaultledger.cli.mcp_tools import PERIOD_HELP, CostTools
from vaultledger.errors import VaultledgerError

INSTRUCTIONS = (
    "vaultledger knows what this user's LLM calls cost: every call is logged as one JSON line and priced "
    "(USD, list prices; a call with no known price is counted as unpriced, never as $0). Money is in US "
    "dollars as numbers (cost_usd), tokens are counts, and every period is made of calendar days in the "
    "user's configured time zone. Use get_cost_report for totals and breakdowns, get_budget_status for "
    "budgets and hard limits, estimate_call_cost before an expensive call, get_task_cost for one output "
    "unit or conversation, get_cost_per_unit for a use case's cost per unit, get_top_spending to find "
    "what cost most."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

Period = Annotated[str, Field(description=PERIOD_HELP)]
Tokens = Annotated[int, Field(ge=0, description="A count of tokens (not thousands or millions).")]


def answered(question: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The answer, or a tool error whose text the client sees (the SDK hides other exceptions' text)."""
    try:
        return question()
    except (VaultledgerError, ValueError) as error:
        raise ToolError(str(error)) from None


def build_server(tools: CostTools) -> MCPServer:
    """An MCPServer with vaultledger's tools registered."""
    server = MCPServer("vaultledger", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def get_cost_report(
        period: Period = "today",
        by: Annotated[str, Field(description="Extra breakdown besides provider, model, project and use case: app, "
                                             "tag, service_tier, or day / week / month for a row per time unit.")]
        = "provider",
    ) -> dict[str, Any]:
        """Cost report of a period: totals (calls, tokens, cost_usd in US dollars, unpriced_calls), breakdowns
        by provider, model, project and use case (each row's cost_usd and tokens), unpriced models, flat-fee
        plans' list-price value against their fee, and data problems. Exactly `vaultledger report --format json`."""
        return answered(lambda: tools.cost_report(period, by))

    @server.tool(annotations=READ_ONLY)
    def get_budget_status(
        period: Annotated[str | None, Field(description="None (default) for every budget over its current day, week, "
                                                        "month or quarter; else " + PERIOD_HELP)] = None,
    ) -> dict[str, Any]:
        """Every configured budget: spent_usd against budget_usd (US dollars) over its period, share (1.0 = all of
        it), remaining_usd, projection_usd at the period's end, level (ok / warning / over), whether it is a hard
        limit that refuses guarded calls, and unpriced calls it cannot count; plus flat-fee plans. As `vaultledger budget`."""
        return answered(lambda: tools.budget_status(period))

    @server.tool(annotations=READ_ONLY)
    def estimate_call_cost(
        model: Annotated[str, Field(description="provider/model, e.g. anthropic/claude-sonnet-4-5 or openai/gpt-4o-mini.")],
        input_tokens: Tokens, output_tokens: Tokens,
        cache_read_tokens: Annotated[int, Field(ge=0, description="Tokens of input_tokens read from a prompt cache.")] = 0,
        cache_write_tokens: Annotated[int, Field(ge=0, description="Tokens of input_tokens written to a prompt cache.")] = 0,
        reasoning_tokens: Annotated[int, Field(ge=0, description="Tokens of output_tokens spent on reasoning.")] = 0,
        service_tier: Annotated[str | None, Field(description="standard (default), batch, flex or priority.")] = None,
    ) -> dict[str, Any]:
        """What one call would cost now in US dollars (cost_usd), with the price's source and its rates (USD per
        million tokens). input_tokens counts ALL input, cache reads and writes included. As `vaultledger prices`."""
        return answered(lambda: tools.estimate(model, input_tokens, output_tokens, cache_read_tokens,
                                               cache_write_tokens, reasoning_tokens, service_tier))

    @server.tool(annotations=READ_ONLY)
    def get_task_cost(
        unit_id: Annotated[str | None, Field(description="The unit_id the calls were logged with (one output unit).")] = None,
        session: Annotated[str | None, Field(description="The session (conversation) id the calls were logged with.")] = None,
        period: Annotated[str, Field(description="Days to search. " + PERIOD_HELP)] = "last 30d",
    ) -> dict[str, Any]:
        """Cost of one task: the calls logged with one unit_id or one session (name one) within the period:
        totals (calls, tokens, cost_usd in US dollars, unpriced_calls), first and last call, and by model."""
        return answered(lambda: tools.task_cost(unit_id, session, period))

    @server.tool(annotations=READ_ONLY)
    def get_cost_per_unit(
        use_case: Annotated[str | None, Field(description="A use case (e.g. poem); None for every use case.")] = None,
        period: Period = "this_month",
    ) -> dict[str, Any]:
        """Cost per output unit: for each use case, its cost in US dollars over the period divided by the number of
        distinct unit_id values logged for it (cost_per_unit_usd), with its calls and tokens."""
        return answered(lambda: tools.unit_costs(use_case, period))

    @server.tool(annotations=READ_ONLY)
    def get_top_spending(
        period: Period = "this_month",
        limit: Annotated[int, Field(ge=1, le=100, description="How many calls and days to list.")] = 10,
    ) -> dict[str, Any]:
        """The most expensive calls of a period (each with its time, model, tokens, cost_usd in US dollars, project,
        use case, unit_id and session) and its most expensive days (calendar days in the configured time zone)."""
        return answered(lambda: tools.top_spending(period, limit))

    return server
