"""Roll the bundled sample logs into a fresh demo vault: `python3 scripts/demo.py`.

Sets up .venv on the first run, builds `demo/vault` (an Obsidian vault with Daily notes and
Periodic Notes settings), runs the nightly `vaultledger rollup` over `logs/llm-usage/`, prints a
quarterly report and lists the notes to open.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from _venv import REPO, VENV, ensure_venv

DEMO = REPO / "demo"
VAULT = DEMO / "vault"
CONFIG = DEMO / "vaultledger.toml"
PERIODIC_NOTES = {
    "daily": {"enabled": True, "format": "YYYY-MM-DD", "folder": "Daily", "template": "Templates/Daily"},
    "weekly": {"enabled": True, "format": "GGGG-[W]WW", "folder": "Weekly", "template": ""},
    "monthly": {"enabled": True, "format": "YYYY-MM", "folder": "Monthly", "template": ""},
    "quarterly": {"enabled": True, "format": "YYYY-[Q]Q", "folder": "Quarterly", "template": ""},
}
DAILY_TEMPLATE = "---\ntags: [daily]\n---\n# {{date:dddd, MMMM D, YYYY}}\n\n## Journal\n\n"
CONFIG_TEXT = f"""\
vault = "vault"
logs = {json.dumps(str(REPO / "logs" / "llm-usage"))}
timezone = "Europe/Berlin"
cache_dir = ".cache"

[budgets]
monthly = 20
quarterly = 60

[budgets.project.poetry]
monthly = 5

[[prices]]
provider = "acme"
model = "acme-llm-*"
input = 0.20
output = 0.60
valid_from = 2026-03-01
"""


def build_demo_vault() -> None:
    """A fresh vault each run, so the demo always shows what a first rollup does."""
    shutil.rmtree(DEMO, ignore_errors=True)
    plugins = VAULT / ".obsidian" / "plugins" / "periodic-notes"
    plugins.mkdir(parents=True)
    (plugins / "data.json").write_text(json.dumps(PERIODIC_NOTES, indent=1))
    (VAULT / ".obsidian" / "community-plugins.json").write_text('["periodic-notes"]')
    (VAULT / "Templates").mkdir()
    (VAULT / "Templates" / "Daily.md").write_text(DAILY_TEMPLATE)
    CONFIG.write_text(CONFIG_TEXT)


def vaultledger(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "vaultledger", *args, "--config", str(CONFIG)], check=True)


def main() -> None:
    python = ensure_venv()
    build_demo_vault()
    print("\n$ vaultledger rollup   # the nightly run: every day whose logs changed, and their weeks/months/quarters")
    vaultledger(python, "rollup", "--quiet")
    print("\n$ vaultledger report --quarter 2026Q1 --by model")
    vaultledger(python, "report", "--quarter", "2026Q1", "--by", "model")
    notes = sorted(VAULT.rglob("*.md"))
    print(f"\nWrote {len(notes)} notes into {VAULT}. Open these in Obsidian (or any editor):")
    for relative in ("Daily/2026-03-14.md", "Weekly/2026-W11.md", "Monthly/2026-03.md", "Quarterly/2026-Q1.md"):
        print(f"  {VAULT / relative}")
    print(f"\nTry more with: {VENV / 'bin' / 'vaultledger'} --help   (config: {CONFIG})")


if __name__ == "__main__":
    sys.exit(main())
