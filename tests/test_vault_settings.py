"""The vault's note settings (each precedence level), note paths, and new-note text from templates."""

from __future__ import annotations

import json
import shutil
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.vault import MissingTemplateWarning, NoteSettings, is_vault, load_note_settings, note_path
from vaultledger.notes.templates import new_note_text
from vaultledger.periods import WeekRule

OBSIDIAN_FIXTURES = Path(__file__).parent / "fixtures" / "obsidian"
NOW = datetime(2026, 3, 14, 9, 5, 7, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    return root


def put_fixture(vault: Path, fixture: str, *where: str) -> Path:
    target = vault.joinpath(".obsidian", *where)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OBSIDIAN_FIXTURES / fixture, target)
    return target


def put_periodic_notes(vault: Path, version: str, enabled: bool = True) -> Path:
    """Periodic Notes' settings, and the plugin enabled in community-plugins.json (unless told not to)."""
    if enabled:
        put_json(vault, "community-plugins.json", ["calendar", "periodic-notes"])
    return put_fixture(vault, f"periodic-notes-{version}.data.json", "plugins", "periodic-notes", "data.json")


def put_json(vault: Path, name: str, data: object) -> None:
    (vault / ".obsidian" / name).write_text(json.dumps(data), encoding="utf-8")


def put_file(vault: Path, relative: str, text: str) -> None:
    path = vault / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def settings(
    kind: str = "daily", fmt: str = "YYYY-MM-DD", folder: str = "", template: str | None = None
) -> NoteSettings:
    return NoteSettings(kind, folder, fmt, template, True, "test")


def summary(note: NoteSettings) -> tuple[str, str, str | None, bool, str]:
    return (note.folder, note.format, note.template, note.enabled, note.source)


def test_is_vault_needs_the_obsidian_folder(vault: Path, tmp_path: Path) -> None:
    assert is_vault(vault)
    assert not is_vault(tmp_path)


def test_empty_vault_has_daily_notes_in_the_root_and_no_other_kind(vault: Path) -> None:
    notes = load_note_settings(vault)
    assert {kind: (n.format, n.folder, n.source) for kind, n in notes.items()} == {
        "daily": ("YYYY-MM-DD", "", "default"),
        "weekly": ("gggg-[W]ww", "", "default"),
        "monthly": ("YYYY-MM", "", "default"),
        "quarterly": ("YYYY-[Q]Q", "", "default"),
        "yearly": ("YYYY", "", "default"),
    }
    assert [n.enabled for n in notes.values()] == [True, False, False, False, False]
    assert all(n.template is None for n in notes.values())


def test_core_daily_notes_set_only_daily_notes(vault: Path) -> None:
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    notes = load_note_settings(vault)
    assert summary(notes["daily"]) == (
        "Journal", "YYYY/MM/YYYY-MM-DD", "Templates/Daily", True, "core Daily notes"
    )
    assert notes["weekly"].source == "default" and not notes["weekly"].enabled


def test_core_daily_notes_switched_off_in_core_plugins_are_ignored(vault: Path) -> None:
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    put_json(vault, "core-plugins.json", {"daily-notes": False, "templates": True})
    assert load_note_settings(vault)["daily"].source == "default"
    put_json(vault, "core-plugins.json", ["file-explorer", "daily-notes"])
    assert load_note_settings(vault)["daily"].source == "core Daily notes"


def test_periodic_notes_0017_wins_over_core_daily_notes(vault: Path) -> None:
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    put_periodic_notes(vault, "0.0.17")
    notes = load_note_settings(vault)
    source = "Periodic Notes 0.0.17"
    # An empty format there means Periodic Notes' default, not core Daily notes' format.
    assert summary(notes["daily"]) == ("Daily", "YYYY-MM-DD", None, True, source)
    assert summary(notes["weekly"]) == ("Weekly", "gggg-[W]ww", "Templates/Weekly", True, source)
    assert summary(notes["monthly"]) == ("", "YYYY-MM", None, False, source)
    assert summary(notes["quarterly"]) == ("Quarterly", "YYYY-[Q]Q", None, True, source)
    assert summary(notes["yearly"]) == ("", "YYYY", None, False, source)


