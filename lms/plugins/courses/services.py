"""Importing, listing and exporting courses. The only place in this plugin that commits.

An import validates every file first (all problems, as ``path:line: message``) and changes
nothing when anything is wrong; then it writes everything in one transaction. Unchanged
modules (same content hash) get no new version; changed ones get a new immutable version.
A module in the database but not in its course's folder (created in the browser, or its
file removed) stays as it is and is reported; only ``prune`` hides it (never deletes).
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import defer

from lms.pluginmanager import hook
from lms.extensions import db
from lms.markdown_html import normalise_asset_path, render_inline, render_markdown, table_of_contents
from lms.sql import LIKE_ESCAPE, contains_pattern
from lms.plugins.courses.framework import Framework, load_framework
from lms.plugins.courses.models import (Competency, Course, CourseAsset, CourseCompetency, Lesson, Module,
                                        ModuleVersion, Question, Topic)
from lms.plugins.courses.parsing import CourseSource, ModuleSource, parse_course

WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass
class ImportReport:
    problems: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # "slug/module vN"
    unchanged: list[str] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    # active modules that are in the database but not in their course's folder ("slug/module")
    kept: list[str] = field(default_factory=list)  # left active (no prune)
    deactivated: list[str] = field(default_factory=list)  # hidden (prune)
    # courses whose organisation this import set or changed: "slug: shared -> lib-seb"
    organisations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_course_dirs(paths: list[Path], problems: list[str]) -> tuple[Path | None, list[Path]]:
    """Resolve PATHs (the courses root or single course folders) to (framework root, course dirs)."""
    root: Path | None = None
    dirs: list[Path] = []
    for path in paths:
        if not path.exists():
            problems.append(f"{path}:1: " + _("no such file or folder"))
            continue
        if (path / "course.md").is_file():
            dirs.append(path)
            candidate = path.parent
        else:
            found = sorted(child for child in path.iterdir() if child.is_dir() and (child / "course.md").exists())
            if not found:
                problems.append(f"{path}:1: " + _("no course folders (folders with course.md) here"))
            dirs.extend(found)
            candidate = path
        if (candidate / "competencies.yml").exists():
            if root is not None and root.resolve() != candidate.resolve():
                problems.append(f"{candidate}:1: "
                                + _("courses from two different frameworks cannot be imported together"))
            root = candidate
    if dirs and root is None:
        problems.append(f"{dirs[0].parent}:1: "
                        + _("competencies.yml and topics.yml not found next to the course folders"))
    return root, dirs


def check_courses(paths: list[Path], framework: Framework | None = None
                  ) -> tuple[Framework | None, list[CourseSource], list[str]]:
    """Parse and validate; nothing is written. With ``framework`` (the one in the database,
    ``authoring.framework_from_db``) the folders need no competencies.yml beside them."""
    problems: list[str] = []
    scratch: list[str] = []
    root, dirs = find_course_dirs(paths, problems if framework is None else scratch)
    if framework is not None:
        problems.extend(p for p in scratch if "competencies.yml" not in p)
    elif root is None:
        return None, [], problems
    if framework is None:
        framework = load_framework(root, problems)
    courses = [course for course in (parse_course(d, framework, problems) for d in dirs) if course]
    slugs = [course.slug for course in courses]
    for course in courses:
        if slugs.count(course.slug) > 1:
            problems.append(f"{course.path}:1: " + _("two course folders are named %(slug)r", slug=course.slug))
            break
    _resolve_organisations(courses, problems)
    return framework, courses, problems


def _resolve_organisations(courses: list[CourseSource], problems: list[str]) -> None:
    """Turn each course's ``organisation:`` unit code into that organisation's id (in
    ``meta["organisation_id"]``), or report ``course.md:line`` when the code names no unit
    that is an organisation: a typo must not publish a library's own course to everyone."""
    from lms.auth.models import Organisation, Unit

    codes = {course.meta["organisation"] for course in courses if course.meta.get("organisation")}
    found: dict[str, tuple[int, bool]] = {}
    if codes:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            rows = db.session.execute(select(Unit.code, Unit.id, Organisation.unit_id)
                                      .outerjoin(Organisation, Organisation.unit_id == Unit.id)
                                      .where(Unit.code.in_(sorted(codes)))).all()
        except SQLAlchemyError:  # `lms courses check` before `lms db upgrade`
            db.session.rollback()
            for course in courses:
                if course.meta.get("organisation"):
                    problems.append(f"{course.meta['organisation_where']}: " + _(
                        "`organisation` cannot be checked: the database is not set up (lms db upgrade)"))
            return
        found = {code: (unit_id, marked is not None) for code, unit_id, marked in rows}
    for course in courses:
        code = course.meta.get("organisation")
        course.meta["organisation_id"] = None
        if not code:
            continue
        unit = found.get(code)
        if unit is None:
            problems.append(f"{course.meta['organisation_where']}: "
                            + _("`organisation`: no unit has the code %(code)r", code=code))
        elif not unit[1]:
            problems.append(f"{course.meta['organisation_where']}: "
                            + _("`organisation`: the unit %(code)r is not an organisation (a library); "
                                "mark it as one in Admin, or name the library it belongs to", code=code))
        else:
            course.meta["organisation_id"] = unit[0]


