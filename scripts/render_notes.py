"""Render vault notes to PNG the way Obsidian shows them, to look at what the sections read like.

    python3 scripts/render_notes.py                        # the demo's showcase notes (run scripts/demo.py first)
    python3 scripts/render_notes.py --vault ~/Obsidian/Main Daily/2026-03-14.md --theme dark

An optional tool, not part of the tests. It needs Debian's Chromium and its WebDriver
(`apt-get install -y chromium chromium-driver`) and npm: Mermaid 11 (the major version Obsidian bundles)
is installed once into a cache folder. Markdown is read with markdown-it plus what Obsidian adds:
callouts (folded ones closed, as Obsidian opens a note; `--open` unfolds them to show the tables
inside), wikilinks (dimmed where no note answers them, as Obsidian shows an unresolved link),
`%%` comments hidden, properties shown above the note.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _venv import REPO, VENV, ensure_venv

MERMAID_VERSION = "11"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vaultledger-render"
CALLOUT_COLOURS = {  # Obsidian's own callout colours (RGB), by type and alias
    "note": "8, 109, 221", "info": "8, 109, 221", "todo": "8, 109, 221", "abstract": "0, 191, 188",
    "summary": "0, 191, 188", "tldr": "0, 191, 188", "tip": "0, 191, 188", "success": "8, 185, 78",
    "check": "8, 185, 78", "done": "8, 185, 78", "question": "236, 117, 0", "help": "236, 117, 0",
    "faq": "236, 117, 0", "warning": "236, 117, 0", "caution": "236, 117, 0", "attention": "236, 117, 0",
    "failure": "233, 49, 71", "danger": "233, 49, 71", "error": "233, 49, 71", "bug": "233, 49, 71",
    "example": "120, 82, 238", "quote": "158, 158, 158",
}
THEMES = {  # Obsidian's default theme: background, text, muted text, borders, link
    "light": ("#ffffff", "#222222", "#5c5c5c", "#e0e0e0", "#8a5cf5", "default"),
    "dark": ("#1e1e1e", "#dadada", "#b3b3b3", "#363636", "#a88bfa", "dark"),
}
CALLOUT = re.compile(r"^\[!(?P<type>[\w-]+)\](?P<fold>[+-]?)[ \t]*(?P<title>.*)$")
WIKILINK = re.compile(r"!?\[\[(?P<target>[^\[\]|\\]+?)(?:\\?\|(?P<alias>[^\[\]]*?))?\]\]")


# ---------------------------------------------------------------- Markdown as Obsidian reads it


def obsidian_markdown(vault: Path, note_dir: Path, unfold: bool):
    from markdown_it import MarkdownIt

    reader = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    reader.inline.ruler.before("link", "wikilink", _wikilink_rule)
    reader.core.ruler.before("inline", "callouts", _callout_rule)
    reader.add_render_rule("blockquote_open", _callout_open(reader, unfold))
    reader.add_render_rule("blockquote_close", _callout_close)
    reader.add_render_rule("wikilink", _wikilink_renderer(vault, note_dir))
    reader.add_render_rule("fence", _fence_renderer(reader.renderer.rules["fence"]))
    return reader


def _wikilink_rule(state, silent: bool) -> bool:
    found = WIKILINK.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.meta = {"target": found.group("target").strip(), "alias": found.group("alias")}
    state.pos = found.end()
    return True


def _wikilink_renderer(vault: Path, note_dir: Path):
    names = {path.stem for path in vault.rglob("*.md")}

    def render(renderer, tokens, index, options, env) -> str:
        target, alias = tokens[index].meta["target"], tokens[index].meta["alias"]
        exists = (vault / f"{target}.md").is_file() or (note_dir / f"{target}.md").is_file() or target in names
        kind = "internal-link" + ("" if exists else " is-unresolved")
        return f'<a class="{kind}" title="{html.escape(target)}">{html.escape(alias or target)}</a>'

    return render


def _callout_rule(state) -> None:
    """Mark blockquotes whose first line is `[!type]` and take that line off as the title."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-2]):
        if token.type != "blockquote_open" or tokens[index + 2].type != "inline":
            continue
        inline = tokens[index + 2]
        first, _, rest = inline.content.partition("\n")
        found = CALLOUT.match(first)
        if found is None:
            continue
        token.meta = {"type": found["type"].lower(), "fold": found["fold"], "title": found["title"]}
        inline.content = rest
        if not rest.strip():
            tokens[index + 1].hidden = tokens[index + 3].hidden = True


