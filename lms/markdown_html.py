"""Markdown -> sanitised HTML, once, at import, publish or save time (never per page view).

python-markdown with pymdown-extensions renders; nh3 then keeps only an allowlist of tags,
attributes, classes and URL schemes, because trainer content is untrusted: no scripts,
event handlers, ``javascript:``/``data:`` URLs, inline styles or iframes survive.
Relative links and images are rewritten through the caller's ``asset_url`` (a course's
files), or dropped without one. In the core because every plugin that stores text people
write (lessons, quiz choices, discussion posts, meeting notes) must clean it the same way;
:mod:`lms.markup` shows the stored HTML.
"""
from __future__ import annotations

import html as html_module
import posixpath
import re
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.inlinepatterns import LinkInlineProcessor
from pymdownx.superfences import SuperFencesBlockPreprocessor

EXTENSIONS = [
    "markdown.extensions.tables",
    "markdown.extensions.footnotes",
    "markdown.extensions.toc",
    "markdown.extensions.admonition",
    "markdown.extensions.sane_lists",
    "markdown.extensions.abbr",
    "pymdownx.highlight",
    "pymdownx.superfences",
    "pymdownx.details",
    "pymdownx.tasklist",
]
def _heading_id(value: str, separator: str) -> str:
    """Heading anchors get a prefix so trainer headings never clash with page ids (``#main``)."""
    from markdown.extensions.toc import slugify_unicode

    return "h-" + slugify_unicode(value, separator)


EXTENSION_CONFIGS = {
    "markdown.extensions.tables": {"use_align_attribute": True},  # align=, as style= is stripped
    "markdown.extensions.toc": {"permalink": False, "toc_depth": "2-4", "slugify": _heading_id},
    "markdown.extensions.footnotes": {"BACKLINK_TEXT": "↩"},
    "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
    # no Pygments: its token classes are stripped by the sanitiser anyway (left as a class="" per token)
    "pymdownx.highlight": {"use_pygments": False},
}

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "mark", "sub", "sup", "small", "code", "pre", "kbd", "samp", "blockquote", "q", "cite",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "a", "img", "figure", "figcaption", "details", "summary", "div", "span", "abbr", "input",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
    "input": {"type", "checked", "disabled"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "li": {"id"}, "sup": {"id"}, "div": {"id"}, "details": {"open"},
}
ADMONITION_CLASSES = {"admonition", "note", "tip", "hint", "warning", "caution", "danger", "important",
                      "info", "example", "success", "question", "quote"}
