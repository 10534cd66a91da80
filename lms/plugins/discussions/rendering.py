"""Post Markdown -> sanitised HTML, once on save, with ``#competency-id`` mentions linked.

Posts go through the same pipeline as course content
(:func:`lms.markdown_html.render_markdown`: python-markdown, then the nh3
allowlist), so a post can never carry a script, an event handler or a ``javascript:`` link.

A mention such as ``#cat-marc`` of a competency in the framework becomes a link to a module
that develops it: the thread's own module when it covers that competency (so a question
"about #cat-marc" leads back to where it was asked), else the first active module mapped to
it in catalogue order. Unknown ids stay plain text, and nothing inside code or an existing
link is touched. Links are added after sanitising, to the HTML the sanitiser produced,
and contain only escaped values built here.
"""
from __future__ import annotations

import re

from flask import current_app, has_request_context, url_for
from markupsafe import escape
from sqlalchemy import select
from werkzeug.routing import BuildError

from lms.extensions import db
from lms.markdown_html import render_markdown
from lms.plugins.courses.models import Competency, Course, Module, ModuleVersion, Question

# the competency id rule of competencies.yml (lms.yamlfiles.ID_RE), after a '#'
# that does not continue a word, an entity (&#39;), a URL fragment or another mention
MENTION_RE = re.compile(r"(?<![\w&#/-])#([a-z0-9][a-z0-9-]{0,63})(?![\w-])")
# "#word" at the start of a line would otherwise be read as a heading (which the sanitiser
# then flattens, losing the '#'): a mention at a line start stays a mention
LINE_START_HASH_RE = re.compile(r"^( {0,3})#(?=[a-z0-9])", re.MULTILINE)
FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
TAG_RE = re.compile(r"(<[^>]*>)")
NO_LINK_TAGS = {"a", "code", "pre"}


def render_post(markdown_text: str, module: Module | None = None) -> str:
    """The sanitised HTML of a post; ``module`` is the thread's module, preferred as the
    target of competency mentions."""
    html = render_markdown(_protect_line_start_mentions(markdown_text or ""))
    mentioned = {match.group(1) for match in MENTION_RE.finditer(html)}
    if not mentioned:
        return html
    targets = _mention_targets(mentioned, module)
    if not targets:
        return html
    return _link_mentions(html, targets)


def _protect_line_start_mentions(text: str) -> str:
    """Escape a ``#`` that opens a line directly followed by a word (not inside fences)."""
    lines = text.split("\n")
    fence = None
    for index, line in enumerate(lines):
        marker = FENCE_RE.match(line)
        if marker:
            token = marker.group(1)[0]
            if fence is None:
                fence = token
            elif fence == token:
                fence = None
            continue
        if fence is None:
            lines[index] = LINE_START_HASH_RE.sub(r"\1\\#", line)
    return "\n".join(lines)


def _link_mentions(html: str, targets: dict[str, str]) -> str:
    """Wrap known mentions in text nodes (outside ``a``/``code``/``pre``) in a link."""
    parts = TAG_RE.split(html)
    depth = 0
    for index, part in enumerate(parts):
        if index % 2 == 1:  # a tag
            name = part.strip("</ >").split(None, 1)[0].lower() if part.strip("</ >") else ""
            if name in NO_LINK_TAGS and not part.endswith("/>"):
                depth += -1 if part.startswith("</") else 1
            continue
        if depth > 0 or "#" not in part:
            continue

        def link(match: re.Match) -> str:
            url = targets.get(match.group(1))
            if url is None:
                return match.group(0)
            return (f'<a href="{escape(url)}" class="competency-mention" '
                    f'data-competency="{escape(match.group(1))}">#{escape(match.group(1))}</a>')

        parts[index] = MENTION_RE.sub(link, part)
    return "".join(parts)


def _mention_targets(ids: set[str], module: Module | None) -> dict[str, str]:
    """``{competency id: module URL}`` for the known competencies among ``ids``."""
    known = set(db.session.scalars(select(Competency.id).where(Competency.id.in_(sorted(ids)))))
    if not known:
        return {}
    rows = db.session.execute(
        select(Module.id, Module.slug, Course.slug, ModuleVersion.competencies)
        .join(Course, Course.id == Module.course_id)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        # shared courses only: the link is stored in the post, which readers of every library see
        .where(Module.active.is_(True), Course.organisation_id.is_(None))
        .order_by(Course.title_id, Course.id, Module.position, Module.id)).all()
    from_questions: dict[int, set[str]] = {}
    for module_id, competency_id in db.session.execute(
            select(Module.id, Question.competency_id).distinct()
            .join(Question, Question.module_version_id == Module.current_version_id)
            .where(Module.active.is_(True), Question.competency_id.in_(sorted(known)))):
        from_questions.setdefault(module_id, set()).add(competency_id)
    covers = {module_id: set(competencies or []) | from_questions.get(module_id, set())
              for module_id, _slug, _course, competencies in rows}
    slugs = {module_id: (course_slug, module_slug) for module_id, module_slug, course_slug, _c in rows}
    targets: dict[str, str] = {}
    for competency_id in known:
        chosen = None
        if module is not None and competency_id in covers.get(module.id, set()):
            chosen = module.id
        else:
            chosen = next((module_id for module_id, *_rest in rows if competency_id in covers[module_id]), None)
        if chosen is not None:
            url = _module_url(*slugs[chosen])
            if url:
                targets[competency_id] = url
    return targets


def _module_url(course_slug: str, module_slug: str) -> str | None:
    """The module page's path (no host: the HTML is stored), or None without the courses pages."""
    values = {"slug": course_slug, "module_slug": module_slug}
    try:
        if has_request_context():
            return url_for("courses.module", **values)
        return current_app.url_map.bind("localhost").build("courses.module", values)
    except BuildError:
        return None
