"""Text from records made safe to show: capped, without control characters, escaped for notes.

Record text (model, project, use case, app, attr values, tags) comes from any program that logs, so
it may hold Markdown or Obsidian syntax, HTML, bidi controls or megabytes. Notes and terminals show
it through these functions only, so that what is shown reads as what was logged and does nothing else.
"""

from __future__ import annotations

import re

NONE_LABEL = "(none)"
# Long enough for any real model or project name, short enough that a table row stays a row.
MAX_LABEL_CHARS = 100
ELLIPSIS = "…"

# Bidi controls reorder the text around them (a name could pose as another): they cannot be shown
# safely, so they go. Other control characters, line and paragraph separators become spaces.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CLEAN = str.maketrans(
    {**{code: " " for code in [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]},
     **{ord(char): None for char in _BIDI_CONTROLS}}
)

# Every piece of text that could start Markdown or Obsidian syntax, in one alternation:
_SYNTAX = re.compile(
    r"[\\|\[\]`*$#^~@]"  # escapes, table cells, links/embeds/footnotes, code, emphasis, math, tags, block ids
    r"|_+"  # emphasis, unless inside a word (checked in _escape_one)
    r"|%%+|==+|::+"  # Obsidian comments, highlights, Dataview inline fields
    r"|:(?=//)|(?<![^\W_])www\."  # bare URLs that a reader would link
    r"|[<>]|&(?=#?\w+;)",  # HTML, autolinks, Templater's `<%`, entities
    re.IGNORECASE,
)
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def plain_label(value: object, limit: int = MAX_LABEL_CHARS) -> str:
    """Record text for any display: one line, no control characters, at most `limit` characters."""
    if value is None:
        return NONE_LABEL
    text = str(value)[: limit + 1].translate(_CLEAN)  # cut before cleaning: a 50 MB name costs nothing
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def markdown_text(value: object) -> str:
    """Record text for a note (table cell or prose): capped, and read by Markdown and Obsidian as
    exactly that text — no link, image, embed, tag, comment, math, highlight, HTML or Templater."""
    if value is None:
        return NONE_LABEL
    return escape_markdown(plain_label(value))


def escape_markdown(text: str) -> str:
    """Backslash-escape (or turn into entities) whatever could start syntax, and nothing else.

    Every character of a run (`%%`, `==`, `$$`) is escaped, so the note's source never holds the
    run itself: even a reader that scans for `%%` before honouring escapes finds none.
    """
    return _SYNTAX.sub(lambda match: _escape_one(match, text), text)


def _escape_one(match: re.Match[str], text: str) -> str:
    found = match.group()
    if found in _ENTITIES:
        return _ENTITIES[found]
    if found[0] == "_" and _inside_word(text, match.start(), match.end()):
        return found  # snake_case names stay readable: an underscore inside a word is never emphasis
    if found[0] in "wW":
        return found[:3] + "\\."
    return "".join("\\" + char for char in found)


def _inside_word(text: str, start: int, end: int) -> bool:
    def is_word(index: int) -> bool:
        return 0 <= index < len(text) and text[index].isalnum()

    return is_word(start - 1) and is_word(end)