def test_periodic_notes_1x_reads_the_active_calendar_set(vault: Path) -> None:
    put_periodic_notes(vault, "1.x")
    notes = load_note_settings(vault)
    source = "Periodic Notes 1.x"
    assert summary(notes["daily"]) == ("Daily", "YYYY-MM-DD", "Templates/Daily.md", True, source)
    assert summary(notes["weekly"]) == ("Weekly", "GGGG-[W]WW", None, True, source)
    assert summary(notes["monthly"]) == ("", "YYYY-MM", None, False, source)
    assert summary(notes["quarterly"]) == ("Quarterly", "YYYY-[Q]Q", None, True, source)


def test_periodic_notes_1x_follows_active_calendar_set_by_id(vault: Path) -> None:
    data = json.loads((OBSIDIAN_FIXTURES / "periodic-notes-1.x.data.json").read_text(encoding="utf-8"))
    second = json.loads(json.dumps(data["calendarSets"][0]))
    second["id"] = "Work"
    second["day"]["folder"] = "Work/Days"
    data["calendarSets"].append(second)
    data["activeCalendarSet"] = "Work"
    put_periodic_notes(vault, "1.x").write_text(json.dumps(data), encoding="utf-8")
    assert load_note_settings(vault)["daily"].folder == "Work/Days"


def test_disabled_periodic_daily_notes_leave_daily_notes_to_core(vault: Path) -> None:
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    data = json.loads((OBSIDIAN_FIXTURES / "periodic-notes-0.0.17.data.json").read_text(encoding="utf-8"))
    data["daily"]["enabled"] = False
    put_periodic_notes(vault, "0.0.17").write_text(json.dumps(data), encoding="utf-8")
    assert load_note_settings(vault)["daily"].source == "core Daily notes"


def test_periodic_notes_count_only_when_enabled_in_community_plugins(vault: Path) -> None:
    put_periodic_notes(vault, "1.x", enabled=False)
    weekly = load_note_settings(vault)["weekly"]
    assert (weekly.source, weekly.enabled) == ("default", False)  # no community-plugins.json: none loads
    put_json(vault, "community-plugins.json", ["calendar"])
    assert load_note_settings(vault)["weekly"].source == "default"
    put_json(vault, "community-plugins.json", ["calendar", "periodic-notes"])
    weekly = load_note_settings(vault)["weekly"]
    assert (weekly.source, weekly.enabled) == ("Periodic Notes 1.x", True)


def test_config_overrides_win_key_by_key(vault: Path) -> None:
    put_periodic_notes(vault, "1.x")
    notes = load_note_settings(
        vault,
        {"daily": {"folder": "/Journal/Daily/", "format": "YYYY-MM-DD"}, "weekly": {"folder": "Weeks"}},
    )
    assert summary(notes["daily"]) == (
        "Journal/Daily", "YYYY-MM-DD", "Templates/Daily.md", True, "vaultledger config + Periodic Notes 1.x"
    )
    assert summary(notes["weekly"]) == (
        "Weeks", "GGGG-[W]WW", None, True, "vaultledger config + Periodic Notes 1.x"
    )
    monthly = load_note_settings(vault, {"monthly": {"folder": "Months", "format": ""}})["monthly"]
    assert summary(monthly) == ("Months", "YYYY-MM", None, True, "vaultledger config")
    yearly = load_note_settings(vault, {"year": {}})["yearly"]
    assert summary(yearly) == ("", "YYYY", None, True, "Periodic Notes 1.x")  # off there; on by the config


