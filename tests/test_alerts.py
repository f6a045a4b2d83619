"""Alerts through the real channels: a real HTTP server on 127.0.0.1, a fake notify-send on PATH."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import call, write_lines
from vaultledger.budgets.alerts import SENT_FILE_NAME, send_budget_alerts
from vaultledger.budgets.report import evaluate_budgets
from vaultledger.budgets import Budget, BudgetStatus
from vaultledger.errors import ConfigError
from vaultledger.periods import WeekRule, month_of
from vaultledger.settings import Settings, resolve_settings

MARCH_14 = dt.date(2026, 3, 14)


class Receiver(ThreadingHTTPServer):
    """Records each POST (headers and JSON body) and answers with `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.status = 204
        self.posts: list[tuple[dict[str, str], dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((dict(self.headers), json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("no_proxy", "*")  # a proxy in the environment must not swallow 127.0.0.1
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def notify_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notify-send first on PATH that appends its arguments, one per line, then `--`, to a file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "notify-send-calls.txt"
    script = folder / "notify-send"
    script.write_text(f'#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done >> "{calls}"\n'
                      f'echo -- >> "{calls}"\nexit "${{FAKE_NOTIFY_EXIT:-0}}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return calls


def settings_with(tmp_path: Path, toml: str) -> Settings:
    config = tmp_path / "vaultledger.toml"
    config.write_text(toml, encoding="utf-8")
    return resolve_settings(config=config)


def status(spent: str, amount: str = "50", day: dt.date = MARCH_14) -> BudgetStatus:
    return BudgetStatus(Budget("monthly", Decimal(amount)), month_of(day), Decimal(spent), day)


def sent_memory(settings: Settings) -> dict[str, str]:
    return json.loads((settings.cache_dir.value / SENT_FILE_NAME).read_text())["sent"]


def test_webhook_gets_a_small_json_document_once(receiver: Receiver, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    first = send_budget_alerts([status("40.5")], settings, desktop=False)
    again = send_budget_alerts([status("40.5")], settings, desktop=False)
    assert first == ["webhook alert sent: Monthly budget (all usage) 2026-03 (warning)"] and again == []
    [(headers, document)] = receiver.posts
    assert headers["Content-Type"] == "application/json"
    assert {key: document[key] for key in ("budget", "period", "level", "spent", "amount", "share", "projection",
                                           "source")} == {
        "budget": "Monthly budget (all usage)", "period": "2026-03", "level": "warning", "spent": "40.50",
        "amount": "50.00", "share": 0.81, "projection": "89.68", "source": "vaultledger"}
    assert list(sent_memory(settings)) == ["webhook|Monthly budget (all usage)|2026-03|warning"]


def test_ok_budgets_send_nothing(receiver: Receiver, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    assert send_budget_alerts([status("10")], settings, desktop=False) == []
    assert receiver.posts == [] and not (settings.cache_dir.value / SENT_FILE_NAME).exists()


def test_over_follows_warning_but_not_the_other_way_round(receiver: Receiver, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    for spent in ("41", "60", "45"):  # warning, over, then warning again (say, after a price fix)
        send_budget_alerts([status(spent)], settings, desktop=False)
    assert [document["level"] for _, document in receiver.posts] == ["warning", "over"]
    send_budget_alerts([status("45", day=dt.date(2026, 4, 2))], settings, desktop=False)
    assert receiver.posts[-1][1]["period"] == "2026-04"  # a new period alerts afresh


def test_failing_webhook_is_reported_and_tried_again(receiver: Receiver, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    receiver.status = 500
    [message] = send_budget_alerts([status("60")], settings, desktop=False)
    assert "HTTP 500" in message and "will try again" in message
    assert not (settings.cache_dir.value / SENT_FILE_NAME).exists()
    receiver.status = 200
    assert send_budget_alerts([status("60")], settings, desktop=False) == [
        "webhook alert sent: Monthly budget (all usage) 2026-03 (over)"]
    assert len(receiver.posts) == 2


def test_unreachable_webhook_is_a_message_not_an_exception(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "*")
    with socket.socket() as probe:  # a port that was free a moment ago and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "http://127.0.0.1:{port}/hook"\n')
    [message] = send_budget_alerts([status("60")], settings, desktop=False)
    assert message.startswith("webhook alert for Monthly budget (all usage) 2026-03 (over) failed: cannot reach")
    assert not (settings.cache_dir.value / SENT_FILE_NAME).exists()


def test_desktop_notification_goes_out_once_in_watch_mode(notify_send: Path, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, "")
    assert send_budget_alerts([status("60")], settings, desktop=False) == []  # the nightly run: no desktop
    assert not notify_send.exists()
    send_budget_alerts([status("60")], settings, desktop=True)
    send_budget_alerts([status("60")], settings, desktop=True)
    title, text, end = notify_send.read_text().splitlines()
    assert title == "vaultledger: Monthly budget (all usage) over"
    assert text == "Monthly budget (all usage) 2026-03: $60.00 of $50.00 (120 %); on pace for $132.86."
    assert end == "--"


def test_desktop_can_be_turned_off_in_the_config(notify_send: Path, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, "[alerts]\ndesktop = false\n")
    assert send_budget_alerts([status("60")], settings, desktop=True) == []
    assert not notify_send.exists()


def test_failing_notifier_is_reported_and_tried_again(
    notify_send: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(tmp_path, "")
    monkeypatch.setenv("FAKE_NOTIFY_EXIT", "1")
    [message] = send_budget_alerts([status("60")], settings, desktop=True)
    assert "exited with 1" in message
    monkeypatch.setenv("FAKE_NOTIFY_EXIT", "0")
    assert send_budget_alerts([status("60")], settings, desktop=True) == [
        "desktop alert sent: Monthly budget (all usage) 2026-03 (over)"]
    assert notify_send.read_text().count("--\n") == 2


def test_no_notifier_on_path_is_skipped_silently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    settings = settings_with(tmp_path, "")
    assert send_budget_alerts([status("60")], settings, desktop=True) == []
    assert not (settings.cache_dir.value / SENT_FILE_NAME).exists()


def test_each_channel_remembers_for_itself(receiver: Receiver, notify_send: Path, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    send_budget_alerts([status("60")], settings, desktop=False)  # nightly: webhook only
    messages = send_budget_alerts([status("60")], settings, desktop=True)  # watch mode later
    assert messages == ["desktop alert sent: Monthly budget (all usage) 2026-03 (over)"]
    assert len(receiver.posts) == 1 and sorted(sent_memory(settings)) == [
        "desktop|Monthly budget (all usage)|2026-03|over", "webhook|Monthly budget (all usage)|2026-03|over"]


def test_unreadable_memory_is_reported_and_replaced(receiver: Receiver, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, f'[alerts]\nwebhook = "{receiver.url}"\n')
    memory = settings.cache_dir.value / SENT_FILE_NAME
    memory.parent.mkdir(parents=True)
    memory.write_text("{not json")
    messages = send_budget_alerts([status("60")], settings, desktop=False)
    assert messages[0].startswith(f"ignoring unreadable {memory}") and len(receiver.posts) == 1
    assert list(sent_memory(settings)) == ["webhook|Monthly budget (all usage)|2026-03|over"]


@pytest.mark.parametrize("toml", ['[alerts]\nwebhook = "ftp://example.com"\n', '[alerts]\ndesktop = "yes"\n',
                                  '[alerts]\nemail = "me@example.com"\n'])
def test_malformed_alerts_table_is_a_config_error(toml: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        send_budget_alerts([status("60")], settings_with(tmp_path, toml), desktop=False)


def test_budgets_from_the_logs_reach_the_webhook(receiver: Receiver, logs_dir: Path, tmp_path: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T10:00:00Z", project="orbis", cost_usd="12.5"))
    settings = settings_with(tmp_path, f'[budgets]\ndaily = 20\n[budgets.project.orbis]\ndaily = 10\n'
                                       f'[alerts]\nwebhook = "{receiver.url}"\n')
    now = dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.timezone.utc)
    statuses = evaluate_budgets(settings, None, WeekRule.iso(), now=now)
    send_budget_alerts(statuses, settings, desktop=False)
    # $12.50 is 62 % of the overall $20 (no alert) and 125 % of orbis's $10.
    assert [(document["budget"], document["level"], document["spent"]) for _, document in receiver.posts] == [
        ("Daily budget (project orbis)", "over", "12.50")]
