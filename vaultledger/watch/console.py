"""What a running watch tells its user, without flooding the terminal.

Warnings are said once each; invalid lines a few per file, then one note that there are more; an error
that repeats on every update (a note that cannot be written) once a minute. Timestamped messages go to
stderr, the status line after each update to stdout (either can be replaced, for tests).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from vaultledger.ledger.usage import Usage
from vaultledger.errors import VaultledgerError
from vaultledger.pricing import format_usd
from vaultledger.ledger.files import LineProblem

PROBLEMS_SHOWN_PER_FILE = 5
ERROR_REPEAT_EVERY = 60.0  # a note that cannot be written fails on every update; say so once a minute


class Console:
    """The watch's voice: warn-once, a limit of problems per file, and a rate limit on errors."""

    def __init__(
        self,
        zone: dt.tzinfo,
        *,
        quiet: bool = False,
        wall_clock: Callable[[], dt.datetime],
        clock: Callable[[], float] = time.monotonic,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.zone, self.quiet = zone, quiet
        self._wall_clock, self._clock = wall_clock, clock
        self._out, self._err = out, err  # None: sys.stdout / sys.stderr as they are when printing
        self._said: set[str] = set()  # warnings already shown
        self._problems_shown: dict[Path, int] = {}
        self._errors_logged_at: dict[str, float] = {}

    def say(self, message: str) -> None:
        """A plain message for a person watching, silenced by `quiet`."""
        if not self.quiet:
            print(f"vaultledger: {message}", file=self._err or sys.stderr, flush=True)

    def log(self, message: str) -> None:
        """A timestamped message, always shown."""
        stamp = self._local_now().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} vaultledger: {message}", file=self._err or sys.stderr, flush=True)

    def warn_once(self, message: str) -> bool:
        """Say a warning unless it was said before; True when it was said now."""
        # After a truncated file is read again, its old problems would come back: say each only once.
        if message in self._said:
            return False
        self._said.add(message)
        self.log(f"warning: {message}")
        return True

    def error(self, error: BaseException | str) -> None:
        """Say an error, but the same one at most once every ERROR_REPEAT_EVERY seconds."""
        text = str(error) if isinstance(error, (str, VaultledgerError)) else f"{type(error).__name__}: {error}"
        if self._clock() - self._errors_logged_at.get(text, -math.inf) >= ERROR_REPEAT_EVERY:
            self._errors_logged_at[text] = self._clock()
            self.log(f"error: {text}")

    def line_problems(self, problems: Iterable[LineProblem], read_errors: Iterable[str]) -> None:
        """Warn about unreadable files and invalid lines: a few per file, then one note that there are more."""
        for message in read_errors:
            self.warn_once(message)
        for problem in problems:
            shown = self._problems_shown.get(problem.path, 0)
            if shown < PROBLEMS_SHOWN_PER_FILE:
                if self.warn_once(f"{problem} (line skipped)"):
                    self._problems_shown[problem.path] = shown + 1
            elif shown == PROBLEMS_SHOWN_PER_FILE:
                self.warn_once(f"{problem.path}: more invalid lines; the note counts them, "
                               "`vaultledger doctor` lists them")
                self._problems_shown[problem.path] = shown + 1

    def status(self, today: Usage) -> None:
        """The line after each update: the time, and today's calls and cost."""
        if self.quiet:
            return
        total = today.totals()
        calls = f"{total.calls:,} call{'s' if total.calls != 1 else ''}"
        unpriced = f"  ({total.unpriced_calls:,} unpriced)" if total.unpriced_calls else ""
        clock = self._local_now().strftime("%H:%M:%S")
        print(f"{clock}  today {calls}  {format_usd(total.cost)}{unpriced}", file=self._out or sys.stdout, flush=True)

    def _local_now(self) -> dt.datetime:
        return self._wall_clock().astimezone(self.zone)
