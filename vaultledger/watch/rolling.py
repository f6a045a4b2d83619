"""The writing side of a running watch: the same `Rollup` the nightly run uses, with the vault's note
settings re-read when they change, each result reported, and budgets alerted on the desktop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from vaultledger.errors import VaultledgerError
from vaultledger.periods import Period, WeekRule, day_of, week_of
from vaultledger.notes.rollup import NOTE_KIND_FOR_PERIOD, Rollup, RollupResult
from vaultledger.settings import Settings
from vaultledger.watch.console import Console
from vaultledger.ledger.live import LiveLedger
from vaultledger.watch.observe import vault_settings_signature


class LiveRollup:
    """Rolls periods into notes for a watch and tells the console what happened."""

    def __init__(self, settings: Settings, vault: Path, ledger: LiveLedger, console: Console,
                 local_now: Callable[[], dt.datetime]) -> None:
        self.settings, self.vault, self.ledger, self.console = settings, vault, ledger, console
        self._local_now = local_now
        self.rollup = self._new_rollup()
        self._settings_seen = vault_settings_signature(vault)
        self.updates = self.note_writes = 0  # rollups run and notes changed, for tests and the benchmark

    @property
    def week_rule(self) -> WeekRule:
        return self.rollup.week_rule

    def weeks_of(self, days: list[dt.date]) -> list[Period]:
        """The weeks these days fall in, each once, in order."""
        return list(dict.fromkeys(week_of(day, self.week_rule) for day in days))

    def roll(self, periods: list[Period], today: dt.date) -> None:
        """Write the enabled notes among `periods`, then tell what happened and alert budgets."""
        enabled = [p for p in periods if self.rollup.note_settings[NOTE_KIND_FOR_PERIOD[p.kind]].enabled]
        if not enabled:
            return
        self.rollup.now = self._local_now()  # for {{time}} in a note made from a template
        result = self.rollup.run(enabled)
        self.updates += 1
        self.note_writes += len(result.changed)
        self.warn_invalid_lines()
        self._report(result, today)
        self._alert_budgets(today)

    def reload_note_settings(self) -> bool:
        """Re-read the vault's note settings when one of their files changed; True if a note moved."""
        signature = vault_settings_signature(self.vault)
        if signature == self._settings_seen:
            return False
        self._settings_seen = signature
        try:
            fresh = self._new_rollup()
        except VaultledgerError as error:  # half-written JSON, say: keep the old settings until it is fixed
            self.console.error(error)
            return False
        moved = fresh.note_settings != self.rollup.note_settings
        self.rollup = fresh
        return moved

    def warn_invalid_lines(self) -> None:
        self.console.line_problems(*self.ledger.take_problems())

    def _new_rollup(self) -> Rollup:
        return Rollup(self.settings, self.vault, self.ledger, create=True)

    def _report(self, result: RollupResult, today: dt.date) -> None:
        for error in result.errors:
            self.console.error(error)
        for warning in result.warnings:
            self.console.warn_once(warning)
        if not self.console.quiet:
            self.console.status(self.ledger.usage(day_of(today)))

    def _alert_budgets(self, today: dt.date) -> None:
        """A budget crossing a threshold is told once, on the desktop too while watching."""
        if not self.rollup.budgets:
            return
        from vaultledger.ledger.usage import merge_days
        from vaultledger.budgets.alerts import send_budget_alerts
        from vaultledger.budgets import statuses_on

        usage_of = lambda first, last: merge_days(self.ledger.days(first, last).values())  # noqa: E731
        statuses = statuses_on(today, self.rollup.budgets, usage_of, self.rollup.week_rule)
        for message in send_budget_alerts(statuses, self.settings, desktop=True):
            self.console.log(message)
