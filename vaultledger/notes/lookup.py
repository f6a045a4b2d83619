"""Finding files in a vault the way Obsidian finds them.

A template setting is resolved as a link (`getFirstLinkpathDest(path, "")` in Obsidian, dni and
Periodic Notes), so `Daily template` finds `Templates/Daily template.md`. A periodic note is found
where the plugins find it: dni walks the notes folder recursively and reads each file's name with the
last segment of the format, so a note moved into a subfolder is still its period's note.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from vaultledger.notes.vault import NoteSettings, normalise_vault_path, vault_relative_parts

# Bracketed literals and escaped characters print as themselves, so they never name a year.
_LITERALS = re.compile(r"\[[^\[]*\]|\\.")
_YEAR_TOKEN = re.compile(r"[Yy]|gg|GG")


class VaultFiles:
    """The vault's Markdown files, listed once on first use (Obsidian skips dot-folders)."""

    def __init__(self, vault: Path) -> None:
        self.vault = Path(vault)
        self._files: list[str] | None = None

    def markdown_files(self) -> list[str]:
        """Vault-relative POSIX paths of every `.md` file, shallowest first, then by name."""
        if self._files is None:
            found = []
            for folder, subfolders, names in os.walk(self.vault):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                relative = Path(folder).relative_to(self.vault).as_posix()
                found += [name if relative == "." else f"{relative}/{name}" for name in names if name.endswith(".md")]
            self._files = sorted(found, key=lambda path: (path.count("/"), path))
        return self._files

    def resolve_link(self, link: str) -> Path | None:
        """The file a link names, as Obsidian resolves it from the vault root: the exact path (with
        or without ".md"), else the shallowest file whose path ends with the link, ignoring case."""
        parts = vault_relative_parts(link, "template")
        if not parts:
            return None
        exact = self.vault.joinpath(*parts)
        for candidate in ([exact] if exact.suffix == ".md" else [exact.with_name(exact.name + ".md"), exact]):
            if candidate.is_file():
                return candidate
        wanted = "/".join(parts).lower()
        wanted = wanted if wanted.endswith(".md") else wanted + ".md"
        for path in self.markdown_files():
            lowered = path.lower()
            if lowered == wanted or lowered.endswith("/" + wanted):
                return self.vault / path
        return None

    def moved_note(self, settings: NoteSettings, expected: Path) -> Path | None:
        """An existing note for the period whose computed path is `expected`, elsewhere in its notes
        folder (the plugins find it by its file name alone). Only where that name holds the year, so
        that `DD` in `YYYY/MM/DD` never matches another month's note."""
        if not names_a_year(settings.format.rsplit("/", 1)[-1]):
            return None
        folder = normalise_vault_path(settings.folder)
        prefix = f"{folder}/" if folder else ""
        for path in self.markdown_files():
            if path.startswith(prefix) and path.rsplit("/", 1)[-1] == expected.name:
                found = self.vault / path
                if found != expected and found.is_file():
                    return found
        return None


def names_a_year(segment: str) -> bool:
    """Whether a moment format (one path segment) prints a year, so its output names one period."""
    return bool(_YEAR_TOKEN.search(_LITERALS.sub("", segment)))