def import_courses(paths: list[Path], prefer_files: bool = False, prune: bool = False,
                   framework: Framework | None = None) -> ImportReport:
    """Validate everything, then import in one transaction (or change nothing).

    Active modules missing from their course's folder are listed in ``report.kept``, or
    with ``prune`` hidden and listed in ``report.deactivated``: a folder that lacks a module
    made in the browser must not switch it off without saying so. With ``framework`` (the
    database's own) the courses are checked against it and the framework is left as it is."""
    report = ImportReport()
    given = framework
    framework, courses, problems = check_courses(paths, framework)
    report.problems.extend(problems)
    if report.problems or framework is None:
        return report
    try:
        if given is None:
            _save_framework(framework)
        for course in courses:
            _save_course(course, report, prefer_files, prune)
        if report.problems:  # conflicts found while comparing with the database
            db.session.rollback()
            report.created.clear()
            report.kept.clear()
            report.deactivated.clear()
            report.organisations.clear()
            return report
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _save_framework(framework: Framework) -> None:
    for position, (topic_id, names) in enumerate(framework.topics.items()):
        topic = db.session.get(Topic, topic_id) or Topic(id=topic_id)
        topic.name_id, topic.name_en, topic.position = names["id"], names["en"], position
        db.session.add(topic)
    areas = {area["id"]: area["name"] for area in framework.areas}
    for position, (comp_id, info) in enumerate(framework.competencies.items()):
        competency = db.session.get(Competency, comp_id) or Competency(id=comp_id)
        competency.area = info["area"]
        competency.area_name_id, competency.area_name_en = areas[info["area"]]["id"], areas[info["area"]]["en"]
        competency.name_id, competency.name_en = info["name"]["id"], info["name"]["en"]
        competency.description_id = info["description"]["id"]
        competency.description_en = info["description"]["en"]
        competency.targets = info["targets"]
        competency.indicators = info.get("indicators") or []
        competency.position = position
        db.session.add(competency)
    db.session.flush()


def asset_url(slug: str, path: str) -> str:
    return f"/courses/{slug}/files/{path}"


