"""What a report says besides its numbers: calls too large to be real, and log files cut short.

An outlier (a call over 10⁹ tokens or $1,000) still counts: the ledger never drops a valid line.
It is named with its provider, id and day, so the user can check it and cancel it with
`vaultledger log --void --id ID --provider P` if it is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from vaultledger.ledger import Ledger
from vaultledger.ledger.conflicts import PendingCopy
from vaultledger.ledger.files import CUT_SHORT, ReadStats
from vaultledger.ledger.usage import LargeCall, Usage
from vaultledger.periods import Period
from vaultledger.pricing import format_usd

Outlier = LargeCall  # what reports call a large call: still counted, named with where it is


def outlier_json(call: Outlier) -> dict[str, Any]:
    cost = None if call.cost is None else float(call.cost)
    return {"provider": call.provider, "id": call.id, "day": call.day.isoformat(), "model": call.model,
            "tokens": call.tokens, "cost_usd": cost}


def outlier_text(call: Outlier) -> str:
    cost = "unpriced" if call.cost is None else format_usd(call.cost)
    what = f"id {call.id}" if call.id else "a call without id"
    fix = f"; if it is wrong: vaultledger log --void --id {call.id} --provider {call.provider} …" if call.id else ""
    return f"outlier: {call.provider}/{call.model} {what} on {call.day}: {call.tokens:,} tokens, {cost}{fix}"


def find_outliers(ledger: Ledger, period: Period) -> list[Outlier]:
    """The period's outliers, as the fold found them (LargeCall): no call is read again for them."""
    return sorted(ledger.usage(period).large_calls, key=LargeCall.order)


class CutFile(msgspec.Struct, frozen=True):
    """A log file unreadable after `after_line` (a truncated .gz, a disk error)."""

    path: Path
    after_line: int

    def as_json(self) -> dict[str, Any]:
        return {"file": self.path.name, "after_line": self.after_line}

    def __str__(self) -> str:
        return (f"{self.path.name} is cut after line {self.after_line:,}: the rest of that day is missing "
                "(restore the file from a backup if you have one)")


def cut_files(stats: ReadStats) -> list[CutFile]:
    """The files reading found cut short, each with the last line it could read."""
    return [CutFile(problem.path, problem.line - 1) for problem in stats.problems if problem.reason.startswith(CUT_SHORT)]


def problems_json(
    stats: ReadStats, usage: Usage, outliers: Iterable[Outlier], dropped: int = 0,
    conflicts: Sequence[PendingCopy] = (),
) -> dict[str, Any]:
    """The `problems` object of the report JSON (SPEC §8), with where each outlier, cut file and
    sync conflict copy is."""
    return {
        "invalid_lines": stats.invalid_lines, "duplicates": stats.duplicates, "stray_lines": stats.stray_lines,
        "truncated_files": stats.truncated_files, "unknown_tiers": usage.unknown_tier_calls(),
        "guessed_providers": sum(usage.guessed_providers().values()),
        "tier_fallbacks": usage.totals().tier_fallback_calls,
        "truncated": [cut.as_json() for cut in cut_files(stats)],
        "outliers": [outlier_json(outlier) for outlier in outliers],
        "dropped_records": dropped,  # calls the logger could not write (capture.dropped)
        "conflict_copies": [{"file": pending.copy.path.name, "copy_of": pending.copy.original,
                             "lines_not_merged": len(pending.lines)} for pending in conflicts],
    }


def warnings(
    stats: ReadStats, outliers: Iterable[Outlier], usage: Usage | None = None, conflicts: Sequence[PendingCopy] = ()
) -> list[str]:
    """Lines for stderr: every cut file and outlier, calls priced at the standard rate for want of their
    tier's price, calls whose provider was guessed, and the conflict copies not yet merged."""
    lines = [*map(str, cut_files(stats)), *map(outlier_text, outliers)]
    if usage is not None:
        lines += [f"{calls:,} {tier} calls of {model} priced at the standard rate: the price data has no {tier} "
                  f"price then (a [[prices]] entry with service_tier = \"{tier}\" sets one)"
                  for model, tier, calls in usage.tier_fallbacks()]
        lines += [f"{calls:,} calls of {model} have a guessed provider: pass provider= (or base_url=) when "
                  "recording them" for model, calls in usage.guessed_providers().items()]
    notice = conflicts_warning(conflicts)
    return [*lines, *([notice] if notice else [])]


def conflicts_warning(conflicts: Sequence[PendingCopy]) -> str | None:
    """One line for every conflict copy of the period's logs: their lines count nowhere until merged."""
    if not conflicts:
        return None
    lines = sum(len(pending.lines) for pending in conflicts)
    names = ", ".join(pending.copy.path.name for pending in conflicts[:3]) + (", …" if len(conflicts) > 3 else "")
    copies = f"{len(conflicts)} sync conflict cop{'y' if len(conflicts) == 1 else 'ies'} ({names})"
    return (f"{lines:,} line{'' if lines == 1 else 's'} in {copies} not yet merged, so not counted: "
            "run `vaultledger merge`")


def conflict_problem(pending: PendingCopy) -> str:
    """What `doctor` says of one conflict copy."""
    copy, lines = pending.copy, len(pending.lines)
    if lines:
        said = (f"{copy.path.name} is a sync conflict copy of {copy.original} with {lines:,} "
                f"line{'' if lines == 1 else 's'} the logs lack (not counted): run `vaultledger merge`")
    else:
        said = (f"{copy.path.name} is a sync conflict copy of {copy.original} holding no line the logs lack: "
                "`vaultledger merge` sets it aside")
    if pending.error:
        said += f"; it is {pending.error}, so merge leaves it in place"
    return said

