"""A plain, non-editable install carries the templates; price data comes with genai-prices."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_carries_templates_and_renders_from_them(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path),
         str(REPO)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("vaultledger-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for kind in ("daily", "weekly", "monthly", "quarterly"):
        assert f"vaultledger/_templates/{kind}.md.j2" in names
    assert "vaultledger/py.typed" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    probe = ("import vaultledger.notes.render as r, genai_prices;"
             "print(r.bundled_templates_dir());"
             "print(r.render_section('daily', {'total': __import__('vaultledger.ledger.usage').ledger.usage.Sums(),"
             " 'day': '2026-03-14', 'budgets': [], 'by_provider': [], 'by_model': [], 'by_project': [],"
             " 'by_use_case': [], 'unpriced': {}, 'tier_fallbacks': [], 'problems': ''}))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(str(target / "vaultledger" / "_templates"))
    assert "No LLM calls logged on 2026-03-14." in shown.stdout
