"""External training records: who may see, enter, change and verify them, and the JP they
add once verified. The only module of the plugin that commits.

Visibility follows :mod:`lms.auth.scoping`: a librarian sees their own records, a supervisor
also those of people in their units (and units below), an admin every record. Nobody verifies
their own record. Evidence is written to disk before the row is committed and deleted again
if the commit fails, so no row ever points at a missing file.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.auth.models import User
from lms.auth.scoping import can_see_user, supervised_unit_ids
from lms.clock import utcnow
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.plugins.records import storage
from lms.plugins.records.models import KINDS, MAX_JP, REJECTED, SUBMITTED, VERIFIED, ExternalTraining


class RecordError(ValueError):
    """A change that cannot be made; the message is for the user."""


@dataclass
class RecordData:
    """What a form supplies for a record (the evidence comes separately)."""

    kind: str
    provider: str
    topic: str
    start_on: date
    end_on: date
    jp: float
    competency_id: str | None = None


# --- who may do what --------------------------------------------------------------------------

def is_reviewer(user: User) -> bool:
    return user.has_role("supervisor", "admin")


def people_for(user: User) -> Select:
    """People ``user`` may enter a record for: themselves if a librarian, and as a supervisor
    the people of their units (admins: everyone)."""
    query = select(User).where(User.active.is_(True))
    targets = []
    if user.has_role("librarian"):
        targets.append(User.id == user.id)
    if user.has_role("admin"):
        targets.append(User.id.is_not(None))
    elif user.has_role("supervisor"):
        targets.append(User.unit_id.in_(supervised_unit_ids(user)))
    if not targets:
        return query.where(User.id.is_(None))
    return query.where(or_(*targets)).order_by(User.full_name, User.id)


def may_enter_for(user: User, target: User) -> bool:
    if not target.active:
        return False
    if target.id == user.id:
        return user.has_role("librarian")
    return is_reviewer(user) and can_see_user(user, target)


def visible_query(viewer: User) -> Select:
    """Records ``viewer`` may open: their own, plus their units' people's as a supervisor."""
    query = select(ExternalTraining)
    if viewer.has_role("admin"):
        return query
    if viewer.has_role("supervisor"):
        scoped = select(User.id).where(User.unit_id.in_(supervised_unit_ids(viewer)))
        return query.where(or_(ExternalTraining.user_id == viewer.id, ExternalTraining.user_id.in_(scoped)))
    return query.where(ExternalTraining.user_id == viewer.id)


def get_visible(viewer: User, record_id: int) -> ExternalTraining | None:
    """The record if ``viewer`` may see it, else None (the view answers 404: no hint that
    the record exists)."""
    return db.session.scalar(visible_query(viewer).where(ExternalTraining.id == record_id))


def can_edit(viewer: User, record: ExternalTraining) -> bool:
    """The owner, or whoever entered it for them, while it waits for verification."""
    return record.status == SUBMITTED and viewer.id in (record.user_id, record.entered_by_id)


def can_review(viewer: User, record: ExternalTraining) -> bool:
    """A supervisor over the owner's unit (or an admin) - never the owner."""
    return (record.status == SUBMITTED and record.user_id != viewer.id and is_reviewer(viewer)
            and can_see_user(viewer, record.user))


# --- lists ------------------------------------------------------------------------------------

def own_records(user_id: int) -> list[ExternalTraining]:
    return list(db.session.scalars(select(ExternalTraining).where(ExternalTraining.user_id == user_id)
                                   .order_by(ExternalTraining.end_on.desc(), ExternalTraining.id.desc())))


def review_queue(viewer: User, status: str = SUBMITTED) -> list[ExternalTraining]:
    """Records of people in ``viewer``'s units with ``status`` ("all" for every status),
    their own left out; oldest submission first for the queue, newest first otherwise."""
    query = visible_query(viewer).where(ExternalTraining.user_id != viewer.id)
    if status in (SUBMITTED, VERIFIED, REJECTED):
        query = query.where(ExternalTraining.status == status)
    order = ExternalTraining.created_at if status == SUBMITTED else ExternalTraining.created_at.desc()
    return list(db.session.scalars(query.options(joinedload(ExternalTraining.user)).order_by(order, ExternalTraining.id)))


def review_count(viewer: User) -> int:
    """How many records wait in ``viewer``'s review queue (their own left out), counted in SQL."""
    query = visible_query(viewer).where(ExternalTraining.user_id != viewer.id, ExternalTraining.status == SUBMITTED)
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


# --- changes ----------------------------------------------------------------------------------

def _check(data: RecordData) -> None:
    if data.kind not in KINDS:
        raise RecordError(_("Choose a type of training from the list."))
    if not data.provider.strip() or not data.topic.strip():
        raise RecordError(_("Give the provider and the topic."))
    if data.end_on < data.start_on:
        raise RecordError(_("The end date cannot be before the start date."))
    if not (0 < data.jp <= MAX_JP):
        raise RecordError(_("JP must be more than 0 and at most %(max)s.", max=f"{MAX_JP:g}"))


def _apply(record: ExternalTraining, data: RecordData) -> None:
    record.kind = data.kind
    record.provider = data.provider.strip()
    record.topic = data.topic.strip()
    record.start_on = data.start_on
    record.end_on = data.end_on
    record.jp = float(data.jp)
    record.competency_id = data.competency_id or None