def _save_course(source: CourseSource, report: ImportReport, prefer_files: bool, prune: bool) -> None:
    meta = source.meta
    course = db.session.scalar(select(Course).where(Course.slug == source.slug))
    text_hash = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
    if course is None:
        course = Course(slug=source.slug)
        db.session.add(course)
    if course.source_hash != text_hash:
        course.topic_id = meta["topic"]
        course.title_id, course.title_en = meta["title"]["id"], meta["title"]["en"]
        course.summary_id, course.summary_en = meta["summary"]["id"], meta["summary"]["en"]
        course.level, course.authors, course.version_label = meta["level"], meta["authors"], meta["version"]
        course.jp = meta["jp"]
        _set_competencies(course, meta["competencies"])
        course.intro_html = render_markdown(source.intro, _asset_resolver(source))
        course.intro_source = source.text
        course.source_hash = text_hash
        course.updated_at = func.now()
    if course.organisation_id != meta.get("organisation_id"):
        if course.id is not None or meta.get("organisation_id") is not None:  # a new shared course is no news
            report.organisations.append(_("%(course)s: was %(old)s, now %(new)s", course=source.slug,
                                          old=organisation_label(course.organisation_id) if course.id else "-",
                                          new=organisation_label(meta.get("organisation_id"))))
        course.organisation_id = meta.get("organisation_id")
    db.session.flush()
    _save_assets(course, source)
    report.courses.append(source.slug)
    existing = {module.slug: module for module in course.modules}
    for module_source in source.modules:
        module = existing.pop(module_source.slug, None)
        if module is None:
            module = Module(course=course, slug=module_source.slug, position=module_source.position)
            db.session.add(module)
            db.session.flush()
        module.position, module.active = module_source.position, True
        current = module.current_version
        label = f"{source.slug}/{module_source.slug}"
        if current is not None and current.source_hash == module_source.content_hash:
            report.unchanged.append(f"{label} v{current.number}")
            continue
        if current is not None and current.origin == "web" and not prefer_files:
            report.problems.append(
                f"{module_source.path}:1: "
                + _("conflict: %(module)s was edited in the browser (version %(version)d) and the file differs; "
                    "export it (lms courses export), merge, and import again, or use --prefer-files to let "
                    "the file win", module=label, version=current.number))
            continue
        version = _new_version(module, module_source, source)
        report.created.append(f"{label} v{version.number}")
    for module in sorted(existing.values(), key=lambda m: m.position):  # not in the folder
        if not module.active:
            continue
        if prune:  # hidden, never deleted
            module.active = False
            report.deactivated.append(f"{source.slug}/{module.slug}")
        else:
            report.kept.append(f"{source.slug}/{module.slug}")


def _set_competencies(course: Course, wanted: list[str]) -> None:
    """Update the course's competency links in place (same rows kept, positions updated)."""
    links = {link.competency_id: link for link in course.competency_links}
    course.competency_links = [links.get(comp_id) or CourseCompetency(competency_id=comp_id)
                               for comp_id in wanted]
    for position, link in enumerate(course.competency_links):
        link.position = position


def _asset_resolver(source: CourseSource):
    def resolve(url: str) -> str | None:
        path = normalise_asset_path("", url)
        return asset_url(source.slug, path) if path in source.assets else None

    return resolve


def _save_assets(course: Course, source: CourseSource) -> None:
    stored = {asset.path: asset for asset in db.session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id))}
    for path, data in source.assets.items():
        digest = hashlib.sha256(data).hexdigest()
        asset = stored.pop(path, None)
        if asset is not None and asset.sha256 == digest:
            continue
        if asset is None:
            asset = CourseAsset(course_id=course.id, path=path)
            db.session.add(asset)
        asset.sha256, asset.data = digest, data
        asset.content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    for asset in stored.values():
        db.session.delete(asset)


def _question_type(name: str):
    from lms.plugins.courses.parsing import question_types
    from lms.questions import builtin_registry

    return (question_types() or builtin_registry())[name]


