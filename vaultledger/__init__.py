"""vaultledger: what your LLM calls cost, logged as JSON lines and rolled into Obsidian notes."""

__version__ = "0.1.0"
