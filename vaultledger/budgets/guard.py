"""`vaultledger.check_budget()` and `vaultledger.guard()`: hard limits, asked in the app's own process
before a call.

    with vaultledger.guard(project="orbis", estimate_usd=0.05):
        response = client.messages.create(...)

raises `BudgetExceeded` before the call once a `hard = true` budget that covers it is reached, or when
the estimate would cross it. Settings resolve as `log_usage()` resolves them (environment, then the
config file), and are looked at again when the environment or the config file changes.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import time
from collections.abc import Callable
from contextlib import ContextDecorator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from vaultledger.budgets import budgets_from
from vaultledger.budgets.limits import LIST_EVERY, BudgetExceeded, Clock, LimitCheck, LimitStatus, Now, SpendWatch
from vaultledger.ledger.usage import GroupKey
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.record import normalise_provider
from vaultledger.notes.weeks import week_rule_for
from vaultledger.settings import Settings, resolve_settings

__all__ = ["BudgetExceeded", "Guard", "HardLimits", "LimitCheck", "LimitStatus", "check_budget", "guard"]

Function = TypeVar("Function", bound=Callable[..., Any])
_SETTINGS_VARIABLES = ("VAULTLEDGER_CONFIG", "VAULTLEDGER_LOGS", "VAULTLEDGER_TZ", "VAULTLEDGER_CACHE_DIR",
                       "VAULTLEDGER_VAULT")


class HardLimits:
    """The hard budgets of one set of settings and what is spent against them; safe for threads."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic, now: Now | None = None) -> None:
        self.settings = settings
        budgets = [budget for budget in budgets_from(settings) if budget.hard]
        tz = settings.timezone.value
        book = PriceBook(parse_price_overrides(list(settings.prices), settings.config_label), tz)
        if settings.cache_dir.value:
            book.remember_in(settings.cache_dir.value)
        self.watch = SpendWatch(budgets, week_rule_for(settings), settings.logs.value, book, tz,
                                settings.cache_dir.value, clock, now) if budgets else None
        self._lock = threading.Lock()

    def check(self, *, project: str | None = None, provider: str | None = None, model: str | None = None,
              app: str | None = None, use_case: str | None = None) -> LimitCheck:
        """The hard limits a call with these attributes counts against (a limit scoped to a project,
        provider or model applies when the call names it), each over its current period."""
        if self.watch is None:
            return LimitCheck(())
        key = GroupKey(normalise_provider(provider) if provider else "", model or "", None, project, use_case, app, ())
        with self._lock:
            statuses = self.watch.statuses()
        return LimitCheck(tuple(status for status in statuses if status.budget.watches(key)))

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()


class _ProcessLimits:
    """The process's HardLimits, built again when the environment or the config file changes
    (looked at no more than every LIST_EVERY seconds)."""

    def __init__(self) -> None:
        self._current: tuple[tuple[object, ...], HardLimits] | None = None
        self._recheck_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> HardLimits:
        current, moment = self._current, time.monotonic()
        if current is not None and moment < self._recheck_at:
            return current[1]
        with self._lock:
            inputs = (*map(os.environ.get, _SETTINGS_VARIABLES), os.getcwd())
            settings = resolve_settings()
            key = (*inputs, _config_stamp(settings.config_path.value))
            if self._current is None or self._current[0] != key:
                self._current = (key, HardLimits(settings))
            self._recheck_at = time.monotonic() + LIST_EVERY
            return self._current[1]

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()
        if self._current is not None:
            self._current[1].reset_after_fork()


def _config_stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        return None if path is None else (path.stat().st_mtime_ns, path.stat().st_size)
    except OSError:
        return None


_process_limits = _ProcessLimits()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_process_limits.reset_after_fork)


def check_budget(*, project: str | None = None, provider: str | None = None, model: str | None = None,
                 app: str | None = None, use_case: str | None = None) -> LimitCheck:
    """How the hard limits that cover such a call stand now: `check.ok`, `check.tightest`, each status's
    spent, limit, period and unpriced calls (whose cost is unknown, so never counted as $0 silently).

    Raises ConfigError when the config cannot be read.
    """
    return _process_limits.get().check(project=project, provider=provider, model=model, app=app, use_case=use_case)


_warned_unpriced: dict[HardLimits | None, int] = {}  # the most unpriced calls warned about, per set of limits


class Guard(ContextDecorator):
    """A context manager and decorator that refuses a call before it is made (see `guard`)."""

    def __init__(self, scope: dict[str, str | None], estimate_usd: Decimal, limits: HardLimits | None) -> None:
        self.scope, self.estimate_usd, self.limits = scope, estimate_usd, limits

    def __enter__(self) -> LimitCheck:
        check = (self.limits or _process_limits.get()).check(**self.scope)
        refusing = check.refusal(self.estimate_usd)
        if refusing is not None:
            raise BudgetExceeded(refusing, self.estimate_usd)
        if check.unpriced_calls > _warned_unpriced.get(self.limits, 0):
            from vaultledger.capture.logger import warn_limited

            # Once per new unpriced call, not per guarded call: a warning costs more than the check.
            _warned_unpriced[self.limits] = check.unpriced_calls
            warn_limited(f"vaultledger: {check.tightest}; spending may be higher than counted")
        return check

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __call__(self, function: Function) -> Function:
        if not inspect.iscoroutinefunction(function):
            return super().__call__(function)

        @functools.wraps(function)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            with self:
                return await function(*args, **kwargs)

        return guarded  # type: ignore[return-value]


def guard(*, project: str | None = None, provider: str | None = None, model: str | None = None,
          app: str | None = None, use_case: str | None = None, estimate_usd: Decimal | float | int | str = 0,
          limits: HardLimits | None = None) -> Guard:
    """`with guard(project="orbis", estimate_usd=0.05): ...` or `@guard(project="orbis")`: raises
    BudgetExceeded (naming spent, limit and period) before the call once a hard limit that covers it is
    reached, or when `estimate_usd` (USD) would cross it. `limits` defaults to the process's settings.
    """
    try:
        estimate = Decimal(str(estimate_usd))
    except InvalidOperation:
        raise ValueError(f"estimate_usd must be an amount in USD, got {estimate_usd!r}") from None
    if not estimate.is_finite() or estimate < 0:
        raise ValueError(f"estimate_usd must be an amount in USD >= 0, got {estimate_usd!r}")
    scope = {"project": project, "provider": provider, "model": model, "app": app, "use_case": use_case}
    return Guard(scope, estimate, limits)
