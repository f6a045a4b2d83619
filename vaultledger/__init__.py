"""vaultledger: what your LLM calls cost, logged as JSON lines and rolled into Obsidian notes.

    from vaultledger import log_usage
    log_usage(provider="openai", model="gpt-4o-mini", input_tokens=1200, output_tokens=300, app="mybot")
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # every command imports this package first: typing comes later, once needed
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = ["BudgetExceeded", "UsageRecord", "__version__", "check_budget", "context", "guard", "log_record", "log_usage",
           "record_response"]

# The public names load on first use: every command imports this package first, and most
# (`--version`, `report`) never need the logger or the SDK shapes.
_HOMES = {
    "record_response": "vaultledger.capture.response", "context": "vaultledger.capture.context", "log_record": "vaultledger.capture.logger",
    "log_usage": "vaultledger.capture.logger", "UsageRecord": "vaultledger.record",
    "check_budget": "vaultledger.budgets.guard", "guard": "vaultledger.budgets.guard",
    "BudgetExceeded": "vaultledger.budgets.guard",
}

if TYPE_CHECKING:  # (guard's names are typed in vaultledger.budgets.guard: the facade sits below that layer)
    from vaultledger.capture import record_response
    from vaultledger.capture.context import context
    from vaultledger.capture.logger import log_record, log_usage
    from vaultledger.record import UsageRecord


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'vaultledger' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
