"""Which periods a rollup writes: exactly the named one, or the nightly catch-up set (after importing
the usage the configured sources gained, so the notes show it)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultledger._faults import step
from vaultledger._fs import atomic_write_text
from vaultledger.errors import VaultError
from vaultledger.notes.inputs import inputs_fingerprint
from vaultledger.periods import Period, WeekRule, day_of, month_of, quarter_of, today, week_of, year_of
from vaultledger.ledger.files import NEIGHBOUR_DAYS, list_log_files
from vaultledger.reports.dashboard import refresh_dashboard

if TYPE_CHECKING:
    from vaultledger.capture.importers.sources import SourceImport
    from vaultledger.notes.rollup import Rollup, RollupResult
    from vaultledger.settings import Settings

STATE_FILE = "nightly-state.json"
NOTE_KIND = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}


def periods_to_roll(period: Period, rollup: Rollup) -> list[Period]:
    """An explicit period: a range rolls each of its days; a kind of note the vault has off is an error."""
    if period.kind == "range":
        return [day_of(day) for day in period.days()]
    kind = NOTE_KIND[period.kind]
    if not rollup.note_settings[kind].enabled:
        from vaultledger.notes.vault import how_to_enable

        raise VaultError(how_to_enable(kind, rollup.vault))
    return [period]


def containing_periods(days: set[dt.date], rollup: Rollup) -> list[Period]:
    """Each day, then its week, month (when monthly notes are on) and quarter, each once."""
    rule = rollup.week_rule
    enabled = {kind for kind, note in rollup.note_settings.items() if note.enabled}
    ordered: dict[Period, None] = {}
    for kind, period_of in (("daily", day_of), ("weekly", lambda d: week_of(d, rule)),
                            ("monthly", month_of), ("quarterly", quarter_of), ("yearly", year_of)):
        if kind in enabled:
            ordered.update((period_of(day), None) for day in sorted(days))
    return list(ordered)


@dataclass(frozen=True)
class NightlyState:
    """What the last successful nightly run saw: each log file's signature and the inputs' fingerprint."""

    files: dict[str, list[int]] = field(default_factory=dict)
    inputs: str | None = None  # None: a state from before fingerprints, so the inputs count as changed


@dataclass
class NightlyRun:
    """What the nightly run imported, source by source, and what its rollup did."""

    imports: list[SourceImport]  # a source that failed is in here with its reason: never a failed run
    result: RollupResult


def run_nightly(rollup: Rollup, now: dt.datetime | None = None, *, rebuild: bool = False) -> NightlyRun:
    """Import what the configured sources gained (a dry rollup only counts it), then roll up."""
    from vaultledger.capture.importers.sources import import_sources

    imports = import_sources(rollup.settings, dry_run=rollup.dry_run)
    step("nightly imports done")
    return NightlyRun(imports, roll_nightly(rollup, now, rebuild=rebuild))


def roll_nightly(rollup: Rollup, now: dt.datetime | None = None, *, rebuild: bool = False) -> RollupResult:
    """Catch up on every day whose logs changed since the last successful run, plus today and yesterday.

    When the inputs' fingerprint changed since then (or with `rebuild`), every existing note of a
    period near any log file is rewritten too. The state is saved only after every note was
    written, so a failed or killed run is redone in full.
    """
    state_path = rollup.settings.cache_dir.value / STATE_FILE
    logs_dir = rollup.settings.logs.value
    # One state per logs folder and vault: two vaults fed from one logs folder each catch up.
    state_key = f"{logs_dir} -> {rollup.vault}"
    previous = _entry(_load_state(state_path).get(state_key))
    now_seen = NightlyState(file_signatures(logs_dir), inputs_fingerprint(rollup))
    current_day = today(rollup.settings.timezone.value, now)
    periods = containing_periods(_days_to_catch_up(previous, now_seen, current_day), rollup)
    stale: list[Period] = []
    if rebuild or previous.inputs != now_seen.inputs:
        rolled = set(periods)
        every = rebuild_all_periods([*now_seen.files, *previous.files], rollup)
        stale = [period for period in every if period not in rolled]
    result = rollup.run([*periods, *stale], existing_only=stale)
    if not result.errors and not rollup.dry_run:
        _save_state(state_path, state_key, now_seen)
        step("nightly state saved")
    if not rollup.dry_run:  # the config's [dashboard] page is made again with the notes
        result.warnings.extend(refresh_dashboard(rollup.settings, rollup.week_rule, now))
    return result


def _days_to_catch_up(previous: NightlyState, current: NightlyState, current_day: dt.date) -> set[dt.date]:
    """Today, yesterday, and the days near every log file that changed, appeared or went away."""
    days = {current_day, current_day - dt.timedelta(days=1)}
    changed = [name for name, signature in current.files.items() if previous.files.get(name) != signature]
    for name in [*changed, *(set(previous.files) - set(current.files))]:
        days.update(_days_near(name))
    return days


def rebuild_all_periods(file_names: Iterable[str], rollup: Rollup) -> list[Period]:
    """Every period whose note could show usage from these log files (or could have, before a
    setting changed): the days near each file's day, and their weeks, months and quarters."""
    days: set[dt.date] = set()
    for name in set(file_names):
        days.update(_days_near(name))
    return containing_periods(days, rollup)


def rebuild_periods(period: Period, rollup: Rollup) -> list[Period]:
    """`rollup --rebuild` with a period: the notes of its days and of every week, month and quarter
    holding one of them, whichever note kinds the vault has on."""
    return containing_periods(set(period.days()), rollup)


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


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _entry(saved: Any) -> NightlyState:
    """One vault's state; the older shape (file signatures only) is read too."""
    if not isinstance(saved, dict):
        return NightlyState()
    if "files" not in saved:
        return NightlyState(files=saved)
    return NightlyState(files=saved["files"] or {}, inputs=saved.get("inputs"))


def _save_state(path: Path, state_key: str, entry: NightlyState) -> None:
    state = _load_state(path)
    state[state_key] = {"files": entry.files, "inputs": entry.inputs}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(state, indent=1, sort_keys=True) + "\n")


def budget_alerts(settings: Settings, rule: WeekRule) -> list[str]:
    """The nightly run sends budget alerts (webhook) once per budget, period and threshold."""
    from vaultledger.budgets.alerts import send_budget_alerts
    from vaultledger.budgets.report import evaluate_budgets

    return send_budget_alerts(evaluate_budgets(settings, None, rule), settings, desktop=False)
