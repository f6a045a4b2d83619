"""Roll the bundled sample logs into a fresh demo vault: `python3 scripts/demo.py`.

Sets up .venv on the first run, builds `demo/vault` (an Obsidian vault with Daily notes and
Periodic Notes settings), runs the nightly `vaultledger rollup` over `logs/llm-usage/` (2026Q1) and a
quieter 2025Q4 generated beside it (so the quarter has a previous one to compare with), writes a
Bases file, prints a quarterly report and lists the notes to open. Budgets are set so that the notes
show every kind of budget callout: on track, nearly used and over.
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
LOGS = DEMO / "logs"
BUNDLED_LOGS = REPO / "logs" / "llm-usage"
PERIODIC_NOTES = {
    "daily": {"enabled": True, "format": "YYYY-MM-DD", "folder": "Daily", "template": "Templates/Daily"},
    "weekly": {"enabled": True, "format": "GGGG-[W]WW", "folder": "Weekly", "template": ""},
    "monthly": {"enabled": True, "format": "YYYY-MM", "folder": "Monthly", "template": ""},
    "quarterly": {"enabled": True, "format": "YYYY-[Q]Q", "folder": "Quarterly", "template": ""},
}
DAILY_TEMPLATE = "---\ntags: [daily]\n---\n# {{date:dddd, MMMM D, YYYY}}\n\n## Journal\n\n"
CONFIG_TEXT = """\
vault = "vault"
logs = "logs"
timezone = "Europe/Berlin"
cache_dir = ".cache"
properties = true

[budgets]
daily = 0.50
weekly = 3
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


# The notes worth opening first: a day near its budget, a day over it, a week near its budget, a month
# and two quarters (the first has no quarter before it).
SHOWCASE = ("Daily/2026-03-14.md", "Daily/2026-03-12.md", "Weekly/2026-W11.md", "Monthly/2026-03.md",
            "Quarterly/2026-Q1.md", "Quarterly/2025-Q4.md", "LLM usage.base")


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
    shutil.copytree(BUNDLED_LOGS, LOGS)


def generate_previous_quarter(python: Path) -> None:
    """A quieter 2025Q4 with its own mix, so 2026Q1's note has movers and a quarter to compare with."""
    subprocess.run([str(python), str(REPO / "scripts" / "generate_logs.py"), "--start", "2025-10-01",
                    "--days", "92", "--calls", "1300", "--growth", "0.3", "--seed", "11", "--out", str(LOGS)],
                   check=True, stdout=subprocess.DEVNULL)


def vaultledger(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "vaultledger", *args, "--config", str(CONFIG)], check=True)


def main() -> None:
    python = ensure_venv()
    build_demo_vault()
    generate_previous_quarter(python)
    print("\n$ vaultledger rollup   # the nightly run: every day whose logs changed, and their weeks/months/quarters")
    vaultledger(python, "rollup", "--quiet")
    print("\n$ vaultledger report --quarter 2026Q1 --by model")
    vaultledger(python, "report", "--quarter", "2026Q1", "--by", "model")
    print("\n$ vaultledger init --bases   # an Obsidian Bases file: spend per day, week, month and quarter")
    vaultledger(python, "init", "--bases")
    notes = sorted(VAULT.rglob("*.md"))
    print(f"\nWrote {len(notes)} notes into {VAULT}. Open these in Obsidian (or any editor):")
    for relative in SHOWCASE:
        print(f"  {VAULT / relative}")
    print(f"\nTry more with: {VENV / 'bin' / 'vaultledger'} --help   (config: {CONFIG})")


if __name__ == "__main__":
    sys.exit(main())