def test_config_override_with_unknown_kind_or_key_is_a_config_error(vault: Path) -> None:
    with pytest.raises(ConfigError, match="dialy"):
        load_note_settings(vault, {"dialy": {"folder": "x"}})
    with pytest.raises(ConfigError, match="colour"):
        load_note_settings(vault, {"daily": {"colour": "red"}})
    with pytest.raises(ConfigError, match="templater must be"):
        load_note_settings(vault, {"templater": "run"})


@pytest.mark.parametrize(
    "where",
    [("daily-notes.json",), ("plugins", "periodic-notes", "data.json"), ("community-plugins.json",)],
)
def test_malformed_settings_file_is_a_vault_error_naming_it(vault: Path, where: tuple[str, ...]) -> None:
    put_periodic_notes(vault, "1.x")
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    broken = vault.joinpath(".obsidian", *where)
    broken.write_text('{"folder": "Journal",', encoding="utf-8")
    with pytest.raises(VaultError, match=str(broken)):
        load_note_settings(vault)


def test_folders_are_normalised(vault: Path) -> None:
    put_json(vault, "daily-notes.json", {"folder": "//Journal\\Daily//", "format": ""})
    daily = load_note_settings(vault)["daily"]
    assert (daily.folder, daily.format) == ("Journal/Daily", "YYYY-MM-DD")


@pytest.mark.parametrize(
    ("note", "day", "expected"),
    [
        (
            settings(fmt="YYYY/MM/YYYY-MM-DD", folder="Journal"),
            date(2026, 3, 14),
            "Journal/2026/03/2026-03-14.md",
        ),
        (settings(fmt="YYYY-MM-DD"), date(2026, 3, 14), "2026-03-14.md"),
        (settings("weekly", "gggg-[W]ww", "Weekly"), date(2026, 12, 27), "Weekly/2027-W01.md"),
        (settings("weekly", "GGGG-[W]WW", "Weekly"), date(2026, 12, 28), "Weekly/2026-W53.md"),
        (settings("quarterly", "YYYY-[Q]Q", "Q"), date(2026, 1, 1), "Q/2026-Q1.md"),
        (settings("monthly", "[Journal]/YYYY/MMMM"), date(2026, 3, 1), "Journal/2026/March.md"),
        (settings(fmt="YYYY-MM-DD[.md]"), date(2026, 3, 14), "2026-03-14.md"),
    ],
)
def test_note_path_formats_the_period_start(vault: Path, note: NoteSettings, day: date, expected: str) -> None:
    assert note_path(vault, note, day, None) == vault / expected


def test_note_path_numbers_locale_weeks_by_the_given_rule(vault: Path) -> None:
    weekly = settings("weekly", "gggg-[W]ww")
    monday_week = note_path(vault, weekly, date(2026, 12, 28), WeekRule.locale("monday"))
    assert monday_week == vault / "2027-W01.md"
    assert note_path(vault, weekly, date(2021, 1, 4), WeekRule.locale("monday", 4)) == vault / "2021-W01.md"


@pytest.mark.parametrize(
    "note",
    [
        settings(folder="../outside"),
        settings(fmt="[..]/YYYY"),
        settings(fmt="[a/../../b]YYYY"),
        settings(fmt="[/]"),
    ],
)
def test_note_path_never_leaves_the_vault(vault: Path, note: NoteSettings) -> None:
    with pytest.raises(VaultError):
        note_path(vault, note, date(2026, 3, 14), None)


def test_new_note_without_template_is_empty(vault: Path) -> None:
    assert new_note_text(vault, settings(), date(2026, 3, 14), NOW, None) == ""


def test_missing_template_gives_empty_text_and_a_warning(vault: Path) -> None:
    with pytest.warns(MissingTemplateWarning, match="Templates/Gone"):
        text = new_note_text(vault, settings(template="Templates/Gone"), date(2026, 3, 14), NOW, None)
    assert text == ""


@pytest.mark.parametrize("named", ["Templates/Daily", "Templates/Daily.md", "/Templates/Daily.md", "Daily",
                                   "daily", "templates/daily.md"])
