"""Markdown -> sanitised HTML, once, at import or publish time (never per page view).

python-markdown with pymdown-extensions renders; nh3 then keeps only an allowlist of tags,
attributes, classes and URL schemes, because trainer content is untrusted: no scripts,
event handlers, ``javascript:``/``data:`` URLs, inline styles or iframes survive.
Relative links and images are rewritten to the course's asset URL.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import markdown
import nh3

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


def render_markdown(text: str, asset_url: Callable[[str], str | None] | None = None) -> str:
    """Render trainer Markdown to safe HTML. ``asset_url`` maps a relative path to its URL."""
    html = markdown.markdown(text, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                             output_format="html")
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
