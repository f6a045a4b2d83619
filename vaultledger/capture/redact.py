"""Keep secrets and e-mail addresses out of the log: free-text fields are redacted before writing.

Redacted: `app`, `project`, `use_case`, `unit_id`, `session`, `tags` and the string values of
`attrs`. Never touched: `provider`, `model`, `id` (provider ids are machine-made, and redacting
two different ids to the same text would merge calls in the reader's dedupe), `service_tier`, `ts`.
"""

from __future__ import annotations

import re

import msgspec

from vaultledger.record import UsageRecord

# (kind, pattern): what a secret looks like; the kind is shown as `[redacted:kind]`.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("api_key", r"(?<![A-Za-z0-9])sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
    ("api_key", r"(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("api_key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("api_key", r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"),
    ("api_key", r"(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("github_token", r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("aws_access_key", r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ("bearer_token", r"(?:[Bb]earer|BEARER)\s+(?=[A-Za-z0-9\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{16,}=*"),
    ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
)

# Every pattern above contains one of these literals; when none occurs, no pattern can match.
# Plain `in` tests are 4x faster than one alternation regex (measured: 0.4 µs vs 2 µs a record).
_SECRET_MARKERS = (
    "@", "sk-", "sk_", "rk_", "AIza", "hf_", "xox", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "AKIA", "ASIA", "earer", "EARER",
)
_SECRET = re.compile("|".join(f"(?P<k{index}>{pattern})" for index, (_, pattern) in enumerate(PATTERNS)))
_KIND_OF_GROUP = {f"k{index}": kind for index, (kind, _) in enumerate(PATTERNS)}
_TEXT_FIELDS = ("app", "project", "use_case", "unit_id", "session")


def redact_text(text: str) -> str:
    """`text` with each API key, token and e-mail address replaced by `[redacted:kind]`."""
    if not _may_hold_secret(text):
        return text
    return _SECRET.sub(_replacement, text)


def _may_hold_secret(text: str) -> bool:
    return any(map(text.__contains__, _SECRET_MARKERS))  # the loop runs in C


def _replacement(match: re.Match[str]) -> str:
    return f"[redacted:{_KIND_OF_GROUP[match.lastgroup or '']}]"


# Texts already seen to hold nothing to redact. Apps repeat their app, project and use case on
# every call, so most checks end in one set lookup; the set is emptied when it grows large.
# None (a field not given) is in it too, for redact_record's one-call check; it may be missing for a
# moment while another thread empties the set, which only sends that check to _is_clean.
_KNOWN_CLEAN: set[str | None] = {None}
KNOWN_CLEAN_LIMIT = 50_000


def _is_clean(text: str | None) -> bool:
    if text is None or text in _KNOWN_CLEAN:
        return True
    if _may_hold_secret(text):
        return False
    if len(_KNOWN_CLEAN) >= KNOWN_CLEAN_LIMIT:
        _KNOWN_CLEAN.clear()
        _KNOWN_CLEAN.add(None)
    _KNOWN_CLEAN.add(text)
    return True


def redact_record(record: UsageRecord) -> UsageRecord:
    """`record` itself when no free-text field can hold a secret (the common, fast case), else a copy
    with the secrets replaced."""
    texts = (record.app, record.project, record.use_case, record.unit_id, record.session)
    if (
        (_KNOWN_CLEAN.issuperset(texts) or all(map(_is_clean, texts)))  # one C call when all were seen
        and (not record.tags or all(map(_is_clean, record.tags)))
        and (not record.attrs or not _may_hold_secret(_free_text(record)))
    ):
        return record
    changes: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None and value != (cleaned := redact_text(value)):
            changes[name] = cleaned
    tags = tuple(redact_text(tag) for tag in record.tags)
    if tags != record.tags:
        changes["tags"] = tags
    attrs = {key: redact_text(value) if isinstance(value, str) else value for key, value in (record.attrs or {}).items()}
    if record.attrs is not None and attrs != record.attrs:
        changes["attrs"] = attrs
    return msgspec.structs.replace(record, **changes) if changes else record


def _free_text(record: UsageRecord) -> str:
    """All redactable text of a record in one string, so the fast path is a single regex search."""
    parts = [record.app, record.project, record.use_case, record.unit_id, record.session, *record.tags]
    if record.attrs:
        parts.extend(value for value in record.attrs.values() if isinstance(value, str))
    return "\x00".join(part for part in parts if part)
