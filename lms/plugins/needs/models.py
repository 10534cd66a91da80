"""Needs-assessment data: survey instruments, rounds, staff answers, patron responses and
module feedback.

Instruments are authored as files under ``courses/surveys/`` and loaded into ``Survey`` and
``SurveyItem``. A ``NeedsRound`` runs them for a period and a set of units. Staff answers
(self-assessments and supervisor ratings) are one ``StaffResponse`` per person assessed with
one ``StaffAnswer`` per competency; patron answers arrive by CSV import and are stored
anonymously, with the competency, round and unit copied onto each answer so the analysis
groups them in SQL without joins.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer
from sqlalchemy import String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import Organisation, Unit, User
from lms.clock import utcnow
from lms.extensions import db

SELF = "self"  # the Borich self-assessment: importance and ability per competency
SUPERVISOR = "supervisor"  # a supervisor rates each staff member's ability per competency
PATRON = "patron"  # patron satisfaction, items mapped to competencies, imported from CSV
SURVEY_KINDS: tuple[str, ...] = (SELF, SUPERVISOR, PATRON)


def _likert(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} >= 1 AND {column} <= 5)", name=f"{column}_1_5")


class Survey(db.Model):
    """One instrument, as loaded from its file (``slug`` is the file name without ``.yml``)."""

    __tablename__ = "needs_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    title_id: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    intro_id: Mapped[str] = mapped_column(Text, default="")
    intro_en: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict] = mapped_column(db.JSON, default=dict)  # e.g. ignore_columns, unit_column
    source_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list["SurveyItem"]] = relationship(back_populates="survey", order_by="SurveyItem.position",
                                                     cascade="all, delete-orphan")


class SurveyItem(db.Model):
    """One question of an instrument, mapped to one competency.

    Self-assessment and supervisor items are one per competency; patron items are
    statements such as "staff helped me find what I needed" mapped to a competency.
    """

    __tablename__ = "needs_survey_items"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("needs_surveys.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))  # stable id written in the file (the CSV may use it)
    position: Mapped[int] = mapped_column(Integer)
    text_id: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    competency_id: Mapped[str] = mapped_column(ForeignKey("competencies.id"), index=True)

    survey: Mapped[Survey] = relationship(back_populates="items")


class NeedsRoundUnit(db.Model):
    """A unit in a round's scope (the round covers it and every unit below it)."""

    __tablename__ = "needs_round_units"

    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True)


class NeedsRound(db.Model):
    """A needs-assessment period: open from ``opens_on`` to ``closes_on`` (inclusive, local
    dates) for the units in its scope (none = the whole owning organisation, with the
    organisations below it). ``organisation_id`` owns it: only that organisation's people
    (and those of organisations above it) manage and analyse it (docs/organisations.md)."""

    __tablename__ = "needs_rounds"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.unit_id", ondelete="RESTRICT"),
                                                 index=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date, index=True)
    self_survey_id: Mapped[int | None] = mapped_column(ForeignKey("needs_surveys.id", ondelete="RESTRICT"))
    supervisor_survey_id: Mapped[int | None] = mapped_column(ForeignKey("needs_surveys.id", ondelete="RESTRICT"))
    patron_survey_id: Mapped[int | None] = mapped_column(ForeignKey("needs_surveys.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    self_survey: Mapped[Survey | None] = relationship(foreign_keys=[self_survey_id])
    supervisor_survey: Mapped[Survey | None] = relationship(foreign_keys=[supervisor_survey_id])
    patron_survey: Mapped[Survey | None] = relationship(foreign_keys=[patron_survey_id])
    units: Mapped[list[Unit]] = relationship(secondary="needs_round_units", order_by="Unit.name")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])


class OwnerUndecided(ValueError):
    """No single organisation can own a round or curriculum version: refused, not guessed."""


def owner_for(connection, unit_ids) -> int:
    """The organisation owning a round over ``unit_ids``: their one organisation, or with no
    units the only top-level organisation. Several, or none, is :class:`OwnerUndecided`; the
    same rule backfilled migration 0026."""
    unit_ids = [unit_id for unit_id in unit_ids if unit_id is not None]
    if unit_ids:
        found = set(connection.scalars(select(Unit.organisation_id).where(Unit.id.in_(unit_ids))))
    else:
        found = set(connection.scalars(select(Organisation.unit_id).join(Unit, Unit.id == Organisation.unit_id)
                                       .where(Unit.parent_id.is_(None)).limit(2)))
    if len(found) != 1 or None in found:
        raise OwnerUndecided("cannot tell which organisation owns this: name it (organisation_id)")
    return found.pop()


@event.listens_for(NeedsRound, "before_insert")
def _default_owner(_mapper, connection, target: NeedsRound) -> None:
    """A round created without an owner (the demo, tests, scripts) takes :func:`owner_for`
    its scope; the pages and services always name it."""
    if target.organisation_id is None and target.organisation is None:
        target.organisation_id = owner_for(connection, [unit.id for unit in target.units])


