"""Editing modules in the browser: validate, preview, save drafts, publish versions, diff.

Web edits go through the same parser and renderer as folder imports. Publishing creates a
new immutable version with ``origin="web"``; a later folder import that would overwrite it
stops with a conflict (see docs/authoring.md).
"""
from __future__ import annotations

import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from flask_babel import gettext as _
from sqlalchemy import select

from lms.audit.services import record
from lms.extensions import db
from lms.markdown_html import render_markdown
from lms.plugins.courses.framework import Framework
from lms.plugins.courses.models import Competency, Course, CourseAsset, Module, ModuleDraft, ModuleVersion, Topic
from lms.plugins.courses.parsing import CourseSource, ModuleSource, check_references, parse_module_text
from lms.plugins.courses.services import _asset_resolver, _new_version, export_course, write_framework

LINE_RE = re.compile(r"^[^:]*:(\d+): (.*)$")
NEW_MODULE_TEMPLATE = """---
title: {title}
objectives:
  - ...
competencies: [{competency}]
minutes: 60
pass_mark: 70
---
Pengantar modul.

## Pelajaran pertama
Tulis materi di sini.
"""


@dataclass
class Check:
    """The result of validating a module's Markdown in the editor."""

    module: ModuleSource | None
    problems: list[tuple[int, str]]  # (line, message)

    @property
    def ok(self) -> bool:
        return not self.problems


def framework_from_db() -> Framework:
    framework = Framework()
    for topic in db.session.scalars(select(Topic)):
        framework.topics[topic.id] = {"id": topic.name_id, "en": topic.name_en}
    for c in db.session.scalars(select(Competency)):
        framework.competencies[c.id] = {"area": c.area, "name": {"id": c.name_id, "en": c.name_en},
                                        "description": {"id": c.description_id, "en": c.description_en},
                                        "targets": c.targets}
    return framework


def _course_source(course: Course) -> CourseSource:
    assets = {asset.path: b"" for asset in db.session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id))}
    return CourseSource(path=Path(course.slug), slug=course.slug, meta={}, intro="", text="", assets=assets)


def check_module(course: Course, module: Module, text: str) -> Check:
    """Validate ``text`` as the module's new content, in the context of its course."""
    label = Path(course.slug) / f"{module.position:02d}-{module.slug}.md"
    problems: list[str] = []
    parsed = parse_module_text(label, text, framework_from_db(), problems, module.position)
    course_source = _course_source(course)
    course_source.modules = [parsed]
    check_references(course_source, problems)
    others = {q.qid: other.slug for other in course.modules if other.id != module.id and other.active
              and other.current_version for q in other.current_version.questions}
    for question in parsed.questions:
        if question.id in others:
            problems.append(f"{label}:{question.line}: "
                            + _("question id %(id)r is already used in module %(module)r", id=question.id,
                                module=others[question.id]))
    lines = []
    for problem in problems:
        match = LINE_RE.match(problem)
        lines.append((int(match.group(1)), match.group(2)) if match else (1, problem))
    return Check(module=parsed, problems=sorted(lines))


def preview_html(course: Course, check: Check) -> str:
    """The module rendered by the same pipeline as an import (lessons joined, quizzes listed)."""
    if check.module is None:
        return ""
    resolve = _asset_resolver(_course_source(course))
    parts = [render_markdown(check.module.intro, resolve)] if check.module.intro else []
    for lesson in check.module.lessons:
        parts.append(f"<h2>{_escape(lesson.title)}</h2>" + render_markdown(lesson.markdown, resolve))
    for question in check.module.questions:
        parts.append(f'<div class="admonition note"><p class="admonition-title">{_escape(question.id)} · '
                     f'{_escape(question.type)}</p>{render_markdown(question.text, resolve)}</div>')
    return "\n".join(parts)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def editable_source(module: Module) -> tuple[str, ModuleDraft | None]:
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    if draft is not None:
        return draft.source, draft
    return (module.current_version.source if module.current_version else ""), None


def save_draft(module: Module, text: str, user_id: int) -> ModuleDraft:
    """Keep unpublished work (even with problems in it)."""
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    if draft is None:
        draft = ModuleDraft(module_id=module.id, base_version_id=module.current_version_id)
        db.session.add(draft)
    draft.source, draft.updated_by_id = text, user_id
    draft.updated_at = db.func.now()
    db.session.commit()
    return draft


def discard_draft(module: Module) -> None:
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()


def publish(course: Course, module: Module, text: str, user_id: int) -> ModuleVersion | Check:
    """Publish ``text`` as a new version (returns the failed Check when it has problems)."""
    check = check_module(course, module, text)
    if not check.ok:
        return check
    assert check.module is not None
    if module.current_version is not None and module.current_version.source_hash == check.module.content_hash:
        discard_draft(module)
        return module.current_version
    version = _new_version(module, check.module, _course_source(course), origin="web", author_id=user_id)
    module.active = True
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    if draft is not None:
        db.session.delete(draft)
    record("module.published", "module", module.id, course=course.slug, module=module.slug, version=version.number)
    db.session.commit()
    return version


def new_module(course: Course, slug: str, title: str, user_id: int) -> Module:
    """A new module at the end of the course, starting as a draft from a template."""
    position = max((m.position for m in course.modules), default=0) + 1
    module = Module(course_id=course.id, slug=slug, position=position, active=False)
    db.session.add(module)
    db.session.flush()
    competency = course.competency_ids[0] if course.competency_ids else ""
    save_draft(module, NEW_MODULE_TEMPLATE.format(title=title.replace("\n", " "), competency=competency), user_id)
    return module


def version_diff(older: ModuleVersion, newer: ModuleVersion) -> list[tuple[str, str]]:
    """(kind, line) pairs of a unified diff: kind is ' ', '+', '-' or '@'."""
    lines = difflib.unified_diff(older.source.split("\n"), newer.source.split("\n"),
                                 fromfile=f"v{older.number}", tofile=f"v{newer.number}", lineterm="", n=3)
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = line[:1] if line[:1] in "+-@" else " "
        result.append((kind, line[1:] if kind != "@" else line))
    return result


def course_zip(course: Course) -> bytes:
    """The course as Markdown (current versions, assets, topics and competencies), zipped."""
    with TemporaryDirectory() as tmp:
        root = Path(tmp)
        export_course(course.slug, root)
        write_framework(root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()
