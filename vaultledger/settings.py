"""Every setting resolved in one place: flag > environment > config file > vault > default (SPEC §8)."""

from __future__ import annotations

import os
import re
import sys
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from vaultledger.errors import ConfigError

T = TypeVar("T")

APP_NAME = "vaultledger"
DEFAULT_LOGS = Path("logs/llm-usage")
CONFIG_FILE_NAME = "vaultledger.toml"
KNOWN_KEYS = {
    "vault", "logs", "timezone", "week_start", "week_doy", "cache_dir", "properties",
    "notes", "prices", "budgets", "alerts", "templates",
    "import", "host_files", "host", "locale", "plans",  # SPEC §9 names them too
    "dashboard",
}
# A host part of a log file name (SPEC §2); Syncthing's conflict marker is never one.
HOST_NAME = r"(?!sync-conflict-)[A-Za-z0-9_-]+"  # compiled on first use (re's cache): few set a host
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Setting(msgspec.Struct, Generic[T], frozen=True):
    """A resolved value and where it came from, so `doctor` can explain every path it uses."""

    value: T
    source: str


class Settings(msgspec.Struct, frozen=True):
    config_path: Setting[Path | None]
    vault: Setting[Path | None]
    logs: Setting[Path]
    timezone: Setting[str]
    cache_dir: Setting[Path]
    week_start: Setting[str | None]  # None: as the vault's Obsidian settings say, else the locale's
    week_doy: int | None = None
    locale: Setting[str | None] = Setting(None, "not set")  # Obsidian's interface language (moment locale)
    properties: bool = False
    notes: Mapping[str, Mapping[str, str]] = msgspec.field(default_factory=dict)
    prices: list[Mapping[str, Any]] = msgspec.field(default_factory=list)
    budgets: Mapping[str, Any] = msgspec.field(default_factory=dict)
    alerts: Mapping[str, Any] = msgspec.field(default_factory=dict)
    imports: Mapping[str, Any] = msgspec.field(default_factory=dict)  # the `[import]` table, read by capture.importers.sources
    plans: Mapping[str, Any] = msgspec.field(default_factory=dict)  # [plans.NAME]: flat-fee subscriptions
    templates_dir: Path | None = None
    dashboard_path: Path | None = None  # [dashboard] path: the page the nightly run writes
    unknown_keys: tuple[str, ...] = ()
    # The HOST of `YYYY-MM-DD.HOST.jsonl` this machine writes (config `host_files`), None: plain day files.
    host: Setting[str | None] = Setting(None, "host_files off")
    # Values no writer needs, found wrong: every command but `log` refuses them, `doctor` lists them
    # (log_usage() must keep logging whatever the templates or week settings say).
    problems: tuple[str, ...] = ()

    @property
    def config_label(self) -> str:
        """How error messages name the config file."""
        return str(self.config_path.value) if self.config_path.value else "config"


