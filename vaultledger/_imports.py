"""Imports made while stand-ins answer for modules they would load for nothing: the one mechanism
behind the fast path's imports (cli/lean.py) and the price data's (pricing/bundled.py).

A stand-in sits in `sys.modules` only while the import runs, so a later import of that module loads
the real one. A forwarding stand-in, kept by the modules that imported it, hands on every attribute
from the real module, imported when first asked for.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

TYPE_CHECKING = False  # typing is not loaded yet when pathlib is imported (see cli/lean.py)
if TYPE_CHECKING:
    from typing import Any


def import_with(name: str, stand_ins: dict[str, Any]) -> None:
    """Import module `name` while `stand_ins` sit in sys.modules (None: that import fails at once, as
    for a module not installed). Nothing is done where `name` is loaded already; stand-ins for
    modules loaded already are left out; an import the stand-ins cannot serve (a newer module asking
    more of one) is done again without them."""
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


def forwarding(name: str, *functions: str) -> ModuleType:
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
