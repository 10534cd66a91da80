"""Courses, modules and their immutable versions, lessons, questions and assets.

A ``Module`` is the stable identity; each published content is a ``ModuleVersion`` that is
never changed afterwards, so a quiz attempt keeps pointing at the exact questions answered.
Questions keep their author-given ``qid`` across versions (a fixed typo stays the same
question). All HTML is rendered and sanitised at import/publish time.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Competency(db.Model):
    __tablename__ = "competencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(64), index=True)
    area_name_id: Mapped[str] = mapped_column(String(200))
    area_name_en: Mapped[str] = mapped_column(String(200))
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_id: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    # observable behaviours [{"id": ..., "en": ...}] the post-training evaluation asks about
    indicators: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"), index=True)
    title_id: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    summary_id: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))
    authors: Mapped[list] = mapped_column(JSON, default=list)
    version_label: Mapped[str] = mapped_column(String(40))
    jp: Mapped[float] = mapped_column(Float)
    intro_html: Mapped[str] = mapped_column(Text, default="")
    intro_source: Mapped[str] = mapped_column(Text, default="")  # course.md as written, for export
    source_hash: Mapped[str] = mapped_column(String(64))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: shared across the network. Set: private to that one organisation (a library's own
    # course); who sees it is decided by ``services.visible_to`` alone (docs/organisations.md).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.unit_id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    topic: Mapped[Topic] = relationship()
    modules: Mapped[list["Module"]] = relationship(back_populates="course", order_by="Module.position")
    competency_links: Mapped[list["CourseCompetency"]] = relationship(
        order_by="CourseCompetency.position", cascade="all, delete-orphan")

    @property
    def competency_ids(self) -> list[str]:
        return [link.competency_id for link in self.competency_links]


class CourseCompetency(db.Model):
    """A competency a course develops (a table, so the catalogue can filter on it in SQL)."""

    __tablename__ = "course_competencies"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[str] = mapped_column(ForeignKey("competencies.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once its file is removed
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", use_alter=True, ondelete="SET NULL"))

    course: Mapped[Course] = relationship(back_populates="modules")
    current_version: Mapped["ModuleVersion | None"] = relationship(foreign_keys=[current_version_id],
                                                                   post_update=True)
    versions: Mapped[list["ModuleVersion"]] = relationship(
        back_populates="module", foreign_keys="ModuleVersion.module_id", order_by="ModuleVersion.number")


class ModuleVersion(db.Model):
    """One published content of a module; immutable once created."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title_id: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    minutes: Mapped[int] = mapped_column(Integer)
    pass_mark: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # attempts, time_limit, shuffle, feedback, grading
    intro_html: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)  # the Markdown file as written
    source_hash: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(10), default="import")  # import | web
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    module: Mapped[Module] = relationship(back_populates="versions", foreign_keys=[module_id])
    lessons: Mapped[list["Lesson"]] = relationship(back_populates="module_version", order_by="Lesson.position",
                                                   cascade="all, delete-orphan")
    questions: Mapped[list["Question"]] = relationship(back_populates="module_version",
                                                       order_by="Question.position", cascade="all, delete-orphan")


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"),
                                                   index=True)
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list] = mapped_column(JSON, default=list)  # [[anchor, text], ...] computed at import
    words: Mapped[int] = mapped_column(Integer, default=0)

    module_version: Mapped[ModuleVersion] = relationship(back_populates="lessons")


class Question(db.Model):
    """A quiz question of one module version. ``data`` holds the answer key: never send it
    to a page before the attempt is submitted."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("module_version_id", "qid"), Index("ix_questions_qid", "qid"))

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"),
                                                   index=True)
    position: Mapped[int] = mapped_column(Integer)
    qid: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(20))
    stem_html: Mapped[str] = mapped_column(Text)
    points: Mapped[float] = mapped_column(Float, default=1.0)
    competency_id: Mapped[str | None] = mapped_column(ForeignKey("competencies.id"), index=True)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    feedback_html: Mapped[str] = mapped_column(Text, default="")

    module_version: Mapped[ModuleVersion] = relationship(back_populates="questions")


class CourseAsset(db.Model):
    """An image or attachment from the course folder, served by its relative path."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ModuleDraft(db.Model):
    """Unpublished Markdown of a module being edited in the browser (one per module)."""

    __tablename__ = "module_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(Text)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    module: Mapped[Module] = relationship()
    updated_by = relationship("User")
