"""Budget alerts beyond the note: a webhook POST and a desktop notification, each sent once.

"Once" means once per channel, budget, period and level, remembered in `cache_dir/alerts-sent.json`.
An alert is remembered only after it was delivered, so a webhook that is down gets the alert on the
next run. Sending never raises: a failure comes back as a message for the caller to show.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from vaultledger import __version__
from vaultledger.budgets import BudgetStatus
from vaultledger.errors import ConfigError
from vaultledger._fs import atomic_write_text
from vaultledger.pricing import format_usd
from vaultledger.settings import Settings

SENT_FILE_NAME = "alerts-sent.json"
TIMEOUT_SECONDS = 5
# Levels in rising order: once "over" went out, a later "warning" for the same period is old news.
ALERT_LEVELS = ("warning", "over")
ALERT_KEYS = {"webhook", "desktop"}
CENT = Decimal("0.01")

Post = Callable[[str, bytes], None]
Notify = Callable[[str, str], bool]


class AlertFailed(Exception):
    """A channel could not deliver an alert; the message says why."""


@dataclass(frozen=True)
class AlertConfig:
    """The `[alerts]` table: where alerts go besides the note."""

    webhook: str | None = None
    desktop: bool = True


@dataclass(frozen=True)
class Channel:
    name: str
    deliver: Callable[[BudgetStatus], bool]  # False: nothing there to deliver to (no notifier found)


def parse_alerts(table: Mapping[str, Any], source: str = "config") -> AlertConfig:
    """`[alerts]` → AlertConfig; `webhook` must be an http(s) URL, `desktop` true or false."""
    unknown = set(table) - ALERT_KEYS
    if unknown:
        raise ConfigError(f"{source}: [alerts] has unknown key {sorted(unknown)[0]!r} (known: webhook, desktop)")
    webhook = table.get("webhook")
    if webhook is not None and (not isinstance(webhook, str) or not webhook.startswith(("http://", "https://"))):
        raise ConfigError(f"{source}: alerts.webhook must be an http:// or https:// URL, got {webhook!r}")
    desktop = table.get("desktop", True)
    if not isinstance(desktop, bool):
        raise ConfigError(f"{source}: alerts.desktop must be true or false, got {desktop!r}")
    return AlertConfig(webhook or None, desktop)


def send_budget_alerts(
    statuses: Iterable[BudgetStatus],
    settings: Settings,
    *,
    desktop: bool,
    post: Post | None = None,
    notify: Notify | None = None,
) -> list[str]:
    """Send each warning/over status not yet sent on each channel; return what happened, one line each.

    `desktop` says whether this run may notify the desktop (watch mode); `[alerts] desktop = false`
    turns it off even then. `post(url, body)` and `notify(title, body)` default to urllib and
    notify-send/osascript. Raises ConfigError only for a malformed `[alerts]` table.
    """
    config = parse_alerts(settings.alerts, settings.config_label)
    channels = alert_channels(config, desktop, post or post_json, notify or notify_desktop)
    alerting = [status for status in statuses if status.level in ALERT_LEVELS]
    if not channels or not alerting:
        return []
    memory = SentAlerts.load(settings.cache_dir.value / SENT_FILE_NAME)
    messages = list(memory.problems)
    for status in alerting:
        for channel in channels:
            if not memory.has_sent(channel.name, status):
                messages.extend(deliver_once(channel, status, memory))
    return messages


def alert_channels(config: AlertConfig, desktop: bool, post: Post, notify: Notify) -> list[Channel]:
    channels = []
    if config.webhook:
        channels.append(Channel("webhook", webhook_sender(config.webhook, post)))
    if desktop and config.desktop:
        channels.append(Channel("desktop", lambda status: notify(alert_title(status), alert_text(status))))
    return channels


def webhook_sender(url: str, post: Post) -> Callable[[BudgetStatus], bool]:
    def send(status: BudgetStatus) -> bool:
        post(url, webhook_body(status))
        return True

    return send


def deliver_once(channel: Channel, status: BudgetStatus, memory: SentAlerts) -> list[str]:
    """Deliver one alert and remember it; a failure is reported and left to be tried again."""
    what = f"{status.label} {status.key} ({status.level})"
    try:
        delivered = channel.deliver(status)
    except (AlertFailed, OSError) as error:  # OSError: from a caller's own post/notify
        return [f"{channel.name} alert for {what} failed: {error}; will try again next run"]
    if not delivered:
        return []
    memory.remember(channel.name, status)
    return [f"{channel.name} alert sent: {what}", *memory.save()]


# ---------------------------------------------------------------- what an alert says


def alert_title(status: BudgetStatus) -> str:
    return f"vaultledger: {status.label} {'over' if status.level == 'over' else 'at ' + status.share_text}"


def alert_text(status: BudgetStatus) -> str:
    """`Monthly budget (all usage) 2026-03: $41.00 of $50.00 (82 %); on pace for $63.55.`"""
    pace = "final" if status.has_ended else "on pace for"
    return (f"{status.label} {status.key}: {format_usd(status.spent)} of {format_usd(status.amount)} "
            f"({status.share_text}); {pace} {format_usd(status.projection)}.")


def webhook_body(status: BudgetStatus) -> bytes:
    """The small JSON document a webhook receives; money as exact strings, share as a number."""
    document = {
        "budget": status.label,
        "period": status.key,
        "level": status.level,
        "spent": _money(status.spent),
        "amount": _money(status.amount),
        "share": None if status.share.is_infinite() else round(float(status.share), 4),
        "projection": _money(status.projection),
        "text": alert_text(status),  # chat webhooks (Slack, Mattermost) show this field as is
        "source": "vaultledger",
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


# ---------------------------------------------------------------- channels


def post_json(url: str, body: bytes) -> None:
    """POST `body` as JSON, once, within TIMEOUT_SECONDS; any failure becomes AlertFailed."""
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"vaultledger/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise AlertFailed(f"{url} answered HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise AlertFailed(f"cannot reach {url}: {error.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise AlertFailed(f"cannot post to {url}: {error}") from None


def notify_desktop(title: str, text: str) -> bool:
    """Show a desktop notification with notify-send or osascript; False when neither is on PATH."""
    command = desktop_command(title, text)
    if command is None:
        return False
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AlertFailed(f"{command[0]}: {error}") from None
    if finished.returncode != 0:
        raise AlertFailed(f"{command[0]} exited with {finished.returncode}: {finished.stderr.strip()}")
    return True


def desktop_command(title: str, text: str) -> list[str] | None:
    """The notifier found on PATH: notify-send (Linux, BSD), else osascript (macOS), else None."""
    notify_send = shutil.which("notify-send")
    if notify_send:
        return [notify_send, title, text]
    osascript = shutil.which("osascript")
    if osascript:
        return [osascript, "-e", f"display notification {_applescript(text)} with title {_applescript(title)}"]
    return None


def _applescript(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- memory


@dataclass
class SentAlerts:
    """Which alerts went out, keyed `channel|budget|period|level`, with when (UTC)."""

    path: Path
    sent: dict[str, str]
    problems: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> SentAlerts:
        """The remembered alerts; an unreadable file is reported and treated as empty."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            sent = document["sent"]
            if not isinstance(sent, dict):
                raise ValueError("'sent' is not an object")
        except FileNotFoundError:
            return cls(path, {})
        except (OSError, ValueError, KeyError, TypeError) as error:
            return cls(path, {}, (f"ignoring unreadable {path} ({error}); alerts may be sent again",))
        return cls(path, {str(key): str(value) for key, value in sent.items()})

    def has_sent(self, channel: str, status: BudgetStatus) -> bool:
        """True when this level, or a higher one, already went out on this channel."""
        higher = ALERT_LEVELS[ALERT_LEVELS.index(status.level):]
        return any(self._key(channel, status, level) in self.sent for level in higher)

    def remember(self, channel: str, status: BudgetStatus) -> None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.sent[self._key(channel, status, status.level)] = now

    def save(self) -> list[str]:
        """Write atomically; a failure is returned as a message (the alert may then repeat)."""
        try:
            atomic_write_text(self.path, json.dumps({"version": 1, "sent": self.sent}, indent=1, sort_keys=True) + "\n")
        except OSError as error:
            return [f"cannot remember sent alerts in {self.path} ({error}); they may be sent again"]
        return []

    @staticmethod
    def _key(channel: str, status: BudgetStatus, level: str) -> str:
        return f"{channel}|{status.label}|{status.key}|{level}"
