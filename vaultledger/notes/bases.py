"""An Obsidian Bases file (`.base`) that shows spend per day, week, month and quarter from the notes' properties.

Each view keeps one kind of note (`llm_period`): the same dollar sits in a day's, a week's, a month's and a
quarter's note, so a sum over every note with `llm_cost_usd` would count it four times.
"""

from __future__ import annotations

from pathlib import Path

from vaultledger._fs import atomic_write_text
from vaultledger.errors import VaultError
from vaultledger.notes.vault import vault_relative_parts

DEFAULT_NAME = "LLM usage.base"
# (view name, llm_period) in the order Obsidian lists the views; the first one opens by default.
VIEWS = (("Spend per day", "day"), ("Spend per week", "week"), ("Spend per month", "month"),
         ("Spend per quarter", "quarter"))
COLUMNS = (("llm_cost_usd", "Cost (USD)"), ("llm_calls", "Calls"), ("llm_input_tokens", "Tokens in"),
           ("llm_output_tokens", "Tokens out"), ("llm_unpriced_calls", "Unpriced calls"))

_HEADER = """\
# LLM spend from the llm_* properties vaultledger writes into periodic notes (config: properties = true).
# Written by `vaultledger init --bases`; edit it freely. Every view keeps one kind of note (llm_period),
# so a sum never counts the same money in its day, week, month and quarter notes.
# Embed one view in a note with ![[{name}#Spend per week]].
"""


def bases_text(name: str = DEFAULT_NAME) -> str:
    """The `.base` file's YAML: display names for our properties, then one table view per kind of note."""
    lines = [_HEADER.format(name=Path(name).stem + ".base").rstrip("\n"), "properties:"]
    for key, label in COLUMNS:
        lines += [f"  note.{key}:", f'    displayName: "{label}"']
    lines.append("views:")
    for view, period in VIEWS:
        lines += [
            "  - type: table",
            f'    name: "{view}"',
            f"    filters: 'llm_period == \"{period}\"'",
            "    order:",
            "      - file.name",
            *(f"      - {key}" for key, _ in COLUMNS),
            "    sort:",
            "      - property: file.name",
            "        direction: DESC",
            "    summaries:",
            *(f"      {key}: Sum" for key, _ in COLUMNS),
        ]
    return "\n".join(lines) + "\n"


def write_bases_file(vault: Path, name: str = DEFAULT_NAME, *, force: bool = False) -> Path:
    """Write the `.base` file at the vault-relative `name` (`.base` added when missing); VaultError when
    it exists (unless `force`) or would leave the vault."""
    parts = vault_relative_parts(name, "bases file")
    if not parts:
        raise VaultError("the bases file needs a name, such as 'LLM usage.base'")
    if not parts[-1].endswith(".base"):
        parts[-1] += ".base"
    path = Path(vault).joinpath(*parts)
    if path.exists() and not force:
        raise VaultError(f"{path} exists; pass --force to replace it")
    atomic_write_text(path, bases_text(parts[-1]))
    return path