def test_template_is_found_with_or_without_md(vault: Path, named: str) -> None:
    put_file(vault, "Templates/Daily.md", "# {{title}}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert new_note_text(vault, settings(template=named), date(2026, 3, 14), NOW, None) == "# 2026-03-14\n"


def test_daily_template_placeholders_are_filled(vault: Path) -> None:
    put_file(
        vault,
        "Templates/Daily.md",
        "# {{title}}\ndate: {{date}} at {{ TIME }}\n{{date:dddd, MMMM Do}} {{time:HH:mm:ss}}\n"
        "next week: {{date+7d:YYYY-MM-DD}}, next month: {{date+1M:YYYY-MM-DD}}\n"
        "<< [[{{yesterday}}]] | [[{{tomorrow}}]] >>\n"
        "<% tp.date.now() %> {{unknown}} {{date:}}\n",
    )
    daily = settings(fmt="YYYY/MM/YYYY-MM-DD", folder="Journal", template="Templates/Daily")
    assert new_note_text(vault, daily, date(2026, 1, 31), NOW, None) == (
        "# 2026/01/2026-01-31\ndate: 2026/01/2026-01-31 at 09:05\nSaturday, January 31st 09:05:07\n"
        "next week: 2026-02-07, next month: 2026-02-28\n"
        "<< [[2026/01/2026-01-30]] | [[2026/02/2026-02-01]] >>\n"
        "<% tp.date.now() %> {{unknown}} {{date:}}\n"
    )


def test_templates_plugin_time_format_applies_to_time(vault: Path) -> None:
    templates = {"folder": "Templates", "dateFormat": "DD.MM.YYYY", "timeFormat": "h:mm A"}
    put_json(vault, "templates.json", templates)
    put_file(vault, "T.md", "{{date}} {{time}}")
    assert new_note_text(vault, settings(template="T"), date(2026, 3, 14), NOW, None) == "2026-03-14 9:05 AM"


def test_weekly_template_fills_weekday_placeholders(vault: Path) -> None:
    put_file(
        vault,
        "Templates/Weekly.md",
        "{{title}}: {{sunday:MM-DD}} … {{saturday:MM-DD}}, {{Monday: ddd D}}\r\n",
    )
    weekly = settings("weekly", "gggg-[W]ww", "Weekly", "Templates/Weekly")
    text = new_note_text(vault, weekly, date(2026, 3, 8), NOW, WeekRule.locale())
    assert text == "2026-W11: 03-08 … 03-14, Mon 9\r\n"
    monday_rule = new_note_text(vault, weekly, date(2026, 3, 9), NOW, WeekRule.locale("monday"))
    assert monday_rule == "2026-W11: 03-15 … 03-14, Mon 9\r\n"


def test_quarterly_template_fills_quarter_placeholders(vault: Path) -> None:
    put_file(vault, "Q.md", "{{title}} starts {{quarter:MMMM YYYY}}; next {{quarter+1Q:YYYY-[Q]Q}}; "
             "{{quarter+1q:YYYY-[Q]Q}} {{date+1D:MM-DD}}")
    quarterly = settings("quarterly", "YYYY-[Q]Q", template="Q")
    text = new_note_text(vault, quarterly, date(2026, 1, 1), NOW, None)
    # moment has no unit `q`, and `D` is no duration: both leave the date as it is.
    assert text == "2026-Q1 starts January 2026; next 2026-Q2; 2026-Q1 01-01"


def test_fixture_vault_creates_daily_note_from_core_template(vault: Path) -> None:
    put_fixture(vault, "daily-notes.json", "daily-notes.json")
    put_file(vault, "Templates/Daily.md", "# {{date:YYYY-MM-DD}}\n")
    daily = load_note_settings(vault)["daily"]
    assert note_path(vault, daily, date(2026, 3, 14), None) == vault / "Journal/2026/03/2026-03-14.md"
    assert new_note_text(vault, daily, date(2026, 3, 14), NOW, None) == "# 2026-03-14\n"
