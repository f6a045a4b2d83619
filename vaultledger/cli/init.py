"""`vaultledger init --bases`: add to the vault what makes the notes' numbers easy to use."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, VaultOpt
from vaultledger.cli.resolve import settings_from


def init_command(
    bases: Annotated[bool, typer.Option(
        "--bases", help="Write an Obsidian Bases file showing spend per day, week, month and quarter.")] = False,
    name: Annotated[str, typer.Option(
        "--name", help="Where the .base file goes, relative to the vault.")] = "LLM usage.base",
    replace: Annotated[bool, typer.Option("--force", help="Replace an existing file of that name.")] = False,
    vault: VaultOpt = None, config: ConfigOpt = None,
) -> None:
    """Add a Bases file to the vault that sums the notes' llm_* properties, one kind of note per view.

    Example: vaultledger init --bases --vault ~/Obsidian/Main
    """
    from vaultledger.notes.bases import write_bases_file
    from vaultledger.notes.rollup import open_vault

    if not bases:
        raise fail("nothing to set up: pass --bases to write an Obsidian Bases file", code=2)
    with user_errors():
        settings = settings_from(config, vault)
        path = write_bases_file(open_vault(settings), name, force=replace)
    typer.echo(f"wrote {path}")
    if not settings.properties:
        typer.echo("its views read the llm_* properties: set `properties = true` in the config, and the next "
                   "nightly rollup writes them into the notes", err=True)
