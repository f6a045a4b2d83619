"""The install record: what `schedule install` set up, kept beside the nightly log so `status` and
`remove` can say what was done. The scheduler itself stays the truth; the record only explains it."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path
from typing import Any

from vaultledger.schedule.backends import Backend
from vaultledger.schedule.job import NightlyJob

RECORD_FILE = "schedule.json"


def read_record(cache_dir: Path) -> dict[str, Any] | None:
    """What `install` recorded, or None; a damaged record is as good as none (the scheduler is the truth)."""
    try:
        record = json.loads((cache_dir / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def write_record(backend: Backend, job: NightlyJob) -> Path:
    """Record what `install` just set up, in the job's cache folder; returns the record's path."""
    record = {
        "backend": backend.name,
        "at": job.at.text,
        "command": list(job.argv),
        "command_line": shlex.join(job.argv),
        "environment": dict(job.environment),
        "paths": [str(path) for path in backend.files()],
        "output": backend.output,
        "cache_dir": str(job.cache_dir),
        "installed_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    path = job.cache_dir / RECORD_FILE
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path