ALLOWED_CLASSES = {
    "div": ADMONITION_CLASSES | {"footnote", "toc"},
    "details": ADMONITION_CLASSES,
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "ul": {"task-list"},
    "li": {"task-list-item"},
    "span": {"task-list-indicator"},
}
URL_SCHEMES = {"http", "https", "mailto"}
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
ATTACHMENT_TYPES = IMAGE_TYPES | {".pdf", ".txt", ".csv"}
# Link text stops at a `[` too: with `[` allowed, every `[` of a line without `]` scanned the
# rest of the line, so a line of 30,000 `[` took 25 s (issue 14). Nested brackets are not
# link text for the renderer either. A path stops at a `[` for the same reason (`[a](` repeated).
LINK_RE = re.compile(r"(!?)\[(?:[^\[\]\\]|\\.)*\]\(\s*<?([^)\s>\[]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def is_relative_reference(url: str) -> bool:
    """True for a path inside the course folder (no scheme, no host, not an anchor)."""
    if not url or url.startswith(("#", "/", "\\")):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def normalise_asset_path(base_dir: str, url: str) -> str | None:
    """``url`` relative to ``base_dir`` (both inside the course), or None when it escapes."""
    path = urlsplit(url).path
    joined = posixpath.normpath(posixpath.join(base_dir, path)) if base_dir else posixpath.normpath(path)
    if joined.startswith("..") or joined.startswith("/") or joined == ".":
        return None
    return joined


def find_references(markdown_text: str) -> list[tuple[int, bool, str]]:
    """(line offset, is_image, url) for every relative link or image in ``markdown_text``."""
    found = []
    in_fence = False
    for offset, line in enumerate(markdown_text.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in LINK_RE.finditer(line):
            if is_relative_reference(match.group(2)):
                found.append((offset, match.group(1) == "!", match.group(2)))
    return found


# Rendering time must grow linearly with the text (issue 14, finding 2). python-markdown's
# inline processors cost (block length x matches) per block, so a block (lines between blank
# lines) longer than this is shown as escaped plain text, not rendered; the importer and the
# editor report it (`long_blocks`). The longest paragraph of the shipped courses is ~2,200.
BLOCK_LIMIT = 5_000
# html.parser scans from a `<tag` to its `>` (or the end of the text): many `<a ` without a
# `>` before the next `<` cost (count x length). Past this many, such `<` are escaped.
STRAY_TAG_LIMIT = 20
FENCE_OPEN_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*[\w+#.-]*[ \t]*$")
FENCE_CLOSE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*$")
TAG_START_RE = re.compile(r"<(?=[A-Za-z!?/])")
LINK_SCAN_LIMIT = 500  # characters of a link's `(url "title")` (longer: not a link)
# nh3 (html5ever) takes (elements x depth): 16,000 nested <div> took 0.5 s, 32,000 took 1.8 s.
NESTING_LIMIT = 100
HTML_NESTING_LIMIT = 3 * NESTING_LIMIT  # elements: a list level is <ul><li><p>
# list and quote markers opening one line (`> > 1. - a`): each is one more level of nesting,
# and python-markdown's toc walks up (depth) levels per element, so 1,300 levels took 0.1 s
LEADING_MARKERS_RE = re.compile(r"^(?:[ \t]*(?:[-*+>]|\d{1,9}[.)]))+", re.MULTILINE)
MARKER_RE = re.compile(r"[-*+>]|\d{1,9}[.)]")
NESTING_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
FENCE_SEARCH_LIMIT = 1_000  # closing lines tried per opening fence (an unclosed fence is text)


def _fenced_lines(lines: list[str]) -> list[bool]:
    """Which lines belong to a closed ``` / ~~~ fence (code, rendered linearly)."""
    closers: dict[str, list[int]] = {"`": [], "~": []}
    for index, line in enumerate(lines):
        if FENCE_CLOSE_RE.match(line):
            closers[line.strip()[0]].append(index)
    fenced = [False] * len(lines)
    position = {"`": 0, "~": 0}
    index = 0
    while index < len(lines):
        opening = FENCE_OPEN_RE.match(lines[index])
        if opening:
            char, length = opening.group(1)[0], len(opening.group(1))
            candidates = closers[char]
            while position[char] < len(candidates) and candidates[position[char]] <= index:
                position[char] += 1
            close = None
            for candidate in candidates[position[char]:position[char] + FENCE_SEARCH_LIMIT]:
                if len(lines[candidate].strip()) >= length:
                    close = candidate
                    break
            if close is not None:
                for inside in range(index, close + 1):
                    fenced[inside] = True
                index = close + 1
                continue
        index += 1
    return fenced


def _blocks(text: str) -> list[tuple[int, int, bool]]:
    """(first line, end line, fenced) of each run of non-blank lines; fences are one block."""
    lines = text.split("\n")
    fenced = _fenced_lines(lines)
    blocks: list[tuple[int, int, bool]] = []
    start, blocks_fenced = None, False
    for index, line in enumerate(lines + [""]):
        inside = index < len(lines) and fenced[index]
        blank = not inside and not line.strip()
        if start is not None and (blank or inside != blocks_fenced):
            blocks.append((start, index, blocks_fenced))
            start = None
        if start is None and not blank and index < len(lines):
            start, blocks_fenced = index, inside
    return blocks


def long_blocks(text: str) -> list[tuple[int, int]]:
    """(line offset, length) of each block longer than BLOCK_LIMIT (shown unrendered)."""
    lines = text.split("\n")
    found = []
    for start, end, fenced in _blocks(text):
        length = sum(len(line) + 1 for line in lines[start:end]) - 1
        if not fenced and length > BLOCK_LIMIT:
            found.append((start, length))
    return found


def deep_lines(text: str) -> list[int]:
    """Line offsets of lines opening more than NESTING_LIMIT list or quote levels."""
    found, line, counted = [], 0, 0
    for match in LEADING_MARKERS_RE.finditer(text):
        if len(match.group(0)) > NESTING_LIMIT and len(MARKER_RE.findall(match.group(0))) > NESTING_LIMIT:
            line, counted = line + text.count("\n", counted, match.start()), match.start()
            found.append(line)
    return found


def _bound(text: str) -> tuple[str, dict[str, str]]:
    """``text`` with each over-long block replaced by a placeholder word, and too many
    unclosed ``<tag`` escaped outside fences; the placeholders map to the blocks' escaped text."""
    lines = text.split("\n")
    blocks = _blocks(text)
    replaced: dict[str, str] = {}
    if len(text) > BLOCK_LIMIT:
        prefix = "pembinablock" + secrets.token_hex(8)
        for start, end, fenced in reversed(blocks):
            block = "\n".join(lines[start:end])
            if not fenced and len(block) > BLOCK_LIMIT:
                word = f"{prefix}x{start}"
                replaced[word] = html_module.escape(block, quote=False)
                lines[start:end] = [word]
        text = "\n".join(lines)
    stray = []
    for match in TAG_START_RE.finditer(text):
        close, reopen = text.find(">", match.end()), text.find("<", match.end())
        if close == -1 or (reopen != -1 and reopen < close):
            stray.append(match.start())
    if len(stray) > STRAY_TAG_LIMIT:
        lines = text.split("\n")
        fenced_lines = _fenced_lines(lines)
        pieces, last, line, line_end = [], 0, 0, len(lines[0])
        for position in stray:
            while position > line_end:
                line += 1
                line_end += len(lines[line]) + 1
            if not fenced_lines[line]:
                pieces += [text[last:position], "&lt;"]
                last = position + 1
        text = "".join(pieces) + text[last:]
    return text, replaced


def _nesting(html: str) -> int:
    """The deepest element nesting of ``html`` (a linear count of its tags)."""
    depth = deepest = 0
    for match in NESTING_TAG_RE.finditer(html):
        if match.group(3) or match.group(2).lower() in VOID_TAGS:
            continue
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def _bracket_end(self, data: str, index: int) -> tuple[str, int, bool]:
    """``LinkInlineProcessor.getText`` that keeps its bracket table across matches.

    python-markdown 3.11 rebuilds the table (a Python loop over the whole block) whenever the
    block's text changes, that is after every link it matches (upstream issue #1619), so a
    paragraph of links took (length x links). The closing bracket of an index depends only
    on the text after it, and a match only replaces text before the next index, so the
    table of the previous text still answers when it ends with the same text."""
    cached, ends = self._bracket_data, self._bracket_ends
    if cached is data:
        end = ends[index]
    elif cached is not None and len(data) - index <= len(cached) and cached.endswith(data[index:]):
        shift = len(cached) - len(data)
        end = ends[index + shift]
        end = None if end is None else end - shift
    else:
        self._bracket_data, self._bracket_ends = data, self._findBracketEnds(data)
        end = self._bracket_ends[index]
    if end is None:
        return data[index:], len(data), False
    return data[index:end - 1], end, True


_get_link = LinkInlineProcessor.getLink


def _bounded_link(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
    """``getLink`` that looks for the closing ``)`` at most LINK_SCAN_LIMIT characters on:
    its scan runs to the end of the block when the ``(`` never closes, once per ``[a](``.
    Without a ``)`` in reach there is no link (the scan needs one to close)."""
    if data.find(")", index, index + LINK_SCAN_LIMIT) == -1:
        return "", None, index, False
    return _get_link(self, data[:index + LINK_SCAN_LIMIT], index)


def _reassemble(self, lines: list[str]) -> list[str]:
    """pymdownx.superfences' ``reassemble`` in one pass: it copied every line once per fence."""
    spans = self.stack
    if any(spans[i][2] > spans[i + 1][1] for i in range(len(spans) - 1)):
        return _superfences_reassemble(self, lines)  # not in order: the original, to be safe
    out: list[str] = []
    last = 0
    for fenced, start, end in spans:
        out.extend(lines[last:start])
        out.append(fenced)
        last = end
    out.extend(lines[last:])
    self.stack = []
    return out


_superfences_reassemble = SuperFencesBlockPreprocessor.reassemble
LinkInlineProcessor.getText = _bracket_end  # type: ignore[method-assign]
LinkInlineProcessor.getLink = _bounded_link  # type: ignore[method-assign]
SuperFencesBlockPreprocessor.reassemble = _reassemble  # type: ignore[method-assign]


def render_markdown(text: str, asset_url: Callable[[str], str | None] | None = None) -> str:
    """Render trainer Markdown to safe HTML. ``asset_url`` maps a relative path to its URL.

    Blocks longer than BLOCK_LIMIT come out as escaped text (see `_bound`), and a text
    nesting deeper than NESTING_LIMIT comes out as text entirely, so the time grows linearly
    with the text whatever it holds (`markdown_limits` reports both to the author)."""
    too_deep = bool(deep_lines(text))
    html = ""
    if not too_deep:
        bounded, replaced = _bound(text)
        html = markdown.markdown(bounded, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                 output_format="html")
    if too_deep or _nesting(html) > HTML_NESTING_LIMIT:  # shown as text, in its paragraphs
        return "".join(f"<p>{html_module.escape(paragraph, quote=False)}</p>"
                       for paragraph in re.split(r"\n[ \t]*\n", text) if paragraph.strip())
    for word, block in replaced.items():
        html = html.replace(word, block, 1)
    return sanitise(html, asset_url)


def render_inline(text: str, asset_url: Callable[[str], str | None] | None = None) -> str:
    """Render a short piece (a quiz choice) without the surrounding paragraph."""
    html = render_markdown(text, asset_url)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def sanitise(html: str, asset_url: Callable[[str], str | None] | None = None) -> str:
    """Keep only the allowlist; rewrite relative URLs through ``asset_url``."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            stripped = value.strip()
            if stripped.startswith("#"):
                return stripped
            if is_relative_reference(stripped):
                return asset_url(stripped) if asset_url else None
            return stripped
        if attribute == "id":  # only the ids Markdown makes, so raw HTML cannot reuse page ids (#main)
            return value if value.startswith(("h-", "fn:", "fnref")) else None
        if tag == "input" and attribute == "type":
            return value if value == "checkbox" else None
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=attribute_filter,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"img": {"loading": "lazy"}, "input": {"disabled": "disabled"}},
        strip_comments=True,
    )


HEADING_RE = re.compile(r'<h([234]) id="([^"]+)">(.*?)</h\1>', re.S)
TAG_RE = re.compile(r"<[^>]+>")


def table_of_contents(html: str) -> list[list[str]]:
    """[[anchor, text], ...] of the headings in rendered HTML (computed once, at import)."""
    import html as html_module

    return [[anchor, html_module.unescape(TAG_RE.sub("", text)).strip()]
            for _level, anchor, text in HEADING_RE.findall(html)]