class StaffResponse(db.Model):
    """One person's assessment in a round: a self-assessment (``rater`` = ``subject``) or a
    supervisor's rating of ``subject``. Unit and position are copied at submission, so
    later moves do not rewrite past breakdowns."""

    __tablename__ = "needs_staff_responses"
    __table_args__ = (
        UniqueConstraint("round_id", "kind", "subject_id", "rater_id"),
        Index("ix_needs_staff_responses_round_kind_unit", "round_id", "kind", "unit_id"),
        Index("ix_needs_staff_responses_subject", "subject_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="RESTRICT"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("needs_surveys.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(12))  # SELF or SUPERVISOR
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    position: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    rater: Mapped[User] = relationship(foreign_keys=[rater_id])
    answers: Mapped[list["StaffAnswer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class StaffAnswer(db.Model):
    """Importance (self-assessment only) and ability, 1-5, for one competency."""

    __tablename__ = "needs_staff_answers"
    __table_args__ = (_likert("importance"), _likert("ability"))

    response_id: Mapped[int] = mapped_column(ForeignKey("needs_staff_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    competency_id: Mapped[str] = mapped_column(ForeignKey("competencies.id"), primary_key=True, index=True)
    importance: Mapped[int | None] = mapped_column(Integer)
    ability: Mapped[int] = mapped_column(Integer)

    response: Mapped[StaffResponse] = relationship(back_populates="answers")


class PatronImport(db.Model):
    """One imported CSV file; its SHA-256 makes a second import of the same file a refusal."""

    __tablename__ = "needs_patron_imports"
    __table_args__ = (UniqueConstraint("survey_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="RESTRICT"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("needs_surveys.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PatronResponse(db.Model):
    """One anonymous patron response (a CSV row). ``row_hash`` (timestamp and answers)
    detects the same response imported twice through two different files."""

    __tablename__ = "needs_patron_responses"
    __table_args__ = (Index("ix_needs_patron_responses_round_hash", "round_id", "row_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("needs_patron_imports.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    line: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the CSV's timestamp
    row_hash: Mapped[str] = mapped_column(String(64))


class PatronAnswer(db.Model):
    """One answer of a patron response on the analysis' common 1-5 range (the answer's
    point mapped from its scale, see lms/plugins/needs/answer_scales.py: a 4-point scale
    gives 1, 2.33, 3.67, 5), with its competency, round and unit copied so per-competency
    and per-unit means are one indexed GROUP BY."""

    __tablename__ = "needs_patron_answers"
    __table_args__ = (
        _likert("value"),
        Index("ix_needs_patron_answers_round_competency", "round_id", "competency_id", "unit_id"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("needs_patron_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("needs_survey_items.id", ondelete="RESTRICT"), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="RESTRICT"))
    competency_id: Mapped[str] = mapped_column(ForeignKey("competencies.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    value: Mapped[float] = mapped_column(Float)


class ModuleFeedback(db.Model):
    """A learner's reaction to a module they finished (Kirkpatrick level 1): useful, clear,
    applicable (1-5) and an optional comment. One per learner and module; editable."""

    __tablename__ = "module_feedback"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        _likert("useful"), _likert("clear"), _likert("applicable"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    module_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id", ondelete="SET NULL"))
    useful: Mapped[int] = mapped_column(Integer)
    clear: Mapped[int] = mapped_column(Integer)
    applicable: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizEvidenceScope(db.Model):
    """The quiz evidence of one closed round for one set of people, kept because summing
    millions of answers again on every analysis costs seconds (``evidence.py`` says when a
    kept one is still right). ``scope`` names the filter (units, position); ``people`` is
    a digest of the ids it selected when the evidence was summed."""

    __tablename__ = "needs_quiz_evidence_scopes"

    round_id: Mapped[int] = mapped_column(ForeignKey("needs_rounds.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of ``filter``
    filter: Mapped[str] = mapped_column(Text)  # JSON {"units": [...] or null, "position": ...}
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the round's end it was summed to
    people: Mapped[str] = mapped_column(String(64))  # sha256 of the sorted user ids, "*" for everyone
    quiz_version: Mapped[int] = mapped_column(Integer)  # QuizEvidenceVersion.version read before summing
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizEvidence(db.Model):
    """Per question, the graded answers and their summed credit in one kept scope. Competency
    and points are not copied: the analysis joins the questions as they are now."""

    __tablename__ = "needs_quiz_evidence"
    __table_args__ = (
        ForeignKeyConstraint(["round_id", "scope"], ["needs_quiz_evidence_scopes.round_id",
                                                     "needs_quiz_evidence_scopes.scope"], ondelete="CASCADE"),
    )

    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer)
    credit: Mapped[float] = mapped_column(Float)  # sum of credit, 0..answers


class QuizEvidenceVersion(db.Model):
    """One row (id 1): a counter raised in the same transaction as any change to the credit
    of an attempt that a kept scope may hold (see ``evidence.quiz_graded``)."""

    __tablename__ = "needs_quiz_evidence_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
