"""vaultledger's own folders (cache, config, state) are where platformdirs puts them, on every platform:
on Linux settings.user_dir applies the XDG rule itself, so a fresh process answers as platformdirs does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ASK = """
import json, platformdirs
from vaultledger.settings import user_dir
kinds = ("cache", "config", "state")
print(json.dumps({kind: [str(user_dir(kind)), getattr(platformdirs, f"user_{kind}_dir")("vaultledger")] for kind in kinds}))
"""


def answers(env: dict[str, str]) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", ASK], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize(("xdg", "home"), [("absolute", "absolute"), ("relative", "absolute"), ("empty", "absolute"),
                                         ("unset", "absolute"), ("unset", "empty"), ("unset", "relative")])
def test_user_dirs_are_platformdirs_own(tmp_path: Path, xdg: str, home: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env["HOME"] = {"absolute": str(tmp_path / "home"), "empty": "", "relative": "rel/home"}[home]
    variables = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")
    if xdg != "unset":
        values = {"absolute": str(tmp_path / "xdg"), "relative": "xdg/here", "empty": ""}
        env.update({name: values[xdg] for name in variables})
    for kind, (ours, theirs) in answers(env).items():
        assert ours == theirs, kind
    if xdg == "absolute" and sys.platform.startswith("linux"):
        assert answers(env)["cache"][0] == str(tmp_path / "xdg" / "vaultledger")


def test_the_report_path_loads_neither_platformdirs_nor_hashlib_on_linux(tmp_path: Path) -> None:
    """What every report and statusline run would pay for: OpenSSL and platformdirs' tempfile import."""
    if not sys.platform.startswith("linux"):
        pytest.skip("elsewhere user_dir asks platformdirs")
    code = ("import sys; from vaultledger.cli.fast import answer_quickly; "
            "answer_quickly(['report', '--format', 'json', '--today', '--logs', sys.argv[1]]); "
            "print(sorted(name for name in ('platformdirs', 'hashlib', 'tomllib', 'gzip', 'csv') if name in sys.modules))")
    env = {**os.environ, "HOME": str(tmp_path), "VAULTLEDGER_TZ": "UTC"}
    env.pop("VAULTLEDGER_CACHE_DIR", None)
    env.pop("VAULTLEDGER_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "logs")], env=env, capture_output=True,
                          text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "[]"