def _new_version(module: Module, source: ModuleSource, course: CourseSource,
                 origin: str = "import", author_id: int | None = None) -> ModuleVersion:
    """Render and store a new immutable version and make it current."""
    resolve = _asset_resolver(course)
    meta = source.meta
    number = (db.session.scalar(select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module.id))
              or 0) + 1
    version = ModuleVersion(
        module_id=module.id, number=number, title_id=meta["title"]["id"], title_en=meta["title"]["en"],
        objectives=meta["objectives"], competencies=meta["competencies"], minutes=meta["minutes"],
        pass_mark=meta["pass_mark"], intro_html=render_markdown(source.intro, resolve), source=source.text,
        source_hash=source.content_hash, origin=origin, created_by_id=author_id,
        settings={key: meta[key] for key in ("attempts", "time_limit", "shuffle", "feedback", "grading")},
    )
    for position, lesson in enumerate(source.lessons, start=1):
        html = render_markdown(lesson.markdown, resolve)
        version.lessons.append(Lesson(position=position, slug=lesson.slug, title=lesson.title, html=html,
                                      toc=table_of_contents(html), words=len(WORD_RE.findall(lesson.markdown))))
    for position, question in enumerate(source.questions, start=1):
        version.questions.append(Question(
            position=position, qid=question.id, type=question.type, stem_html=render_markdown(question.text, resolve),
            points=question.points, competency_id=question.competency, shuffle=question.shuffle,
            data=_question_type(question.type).render(question.data, lambda text: render_inline(text, resolve)),
            feedback_html=render_markdown(question.feedback, resolve) if question.feedback else ""))
    db.session.add(version)
    db.session.flush()
    module.current_version = version
    return version


# --- who sees a course -------------------------------------------------------------------
# One rule, asked everywhere a course is listed or opened (docs/organisations.md, section 3):
# a shared course (organisation_id null) is everyone's; a course private to organisation X is
# seen by the people whose unit's organisation is X, by admins and trainers held for X, and
# by install-wide admins and trainers. Not by the organisations below X: private means that
# one library's own course. Elsewhere it does not exist (404, never 403).

EDITING_ROLES = ("admin", "trainer")


def visible_organisation_ids(user) -> frozenset[int] | None:
    """The organisations whose private courses ``user`` sees, or None for every course.
    Read from the user as loaded with the session (roles, organisation roles, unit): no SQL."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.has_role(*EDITING_ROLES):
        return None
    ids = set(editable_organisation_ids(user) or ())
    own = user.unit.organisation_id if user.unit_id is not None and user.unit is not None else None
    if own is not None:
        ids.add(own)
    return frozenset(ids)


def editable_organisation_ids(user) -> frozenset[int] | None:
    """The organisations whose private courses ``user`` may edit, or None for every course
    (install-wide admins and trainers; they alone edit the shared courses)."""
    if user.has_role(*EDITING_ROLES):
        return None
    return frozenset().union(*(user.organisations_for(role) for role in EDITING_ROLES))


def visible_to(user):
    """A SQL condition on ``Course``: the courses ``user`` may see. Folded into each listing's
    own query, so the rule costs no statement of its own."""
    from sqlalchemy import true

    ids = visible_organisation_ids(user)
    if ids is None:
        return true()
    if not ids:
        return Course.organisation_id.is_(None)
    return or_(Course.organisation_id.is_(None), Course.organisation_id.in_(sorted(ids)))


def shared_or(organisation_id: int | None):
    """A SQL condition on ``Course``: the shared courses and those private to ``organisation_id``
    (shared only for None) - what a plan made for one library, or for the whole network, may
    contain: everyone it assigns to must be able to open it."""
    if organisation_id is None:
        return Course.organisation_id.is_(None)
    return or_(Course.organisation_id.is_(None), Course.organisation_id == organisation_id)


def visibility_params(user) -> dict:
    """Bound values for :func:`visible_by_params`, the cached statements' form of the rule."""
    ids = visible_organisation_ids(user)
    return {"see_all": ids is None, "organisation_ids": sorted(ids or ())}


def visible_by_params():
    """The rule with bound parameters (``see_all``, ``organisation_ids``): for statements
    built once per process (the lesson page)."""
    from sqlalchemy import Boolean

    return or_(bindparam("see_all", type_=Boolean), Course.organisation_id.is_(None),
               Course.organisation_id.in_(bindparam("organisation_ids", expanding=True)))


def may_see(user, course: Course) -> bool:
    """Whether ``user`` may see ``course`` (the same rule, for a course already loaded)."""
    ids = visible_organisation_ids(user)
    return course.organisation_id is None or ids is None or course.organisation_id in ids


