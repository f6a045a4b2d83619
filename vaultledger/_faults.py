"""Named places where a write can be cut short, so the fault suite can kill a real process there.

`VAULTLEDGER_KILL_AT=N` makes the process SIGKILL itself at the N-th step it passes (1-based), and
`VAULTLEDGER_STEP_LOG=PATH` appends the name of every step passed to PATH, so a test can learn how many
steps a run has and then kill it at each one. With neither set, a step costs one global lookup.
"""

from __future__ import annotations

import os

_KILL_AT = int(os.environ.get("VAULTLEDGER_KILL_AT") or 0)
_STEP_LOG = os.environ.get("VAULTLEDGER_STEP_LOG") or None
_ACTIVE = bool(_KILL_AT or _STEP_LOG)
_passed = 0


def step(name: str) -> None:
    """Mark a point between two writes; killed here, the process must leave nothing wrong behind."""
    if not _ACTIVE:
        return
    global _passed
    _passed += 1
    if _STEP_LOG:
        with open(_STEP_LOG, "a", encoding="utf-8") as trace:
            trace.write(f"{_passed} {name}\n")
    if _passed == _KILL_AT:
        import signal

        kill = getattr(signal, "SIGKILL", None)  # absent on Windows, where no fault test runs
        if kill is None:
            os._exit(137)
        os.kill(os.getpid(), kill)