def resolve_settings(
    *,
    config: Path | str | None = None,
    vault: Path | str | None = None,
    logs: Path | str | None = None,
    tz: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting from explicit arguments (the CLI's flags), environment and config."""
    env = os.environ if env is None else env
    config_path = _config_path(config, env)
    table = load_config(config_path.value) if config_path.value else {}
    base = config_path.value.parent if config_path.value else Path.cwd()
    problems: list[str] = []
    return Settings(
        config_path=config_path,
        vault=_path_setting(vault, env, "VAULTLEDGER_VAULT", table, "vault", base, None),
        logs=_path_setting(logs, env, "VAULTLEDGER_LOGS", table, "logs", base, DEFAULT_LOGS),
        timezone=_timezone_setting(tz, env, table),
        cache_dir=_path_setting(
            None, env, "VAULTLEDGER_CACHE_DIR", table, "cache_dir", base,
            user_dir("cache"),
        ),
        week_start=(week_start := _week_start_setting(table)),
        week_doy=_week_doy(table, week_start.value, problems),
        locale=_locale_setting(table),
        properties=_flag(table, "properties"),
        host=_host_setting(table),
        notes=_table(table, "notes"),
        prices=_price_entries(table),
        budgets=_table(table, "budgets"),
        alerts=_table(table, "alerts"),
        imports=_table(table, "import"),
        plans=_table(table, "plans"),
        templates_dir=_templates_dir(table, base, problems),
        dashboard_path=_dashboard_path(table, base, problems),
        unknown_keys=tuple(sorted(set(table) - KNOWN_KEYS)),
        problems=tuple(problems),
    )


def load_config(path: Path) -> dict[str, Any]:
    """Parse the TOML config; a syntax error names the file and line."""
    import tomllib  # only where there is a config: about 1.5 ms

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config ({error.strerror})") from None


def default_config_candidates() -> list[Path]:
    """Where a config is looked for when neither --config nor VAULTLEDGER_CONFIG names one."""
    folder = user_dir("config")
    return [Path.cwd() / CONFIG_FILE_NAME, folder / CONFIG_FILE_NAME, folder / "config.toml"]


# Linux's folders by the XDG base directory rule: its variable when that holds an absolute path, else
# the folder in the home directory.
_XDG_HOMES = {"cache": ("XDG_CACHE_HOME", ".cache"), "config": ("XDG_CONFIG_HOME", ".config"),
              "state": ("XDG_STATE_HOME", ".local/state")}


def user_dir(kind: str) -> Path:
    """This user's `kind` folder ("cache", "config" or "state") for vaultledger, as platformdirs names it.

    On Linux the XDG rule is applied here, because platformdirs' Unix module imports tempfile and
    shutil: a few ms of every command, the statusline's on every prompt included. Tests hold the
    two equal."""
    if sys.platform.startswith("linux") and "ANDROID_DATA" not in os.environ:  # Android has its own
        variable, default = _XDG_HOMES[kind]
        base = os.environ.get(variable, "")
        return Path(base if os.path.isabs(base) else os.path.join(_home(), default)) / APP_NAME
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME))


def _home() -> str:
    """HOME when it is an absolute path; else (unset, empty, relative) the account's, as platformdirs does."""
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return os.path.expanduser("~")


def _config_path(flag: Path | str | None, env: Mapping[str, str]) -> Setting[Path | None]:
    if flag:
        return Setting(_existing_config(Path(flag).expanduser(), "--config"), "--config")
    if env.get("VAULTLEDGER_CONFIG"):
        path = Path(env["VAULTLEDGER_CONFIG"]).expanduser()
        return Setting(_existing_config(path, "VAULTLEDGER_CONFIG"), "VAULTLEDGER_CONFIG")
    for candidate in default_config_candidates():
        if candidate.is_file():
            return Setting(candidate, "default location")
    return Setting(None, "none found")


def _existing_config(path: Path, named_by: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"{path}: config file named by {named_by} does not exist")
    return path.resolve()


def _path_setting(
    flag: Path | str | None,
    env: Mapping[str, str],
    env_name: str,
    table: Mapping[str, Any],
    key: str,
    base: Path,
    default: Path | None,
) -> Setting[Any]:
    if flag:
        return Setting(Path(flag).expanduser().absolute(), f"--{key.replace('_', '-')}")
    if env.get(env_name):
        return Setting(Path(env[env_name]).expanduser().absolute(), env_name)
    if key in table:
        if not isinstance(table[key], str):
            raise ConfigError(f"config key '{key}' must be a path string")
        return Setting((base / Path(table[key]).expanduser()).absolute(), f"config '{key}'")
    if default is None:
        return Setting(None, "not set")
    return Setting(default if default.is_absolute() else Path.cwd() / default, "default")


def _timezone_setting(flag: str | None, env: Mapping[str, str], table: Mapping[str, Any]) -> Setting[str]:
    if flag:
        return Setting(check_timezone(flag, "--tz"), "--tz")
    if env.get("VAULTLEDGER_TZ"):
        return Setting(check_timezone(env["VAULTLEDGER_TZ"], "VAULTLEDGER_TZ"), "VAULTLEDGER_TZ")
    if "timezone" in table:
        return Setting(check_timezone(str(table["timezone"]), "config 'timezone'"), "config 'timezone'")
    return Setting(system_timezone(), "system")


