"""A batch's calls summed by local day and group key in one pass, and each group's calls, listed only
when a price asks for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import attrgetter

from vaultledger.record import RecordFields

_ID = attrgetter("id")


def group_calls(
    records: Sequence[RecordFields], midnight: dt.datetime | None, day_numbers: Iterable[int], ids: set[str]
) -> tuple[dict[tuple, list], int]:
    """The records' sums by (day number, provider, model, tier, project, use case, app, tags), each
    group as [calls, input, output, cache read, cache write and reasoning tokens, unit ids];
    their ids go into `ids`, and how many carry one is returned too. A call's day number is
    its `day_numbers` entry, or 1 if at or after `midnight`.

    One plain loop: CPython reads a struct's field in a loop for a fraction of what a C-level
    map(attrgetter) costs per value, and a single pass touches each record once rather than
    once per field, which keeps a batch's records in cache. The calls of each group are not
    listed here (see GroupCalls): most prices never ask for them, and listing cost a sixth of the loop.
    """
    groups: dict[tuple, list] = {}
    for record, number in zip(records, day_numbers):
        # call_group's key, inlined: a function call per record would cost a tenth of this loop.
        if midnight is not None and record.ts >= midnight:
            number = 1
        key = (number, record.provider, record.model, record.service_tier, record.project, record.use_case,
               record.app, record.tags)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [0, 0, 0, 0, 0, 0, set()]
        group[0] += 1
        group[1] += record.input_tokens
        group[2] += record.output_tokens
        group[3] += record.cache_read_tokens
        if record.cache_write_tokens:  # mostly 0: skipping beats making a new int for the same sum
            group[4] += record.cache_write_tokens
        if record.reasoning_tokens:
            group[5] += record.reasoning_tokens
        if record.unit_id:
            group[6].add(record.unit_id)
    # The ids at C level: a set.add call per record cost more than the rest of an id's handling.
    found = list(filter(None, map(_ID, records)))
    ids.update(found)
    return groups, len(found)


class GroupCalls:
    """The calls of each of a batch's groups (keyed as group_calls keys them), sorted out in one
    pass the first time a group's calls are asked for: by a price that changes within the day or
    has tiers a call reaches, or by a batch with costs of its own or optional counts."""

    def __init__(self, records: Sequence[RecordFields], midnight: dt.datetime | None, day_numbers: Iterable[int]):
        self.records, self.midnight = records, midnight
        # A list can be read again; `repeat(0)` (every call on the batch's first day) is made again.
        self.day_numbers = day_numbers if isinstance(day_numbers, list) else None
        self._by_group: dict[tuple, list[RecordFields]] | None = None

    def of(self, group: tuple) -> list[RecordFields]:
        if self._by_group is None:
            self._by_group = {}
            midnight = self.midnight
            numbers = repeat(0) if self.day_numbers is None else self.day_numbers
            for record, number in zip(self.records, numbers):
                self._by_group.setdefault(call_group(record, number, midnight), []).append(record)
        return self._by_group[group]


def call_group(record: RecordFields, number: int, midnight: dt.datetime | None) -> tuple:
    """A call's group in a batch: its day number (1 if at or after `midnight`) and its group key's fields."""
    if midnight is not None and record.ts >= midnight:
        number = 1
    return (number, record.provider, record.model, record.service_tier, record.project, record.use_case, record.app,
            record.tags)
