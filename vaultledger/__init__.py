"""vaultledger: what your LLM calls cost, logged as JSON lines and rolled into Obsidian notes.

    from vaultledger import log_usage
    log_usage(provider="openai", model="gpt-4o-mini", input_tokens=1200, output_tokens=300, app="mybot")
"""

from vaultledger.capture import record_response
from vaultledger.context import context
from vaultledger.logger import log_record, log_usage
from vaultledger.record import UsageRecord

__version__ = "0.1.0"
__all__ = ["UsageRecord", "__version__", "context", "log_record", "log_usage", "record_response"]
