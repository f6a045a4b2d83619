"""`vaultledger watch`: watchdog -> a schedule of updates -> the live ledger and the same Rollup (SPEC §8).

- `live`: file signatures; the ledger itself is `vaultledger.ledger.live.LiveLedger`, the nightly Ledger over
  folds kept current as the log files grow;
- `schedule`: `UpdateSchedule`, pure: the quiet window, the maximum delay, the weekly throttle, midnight;
- `console`: `Console`, what the user is told (warn-once, a few problems per file, errors once a minute);
- `observe`: the watchdog observer on the logs folder and the vault's settings, and the wake-up pipe;
- `rolling`: `LiveRollup`, the notes written through the nightly run's Rollup;
- `loop`: `Watcher`, which wires them, and `watch_forever`, the command's entry point.

The logs folder is created when it is missing at start (as the logger would on its first line), so
there is always a folder to watch; if it is deleted while watching, it is created and watched again.
"""

from vaultledger.watch.console import ERROR_REPEAT_EVERY, PROBLEMS_SHOWN_PER_FILE, Console
from vaultledger.ledger.live import LiveLedger, Refresh
from vaultledger.watch.loop import Watcher, watch_forever
from vaultledger.watch.schedule import (
    LONGEST_SLEEP,
    MAX_DELAY,
    QUIET_WINDOW,
    WEEKLY_EVERY,
    Due,
    UpdateSchedule,
    seconds_until_midnight,
    utc_now,
)

__all__ = [
    "ERROR_REPEAT_EVERY", "LONGEST_SLEEP", "MAX_DELAY", "PROBLEMS_SHOWN_PER_FILE", "QUIET_WINDOW", "WEEKLY_EVERY",
    "Console", "Due", "LiveLedger", "Refresh", "UpdateSchedule", "Watcher",
    "seconds_until_midnight", "utc_now", "watch_forever",
]
