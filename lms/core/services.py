"""Core read models: health, and the summaries on role home pages."""
from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db


def database_ok() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def discard_failed_transaction() -> None:
    """Roll back whatever a failed request left in the session, for the 500 page: an error
    raised by the database leaves the session unusable (``PendingRollbackError``) and the
    layout reads through it. A connection that is gone cannot roll back; it is discarded."""
    from flask import current_app

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the error page must not fail
        current_app.logger.warning("Rolling back after an error failed", exc_info=True)


def supervised_units_summary(user: User) -> list[dict]:
    """Units ``user`` supervises (and those below), each with its active member count."""
    visible = supervised_unit_ids(user).subquery()
    members = (
        select(User.unit_id, func.count(User.id).label("members"))
        .where(User.active.is_(True))
        .group_by(User.unit_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, func.coalesce(members.c.members, 0))
        .join(visible, visible.c.id == Unit.id)
        .outerjoin(members, members.c.unit_id == Unit.id)
        .order_by(Unit.name)
    ).all()
    return [{"id": r[0], "code": r[1], "name": r[2], "kind": r[3], "members": r[4]} for r in rows]


def organisation_counts() -> dict[str, int]:
    """Totals for the admin's home page, counted in SQL."""
    active = db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0
    inactive = db.session.scalar(select(func.count(User.id)).where(User.active.is_(False))) or 0
    units = db.session.scalar(select(func.count(Unit.id))) or 0
    return {"active_users": active, "inactive_users": inactive, "units": units}
