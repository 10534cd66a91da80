"""The learning-event table: one row per thing a learner did, in the xAPI statement shape,
and ``xapi_deliveries``: which statements a learning record store has accepted.

Rows of ``learning_events`` are only ever inserted. The database refuses UPDATE and DELETE itself (triggers on
SQLite and PostgreSQL, created by migration ``0010_learning_events`` and, for tests that
build the schema with ``create_all``, by the DDL listeners below), and the ORM refuses to
flush a change to one, like the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.clock import utcnow
from lms.extensions import db

# ``viewed`` is the stored name of a lesson view; it is sent as ADL's ``experienced`` (xapi.py).
VERBS = ("viewed", "attempted", "completed", "passed", "failed", "responded")
# ``evaluation``: a self-report of the post-training evaluation (evaluations plugin; object_id = window id)
OBJECT_TYPES = ("lesson", "assessment", "module", "course", "evaluation")


class LearningEvent(db.Model):
    """A learner ``verb``-ed an object (lesson, assessment, module, course) at ``occurred_at``.

    ``source`` names the fact the event records (``quiz-attempt:12``,
    ``lesson-view:<user>:<module>:<lesson slug>:<local day>``, ``module-completion:<user>:<module>``,
    ``course-completion:<user>:<course>``): unique, so a fact has at most one event whether
    a hook or ``lms interop backfill`` wrote it, and the root of the statement id (xapi.py).
    NULL on events written before migration 0019 (they cannot be updated).
    ``object_iri`` and ``object_name`` are what the address and title were at record time:
    kept as history, **not** used by the export, which builds activity ids from slugs on
    today's ``BASE_URL`` and names from today's titles.
    ``result`` holds ``{"score": {"scaled", "raw", "max"}, "success", "completion"}`` or NULL.
    """

    __tablename__ = "learning_events"
    __table_args__ = (Index("ix_learning_events_user_occurred", "user_id", "occurred_at"),
                      Index("uq_learning_events_source", "source", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    verb: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    object_iri: Mapped[str] = mapped_column(String(500))
    object_name: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    source: Mapped[str | None] = mapped_column(String(160), nullable=True)


class XapiDelivery(db.Model):
    """A statement the learning record store at ``lrs`` accepted (or already held): what
    ``lms export xapi --lrs`` skips next time, so a push interrupted anywhere resumes where
    it stopped and a second push sends nothing new."""

    __tablename__ = "xapi_deliveries"

    lrs: Mapped[str] = mapped_column(String(500), primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The same statements as migration 0010_learning_events, for schemas built by create_all.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER learning_events_no_update BEFORE UPDATE ON learning_events "
    "BEGIN SELECT RAISE(ABORT, 'learning_events is append-only'); END",
    "CREATE TRIGGER learning_events_no_delete BEFORE DELETE ON learning_events "
    "BEGIN SELECT RAISE(ABORT, 'learning_events is append-only'); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION learning_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'learning_events is append-only'; END $$",
    "CREATE TRIGGER learning_events_no_change BEFORE UPDATE OR DELETE ON learning_events "
    "FOR EACH ROW EXECUTE FUNCTION learning_events_append_only()",
)
for _statement in SQLITE_TRIGGERS:
    event.listen(LearningEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(LearningEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(LearningEvent.__table__, "after_drop",
             DDL("DROP FUNCTION IF EXISTS learning_events_append_only()").execute_if(dialect="postgresql"))


class LearningEventIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a learning event."""


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, _context, _instances) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed + list(session.deleted):
        if isinstance(obj, LearningEvent):
            raise LearningEventIsAppendOnly("learning events cannot be changed or deleted")
