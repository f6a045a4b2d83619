"""vaultledger's own frontmatter keys (opt-in, SPEC §6): edited line by line, never by re-dumping YAML.

Re-serialising the frontmatter would reorder keys, requote strings and drop comments; editing only our
own `key: value` lines keeps every other byte of the note as the user wrote it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from vaultledger.ledger.usage import Sums
from vaultledger.notes.splice import BOM, Line, frontmatter_closing_index, newline_of, split_lines

if TYPE_CHECKING:
    from vaultledger.periods import Period

PROPERTY_KEYS = (
    "llm_period", "llm_cost_usd", "llm_tokens", "llm_input_tokens", "llm_output_tokens", "llm_calls",
    "llm_unpriced_calls",
)

PropertyValue = int | float | Decimal | str

_KEY = re.compile(r"^[A-Za-z_][\w-]*$")
_TOP_LEVEL_KEY = re.compile(r"""^(["']?)([A-Za-z_][\w-]*)\1[ \t]*:(?:[ \t]|$)""")
_PLAIN_STRING = re.compile(r"^[A-Za-z_][\w./+-]*(?: [\w./+-]+)*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
_DECIMALS = 6


def _number_text(value: float | Decimal) -> str:
    """Fixed point with up to 6 decimals and no exponent: 0.004512, 12.5, 3."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"property value must be finite, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"property value must be finite, got {value!r}")
    digits = format(value, f".{_DECIMALS}f").rstrip("0").rstrip(".")
    return "0" if digits in ("", "-0") else digits


def yaml_scalar(value: PropertyValue) -> str:
    """A plain YAML scalar for `value`: numbers unquoted, strings plain when safe, else double-quoted."""
    if isinstance(value, bool):
        raise ValueError("booleans are not vaultledger property values")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number_text(value)
    if _PLAIN_STRING.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)  # JSON strings are valid YAML double-quoted scalars


def _property_lines(values: Mapping[str, PropertyValue]) -> dict[str, str]:
    for key in values:
        if not _KEY.match(key):
            raise ValueError(f"not a plain property key: {key!r}")
    return {key: f"{key}: {yaml_scalar(value)}" for key, value in values.items()}


def _value_is_empty(line: Line) -> bool:
    return line.content.split(":", 1)[1].strip() == ""


def _is_continuation(line: Line, after_empty_value: bool) -> bool:
    """A line that still belongs to the key above: indented, blank, or a `- item` of an empty key."""
    content = line.content
    if content[:1] in (" ", "\t") or not content.strip():
        return True
    return after_empty_value and (content == "-" or content.startswith("- "))


def _value_span_end(lines: list[Line], key_index: int, closing_index: int) -> int:
    """Index of the last line of the value that starts at `key_index` (block values span several lines)."""
    after_empty_value = _value_is_empty(lines[key_index])
    last = key_index
    for index in range(key_index + 1, closing_index):
        if not _is_continuation(lines[index], after_empty_value):
            break
        if lines[index].content.strip():
            last = index  # trailing blank lines stay: they sit between keys
    return last


def _edits_for_existing_keys(
    lines: list[Line], closing_index: int, wanted: dict[str, str]
) -> tuple[list[tuple[int, int, str]], set[str]]:
    """(start, end, replacement) for every top-level line of a wanted key, and the keys found."""
    edits: list[tuple[int, int, str]] = []
    found: set[str] = set()
    for index in range(1, closing_index):
        match = _TOP_LEVEL_KEY.match(lines[index].content)
        if match is None or match.group(2) not in wanted:
            continue
        last = _value_span_end(lines, index, closing_index)
        edits.append((lines[index].start, lines[last].end, wanted[match.group(2)]))
        found.add(match.group(2))
    return edits, found


def _apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _prepend_frontmatter(text: str, property_lines: list[str], newline: str) -> str:
    bom = BOM if text.startswith(BOM) else ""
    block = "---" + newline + "".join(line + newline for line in property_lines) + "---" + newline
    return bom + block + text[len(bom) :]


def note_properties(period: Period, total: Sums) -> dict[str, PropertyValue]:
    """vaultledger's frontmatter keys for a period's note, in PROPERTY_KEYS order.

    `llm_period` (day, week, month, quarter, year) lets a Bases or Dataview sum pick one kind of note:
    without it each dollar counts in its day's, week's, month's and quarter's note alike.
    """
    return {
        "llm_period": period.kind,
        "llm_cost_usd": total.cost,
        "llm_tokens": total.input_tokens + total.output_tokens,
        "llm_input_tokens": total.input_tokens,
        "llm_output_tokens": total.output_tokens,
        "llm_calls": total.calls,
        "llm_unpriced_calls": total.unpriced_calls,
    }


def set_properties(text: str, values: Mapping[str, PropertyValue]) -> str:
    """Set vaultledger's frontmatter keys in place (replace their lines, else add before the closing
    `---`); a note without frontmatter gets a minimal one. Every other byte stays as it was."""
    wanted = _property_lines(values)
    if not wanted:
        return text
    lines = split_lines(text)
    newline = newline_of(text)
    closing_index = frontmatter_closing_index(lines)
    if closing_index is None:
        return _prepend_frontmatter(text, list(wanted.values()), newline)
    edits, found = _edits_for_existing_keys(lines, closing_index, wanted)
    added = "".join(line + newline for key, line in wanted.items() if key not in found)
    if added:
        closing_start = lines[closing_index].start
        edits.append((closing_start, closing_start, added))
    return _apply_edits(text, edits)
