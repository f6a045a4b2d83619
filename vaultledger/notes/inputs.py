"""Everything a note section is computed from besides the logs, as one fingerprint.

When it changes (prices, overrides or the price data's version, budgets, time zone, the vault's note
settings and week rule, the section templates, the vaultledger version), notes already written may
show old figures, so the nightly run rewrites them (SPEC §3). New settings count by default: a
setting that cannot change a section must be named in _NOT_INPUTS to be left out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from vaultledger import __version__
from vaultledger.notes.render import bundled_templates_dir
from vaultledger.pricing import GENAI_PRICES_VERSION
from vaultledger.settings import Setting, Settings

if TYPE_CHECKING:
    from vaultledger.notes.rollup import Rollup

# Where things are and how alerts are sent: none of it shows in a section. (A new logs folder or vault
# gets a nightly state of its own anyway.)
_NOT_INPUTS = frozenset({"config_path", "vault", "logs", "cache_dir", "alerts", "unknown_keys", "dashboard_path"})


def inputs_fingerprint(rollup: Rollup) -> str:
    """A short digest of every input of the rollup's sections except the logs themselves."""
    material = {
        "vaultledger": __version__,
        "price_data": GENAI_PRICES_VERSION,
        "settings": settings_material(rollup.settings),
        "notes": {kind: [note.folder, note.format, note.template, note.enabled]
                  for kind, note in sorted(rollup.note_settings.items())},
        "week_rule": repr(rollup.week_rule),
        "templates": templates_digest(rollup.settings.templates_dir),
    }
    text = json.dumps(material, sort_keys=True, default=_json_value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def settings_material(settings: Settings) -> dict[str, Any]:
    """The settings that can change a section, as plain values (where a value came from is left out)."""
    return {
        field.name: _plain(getattr(settings, field.name))
        for field in msgspec.structs.fields(settings)
        if field.name not in _NOT_INPUTS
    }


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Setting) else value


def _json_value(value: Any) -> Any:
    # The same settings must give the same digest in every process: no set order, no object address.
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    if isinstance(value, msgspec.Struct):
        return msgspec.structs.asdict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)  # dates, paths, Decimals


def templates_digest(user_dir: Path | None) -> str:
    """The section templates' bytes: the user's folder first, then the bundled ones it may override."""
    digest = hashlib.sha256()
    for folder in (user_dir, bundled_templates_dir()):
        if folder is None or not folder.is_dir():
            continue
        for template in sorted(folder.glob("*.j2")):
            digest.update(template.name.encode() + b"\0" + template.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