def may_edit(user, course: Course) -> bool:
    """Whether ``user`` may edit ``course``: install-wide admins and trainers any course; an
    organisation's admins and trainers that organisation's private courses."""
    ids = editable_organisation_ids(user)
    return ids is None or (course.organisation_id is not None and course.organisation_id in ids)


def assignment_refusal(course: Course, *, user_id: int | None = None, unit_id: int | None = None,
                       position: str | None = None) -> str | None:
    """Why ``course`` cannot be assigned to that target, or None. A private course goes only
    to people who may open it: a person of its organisation (or holding a role there), or a
    unit inside it (none of whose units belongs to another library). A position reaches every
    library, so a private course is never assigned by position."""
    from lms.auth.models import OrganisationRole, Unit, User, UserRole
    from lms.auth.scoping import units_below

    owner = course.organisation_id
    if owner is None:
        return None
    name = organisation_label(owner)
    if position:
        return _("%(course)s is private to %(organisation)s; a position reaches every library: assign it to "
                 "people or units of %(organisation)s instead.", course=course.slug, organisation=name)
    if user_id is not None:
        sees = or_(Unit.organisation_id == owner,
                   User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(EDITING_ROLES))),
                   User.id.in_(select(OrganisationRole.user_id).where(
                       OrganisationRole.organisation_id == owner, OrganisationRole.role.in_(EDITING_ROLES))))
        if db.session.scalar(select(User.id).outerjoin(Unit, Unit.id == User.unit_id)
                             .where(User.id == user_id, sees)) is None:
            return _("%(course)s is private to %(organisation)s; this person works for another library and "
                     "could not open it.", course=course.slug, organisation=name)
    if unit_id is not None:
        tree = units_below([unit_id])
        elsewhere = db.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.id.in_(select(tree.c.id)), or_(Unit.organisation_id.is_(None), Unit.organisation_id != owner)))
        if elsewhere:
            return _("%(course)s is private to %(organisation)s; this unit (or a unit below it) belongs to another "
                     "library.", course=course.slug, organisation=name)
    return None


def organisation_label(organisation_id: int | None) -> str:
    """How an import report and the editor name a course's owner: its unit code, or "shared"."""
    from lms.auth.models import Unit

    if organisation_id is None:
        return _("shared")
    return db.session.scalar(select(Unit.code).where(Unit.id == organisation_id)) or str(organisation_id)


def editable_by(user):
    """A SQL condition on ``Course``: the courses ``user`` may edit (see :func:`may_edit`)."""
    from sqlalchemy import true

    ids = editable_organisation_ids(user)
    return true() if ids is None else Course.organisation_id.in_(sorted(ids))


def organisation_choices(user) -> list[tuple[int, str]]:
    """The organisations ``user`` may make a course private to: all for install-wide admins
    and trainers, else those they are an admin or trainer for; (unit id, name) by name."""
    from lms.auth.models import Organisation

    query = select(Organisation.unit_id, Organisation.full_name).order_by(Organisation.full_name)
    ids = editable_organisation_ids(user)
    if ids is not None:
        query = query.where(Organisation.unit_id.in_(sorted(ids)))
    return [(unit_id, name) for unit_id, name in db.session.execute(query)]


def set_organisation(course: Course, organisation_id: int | None, user) -> bool:
    """Make ``course`` shared (None) or private to one organisation the editor may act for,
    audited; returns whether it changed. Refused (``PermissionError``) for an organisation
    outside the editor's reach, or when the editor may not edit the course at all."""
    from lms.audit.services import record

    if not may_edit(user, course):
        raise PermissionError(_("You may not change this course."))
    allowed = {unit_id for unit_id, _name in organisation_choices(user)}
    if organisation_id is not None and organisation_id not in allowed:
        raise PermissionError(_("Choose an organisation you work for."))
    if organisation_id is None and editable_organisation_ids(user) is not None:
        raise PermissionError(_("Only an administrator or trainer of the whole network may share a course "
                                "with every library."))
    if course.organisation_id == organisation_id:
        return False
    old = organisation_label(course.organisation_id)
    course.organisation_id = organisation_id
    record("course.organisation_changed", "course", course.id, course=course.slug, old=old,
           new=organisation_label(organisation_id))
    db.session.commit()
    return True


