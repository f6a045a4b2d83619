"""Secrets and e-mail addresses in free-text fields never reach the log; model names and ids do."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import pytest

from vaultledger.record import UsageRecord, make_record
from vaultledger.capture.redact import redact_record, redact_text

TS = dt.datetime(2026, 3, 14, 9, 12, 3, tzinfo=dt.timezone.utc)


def record(**fields: Any) -> UsageRecord:
    base = dict(ts=TS, provider="anthropic", model="claude-sonnet-4-5-20250929", input_tokens=100, output_tokens=20)
    return make_record(**{**base, **fields})


@pytest.mark.parametrize(("text", "expected"), [
    ("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbC end", "key [redacted:api_key] end"),
    ("sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123", "[redacted:api_key]"),
    ("sk-AbCdEfGhIjKlMnOpQrStUvWx0123", "[redacted:api_key]"),
    ("sk-svcacct-AbCdEfGhIjKlMnOpQrSt", "[redacted:api_key]"),
    ("google=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google=[redacted:api_key]"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: [redacted:bearer_token]"),
    ("aws AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", "aws [redacted:aws_access_key] and [redacted:aws_access_key]"),
    ("token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "token [redacted:github_token]"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[redacted:github_token]"),
    ("ask bob.smith+llm@example.co.uk today", "ask [redacted:email] today"),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "[redacted:api_key]"),
])
def test_secrets_are_replaced_by_their_kind(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "claude-sonnet-4-5-20250929", "gpt-4o-mini-2024-07-18", "risk-assessment", "task-sketch-notes",
    "poem-0042", "the bearer of news", "the bearer instrument", "3f1c-aaaa-bbbb", "@team", "user@localhost",
    "msg_01XFDUDYJgAACzvnptvVoYEL", "ask-questions", "", "AKIA",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_clean_record_is_returned_as_is() -> None:
    clean = record(app="poet", project="poetry", use_case="poem", unit_id="poem-0042", session="s-1",
                   tags=["nightly"], attrs={"run": "r-17", "n": 3})
    assert redact_record(clean) is clean


def test_every_free_text_field_is_redacted() -> None:
    key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123"
    dirty = record(app=f"app {key}", project="bob@example.com", use_case=key, unit_id=key, session=key,
                   tags=["ok", f"t {key}"], attrs={"note": f"mail bob@example.com key {key}", "n": 3, "flag": True})
    clean = redact_record(dirty)
    assert clean.app == "app [redacted:api_key]"
    assert clean.project == "[redacted:email]"
    assert clean.use_case == clean.unit_id == clean.session == "[redacted:api_key]"
    assert clean.tags == ("ok", "t [redacted:api_key]")
    assert clean.attrs == {"note": "mail [redacted:email] key [redacted:api_key]", "n": 3, "flag": True}
    assert dirty.project == "bob@example.com"  # the caller's record is not modified


def test_model_provider_and_id_are_never_touched() -> None:
    odd = record(model="ft:gpt-4o-mini:bob@example.com::abc", id="sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123",
                 project="bob@example.com")
    clean = redact_record(odd)
    assert (clean.model, clean.id, clean.provider) == (odd.model, odd.id, odd.provider)
    assert clean.project == "[redacted:email]"


def test_threads_redacting_while_the_clean_set_is_emptied_never_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The set of texts seen clean is emptied when full; a thread checking a record meanwhile must still
    pass it (it used to fail on a field left out, and log_usage dropped the record)."""
    import threading

    from vaultledger.capture import redact

    monkeypatch.setattr(redact, "KNOWN_CLEAN_LIMIT", 1)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(3000):
                record = make_record(ts="2026-03-14T09:00:00Z", provider="openai", model="m", input_tokens=1,
                                     output_tokens=1, app=f"app-{offset}-{number}")
                assert redact.redact_record(record) is record
        except BaseException as error:  # noqa: BLE001 - any failure in a thread is the finding
            failures.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between almost any two bytecodes, as on a busy machine
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures[:3]
