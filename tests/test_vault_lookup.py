"""Templates found as Obsidian resolves a link; existing notes found where the plugins find them; the
placeholders each owning plugin fills its own way."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vaultledger.errors import VaultError
from vaultledger.notes.lookup import VaultFiles, names_a_year
from vaultledger.notes.templates import new_note_text, uses_templater
from vaultledger.notes.vault import NoteSettings, note_path

NOW = datetime(2026, 3, 14, 21, 5, 7, 456_000, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    return root


def put(vault: Path, relative: str, text: str = "") -> Path:
    path = vault / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def daily(fmt: str = "YYYY-MM-DD", folder: str = "Daily", template: str | None = None, owner: str = "default",
          kind: str = "daily") -> NoteSettings:
    return NoteSettings(kind, folder, fmt, template, True, "test", owner)


@pytest.mark.parametrize(("link", "found"), [
    ("Templates/Daily template", "Templates/Daily template.md"),
    ("Templates/Daily template.md", "Templates/Daily template.md"),
    ("/Templates/Daily template.md", "Templates/Daily template.md"),
    ("Daily template", "Templates/Daily template.md"),  # a bare name, as a wikilink finds it
    ("daily TEMPLATE", "Templates/Daily template.md"),  # links ignore case
    ("Weekly", "Weekly.md"),  # the shallowest of two files of that name
    ("Archive/Weekly", "Archive/Weekly.md"),
    ("Gone", None),
    ("Hidden", None),  # Obsidian never sees dot-folders
])
def test_templates_resolve_as_links_from_the_vault_root(vault: Path, link: str, found: str | None) -> None:
    for relative in ("Templates/Daily template.md", "Weekly.md", "Archive/Weekly.md", ".trash/Hidden.md",
                     "Archive/Deep/Weekly.md"):
        put(vault, relative)
    resolved = VaultFiles(vault).resolve_link(link)
    assert resolved == (vault / found if found else None)


def test_a_link_cannot_leave_the_vault(vault: Path) -> None:
    with pytest.raises(VaultError):
        VaultFiles(vault).resolve_link("../outside")


def test_a_note_moved_into_a_subfolder_of_its_folder_is_still_found(vault: Path) -> None:
    moved = put(vault, "Daily/2026/03/2026-03-14.md")
    put(vault, "Elsewhere/2026-03-14.md")  # outside the notes folder: another note that happens to share a name
    settings = daily()
    expected = note_path(vault, settings, date(2026, 3, 14))
    assert VaultFiles(vault).moved_note(settings, expected) == moved
    assert VaultFiles(vault).moved_note(settings, note_path(vault, settings, date(2026, 3, 15))) is None


def test_a_name_without_its_year_is_never_taken_for_another_periods_note(vault: Path) -> None:
    put(vault, "Daily/2025/01/14.md")
    settings = daily("YYYY/MM/DD")
    assert VaultFiles(vault).moved_note(settings, note_path(vault, settings, date(2026, 3, 14))) is None
    assert [names_a_year(fmt) for fmt in ("DD", "MMMM", "[Year] Q", "YYYY-MM-DD", "gggg-[W]ww", "GG-W", "yo")] == \
        [False, False, False, True, True, True, True]


def test_a_moved_weekly_note_in_the_vault_root_folder_is_found(vault: Path) -> None:
    moved = put(vault, "Archive/2026/2026-W11.md")
    weekly = daily("gggg-[W]ww", folder="", kind="weekly")
    assert VaultFiles(vault).moved_note(weekly, vault / "2026-W11.md") == moved


def test_title_is_the_whole_formatted_name(vault: Path) -> None:
    put(vault, "T.md", "{{title}} | {{date}}")
    text = new_note_text(vault, daily("YYYY/MM/YYYY-MM-DD", template="T"), date(2026, 3, 14), NOW)
    assert text == "2026/03/2026-03-14 | 2026/03/2026-03-14"


@pytest.mark.parametrize(("owner", "time"), [
    ("Periodic Notes 0.0.17", "21:05"), ("Periodic Notes 1.x", "21:05"), ("Calendar", "21:05"),
    ("core Daily notes", "9:05 PM"), ("vaultledger config", "9:05 PM"),
])
def test_time_follows_the_plugin_that_owns_the_kind(vault: Path, owner: str, time: str) -> None:
    put(vault, ".obsidian/templates.json", json.dumps({"timeFormat": "h:mm A"}))
    put(vault, "T.md", "{{time}}")
    assert new_note_text(vault, daily(template="T", owner=owner), date(2026, 3, 14), NOW) == time


def test_date_placeholders_take_nows_time_but_not_its_milliseconds(vault: Path) -> None:
    put(vault, "T.md", "{{date:YYYY-MM-DD HH:mm:ss.SSS}}")
    assert new_note_text(vault, daily(template="T"), date(2026, 1, 31), NOW) == "2026-01-31 21:05:07.000"


def test_placeholders_speak_the_vaults_locale(vault: Path) -> None:
    from vaultledger.notes.locales import LOCALES

    put(vault, "T.md", "{{date:dddd, D. MMMM}} {{yesterday}}")
    settings = daily("D. MMMM YYYY", template="T")
    text = new_note_text(vault, settings, date(2026, 3, 1), NOW, locale=LOCALES["de"])
    assert text == "Sonntag, 1. März 28. Februar 2026"


def test_templater_commands_are_recognised() -> None:
    assert uses_templater("# <% tp.file.title %>")
    assert uses_templater("<%* tR += 'x' %>")
    assert not uses_templater("# {{title}} 5 % <- not a command")