def with_organisation(text: str, code: str | None) -> str:
    """``course.md`` with its ``organisation:`` line saying ``code`` (removed for a shared
    course), so an export re-imports to the same visibility, even when it was set in the browser."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return text
    head = [line for line in lines[1:end] if not line.startswith("organisation:")]
    if code is not None:
        head.append(f"organisation: {code}")
    return "\n".join([lines[0], *head, *lines[end:]])


def course_rows() -> list[dict]:
    """One row per course for ``lms courses list`` (counts aggregated in SQL); ``organisation``
    is the unit code of the library a private course belongs to, None when shared."""
    from lms.auth.models import Unit

    modules = (select(Module.course_id, func.count(Module.id).label("modules"))
               .where(Module.active.is_(True)).group_by(Module.course_id).subquery())
    questions = (select(Module.course_id, func.count(Question.id).label("questions"))
                 .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
                 .join(Question, Question.module_version_id == ModuleVersion.id)
                 .where(Module.active.is_(True)).group_by(Module.course_id).subquery())
    rows = db.session.execute(
        select(Course.slug, Course.title_id, Course.topic_id, Course.version_label,
               func.coalesce(modules.c.modules, 0), func.coalesce(questions.c.questions, 0), Course.jp, Unit.code)
        .outerjoin(modules, modules.c.course_id == Course.id)
        .outerjoin(Unit, Unit.id == Course.organisation_id)
        .outerjoin(questions, questions.c.course_id == Course.id)
        .order_by(Course.slug)).all()
    return [{"slug": r[0], "title": r[1], "topic": r[2], "version": r[3], "modules": r[4], "questions": r[5],
             "jp": r[6], "organisation": r[7]} for r in rows]


def export_course(slug: str, target: Path) -> Path:
    """Write the course back as Markdown files (current versions) plus its assets."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise LookupError(f"no course {slug!r}")
    folder = target / slug
    folder.mkdir(parents=True, exist_ok=True)
    code = organisation_label(course.organisation_id) if course.organisation_id is not None else None
    (folder / "course.md").write_text(with_organisation(course.intro_source, code), encoding="utf-8")
    for module in course.modules:
        if module.active and module.current_version is not None:
            (folder / f"{module.position:02d}-{module.slug}.md").write_text(module.current_version.source,
                                                                             encoding="utf-8")
    for asset in db.session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
        path = folder / asset.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset.data)
    return folder


def write_framework(target: Path) -> None:
    """Write topics.yml and competencies.yml from the database (for an exported folder)."""
    import yaml

    target.mkdir(parents=True, exist_ok=True)
    topics = {t.id: {"id": t.name_id, "en": t.name_en}
              for t in db.session.scalars(select(Topic).order_by(Topic.position))}
    areas: dict[str, dict] = {}
    for c in db.session.scalars(select(Competency).order_by(Competency.position)):
        area = areas.setdefault(c.area, {"id": c.area, "name": {"id": c.area_name_id, "en": c.area_name_en},
                                         "competencies": []})
        entry = {"id": c.id, "name": {"id": c.name_id, "en": c.name_en},
                 "description": {"id": c.description_id, "en": c.description_en}}
        if c.targets:
            entry["targets"] = c.targets
        area["competencies"].append(entry)
    if not (target / "topics.yml").exists():
        (target / "topics.yml").write_text(yaml.safe_dump(topics, allow_unicode=True, sort_keys=False),
                                           encoding="utf-8")
    if not (target / "competencies.yml").exists():
        (target / "competencies.yml").write_text(
            yaml.safe_dump({"areas": list(areas.values())}, allow_unicode=True, sort_keys=False), encoding="utf-8")