def _set_evidence(record: ExternalTraining, evidence: storage.StoredEvidence) -> None:
    record.evidence_name = evidence.name
    record.evidence_stored = evidence.stored
    record.evidence_type = evidence.content_type
    record.evidence_size = evidence.size
    record.evidence_sha256 = evidence.sha256


def _commit_or_remove(stored: str | None) -> None:
    """Commit; if that fails, delete the file just written so nothing is left behind."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        if stored:
            storage.remove(stored)
        raise


def create(actor: User, target: User, data: RecordData, file_bytes: bytes, filename: str | None) -> ExternalTraining:
    """A new record for ``target``, entered by ``actor``, waiting for verification."""
    if not may_enter_for(actor, target):
        raise RecordError(_("You cannot add a record for this person."))
    _check(data)
    try:
        evidence = storage.save(file_bytes, filename)
    except storage.EvidenceError as error:
        raise RecordError(str(error)) from None
    record = ExternalTraining(user_id=target.id, entered_by_id=actor.id, status=SUBMITTED, rejection_reason="")
    _apply(record, data)
    _set_evidence(record, evidence)
    db.session.add(record)
    db.session.flush()
    audit.record("training_record.created", "external_training", record.id, actor_id=actor.id,
                 user_id=target.id, jp=record.jp, kind=record.kind)
    _commit_or_remove(evidence.stored)
    return record


@refusals_roll_back(RecordError)
def update(actor: User, record: ExternalTraining, data: RecordData, file_bytes: bytes | None = None,
           filename: str | None = None) -> ExternalTraining:
    """Change a record still waiting for verification; a new file replaces the old one."""
    if not can_edit(actor, record):
        raise RecordError(_("This record can no longer be changed."))
    _check(data)
    evidence = None
    if file_bytes:
        try:
            evidence = storage.save(file_bytes, filename)
        except storage.EvidenceError as error:
            raise RecordError(str(error)) from None
    old_stored = record.evidence_stored
    _apply(record, data)
    if evidence is not None:
        _set_evidence(record, evidence)
    audit.record("training_record.updated", "external_training", record.id, actor_id=actor.id,
                 jp=record.jp, new_evidence=evidence is not None)
    _commit_or_remove(evidence.stored if evidence else None)
    if evidence is not None:
        storage.remove(old_stored)
    return record


def delete(actor: User, record: ExternalTraining) -> None:
    if not can_edit(actor, record):
        raise RecordError(_("This record can no longer be changed."))
    stored = record.evidence_stored
    audit.record("training_record.deleted", "external_training", record.id, actor_id=actor.id,
                 user_id=record.user_id, jp=record.jp)
    db.session.delete(record)
    db.session.commit()
    storage.remove(stored)


def verify(actor: User, record: ExternalTraining) -> None:
    """Accept the record: its JP counts from now on."""
    if not can_review(actor, record):
        raise RecordError(_("You cannot verify this record."))
    record.status = VERIFIED
    record.verified_by_id = actor.id
    record.verified_at = utcnow()
    record.rejection_reason = ""
    audit.record("training_record.verified", "external_training", record.id, actor_id=actor.id,
                 user_id=record.user_id, jp=record.jp)
    db.session.commit()


def reject(actor: User, record: ExternalTraining, reason: str) -> None:
    """Refuse the record with a reason the owner reads."""
    if not can_review(actor, record):
        raise RecordError(_("You cannot reject this record."))
    reason = (reason or "").strip()
    if not reason:
        raise RecordError(_("Give a reason for the rejection."))
    record.status = REJECTED
    record.verified_by_id = actor.id
    record.verified_at = utcnow()
    record.rejection_reason = reason
    audit.record("training_record.rejected", "external_training", record.id, actor_id=actor.id,
                 user_id=record.user_id, personal={"reason": reason}, personal_user_id=record.user_id)
    db.session.commit()


# --- JP -----------------------------------------------------------------------------------------

def verified_jp_select(year: int) -> Select:
    """``SELECT user_id, jp`` of verified external JP ending in ``year`` (the library's
    calendar year: ``end_on`` is a local date), one row per person; other plugins join it."""
    return (select(ExternalTraining.user_id.label("user_id"), func.sum(ExternalTraining.jp).label("jp"))
            .where(ExternalTraining.status == VERIFIED, ExternalTraining.end_on >= date(year, 1, 1),
                   ExternalTraining.end_on < date(year + 1, 1, 1))
            .group_by(ExternalTraining.user_id))


def verified_trainings_select(year: int) -> Select:
    """``SELECT user_id, jp, trainings``: like :func:`verified_jp_select`, with the number of
    verified records (for the annual report)."""
    return (select(ExternalTraining.user_id.label("user_id"), func.sum(ExternalTraining.jp).label("jp"),
                   func.count().label("trainings"))
            .where(ExternalTraining.status == VERIFIED, ExternalTraining.end_on >= date(year, 1, 1),
                   ExternalTraining.end_on < date(year + 1, 1, 1))
            .group_by(ExternalTraining.user_id))


def verified_jp(user_id: int, year: int) -> float:
    """Verified external JP of ``user_id`` whose training ended in ``year``, summed in SQL."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(ExternalTraining.jp), 0.0))
        .where(ExternalTraining.user_id == user_id, ExternalTraining.status == VERIFIED,
               ExternalTraining.end_on >= date(year, 1, 1), ExternalTraining.end_on < date(year + 1, 1, 1)))
    return float(total or 0.0)
