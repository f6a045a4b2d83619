"""Find and replace vaultledger's block in a note's text (SPEC §6).

vaultledger owns only the lines between `%% vaultledger:begin KIND %%` and `%% vaultledger:end KIND %%`.
A small line scanner skips what Obsidian does not read as plain Markdown (frontmatter, fenced code,
`%%` comments, `$$` math) so that headings and markers shown there as examples never count, and
treats our own block as opaque so that whatever we generate cannot change how the rest is read.
Every character outside the block is copied through untouched: BOM, line endings, final newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from vaultledger.errors import NoteError

SECTION_HEADINGS: dict[str, str] = {
    "daily": "## 💰 Token Usage Today",
    "weekly": "## 💰 Weekly Token Accounting",
    "quarterly": "## 💰 Quarterly LLM Costs",
    "monthly": "## 💰 Monthly LLM Costs",
    "yearly": "## 💰 Yearly LLM Costs",
}

BOM = "\ufeff"
_EMOJI_VARIATION_SELECTOR = "\ufe0f"

# Lenient on input (up to 3 spaces of indent, any spacing), strict on output (begin_marker/end_marker).
_MARKER = re.compile(r"^ {0,3}%%[ \t]*vaultledger:(begin|end)[ \t]+([\w-]+)[ \t]*%%[ \t]*$")
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_COMMENT_OR_MATH = re.compile(r"%%|\$\$")

Mode = Literal["text", "fence", "comment", "math", "block"]
_OPEN_CONSTRUCT_NAMES = {"fence": "code fence", "comment": "%% comment", "math": "$$ math block"}


def begin_marker(kind: str) -> str:
    return f"%% vaultledger:begin {kind} %%"


def end_marker(kind: str) -> str:
    return f"%% vaultledger:end {kind} %%"


@dataclass(frozen=True)
class Line:
    """One line of a note: offsets into the note's text, content without its ending (and without BOM)."""

    number: int  # 1-based, as editors show it
    start: int  # offset of the first content character
    end: int  # offset just past the content, where the line ending (if any) begins
    stop: int  # offset just past the line ending
    content: str

    @property
    def has_ending(self) -> bool:
        return self.stop > self.end


@dataclass(frozen=True)
class Block:
    """A balanced pair of markers; `inner_start:inner_end` is the generated body in the note's text."""

    kind: str
    begin_line: int
    end_line: int
    inner_start: int  # just past the begin marker's line ending
    inner_end: int  # the first character of the end marker's line


@dataclass(frozen=True)
class Splice:
    """The result of splice_section: the new note text and what the user should hear about."""

    text: str
    warnings: list[str] = field(default_factory=list)
    action: Literal["replaced", "inserted", "appended"] = "replaced"


