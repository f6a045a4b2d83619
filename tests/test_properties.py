"""vaultledger's own frontmatter keys: set in place, every other byte as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultledger.notes.properties import set_properties, yaml_scalar
from vaultledger.notes.splice import BOM, splice_section

VALUES = {"llm_cost_usd": 0.004512, "llm_tokens": 1700, "llm_calls": 3}


def test_existing_keys_are_replaced_in_place_and_other_lines_kept() -> None:
    note = "---\r\ntitle: 'Day'  # my comment\r\nllm_calls: 1\r\ntags: [a, b]\r\n---\r\nbody\r\n"
    assert set_properties(note, {"llm_calls": 3}) == (
        "---\r\ntitle: 'Day'  # my comment\r\nllm_calls: 3\r\ntags: [a, b]\r\n---\r\nbody\r\n"
    )


def test_missing_keys_are_added_before_the_closing_line_in_the_given_order() -> None:
    note = "---\ntitle: Day\n...\n# Day\n"
    assert set_properties(note, VALUES) == (
        "---\ntitle: Day\nllm_cost_usd: 0.004512\nllm_tokens: 1700\nllm_calls: 3\n...\n# Day\n"
    )


def test_note_without_frontmatter_gets_a_minimal_one_after_the_bom_in_crlf() -> None:
    assert set_properties(f"{BOM}# Day\r\n", {"llm_calls": 3}) == f"{BOM}---\r\nllm_calls: 3\r\n---\r\n# Day\r\n"
    assert set_properties("", {"llm_calls": 3}) == "---\nllm_calls: 3\n---\n"


def test_block_value_of_our_key_is_replaced_whole_and_nested_keys_are_not_ours() -> None:
    note = "---\nllm_tokens:\n  - 1\n  - 2\n\nstats:\n  llm_calls: 9\nllm_calls:\n- 4\n---\n"
    assert set_properties(note, {"llm_tokens": 12, "llm_calls": 3}) == (
        "---\nllm_tokens: 12\n\nstats:\n  llm_calls: 9\nllm_calls: 3\n---\n"
    )


def test_same_values_give_identical_text() -> None:
    once = set_properties("---\ntitle: Day\n---\n", VALUES)
    assert set_properties(once, VALUES) == once


def test_unclosed_frontmatter_is_not_frontmatter() -> None:
    assert set_properties("---\nno closing line\n", {"llm_calls": 3}) == (
        "---\nllm_calls: 3\n---\n---\nno closing line\n"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.004512, "0.004512"),
        (0.0045123456, "0.004512"),
        (Decimal("0.0045125"), "0.004512"),  # Decimal rounds half to even
        (Decimal("1234.5"), "1234.5"),
        (3.0, "3"),
        (1e-9, "0"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (12, "12"),
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("yes", '"yes"'),
        ("a: b", '"a: b"'),
        ("1.5", '"1.5"'),
    ],
)
def test_values_are_plain_yaml_scalars_without_exponent(value: int | float | Decimal | str, written: str) -> None:
    assert yaml_scalar(value) == written


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), Decimal("NaN")])
def test_values_yaml_cannot_hold_as_numbers_are_refused(value: float | Decimal) -> None:
    with pytest.raises(ValueError):
        yaml_scalar(value)


def test_properties_and_section_commute() -> None:
    note = "---\ntitle: Day\n---\n# Day\n"
    properties_first = splice_section(set_properties(note, VALUES), "daily", "x\n").text
    assert properties_first == set_properties(splice_section(note, "daily", "x\n").text, VALUES)


# Units of valid YAML (a nested map holding one of our key names is not ours).
other_lines = st.sampled_from(["title: Day", "tags: [a]", "# comment", "nested:\n  llm_calls: 9", "", "x: '---'"])
our_lines = st.sampled_from(["llm_calls: 1", "llm_tokens: 5", "llm_cost_usd: 0.1"])
values = st.fixed_dictionaries(
    {},
    optional={
        "llm_cost_usd": st.floats(min_value=0, max_value=1e6, allow_nan=False),
        "llm_tokens": st.integers(min_value=0, max_value=10**9),
        "llm_calls": st.integers(min_value=0, max_value=10**6),
    },
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(other_lines, our_lines), max_size=6), values, st.sampled_from(["\n", "\r\n"]))
def test_properties_read_back_and_other_lines_stay(lines: list[str], wanted: dict, newline: str) -> None:
    front_lines = [part for unit in lines for part in unit.split("\n")]
    note = newline.join(["---", *front_lines, "---", "body"]) + newline
    result = set_properties(note, wanted)
    assert set_properties(result, wanted) == result
    front = yaml.safe_load(result.split(f"---{newline}")[1]) or {}
    for key, value in wanted.items():
        assert front[key] == pytest.approx(value, abs=5e-7)
    kept = [line for line in result.split(newline) if not line.startswith(tuple(wanted))]
    assert kept == [line for line in note.split(newline) if not line.startswith(tuple(wanted))]