def check_timezone(name: str, where: str) -> str:
    """An IANA zone name we can load, or a ConfigError saying where the bad one came from."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {name!r} (use an IANA name like Europe/Berlin)") from None
    return name


def system_timezone() -> str:
    """The machine's zone name (see _localzone: cheap on Linux and macOS, pendulum elsewhere)."""
    from vaultledger._localzone import local_zone_name

    return local_zone_name()


def _week_start_setting(table: Mapping[str, Any]) -> Setting[str | None]:
    if "week_start" not in table:
        return Setting(None, "not set")
    value = str(table["week_start"]).strip().lower()
    if value not in WEEKDAYS:
        raise ConfigError(f"config 'week_start': {value!r} is not a weekday name")
    return Setting(value, "config 'week_start'")


def _week_doy(table: Mapping[str, Any], week_start: str | None, problems: list[str]) -> int | None:
    """moment's `doy`: the week holding January (7 + dow - doy) is week 1, so it lies in dow..dow+6."""
    doy = table.get("week_doy")
    if doy is None:
        return None
    from vaultledger.periods import weekday_number  # only here: log_usage() resolves settings too

    week_start = week_start or "sunday"
    dow = weekday_number(week_start)
    if isinstance(doy, bool) or not isinstance(doy, int) or not dow <= doy <= dow + 6:
        problems.append(f"config 'week_doy': {doy!r} does not fit weeks starting on {week_start}: use a whole "
                        f"number from {dow} to {dow + 6} (6 is Obsidian's English default; en-gb is "
                        "week_start = \"monday\" with week_doy = 4)")
        return None
    return doy


def _locale_setting(table: Mapping[str, Any]) -> Setting[str | None]:
    """The config's `locale`; whether vaultledger knows it is checked where names are printed."""
    value = table.get("locale")
    if value is None:
        return Setting(None, "not set")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"config 'locale' must be a language such as \"de\" or \"en-gb\", got {value!r}")
    return Setting(value.strip(), "config 'locale'")


def _flag(table: Mapping[str, Any], key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"config '{key}' must be true or false, got {value!r}")
    return value


def _host_setting(table: Mapping[str, Any]) -> Setting[str | None]:
    configured = table.get("host")
    if configured is not None and not (isinstance(configured, str) and re.fullmatch(HOST_NAME, configured)):
        raise ConfigError(f"config 'host': {configured!r} is not a host name: use letters, digits, '_' and '-' only")
    if not _flag(table, "host_files"):
        return Setting(None, "host_files off")
    if configured:
        return Setting(configured, "config 'host'")
    return Setting(machine_host(), "this machine's name")


def machine_host(node: str | None = None) -> str:
    """The machine's short host name, lower-cased, other characters turned into `-` (SPEC §2)."""
    if node is None:
        import socket

        node = socket.gethostname()
    host = re.sub(r"[^a-z0-9_-]", "-", node.split(".")[0].lower())
    if not re.fullmatch(HOST_NAME, host):
        raise ConfigError(f"this machine's host name {node!r} makes no file name; set config 'host' (letters, "
                          "digits, '_' and '-')")
    return host


def _table(table: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"config '{key}' must be a table ([{key}])")
    return value


def _price_entries(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = table.get("prices", [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError("config 'prices' must be an array of tables ([[prices]])")
    return entries


def _templates_dir(table: Mapping[str, Any], base: Path, problems: list[str]) -> Path | None:
    value = table.get("templates")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"config 'templates' must be the path of a folder of templates, got {value!r}")
        return None
    return (base / Path(value).expanduser()).absolute()


def _dashboard_path(table: Mapping[str, Any], base: Path, problems: list[str]) -> Path | None:
    """`[dashboard] path = "costs.html"`: the page the nightly run writes (relative to the config's folder)."""
    section = table.get("dashboard")
    if section is None:
        return None
    path = section.get("path") if isinstance(section, Mapping) and set(section) == {"path"} else None
    if isinstance(path, str) and path.strip():
        return (base / Path(path).expanduser()).absolute()
    problems.append(f"config [dashboard] takes one key, path = \"costs.html\" (the page the nightly run "
                    f"writes); got {section!r}")
    return None
