"""The coding agents imported from the usage they keep on disk, by command name (`vaultledger import NAME`).

Every module named here has the same three public functions, so source discovery (`[import] sources =
"auto"`) and `doctor` can treat them alike without knowing any agent:

- `default_path(env=os.environ) -> Path`: where the agent keeps its data on this machine (Linux, macOS
  or Windows), honouring the agent's own environment variable;
- `on_this_machine(env=os.environ) -> bool`: whether that place holds anything to import;
- `import_<module>(path, usage_log, state_dir, progress=False) -> ImportSummary`: the importer.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaultledger.capture.importers import Importer

AGENT_MODULES: dict[str, str] = {
    "gemini-cli": "gemini_cli",
    "opencode": "opencode",
    "copilot-cli": "copilot_cli",
    "qwen-code": "qwen_code",
    "goose": "goose",
}


def agent_module(name: str) -> ModuleType:
    """The module importing agent `name` (a key of AGENT_MODULES), loaded on first use."""
    return importlib.import_module(f"vaultledger.capture.importers.{AGENT_MODULES[name]}")


def agent_importer(name: str) -> Importer:
    """`import_<module>` of agent `name`."""
    importer: Importer = getattr(agent_module(name), f"import_{AGENT_MODULES[name]}")
    return importer
