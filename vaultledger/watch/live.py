"""The file signatures watch mode compares to notice a changed vault setting or logs folder.

The ledger a running watch renders from is `vaultledger.ledger.live.LiveLedger`: the same Ledger as
the nightly rollup, over folds kept current as the log files grow.
"""

from __future__ import annotations

import os
from pathlib import Path

Signature = tuple[int, int, int, int]  # device, inode, size, mtime_ns


def _signature(status: os.stat_result) -> Signature:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
