"""One exception family for the library; only the CLI turns these into exit codes."""

from __future__ import annotations


class VaultledgerError(Exception):
    """Base of every error vaultledger raises on purpose; its message is meant for the user."""


class InvalidRecord(VaultledgerError):
    """A usage record (or log line) breaks the schema in SPEC §1."""


class ConfigError(VaultledgerError):
    """The config file, an environment variable or a flag holds a value we cannot use."""


class PeriodError(VaultledgerError):
    """A period string (day, week, month, quarter, range) is not one we accept."""


class VaultError(VaultledgerError):
    """The vault is missing, not an Obsidian vault, or its settings cannot be read."""


class NoteError(VaultledgerError):
    """A note cannot be spliced (unbalanced markers) or written."""


class PriceError(VaultledgerError):
    """A price override is malformed or a model cannot be priced on request."""