def catalogue(topic: str = "", competency: str = "", q: str = "", *, user) -> list[dict]:
    """Published courses ``user`` may see for the catalogue with module counts and minutes,
    filtered in SQL."""
    stats = (select(Module.course_id, func.count(Module.id).label("modules"),
                    func.sum(ModuleVersion.minutes).label("minutes"))
             .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
             .where(Module.active.is_(True)).group_by(Module.course_id).subquery())
    from lms.auth.models import Organisation

    query = (select(Course, func.coalesce(stats.c.modules, 0), func.coalesce(stats.c.minutes, 0),
                    Organisation.short_name)
             .outerjoin(stats, stats.c.course_id == Course.id)
             .outerjoin(Organisation, Organisation.unit_id == Course.organisation_id)
             .where(Course.published.is_(True), visible_to(user)).order_by(Course.topic_id, Course.title_id))
    if topic:
        query = query.where(Course.topic_id == topic)
    if competency:
        query = query.where(Course.id.in_(select(CourseCompetency.course_id)
                                          .where(CourseCompetency.competency_id == competency)))
    if q.strip():
        pattern = contains_pattern(q.strip())
        query = query.where(Course.title_id.ilike(pattern, escape=LIKE_ESCAPE)
                            | Course.title_en.ilike(pattern, escape=LIKE_ESCAPE)
                            | Course.summary_id.ilike(pattern, escape=LIKE_ESCAPE)
                            | Course.summary_en.ilike(pattern, escape=LIKE_ESCAPE))
    return [{"course": row[0], "modules": row[1], "minutes": row[2], "private_to": row[3]}
            for row in db.session.execute(query)]


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.position)))


def competencies() -> list[Competency]:
    return list(db.session.scalars(select(Competency).order_by(Competency.position)))