def _callout_open(reader, unfold: bool):
    def render(renderer, tokens, index, options, env) -> str:
        meta = tokens[index].meta or {}
        if "type" not in meta:
            return "<blockquote>\n"
        kind = meta["type"]
        colour = CALLOUT_COLOURS.get(kind, CALLOUT_COLOURS["note"])
        title = reader.renderInline(meta["title"]) if meta["title"] else kind.capitalize()
        opened = "" if meta["fold"] == "-" and not unfold else " open"
        chevron = '<span class="fold">›</span>' if meta["fold"] else ""
        return (f'<details class="callout" style="--callout: {colour}"{opened}>'
                f'<summary class="callout-title"><span class="icon">●</span>{title}{chevron}</summary>'
                '<div class="callout-content">\n')

    return render


def _callout_close(renderer, tokens, index, options, env) -> str:
    depth, opening = 0, None
    for back in range(index, -1, -1):  # find the matching open token
        if tokens[back].type == "blockquote_close":
            depth += 1
        elif tokens[back].type == "blockquote_open":
            depth -= 1
            if depth == 0:
                opening = tokens[back]
                break
    return "</div></details>\n" if opening is not None and opening.meta and "type" in opening.meta else "</blockquote>\n"


def _fence_renderer(default):
    def render(renderer, tokens, index, options, env) -> str:
        token = tokens[index]
        if token.info.strip() == "mermaid":
            return f'<pre class="mermaid">{html.escape(token.content)}</pre>\n'
        return default(tokens, index, options, env)

    return render


def without_comments(text: str) -> str:
    """Obsidian hides `%% … %%` outside code; inside a fence (Mermaid's init line) it stays."""
    kept, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and re.fullmatch(r"\s*%%.*%%\s*", line):
            continue
        kept.append(line)
    return "\n".join(kept)


def split_properties(text: str) -> tuple[dict, str]:
    import yaml

    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}, text
    return yaml.safe_load(text[4:end]) or {}, text[end + 5:]


def properties_html(properties: dict) -> str:
    if not properties:
        return ""
    rows = "".join(f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(str(value))}</td></tr>"
                   for key, value in properties.items())
    return f'<div class="properties"><div class="properties-title">Properties</div><table>{rows}</table></div>'


# ---------------------------------------------------------------- the page


STYLE = """
body { background: var(--bg); color: var(--text); margin: 0; padding: 28px 36px 40px;
  font: 15px/1.55 "Inter", "Noto Sans", "DejaVu Sans", system-ui, sans-serif; width: %(width)dpx; }
h1, h2, h3 { line-height: 1.25; margin: 1.2em 0 0.5em; } h1 { font-size: 1.8em; } h2 { font-size: 1.45em; }
h3 { font-size: 1.2em; }
.note-path { color: var(--muted); font-size: 12px; margin-bottom: 8px; }
a.internal-link { color: var(--link); text-decoration: underline; text-decoration-color: color-mix(in srgb, var(--link) 45%%, transparent); }
a.internal-link.is-unresolved { opacity: 0.55; text-decoration-style: dashed; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--border); padding: 3px 9px; } th { font-weight: 600; }
code { font-size: 0.9em; background: color-mix(in srgb, var(--text) 8%%, transparent); padding: 1px 4px; border-radius: 4px; }
pre.mermaid { background: transparent; margin: 1em 0; }
.callout { background: rgba(var(--callout), 0.1); border-radius: 6px; padding: 10px 14px; margin: 1em 0;
  border-left: 0; }
.callout-title { color: rgb(var(--callout)); font-weight: 600; list-style: none; cursor: pointer; }
.callout-title::-webkit-details-marker { display: none; }
.callout-title .icon { margin-right: 8px; font-size: 0.8em; }
.callout-title .fold { display: inline-block; margin-left: 6px; transform: rotate(0deg); }
details[open] > .callout-title .fold { transform: rotate(90deg); }
.callout-content > :first-child { margin-top: 0.4em; } .callout-content > :last-child { margin-bottom: 0; }
.callout-content p { margin: 0.4em 0; } .callout-content ul { margin: 0.3em 0; padding-left: 1.3em; }
blockquote { border-left: 2px solid var(--link); margin: 1em 0; padding-left: 14px; }
.properties { border-bottom: 1px solid var(--border); margin-bottom: 14px; padding-bottom: 8px; font-size: 13px; }
.properties-title { color: var(--muted); font-weight: 600; margin-bottom: 4px; }
.properties table { margin: 0; } .properties td { border: 0; padding: 1px 12px 1px 0; }
.properties td:first-child { color: var(--muted); }
"""


def page(title: str, body: str, theme: str, mermaid_js: Path, width: int) -> str:
    bg, text, muted, border, link, mermaid_theme = THEMES[theme]
    variables = f":root {{ --bg: {bg}; --text: {text}; --muted: {muted}; --border: {border}; --link: {link}; }}"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{variables}{STYLE % {"width": width}}</style></head><body>{body}
<script src="{mermaid_js.as_uri()}"></script>
<script>
window.renderDone = false;
mermaid.initialize({{startOnLoad: false, theme: {json.dumps(mermaid_theme)}}});
mermaid.run().catch(error => {{ document.body.dataset.mermaidError = String(error); }})
  .finally(() => {{ window.renderDone = true; }});
