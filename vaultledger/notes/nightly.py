"""Which periods a rollup writes: exactly the named one, or the nightly catch-up set."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from vaultledger.errors import VaultError
from vaultledger._fs import atomic_write_text
from vaultledger.periods import Period, WeekRule, day_of, month_of, quarter_of, today, week_of
from vaultledger.ledger.files import NEIGHBOUR_DAYS, list_log_files

if TYPE_CHECKING:
    from vaultledger.notes.rollup import Rollup, RollupResult
    from vaultledger.settings import Settings

STATE_FILE = "nightly-state.json"
NOTE_KIND = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}


def periods_to_roll(period: Period, rollup: Rollup) -> list[Period]:
    """An explicit period: a range rolls each of its days; a kind of note the vault has off is an error."""
    if period.kind == "range":
        return [day_of(day) for day in period.days()]
    kind = NOTE_KIND[period.kind]
    if not rollup.note_settings[kind].enabled:
        raise VaultError(
            f"{kind} notes are not enabled in this vault (Periodic Notes); enable them or add "
            f"[notes.{kind}] to the config"
        )
    return [period]


def containing_periods(days: set[dt.date], rollup: Rollup) -> list[Period]:
    """Each day, then its week, month (when monthly notes are on) and quarter, each once."""
    rule = rollup.week_rule
    enabled = {kind for kind, note in rollup.note_settings.items() if note.enabled}
    ordered: dict[Period, None] = {}
    for kind, period_of in (("daily", day_of), ("weekly", lambda d: week_of(d, rule)),
                            ("monthly", month_of), ("quarterly", quarter_of)):
        if kind in enabled:
            ordered.update((period_of(day), None) for day in sorted(days))
    return list(ordered)


def run_nightly(rollup: Rollup, now: dt.datetime | None = None) -> RollupResult:
    """Catch up on every day whose logs changed since the last successful run, plus today and yesterday.

    The state is saved only after every note was written, so a failed run is redone in full.
    """
    state_path = rollup.settings.cache_dir.value / STATE_FILE
    logs_dir = rollup.settings.logs.value
    # One state per logs folder and vault: two vaults fed from one logs folder each catch up.
    state_key = f"{logs_dir} -> {rollup.vault}"
    previous = _load_state(state_path).get(state_key, {})
    current = file_signatures(logs_dir)
    current_day = today(rollup.settings.timezone.value, now)
    days = {current_day, current_day - dt.timedelta(days=1)}
    changed = [name for name, signature in current.items() if previous.get(name) != signature]
    for name in [*changed, *(set(previous) - set(current))]:
        days.update(_days_near(name))
    result = rollup.run(containing_periods(days, rollup))
    if not result.errors and not rollup.dry_run:
        _save_state(state_path, state_key, current)
    return result


def file_signatures(logs_dir: Path) -> dict[str, list[int]]:
    """Size, mtime and inode per log file: any append, replacement or archiving changes one."""
    signatures = {}
    for log in list_log_files(logs_dir):
        stat = log.path.stat()
        signatures[log.path.name] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return signatures


def _days_near(file_name: str) -> set[dt.date]:
    # A file's records belong to its day in the writer's zone, which may sit a day off ours; rolling a
    # neighbour without usage or a section is skipped, and an unchanged note is never rewritten.
    day = dt.date.fromisoformat(file_name[:10])
    return {day + dt.timedelta(days=offset) for offset in range(-NEIGHBOUR_DAYS, NEIGHBOUR_DAYS + 1)}


def _load_state(path: Path) -> dict[str, dict[str, list[int]]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(path: Path, state_key: str, signatures: dict[str, list[int]]) -> None:
    state = _load_state(path)
    state[state_key] = signatures
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(state, indent=1, sort_keys=True) + "\n")


def budget_alerts(settings: Settings, rule: WeekRule) -> list[str]:
    """The nightly run sends budget alerts (webhook) once per budget, period and threshold."""
    from vaultledger.budgets.alerts import send_budget_alerts
    from vaultledger.budgets.report import evaluate_budgets

    return send_budget_alerts(evaluate_budgets(settings, None, rule), settings, desktop=False)