def competencies_by_id(ids: list[str]) -> list[Competency]:
    found = {c.id: c for c in db.session.scalars(select(Competency).where(Competency.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def get_course(slug: str, user) -> Course | None:
    """The published course ``slug`` if ``user`` may see it; None (a 404) otherwise."""
    return db.session.scalar(select(Course).where(Course.slug == slug, Course.published.is_(True),
                                                  visible_to(user)))


def get_module(course: Course, module_slug: str) -> Module | None:
    return db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == module_slug,
                                                  Module.active.is_(True)))


@dataclass(frozen=True)
class Neighbour:
    """The previous or next lesson, as the pager links it (no HTML loaded)."""

    slug: str
    title: str


@dataclass(frozen=True)
class LessonPage:
    """Everything a lesson page shows, loaded by :func:`lesson_page` in one statement."""

    course: Course
    module: Module
    version: ModuleVersion
    lesson: Lesson
    previous: Neighbour | None
    next: Neighbour | None
    position: int  # 1-based place of the lesson in its version
    total: int
    has_quiz: bool


def lesson_page(slug: str, module_slug: str, lesson_slug: str, user=None) -> LessonPage | None:
    """The lesson of a published course's active module (current version), with its course,
    module and version, its neighbours and whether a quiz follows - or None (a 404).

    One statement, because this is the most requested page of the LMS (see
    :func:`_lesson_page_statement`). The four entities land in the identity map, so
    ``module.course``, ``module.current_version`` and ``lesson.module_version`` are then
    read without SQL (hooks use them). A course ``user`` may not see has no lessons for them.
    """
    row = db.session.execute(_lesson_page_statement(),
                             {"course_slug": slug, "module_slug": module_slug, "lesson_slug": lesson_slug,
                              **visibility_params(user)}).first()
    if row is None:
        return None
    lesson, version, module, course, prev_slug, prev_title, next_slug, next_title, number, total, quiz = row
    return LessonPage(course=course, module=module, version=version, lesson=lesson,
                      previous=Neighbour(prev_slug, prev_title) if prev_slug is not None else None,
                      next=Neighbour(next_slug, next_title) if next_slug is not None else None,
                      position=number, total=total, has_quiz=bool(quiz))


def record_lesson_view(user, page: LessonPage) -> None:
    """Tell the plugins a learner opened a lesson, and commit what they wrote as one.

    The learning plugin records the view, and the completions and certificate it may bring;
    the interop plugin its ``viewed`` event. None of them commits: they are one fact and
    its consequences, kept or lost together (a worker killed in between leaves neither).
    """

    hook().lms_lesson_viewed(user=user, module=page.module, lesson=page.lesson)
    db.session.commit()


@cache
def _lesson_page_statement():
    """The lesson page's query, built once per process with bound parameters (building this
    select cost more CPU than running it; the statement is immutable, so sharing it is safe).

    The neighbours, position and count come from window functions over the version's
    lessons (titles and slugs only, no HTML), the quiz from an ``EXISTS``. The big text
    columns no lesson page shows (the module's Markdown source and introduction, the
    course's ``course.md`` and introduction) are deferred: loaded only if something asks.
    """
    scope = ((Course.slug == bindparam("course_slug")) & Course.published.is_(True) & visible_by_params()
             & (Module.slug == bindparam("module_slug")) & Module.active.is_(True))
    order = Lesson.position
    pager = (select(Lesson.id.label("id"),
                    func.lag(Lesson.slug).over(order_by=order).label("prev_slug"),
                    func.lag(Lesson.title).over(order_by=order).label("prev_title"),
                    func.lead(Lesson.slug).over(order_by=order).label("next_slug"),
                    func.lead(Lesson.title).over(order_by=order).label("next_title"),
                    func.row_number().over(order_by=order).label("number"),
                    func.count().over().label("total"))
             .join(Module, Module.current_version_id == Lesson.module_version_id)
             .join(Course, Course.id == Module.course_id)
             .where(scope).subquery())
    has_quiz = exists().where(Question.module_version_id == ModuleVersion.id)
    return (select(Lesson, ModuleVersion, Module, Course, pager.c.prev_slug, pager.c.prev_title, pager.c.next_slug,
                   pager.c.next_title, pager.c.number, pager.c.total, has_quiz.label("has_quiz"))
            .join(pager, pager.c.id == Lesson.id)
            .join(ModuleVersion, ModuleVersion.id == Lesson.module_version_id)
            .join(Module, Module.current_version_id == ModuleVersion.id)
            .join(Course, Course.id == Module.course_id)
            .where(scope, Lesson.slug == bindparam("lesson_slug"))
            .order_by(Lesson.position).limit(1)  # the first lesson of that slug, as the pager counts
            .options(defer(ModuleVersion.source), defer(ModuleVersion.intro_html), defer(Course.intro_source),
                     defer(Course.intro_html)))


def get_asset(course: Course, path: str) -> CourseAsset | None:
    return db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                       CourseAsset.path == path))


def authoring_summary() -> dict[str, int]:
    """Counts for the trainer's home panel, in SQL."""
    from lms.plugins.courses.models import ModuleDraft

    return {
        "courses": db.session.scalar(select(func.count(Course.id))) or 0,
        "modules": db.session.scalar(select(func.count(Module.id)).where(Module.active.is_(True))) or 0,
        "drafts": db.session.scalar(select(func.count(ModuleDraft.id))) or 0,
    }


def taught_module_ids(user) -> set[int]:
    """Modules ``user`` teaches: those of courses whose ``authors`` list names them (username
    or full name, any case) and those they published a version of - the trainer's scope
    (grading; the discussions plugin reads authorship the same way)."""
    from sqlalchemy import or_

    names = {name.strip().casefold() for name in (user.username, user.full_name) if name and name.strip()}
    course_ids = [course_id for course_id, authors in db.session.execute(select(Course.id, Course.authors))
                  if any(str(author).strip().casefold() in names for author in (authors or []))]
    published = select(ModuleVersion.module_id).where(ModuleVersion.created_by_id == user.id)
    conditions = [Module.id.in_(published)]
    if course_ids:
        conditions.append(Module.course_id.in_(course_ids))
    return set(db.session.scalars(select(Module.id).where(or_(*conditions))))
