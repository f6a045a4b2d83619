"""The machine's own time zone as an IANA name, found the cheap way where the platform allows.

`TZ`, then `/etc/localtime` (a link into the zoneinfo tree on Linux and macOS), then Debian's
`/etc/timezone`; only where none of them names a zone (Windows, an unusual setup) is pendulum asked,
which knows every platform but costs a command tens of milliseconds of start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LOCALTIME = Path("/etc/localtime")
_TIMEZONE_FILE = Path("/etc/timezone")


def local_zone_name() -> str:
    """The system zone's IANA name; "UTC" when nothing names one (never raises)."""
    for name in (_from_tz_variable(), _from_localtime_link(), _from_timezone_file()):
        if name and _is_zone(name):
            return name
    try:
        import pendulum

        name = pendulum.local_timezone().name
        return name if isinstance(name, str) and _is_zone(name) else "UTC"
    except Exception:  # an unreadable /etc/localtime must not stop logging
        return "UTC"


def _from_tz_variable() -> str | None:
    value = os.environ.get("TZ", "").strip().lstrip(":")
    if not value:
        return None
    if value.startswith("/"):  # TZ=/usr/share/zoneinfo/Europe/Berlin
        return _name_in_zoneinfo_tree(value)
    return value


def _from_localtime_link() -> str | None:
    try:
        target = os.path.realpath(_LOCALTIME) if _LOCALTIME.is_symlink() else None
    except OSError:
        return None
    return _name_in_zoneinfo_tree(target) if target else None


def _from_timezone_file() -> str | None:
    try:
        return _TIMEZONE_FILE.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _name_in_zoneinfo_tree(path: str) -> str | None:
    marker = "/zoneinfo/"
    at = path.find(marker)
    return path[at + len(marker):] if at >= 0 else None


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
