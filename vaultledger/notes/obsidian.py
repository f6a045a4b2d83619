"""The vault's Obsidian settings files: which plugins are on, and what each one keeps.

Obsidian loads a community plugin only while `community-plugins.json` lists it, so a plugin's
`data.json` left behind by a disabled (or never enabled) plugin says nothing about the vault.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaultledger.errors import VaultError

PERIODIC_NOTES = "periodic-notes"
CALENDAR = "calendar"

# Every file whose change can move a note or change its name (watch re-reads the settings on these).
SETTINGS_FILES = (
    "daily-notes.json", "core-plugins.json", "community-plugins.json", "app.json", "templates.json",
    f"plugins/{PERIODIC_NOTES}/data.json", f"plugins/{CALENDAR}/data.json",
)

_JSON_TYPE_NAMES: dict[type, str] = {dict: "object", list: "array"}


def obsidian_file(vault: Path, *parts: str) -> Path:
    return Path(vault).joinpath(".obsidian", *parts)


def read_json(path: Path, *expected: type) -> Any:
    """The JSON in `path`; VaultError naming the file when it cannot be read as one of `expected`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise VaultError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise VaultError(f"cannot read {path}: {error}") from None
    if not isinstance(data, expected):
        wanted = " or ".join(_JSON_TYPE_NAMES.get(kind, kind.__name__) for kind in expected)
        raise VaultError(f"{path} should hold a JSON {wanted}, not {type(data).__name__}")
    return data


def community_plugin_enabled(vault: Path, plugin_id: str) -> bool:
    """Whether Obsidian loads the community plugin: `community-plugins.json` lists the enabled ones."""
    listing = obsidian_file(vault, "community-plugins.json")
    return listing.is_file() and plugin_id in read_json(listing, list)


def core_plugin_enabled(vault: Path, plugin_id: str) -> bool:
    # Older Obsidian writes a list of enabled ids, newer an {id: bool} object; absent means unknown,
    # and core Daily notes is on in a fresh vault.
    listing = obsidian_file(vault, "core-plugins.json")
    if not listing.is_file():
        return True
    enabled = read_json(listing, list, dict)
    return plugin_id in enabled if isinstance(enabled, list) else bool(enabled.get(plugin_id, True))


def plugin_data_file(vault: Path, plugin_id: str) -> Path:
    return obsidian_file(vault, "plugins", plugin_id, "data.json")


def plugin_data(vault: Path, plugin_id: str) -> dict[str, Any] | None:
    """The settings of an enabled community plugin, or None (not enabled, or nothing saved yet)."""
    data_file = plugin_data_file(vault, plugin_id)
    if not data_file.is_file() or not community_plugin_enabled(vault, plugin_id):
        return None
    return read_json(data_file, dict)


def ignored_plugin_data(vault: Path, plugin_id: str) -> Path | None:
    """The plugin's settings file when it is there but the plugin is not enabled (for `doctor`)."""
    data_file = plugin_data_file(vault, plugin_id)
    if data_file.is_file() and not community_plugin_enabled(vault, plugin_id):
        return data_file
    return None


def app_config(vault: Path) -> dict[str, Any]:
    """`.obsidian/app.json` (where Periodic Notes 1.x keeps its week start and locale), or {}."""
    config = obsidian_file(vault, "app.json")
    return read_json(config, dict) if config.is_file() else {}


def text_or_none(value: Any) -> str | None:
    # Settings files hold null or odd types where nothing was chosen; both mean "not set".
    return value if isinstance(value, str) else None
