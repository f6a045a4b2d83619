"""Hostile record text in notes: escaped so that a Markdown reader shows exactly the text and makes nothing
of it — no link, image, embed, tag, comment, math, highlight, HTML, code span or emphasis.

The reader is markdown-it with the GFM plugin set (tables, strikethrough, autolinks, footnotes, dollar
math) plus Obsidian's own inline syntax, written here as markdown-it rules: like Obsidian's editor they
run after backslash escapes have been consumed, so an escaped character can never start them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.gfm import gfm_plugin
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.notes.escape import MAX_LABEL_CHARS, markdown_text, plain_label

# Obsidian syntax markdown-it does not know, as (token type, pattern at the rule's position).
OBSIDIAN_RULES = {
    "obsidian_comment": r"%%(?:.*?%%|.*)",  # an unclosed one hides the rest of the note
    "obsidian_highlight": r"==.*?==",
    "obsidian_tag": r"#(?=[\w/-]*[^\W\d])[\w/-]+",
    "obsidian_wikilink": r"!?\[\[.*?\]\]",
    "obsidian_block_id": r"\^[\w-]+\s*$",
    "dataview_field": r"::",
    "templater": r"<%",
}
PLAIN = {"text", "softbreak"}
# The generated callout names the config table in a code span of its own.
OURS = {("code_inline", "[[prices]]")}


def _rule(token_type: str, pattern: str):
    regex = re.compile(pattern, re.DOTALL)

    def rule(state: StateInline, silent: bool) -> bool:
        found = regex.match(state.src, state.pos)
        if found is None:
            return False
        if not silent:
            state.push(token_type, "", 0).content = found.group()
        state.pos = found.end()
        return True

    return rule


def obsidian_reader() -> MarkdownIt:
    reader = MarkdownIt("commonmark").use(gfm_plugin, dollarmath=True)
    for token_type, pattern in OBSIDIAN_RULES.items():
        reader.inline.ruler.before("link", token_type, _rule(token_type, pattern))
    return reader


READER = obsidian_reader()


def inline_children(source: str, skip: tuple[str, ...] = ()) -> Iterator[list[Token]]:
    """Each inline run of the source (a cell, a paragraph), except those starting with `skip`."""
    for token in READER.parse(source):
        if token.type == "inline" and not token.content.startswith(skip):
            yield token.children or []


def shown(children: list[Token]) -> str:
    """What a reader sees, whitespace collapsed as HTML collapses it; raises on anything not plain text."""
    syntax = [(child.type, child.content) for child in children
              if child.type not in PLAIN and (child.type, child.content) not in OURS]
    assert syntax == [], syntax
    return " ".join("".join(child.content if child.type == "text" else " " for child in children).split())


def expected(value: str) -> str:
    return " ".join(plain_label(value).split())


HOSTILE = [
    "%% hidden", "%%", "a %% b %% c", "%%%", "50%", "$$", "$$x^2$$", "$x$", "costs $5 and $6", "\\$x\\$",
    "![x](https://evil.example/track.png)", "[click](https://evil.example)", "<https://evil.example>",
    "https://evil.example/a.png", "www.evil.example", "WWW.EVIL.EXAMPLE", "mail me@evil.example",
    "#urgent-tag", "a #tag", "#2026", "==marked==", "a == b", "[[Templates/Daily]]", "![[secret.png]]",
    "[^1]", "^block-id", "(cost:: 0)", "key::value", "<% tp.file.cursor() %>", "<script>alert(1)</script>",
    "<!-- x -->", "&lt;", "&#x41;", "AT&T", "`code`", "``", "*em*", "**strong**", "_em_", "__strong__",
    "snake_case_name", "~~gone~~", "~x~", "a|b", "a\\|b", "\\", "back\\slash", "line\nbreak", "cr\r\nlf",
    "tab\there", "rtl \u202eevil\u202c end", "\u2066isolate\u2069", "nul\x00byte", "esc \x1b[31mred",
    "- list", "1. item", "> quote", "# heading", "---", "| --- |", "[ ] task", "x" * 5000,
    "claude-sonnet-4-5-20250929", "gpt-4.1-mini", "acme/mystery|1", "llama3.1:8b",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_in_a_table_cell_reads_as_itself(value: str) -> None:
    table = f"| Model | Calls |\n|:--|--:|\n| {markdown_text(value)} | 1 |\n"
    cells = list(inline_children(table))
    assert len(cells) == 4, table  # two header cells, two body cells: the row stayed one row
    assert shown(cells[2]) == expected(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_in_a_callout_reads_as_itself(value: str) -> None:
    callout = f"> [!question] Unpriced calls\n> No known price for {markdown_text(value)} (1 call), so.\n"
    (children,) = inline_children(callout)
    assert shown(children) == f"[!question] Unpriced calls No known price for {expected(value)} (1 call), so."


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_source_never_holds_a_run_a_reader_could_scan_for(value: str) -> None:
    source = markdown_text(value)
    for run in ("%%", "$$", "==", "<%", "[[", "::", "\u202e"):
        assert run not in source
    unescaped = re.sub(r"\\.", "", source)
    for run in ("](", "://", "www.", "@"):
        assert run not in unescaped


def test_names_are_capped_with_an_ellipsis() -> None:
    assert plain_label("x" * 50_000_000) == "x" * (MAX_LABEL_CHARS - 1) + "…"
    assert plain_label("y" * MAX_LABEL_CHARS) == "y" * MAX_LABEL_CHARS
    assert plain_label(None) == markdown_text(None) == "(none)"


def test_plain_names_stay_readable_in_the_source() -> None:
    for name in ("claude-sonnet-4-5-20250929", "gpt-4.1-mini", "snake_case_name", "llama3.1:8b", "50%"):
        assert markdown_text(name) == name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_reads_as_itself_in_a_cell_and_in_prose(value: str) -> None:
    cells = list(inline_children(f"| a |\n|--|\n| {markdown_text(value)} |\n"))
    assert len(cells) == 2 and shown(cells[1]) == expected(value)
    (prose,) = inline_children(f"Before {markdown_text(value)} after.\n")
    assert shown(prose) == " ".join(f"Before {plain_label(value)} after.".split())


# ---------------------------------------------------------------- through the real rollup


def test_a_rolled_up_note_shows_hostile_names_as_text_and_nothing_else(vault: Path, logs_dir: Path) -> None:
    names = HOSTILE[:28]
    for day, name in enumerate(names, start=1):
        write_lines(logs_dir / f"2026-01-{day:02d}.jsonl",
                    call(ts=f"2026-01-{day:02d}T09:00:00Z", provider="acme", model=name, project=name, use_case=name))
    result = CliRunner().invoke(app, ["rollup", "--from", "2026-01-01", "--to", f"2026-01-{len(names):02d}"])
    assert result.exit_code == 0, result.output
    for day, name in enumerate(names, start=1):
        note = (vault / f"2026-01-{day:02d}.md").read_text(encoding="utf-8")
        ours = [line for line in note.splitlines() if "%%" in line]
        assert ours == ["%% vaultledger:begin daily %%", "%% vaultledger:end daily %%"], name
        assert "$$" not in note and "==" not in note and "<%" not in note, name
        # Every inline run but the markers, the totals line and the links to the week and quarter notes:
        # table cells and the callouts.
        texts = [shown(cell) for cell in inline_children(note, skip=("%% vaultledger:", "**", "Part of [["))]
        # Model (the short table; the fold leaves out the same table), project and use case rows.
        assert texts.count(expected(name)) == 3, (name, texts)
        assert any(f"No known price for {expected('acme/' + name)} (1 call)" in text for text in texts), name
