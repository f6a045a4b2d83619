"""The fast path's imports, without the modules they load for nothing this process uses.

Each heavy import here runs while stand-ins (see _imports.py) answer for modules it would drag in:
`typing_extensions` (and with it `inspect`), `platform`, msgspec's own `inspect` and JSON schema
writer, and `urllib.parse` were 8-20 ms of every `log`, report and statusline. Nothing is done where
the module or one it would stand in for is loaded already (an app, a test).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from vaultledger._imports import forwarding, import_with

TYPE_CHECKING = False  # typing is not loaded yet when pathlib is imported (see import_pathlib_lean)
if TYPE_CHECKING:
    from typing import Any


def import_pathlib_lean() -> None:
    """Import pathlib without `urllib.parse` (and `ipaddress`): pathlib of Python 3.11-3.12 takes
    `quote_from_bytes` from it at import, for `Path.as_uri()` alone (1-2 ms); 3.13 imports it there."""
    if sys.version_info < (3, 13):
        import_with("pathlib", {"urllib.parse": forwarding("urllib.parse", "quote_from_bytes")})


def import_datetime_lean() -> None:
    """Import datetime as Python 3.12 builds it, from the C module's names alone. datetime.py of 3.11
    first defines the whole pure-Python datetime (0.5 ms, msgspec imports it), then replaces all of it
    with `_datetime`'s names; here the module gets those names, and its own file, spec and loader."""
    if sys.version_info >= (3, 12) or "datetime" in sys.modules:
        return
    from importlib.machinery import PathFinder

    try:
        import _datetime
    except ImportError:
        return  # an interpreter without the C module: the pure-Python one, imported the usual way
    spec = PathFinder.find_spec("datetime")
    if spec is None or spec.origin is None:
        return
    module = ModuleType("datetime", _datetime.__doc__)
    module.__dict__.update((name, value) for name, value in vars(_datetime).items() if not name.startswith("_"))
    names = ("date", "datetime", "time", "timedelta", "timezone", "tzinfo", "MINYEAR", "MAXYEAR", "UTC")
    module.__all__ = names  # type: ignore[attr-defined]
    module.__spec__, module.__loader__, module.__file__ = spec, spec.loader, spec.origin
    module.__cached__ = spec.cached  # type: ignore[attr-defined]
    sys.modules["datetime"] = module


def import_msgspec_lean() -> None:
    """Import msgspec without typing_extensions, which it tries first and which loads `inspect`:
    5-15 ms. On Python 3.11+ msgspec then takes get_type_hints, Required and NotRequired from
    `typing` (the last two are the same objects), and vaultledger's types need nothing more.
    Nor with `platform`, which msgspec's `uuid` imports (on Linux and the BSDs) only to ask
    `platform.system()` once (1-2 ms of import and regular expressions); uuid gets the same answer
    from os.uname(). Nor with the parts of msgspec vaultledger never calls, which its `__init__`
    imports all the same (2-3 ms with the textwrap and regular expressions they load): `inspect`,
    the JSON schema writer, `toml` and `yaml` come in when first used."""
    if "typing_extensions" in sys.modules:
        return  # msgspec would find and use it: nothing to spare
    import_datetime_lean()
    stand_ins: dict[str, Any] = {
        "typing_extensions": None,
        "msgspec.inspect": forwarding("msgspec.inspect"),
        "msgspec._json_schema": forwarding("msgspec._json_schema", "schema", "schema_components"),
        "msgspec.toml": forwarding("msgspec.toml"),
        "msgspec.yaml": forwarding("msgspec.yaml"),
    }
    # uuid of Python 3.11-3.13 asks platform for system() alone (3.13 not at all on Linux); a later
    # uuid may ask more of it, so it gets the real module.
    if sys.version_info < (3, 14) and "uuid" not in sys.modules and hasattr(os, "uname"):
        platform = ModuleType("platform", "os.uname()'s system name, for uuid's import alone")
        platform.system = lambda: os.uname().sysname  # type: ignore[attr-defined]  # platform.system()'s answer on POSIX
        stand_ins["platform"] = platform
    import_with("msgspec", stand_ins)
