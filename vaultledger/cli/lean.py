"""The fast path's imports, without the modules they load for nothing this process uses.

Each heavy import here runs while stand-ins answer for modules it would drag in: `typing_extensions`
(and with it `inspect`), `platform`, msgspec's own `inspect` and JSON schema writer, and `urllib.parse`
were 8-20 ms of every `log`, report and statusline. A stand-in leaves `sys.modules` as soon as the
import is done, so a later import of that module loads the real one; a module that took a forwarding
stand-in (msgspec's `inspect`, pathlib's `quote_from_bytes`) reaches the real module through it,
imported on first use. Nothing is done where the module or one it would stand in for is loaded
already (an app, a test).
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

TYPE_CHECKING = False  # typing is not loaded yet when pathlib is imported (see import_pathlib_lean)
if TYPE_CHECKING:
    from typing import Any


def import_pathlib_lean() -> None:
    """Import pathlib without `urllib.parse` (and `ipaddress`): pathlib of Python 3.11-3.12 takes
    `quote_from_bytes` from it at import, for `Path.as_uri()` alone (1-2 ms); 3.13 imports it there."""
    if sys.version_info < (3, 13):
        _import_with("pathlib", {"urllib.parse": _forwarding("urllib.parse", "quote_from_bytes")})


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
    stand_ins: dict[str, Any] = {
        "typing_extensions": None,
        "msgspec.inspect": _forwarding("msgspec.inspect"),
        "msgspec._json_schema": _forwarding("msgspec._json_schema", "schema", "schema_components"),
        "msgspec.toml": _forwarding("msgspec.toml"),
        "msgspec.yaml": _forwarding("msgspec.yaml"),
    }
    # uuid of Python 3.11-3.13 asks platform for system() alone (3.13 not at all on Linux); a later
    # uuid may ask more of it, so it gets the real module.
    if sys.version_info < (3, 14) and "uuid" not in sys.modules and hasattr(os, "uname"):
        platform = ModuleType("platform", "os.uname()'s system name, for uuid's import alone")
        platform.system = lambda: os.uname().sysname  # type: ignore[attr-defined]  # platform.system()'s answer on POSIX
        stand_ins["platform"] = platform
    _import_with("msgspec", stand_ins)


def _import_with(name: str, stand_ins: dict[str, Any]) -> None:
    """Import module `name` while `stand_ins` sit in sys.modules (None: that import fails at once, as
    for a module not installed). Stand-ins for modules loaded already are left out; an import the
    stand-ins cannot serve (a newer module asking more of one) is done again without them."""
    if name in sys.modules:
        return
    stand_ins = {module: stand_in for module, stand_in in stand_ins.items() if module not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # imported below, the usual way
    finally:
        for module, stand_in in stand_ins.items():
            if module in sys.modules and sys.modules[module] is stand_in:
                del sys.modules[module]
    importlib.import_module(name)


def _forwarding(name: str, *functions: str) -> ModuleType:
    """A stand-in for module `name` whose every attribute comes from the real module, imported when
    first asked for; `functions` are there already, for a `from name import function` at import."""
    stand_in = ModuleType(name, f"{name}, imported when first used")

    def real() -> ModuleType:
        if sys.modules.get(name) is stand_in:  # asked during the import it stands in for: no help after all
            del sys.modules[name]
        return importlib.import_module(name)

    def attribute(attribute_name: str) -> Any:
        if attribute_name.startswith("__"):  # the import system's questions (`__path__` ...): a plain module's answers
            raise AttributeError(attribute_name)
        value = getattr(real(), attribute_name)
        setattr(stand_in, attribute_name, value)  # asked once
        return value

    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    for function in functions:
        setattr(stand_in, function, _forwarder(real, function))
    return stand_in


def _forwarder(real: Any, function: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(real(), function)(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = function
    return forward