@dataclass
class NoteLayout:
    """What the scanner found: blocks, our headings outside them, marker problems, an unclosed construct."""

    blocks: list[Block] = field(default_factory=list)
    headings: dict[str, list[Line]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    unclosed: tuple[int, str] | None = None  # (line, what) still open at the end of the note


# ---------------------------------------------------------------- lines


def split_lines(text: str) -> list[Line]:
    """Split on "\\n" only (a "\\r" before it belongs to the ending), so offsets map back to exact bytes."""
    lines: list[Line] = []
    position = len(BOM) if text.startswith(BOM) else 0
    while position < len(text):
        newline_at = text.find("\n", position)
        stop = len(text) if newline_at < 0 else newline_at + 1
        end = len(text) if newline_at < 0 else newline_at
        if newline_at > position and text[newline_at - 1] == "\r":
            end -= 1
        lines.append(Line(len(lines) + 1, position, end, stop, text[position:end]))
        position = stop
    return lines


def newline_of(text: str) -> str:
    """The note's line ending style, taken from its first line ending ("\\n" when it has none).

    A note without "\\n" that ends in "\\r" gets "\\r\\n": appending "\\n" would make a CRLF there
    anyway, and the style must read the same after splicing as before.
    """
    newline_at = text.find("\n")
    if newline_at < 0:
        return "\r\n" if text.endswith("\r") else "\n"
    return "\r\n" if newline_at > 0 and text[newline_at - 1] == "\r" else "\n"


def frontmatter_closing_index(lines: list[Line]) -> int | None:
    """Index of the line closing the YAML frontmatter, or None when the note has none.

    Frontmatter opens only on the very first line. The search for its closing `---`/`...` stops at a
    vaultledger marker, so that a `---` in a generated body can never turn the note above it into
    frontmatter (a marker line is not valid YAML, so real frontmatter never holds one).
    """
    if not lines or lines[0].content.rstrip(" \t") != "---":
        return None
    for index in range(1, len(lines)):
        content = lines[index].content
        if _MARKER.match(content):
            return None
        if content.rstrip(" \t") in ("---", "..."):
            return index
    return None


# ---------------------------------------------------------------- headings


def _normalized_title(title: str) -> str:
    return " ".join(title.replace(_EMOJI_VARIATION_SELECTOR, "").split())


_KIND_BY_TITLE = {_normalized_title(heading[3:]): kind for kind, heading in SECTION_HEADINGS.items()}


def heading_kind(content: str) -> str | None:
    """The section kind a line is the heading of (level 2 exactly), else None."""
    match = _ATX_HEADING.match(content)
    if match is None or len(match.group(1)) != 2:
        return None
    title = _CLOSING_HASHES.sub("", match.group(2) or "")
    return _KIND_BY_TITLE.get(_normalized_title(title))


# ---------------------------------------------------------------- scanning


class _Scanner:
    """Walks a note's lines once, tracking which construct each line is in."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.layout = NoteLayout()
        self.mode: Mode = "text"
        self.opened_at = 0  # line number where the current construct (or block) began
        self.fence = ("", 0)  # fence character and length of the open code fence
        self.block_kind = ""
        self.block_inner_start = 0

    def run(self) -> NoteLayout:
        closing = frontmatter_closing_index(self.lines)
        first_body_line = 0 if closing is None else closing + 1
        for line in self.lines[first_body_line:]:
            self._step(line)
        self._finish()
        self.layout.problems.sort()
        return self.layout

    def _step(self, line: Line) -> None:
        if self.mode == "text":
            self._step_text(line)
        elif self.mode == "fence":
            self._step_fence(line)
        elif self.mode == "block":
            self._step_block(line)
        else:
            self._scan_comment_and_math(line)

    def _step_text(self, line: Line) -> None:
        marker = _MARKER.match(line.content)
        if marker is not None:
            self._on_marker_outside_block(line, marker.group(1), marker.group(2))
            return
        fence = _FENCE_OPEN.match(line.content)
        if fence is not None and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            self._open("fence", line)
            self.fence = (fence.group(1)[0], len(fence.group(1)))
            return
        kind = heading_kind(line.content)
        if kind is not None:
            self.layout.headings.setdefault(kind, []).append(line)
        self._scan_comment_and_math(line)

    def _step_fence(self, line: Line) -> None:
        closer = _FENCE_CLOSE.match(line.content)
        fence_char, fence_length = self.fence
        if closer is not None and closer.group(1)[0] == fence_char and len(closer.group(1)) >= fence_length:
            self.mode = "text"

    def _scan_comment_and_math(self, line: Line) -> None:
        # `%%` and `$$` may open or close anywhere in a line; a `$$` opens math only at the line's start,
        # so that prices like "$$$" in prose do not swallow the rest of the note.
        for token in _COMMENT_OR_MATH.finditer(line.content):
            symbol = token.group()
            if self.mode == "text" and symbol == "%%":
                self._open("comment", line)
            elif self.mode == "text" and not line.content[: token.start()].strip():
                self._open("math", line)
            elif (self.mode, symbol) in (("comment", "%%"), ("math", "$$")):
                self.mode = "text"

    def _open(self, mode: Mode, line: Line) -> None:
        self.mode = mode
        self.opened_at = line.number

    def _on_marker_outside_block(self, line: Line, action: str, kind: str) -> None:
        if action == "end":
            self._problem(line.number, f"end marker without begin: {end_marker(kind)}")
            return
        self._open("block", line)
        self.block_kind = kind
        self.block_inner_start = line.stop

    def _step_block(self, line: Line) -> None:
        # Inside our block only marker lines matter: the generated body is opaque.
        marker = _MARKER.match(line.content)
        if marker is None:
            return
        action, kind = marker.group(1), marker.group(2)
        if action == "begin":
            self._problem(self.opened_at, f"begin marker without end (next begin at line {line.number})")
            self._on_marker_outside_block(line, action, kind)
        elif kind != self.block_kind:
            self._problem(
                line.number,
                f"end marker for '{kind}' inside the '{self.block_kind}' block begun at line {self.opened_at}",
            )
        else:
            block = Block(kind, self.opened_at, line.number, self.block_inner_start, line.start)
            self.layout.blocks.append(block)
            self.mode = "text"

    def _problem(self, line_number: int, message: str) -> None:
        self.layout.problems.append((line_number, message))

    def _finish(self) -> None:
        if self.mode == "block":
            self._problem(self.opened_at, f"begin marker without end: {begin_marker(self.block_kind)}")
        elif self.mode != "text":
            self.layout.unclosed = (self.opened_at, _OPEN_CONSTRUCT_NAMES[self.mode])


def scan_note(text: str) -> NoteLayout:
    """Read the note's structure without judging it (see check_note / find_blocks for that)."""
    return _Scanner(split_lines(text)).run()


def _raise_first_problem(layout: NoteLayout) -> None:
    if layout.problems:
        line_number, message = layout.problems[0]
        raise NoteError(f"{line_number}: {message}")


def find_blocks(text: str) -> list[Block]:
    """Every vaultledger block in the note, in order; NoteError (naming the line) if markers are unbalanced."""
    layout = scan_note(text)
    _raise_first_problem(layout)
    return layout.blocks


def _duplicate_warnings(blocks: list[Block]) -> list[str]:
    first_by_kind: dict[str, Block] = {}
    warnings = []
    for block in blocks:
        first = first_by_kind.setdefault(block.kind, block)
        if first is not block:
            warnings.append(
                f"{block.begin_line}: a second '{block.kind}' block (the first is at line {first.begin_line});"
                " the first is updated, this one is left as it is"
            )
    return warnings


def check_note(text: str) -> list[str]:
    """Every problem with vaultledger's markers in the note ("LINE: what"), for `doctor`; [] when fine."""
    layout = scan_note(text)
    problems = [f"{line_number}: {message}" for line_number, message in layout.problems]
    return problems + _duplicate_warnings(layout.blocks)


def extract_block(text: str, kind: str) -> str | None:
    """The body currently between the first pair of `kind` markers ("\\n" line endings), None if absent."""
    for block in find_blocks(text):
        if block.kind == kind:
            return text[block.inner_start : block.inner_end].replace("\r\n", "\n")
    return None


# ---------------------------------------------------------------- splicing


def _block_body(body: str, newline: str) -> str:
    """The body's lines, each ended with the note's newline (an empty body has no lines)."""
    lines = body.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    for line in lines:
        if _MARKER.match(line):
            raise ValueError(f"generated body must not contain a vaultledger marker: {line!r}")
    return "".join(line + newline for line in lines)


def _block_text(kind: str, inner: str, newline: str) -> str:
    """Begin marker, body, end marker; without a final line ending (the caller knows if one is due)."""
    return begin_marker(kind) + newline + inner + end_marker(kind)


def _insert_under_heading(text: str, heading: Line, block: str, newline: str) -> str:
    if heading.has_ending:
        return text[: heading.stop] + block + newline + text[heading.stop :]
    return text + newline + block  # heading is the last line and the note has no final newline


def _separator_before_section(text: str, newline: str) -> str:
    """What to append so that exactly one blank line precedes the section (none in an empty note)."""
    lines = split_lines(text)
    if not lines:
        return ""
    last = lines[-1]
    ending = "" if last.has_ending else newline
    return ending if not last.content.strip() else ending + newline


def _append_section(text: str, layout: NoteLayout, kind: str, block: str, newline: str) -> str:
    if layout.unclosed is not None:
        line_number, construct = layout.unclosed
        raise NoteError(
            f"{line_number}: {construct} is never closed, so a section appended after it would be hidden;"
            " close it or add the heading yourself"
        )
    ends_without_newline = bool(split_lines(text)) and not text.endswith("\n")
    final = "" if ends_without_newline else newline
    section = SECTION_HEADINGS[kind] + newline + block + final
    return text + _separator_before_section(text, newline) + section


def _heading_warnings(headings: list[Line]) -> list[str]:
    return [
        f"{extra.number}: the section heading appears again; the block goes under the first one at line "
        f"{headings[0].number}"
        for extra in headings[1:]
    ]


def splice_section(text: str, kind: str, body: str) -> Splice:
    """Put `body` into the note's `kind` block: replace between markers, else insert under the heading,
    else append heading and block. NoteError ("LINE: what") if markers are unbalanced; the text is then
    not to be written. Same text and body in → same text out, and re-splicing changes nothing."""
    if kind not in SECTION_HEADINGS:
        raise ValueError(f"unknown section kind {kind!r}; expected one of {sorted(SECTION_HEADINGS)}")
    layout = scan_note(text)
    _raise_first_problem(layout)
    newline = newline_of(text)
    inner = _block_body(body, newline)
    blocks = [block for block in layout.blocks if block.kind == kind]
    warnings = _duplicate_warnings(blocks)
    if blocks:
        first = blocks[0]
        return Splice(text[: first.inner_start] + inner + text[first.inner_end :], warnings, "replaced")
    block = _block_text(kind, inner, newline)
    headings = layout.headings.get(kind, [])
    if headings:
        new_text = _insert_under_heading(text, headings[0], block, newline)
        return Splice(new_text, _heading_warnings(headings), "inserted")
    return Splice(_append_section(text, layout, kind, block, newline), warnings, "appended")