</script></body></html>"""


def note_html(vault: Path, note: Path, theme: str, mermaid_js: Path, width: int, unfold: bool) -> str:
    properties, text = split_properties(note.read_text(encoding="utf-8"))
    reader = obsidian_markdown(vault, note.parent, unfold)
    body = (f'<div class="note-path">{html.escape(str(note.relative_to(vault)))}</div>'
            f"{properties_html(properties)}{reader.render(without_comments(text))}")
    return page(note.stem, body, theme, mermaid_js, width)


# ---------------------------------------------------------------- Mermaid and Chromium


def mermaid_script(cache: Path) -> Path:
    """mermaid@11's browser bundle, installed with npm into `cache` on first use."""
    bundle = cache / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not bundle.is_file():
        npm = shutil.which("npm") or sys.exit("render_notes: npm is needed to fetch mermaid@11 (apt-get install npm)")
        cache.mkdir(parents=True, exist_ok=True)
        print(f"installing mermaid@{MERMAID_VERSION} into {cache} ...", flush=True)
        subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--loglevel=error",
                        f"mermaid@{MERMAID_VERSION}"], check=True)
    return bundle


class Browser:
    """Headless Chromium through chromedriver's WebDriver protocol (no Python package needed)."""

    def __init__(self, width: int) -> None:
        driver = shutil.which("chromedriver") or sys.exit(
            "render_notes: chromedriver not found; apt-get install -y chromium chromium-driver")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.width = width
        options = {"binary": shutil.which("chromium") or "/usr/bin/chromium",
                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--allow-file-access-from-files", f"--window-size={width},900"]}
        self.session = self._when_up(lambda: self._call("POST", "/session", {
            "capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"])

    def _when_up(self, action):
        for _ in range(100):
            try:
                return action()
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.1)
        return action()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read()).get("value") or {}

    def _session(self, method: str, path: str, body: dict | None = None) -> dict:
        return self._call(method, f"/session/{self.session}{path}", body)

    def script(self, source: str):
        return self._call("POST", f"/session/{self.session}/execute/sync", {"script": source, "args": []})

    def screenshot(self, page_file: Path, png: Path) -> str | None:
        """Load the page, wait for Mermaid, save a full-page PNG; returns Mermaid's error, if any."""
        self._session("POST", "/url", {"url": page_file.as_uri()})
        deadline = time.monotonic() + 30
        while self.script("return window.renderDone === true") is not True and time.monotonic() < deadline:
            time.sleep(0.1)
        height = self.script("return Math.ceil(document.documentElement.scrollHeight)")
        shot = self._session("POST", "/goog/cdp/execute", {"cmd": "Page.captureScreenshot", "params": {
            "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": self.width, "height": height,
                                                    "scale": 1}}})
        png.write_bytes(base64.b64decode(shot["data"]))
        return self.script("return document.body.dataset.mermaidError || "
                           "(document.querySelector('.mermaid .error-icon') ? 'Mermaid syntax error' : null)")

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)


# ---------------------------------------------------------------- the command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", nargs="*", help="vault-relative notes (default: the demo's showcase)")
    parser.add_argument("--vault", type=Path, default=REPO / "demo" / "vault")
    parser.add_argument("--out", type=Path, default=REPO / "demo" / "png")
    parser.add_argument("--theme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--width", type=int, default=980, help="page width in CSS pixels")
    parser.add_argument("--open", action="store_true", help="also render each note with folded callouts open")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where mermaid@11 is installed")
    args = parser.parse_args()
    from demo import SHOWCASE

    notes = [args.vault / name for name in (args.notes or SHOWCASE) if name.endswith(".md")]
    missing = [str(note) for note in notes if not note.is_file()]
    if missing:
        sys.exit(f"render_notes: no such note: {', '.join(missing)} (run python3 scripts/demo.py first?)")
    mermaid_js = mermaid_script(args.cache)
    args.out.mkdir(parents=True, exist_ok=True)
    themes = ("light", "dark") if args.theme == "both" else (args.theme,)
    variants = (False, True) if args.open else (False,)
    browser = Browser(args.width + 72)
    problems = 0
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for note in notes:
                for theme in themes:
                    for unfold in variants:
                        name = f"{note.stem}-{theme}{'-open' if unfold else ''}"
                        page_file = Path(scratch) / f"{name}.html"
                        page_file.write_text(note_html(args.vault, note, theme, mermaid_js, args.width, unfold),
                                             encoding="utf-8")
                        error = browser.screenshot(page_file, args.out / f"{name}.png")
                        problems += bool(error)
                        print(f"{args.out / name}.png" + (f"  MERMAID ERROR: {error}" if error else ""))
    finally:
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    python = ensure_venv("test")  # markdown-it and PyYAML come with the test extras
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), __file__, *sys.argv[1:]])
    sys.exit(main())
