"""Create the repo's .venv and install vaultledger into it: the setup both Quick start commands share."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extras: str = "") -> Path:
    """Make .venv once; reinstall only when pyproject.toml or the wanted extras changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"vaultledger needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    python = venv_python()
    if not python.exists():
        print(f"setting up {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = VENV / f".installed{extras.replace(',', '-')}"
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        target = f"{REPO}[{extras}]" if extras else str(REPO)
        print(f"installing vaultledger{f'[{extras}]' if extras else ''} into {VENV} ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--editable", target], check=True)
        # An editable install leaves no bytecode, and where PYTHONDONTWRITEBYTECODE is set none is ever
        # written: every command would compile the modules it imports. Compile them as pip would.
        subprocess.run([str(python), "-m", "compileall", "-q", str(REPO / "vaultledger")], check=True)
        stamp.write_text(wanted)
    return python


if __name__ == "__main__":  # `python3 scripts/_venv.py EXTRAS`: .ci/run adds the integrations before the slow tier
    print(ensure_venv(sys.argv[1] if len(sys.argv) > 1 else ""))
