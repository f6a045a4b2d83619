"""Tests of the optional integrations (`vaultledger[otel]`, `vaultledger[litellm]`): the slow tier
runs them (`.ci/run` installs the `test-integrations` extra first); where an extra is not installed
they are skipped, saying how to install it."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

INSTALL = "pip install -e '.[test-integrations]' (.ci/run installs it before the slow tier)"


def needs(*modules: str) -> pytest.MarkDecorator:
    """`pytestmark` for a module of integration tests: slow, or skipped when a module is missing.

    Marked slow only when it can run, so that the fast tier (which deselects slow tests) reports the
    skip and its reason instead of hiding the tests."""
    missing = [name for name in modules if not _importable(name)]
    if missing:
        return pytest.mark.skip(reason=f"{', '.join(missing)} not installed: {INSTALL}")
    return pytest.mark.slow


def _importable(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
