"""Splicing vaultledger's block into note text: golden before/after notes and hypothesis properties."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from vaultledger.errors import NoteError
from vaultledger.notes.splice import (
    BOM,
    SECTION_HEADINGS,
    Block,
    begin_marker,
    check_note,
    end_marker,
    extract_block,
    find_blocks,
    scan_note,
    splice_section,
)

GOLDEN = Path(__file__).parent / "golden" / "splice"
REGENERATE = os.environ.get("VAULTLEDGER_REGENERATE_GOLDEN") == "1"

BODY = "3 calls · **$0.0123**\n"

# (case, kind, action, warning that must appear, or "" for none)
GOLDEN_CASES = [
    ("crlf_note", "daily", "appended", ""),
    ("bom", "daily", "appended", ""),
    ("bom_stale_markers", "daily", "replaced", ""),
    ("frontmatter_decoy", "daily", "appended", ""),
    ("fence_decoys", "daily", "inserted", ""),
    ("comment_decoy", "daily", "appended", ""),
    ("math_decoy", "daily", "appended", ""),
    ("unmarked_section", "daily", "inserted", ""),
    ("stale_markers", "daily", "replaced", ""),
    ("heading_variants", "daily", "inserted", ""),
    ("no_final_newline", "daily", "appended", ""),
    ("no_final_newline_block", "daily", "replaced", ""),
    ("empty", "daily", "appended", ""),
    ("blank_line_at_end", "daily", "appended", ""),
    ("two_blocks", "daily", "replaced", "6: a second 'daily' block (the first is at line 2)"),
    ("weekly_beside_daily_block", "weekly", "appended", ""),
]

# (case, error message the splice must raise)
UNBALANCED_CASES = [
    ("unbalanced_begin", "4: begin marker without end"),
    ("unbalanced_end_before_begin", "2: end marker without begin"),
]


def read_golden(name: str) -> str:
    # Bytes, decoded without newline translation, exactly as the note writer reads notes.
    return (GOLDEN / name).read_bytes().decode("utf-8")


@pytest.mark.parametrize(("case", "kind", "action", "warning"), GOLDEN_CASES)
def test_splice_matches_golden_after_file(case: str, kind: str, action: str, warning: str) -> None:
    spliced = splice_section(read_golden(f"{case}.before.md"), kind, BODY)
    after_file = GOLDEN / f"{case}.after.md"
    if REGENERATE:
        after_file.write_bytes(spliced.text.encode("utf-8"))
    assert spliced.text.encode("utf-8") == after_file.read_bytes()
    assert spliced.action == action
    if warning:
        assert any(warning in text for text in spliced.warnings)
    else:
        assert spliced.warnings == []


@pytest.mark.parametrize(("case", "kind", "action", "warning"), GOLDEN_CASES)
def test_golden_after_file_is_a_fixed_point(case: str, kind: str, action: str, warning: str) -> None:
    after = read_golden(f"{case}.after.md")
    assert splice_section(after, kind, BODY).text == after


@pytest.mark.parametrize(("case", "message"), UNBALANCED_CASES)
def test_unbalanced_markers_raise_with_line_number(case: str, message: str) -> None:
    with pytest.raises(NoteError, match=f"^{message}"):
        splice_section(read_golden(f"{case}.before.md"), "daily", BODY)


def test_every_golden_before_file_is_listed() -> None:
    listed = {case for case, *_ in GOLDEN_CASES} | {case for case, _ in UNBALANCED_CASES}
    on_disk = {path.name.removesuffix(".before.md") for path in GOLDEN.glob("*.before.md")}
    assert on_disk == listed


# ---------------------------------------------------------------- focused examples


def test_crlf_note_gets_crlf_in_inserted_lines_and_lf_elsewhere_is_kept() -> None:
    spliced = splice_section("# Day\r\n", "daily", "a\nb\n").text
    assert spliced == (
        "# Day\r\n\r\n## 💰 Token Usage Today\r\n%% vaultledger:begin daily %%\r\na\r\nb\r\n%% vaultledger:end daily %%\r\n"
    )


def test_heading_of_another_level_does_not_count() -> None:
    spliced = splice_section("### 💰 Token Usage Today\nx\n", "daily", "b\n")
    assert spliced.action == "appended"


def test_heading_without_final_newline_gets_block_below_and_still_no_final_newline() -> None:
    spliced = splice_section("## 💰 Token Usage Today", "daily", "b\n").text
    assert spliced == "## 💰 Token Usage Today\n%% vaultledger:begin daily %%\nb\n%% vaultledger:end daily %%"


def test_second_heading_is_reported_and_block_goes_under_the_first() -> None:
    spliced = splice_section("## 💰 Token Usage Today\n\n## 💰 Token Usage Today\n", "daily", "b\n")
    assert spliced.text.startswith("## 💰 Token Usage Today\n%% vaultledger:begin daily %%\n")
    assert spliced.warnings and spliced.warnings[0].startswith("3: ")


def test_unclosed_fence_at_end_refuses_to_append_and_names_its_line() -> None:
    with pytest.raises(NoteError, match=r"^3: code fence is never closed"):
        splice_section("# Day\n\n```python\nprint()\n", "daily", "b\n")


def test_begin_inside_a_block_is_reported_at_the_first_begin() -> None:
    note = f"{begin_marker('daily')}\nx\n{begin_marker('daily')}\n{end_marker('daily')}\n"
    with pytest.raises(NoteError, match=r"^1: begin marker without end \(next begin at line 3\)"):
        splice_section(note, "daily", "b\n")


def test_end_of_another_kind_inside_a_block_is_an_error() -> None:
    note = f"{begin_marker('daily')}\n{end_marker('weekly')}\n{end_marker('daily')}\n"
    with pytest.raises(NoteError, match=r"^2: end marker for 'weekly' inside the 'daily' block"):
        splice_section(note, "weekly", "b\n")


def test_body_containing_a_marker_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="marker"):
        splice_section("", "daily", f"x\n{end_marker('daily')}\n")


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown section kind"):
        splice_section("", "hourly", "b\n")


def test_find_blocks_reports_kinds_lines_and_body_offsets() -> None:
    note = f"x\r\n{begin_marker('weekly')}\r\nbody\r\n{end_marker('weekly')}\r\n"
    [block] = find_blocks(note)
    assert (block.kind, block.begin_line, block.end_line) == ("weekly", 2, 4)
    assert note[block.inner_start : block.inner_end] == "body\r\n"
    assert extract_block(note, "weekly") == "body\n"
    assert extract_block(note, "daily") is None


def test_check_note_lists_every_problem_with_its_line() -> None:
    note = "\n".join(
        [
            end_marker("daily"),
            begin_marker("daily"),
            end_marker("daily"),
            begin_marker("daily"),
            end_marker("daily"),
            begin_marker("weekly"),
        ]
    )
    assert check_note(note) == [
        "1: end marker without begin: %% vaultledger:end daily %%",
        "6: begin marker without end: %% vaultledger:begin weekly %%",
        "4: a second 'daily' block (the first is at line 2); the first is updated, this one is left as it is",
    ]
    assert check_note("# fine\n") == []


def test_markers_inside_frontmatter_fence_comment_and_math_are_not_blocks() -> None:
    hidden_pair = f"{begin_marker('daily')}\n{end_marker('daily')}\n"
    note = f"---\na: 1\n---\n```\n{hidden_pair}```\n%%\n{hidden_pair}%%\n$$\n{hidden_pair}$$\n"
    assert find_blocks(note) == []
    body_offset = len(begin_marker("daily")) + 1
    assert find_blocks(hidden_pair) == [Block("daily", 1, 2, body_offset, body_offset)]


# ---------------------------------------------------------------- properties

LINE_POOL = [
    *SECTION_HEADINGS.values(),
    "## 💰\ufe0f Token Usage Today ##",
    "##  💰 Weekly Token Accounting   ",
    "### 💰 Token Usage Today",
    "# Day",
    "```",
    "````",
    "```python",
    "~~~",
    "   ~~~~",
    "%%",
    "text %% comment",
    "$$",
    "$$ x^2 $$",
    "---",
    "...",
    "",
    "   ",
    "- [ ] task",
    "| a | b |",
]
MARKER_POOL = [marker(kind) for kind in ("daily", "weekly") for marker in (begin_marker, end_marker)]

plain_lines = st.one_of(st.sampled_from(LINE_POOL), st.text(alphabet="ab #`~%$-|\r.", max_size=10))
any_lines = st.one_of(plain_lines, st.sampled_from(MARKER_POOL))
kinds = st.sampled_from(sorted(SECTION_HEADINGS))
# No "\r" in bodies: the generator writes "\n" lines, and extract_block hands back "\n" lines.
body_lines = st.one_of(st.sampled_from(LINE_POOL), st.text(alphabet="ab #`~%$-|.", max_size=10))
bodies = st.lists(body_lines, max_size=6).map(lambda lines: "".join(line + "\n" for line in lines))


@st.composite
def block_lines(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["daily", "weekly", "quarterly"]))
    return [begin_marker(kind), *draw(st.lists(plain_lines, max_size=3)), end_marker(kind)]


@st.composite
def notes(draw: st.DrawFn, lines: st.SearchStrategy[str] = plain_lines) -> str:
    """Note text: lines (some grouped into well-formed blocks), mixed endings, maybe BOM, maybe final newline."""
    groups = draw(st.lists(st.one_of(lines.map(lambda line: [line]), block_lines()), max_size=10))
    flat = [line for group in groups for line in group]
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(flat), max_size=len(flat)))
    text = "".join(line + ending for line, ending in zip(flat, endings))
    if text and not draw(st.booleans()):
        text = text.removesuffix(endings[-1])
    return (BOM if draw(st.booleans()) else "") + text


def splice_or_reject(text: str, kind: str, body: str) -> str:
    """Splice a note the properties apply to: balanced markers, nothing left open where we append."""
    try:
        spliced = splice_section(text, kind, body)
    except NoteError:
        assume(False)
        raise
    event(spliced.action)
    return spliced.text


def first_block(text: str, kind: str) -> Block | None:
    return next((block for block in find_blocks(text) if block.kind == kind), None)


def is_one_insertion(original: str, new: str) -> bool:
    """True when `new` is `original` with one contiguous piece of text inserted somewhere."""
    extra = len(new) - len(original)
    prefix = next((i for i, (a, b) in enumerate(zip(original, new)) if a != b), min(len(original), len(new)))
    return extra >= 0 and new[prefix + extra :] == original[prefix:]


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@PROPERTY_SETTINGS
@given(notes(), kinds, bodies)
def test_splicing_twice_equals_splicing_once(text: str, kind: str, body: str) -> None:
    once = splice_or_reject(text, kind, body)
    assert splice_section(once, kind, body).text == once


@PROPERTY_SETTINGS
@given(notes(), kinds, bodies)
def test_text_outside_the_block_is_unchanged(text: str, kind: str, body: str) -> None:
    new = splice_or_reject(text, kind, body)
    old_block, new_block = first_block(text, kind), first_block(new, kind)
    assert new_block is not None
    assert extract_block(new, kind) == body
    if old_block is None:
        assert is_one_insertion(text, new)
        assert len(find_blocks(new)) == len(find_blocks(text)) + 1
    else:
        assert new[: new_block.inner_start] == text[: old_block.inner_start]
        assert new[new_block.inner_end :] == text[old_block.inner_end :]


@PROPERTY_SETTINGS
@given(notes(), kinds, bodies, bodies)
def test_splicing_a_then_b_equals_splicing_b(text: str, kind: str, body_a: str, body_b: str) -> None:
    direct = splice_or_reject(text, kind, body_b)
    assert splice_section(splice_section(text, kind, body_a).text, kind, body_b).text == direct


@settings(max_examples=60, deadline=None)
@given(notes(), kinds, st.sampled_from([end_marker("daily"), end_marker("weekly")]), st.booleans())
def test_stray_end_marker_on_first_line_always_raises(text: str, kind: str, stray: str, bom: bool) -> None:
    note = (BOM if bom else "") + stray + "\n" + text.removeprefix(BOM)
    with pytest.raises(NoteError, match=r"^1: end marker without begin"):
        splice_section(note, kind, "b\n")


@settings(max_examples=150, deadline=None)
@given(notes(any_lines), kinds, bodies)
def test_unbalanced_markers_raise_and_balanced_ones_do_not(text: str, kind: str, body: str) -> None:
    problems = scan_note(text).problems
    event("unbalanced" if problems else "balanced")
    if problems:
        line_number, message = problems[0]
        with pytest.raises(NoteError) as raised:
            splice_section(text, kind, body)
        assert str(raised.value) == f"{line_number}: {message}"
    else:
        assert find_blocks(text) == scan_note(text).blocks
