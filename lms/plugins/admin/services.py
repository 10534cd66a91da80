"""Queries behind the admin pages (writes go through ``lms.auth.services``)."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from lms.audit.models import AuditEntry
from lms.auth.models import ROLES, Unit, User, UserRole
from lms.sql import LIKE_ESCAPE, contains_pattern


def user_query(q: str = "", unit_id: int | None = None, role: str = "", status: str = "") -> Select:
    """Users filtered for the admin list; every filter runs in SQL."""
    query = select(User).order_by(User.full_name)
    if q:
        pattern = contains_pattern(q.strip().lower())  # % and _ typed by the admin are literal
        query = query.where(or_(User.username.like(pattern, escape=LIKE_ESCAPE),
                                User.full_name.ilike(pattern, escape=LIKE_ESCAPE),
                                User.nip.like(pattern, escape=LIKE_ESCAPE)))
    if unit_id:
        query = query.where(User.unit_id == unit_id)
    if role in ROLES:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return query


def audit_query(action: str = "") -> Select:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    return query


def unit_by_id(unit_id: int | None) -> Unit | None:
    from lms.extensions import db

    return db.session.get(Unit, unit_id) if unit_id else None


def create_account(*, username: str, full_name: str, password: str, email: str | None, nip: str | None,
                   position: str | None, roles: list[str], unit_id: int | None, locale: str,
                   supervised_ids: list[int]) -> User:
    """An account made by an admin (validated by the form): it must change ``password`` at
    its first sign-in; the account, its supervised units and the audit entry in one commit."""
    from lms.auth import services as auth
    from lms.extensions import db

    user = auth.create_user(username=username, full_name=full_name, email=email, nip=nip, position=position,
                            roles=roles, unit=unit_by_id(unit_id), locale=locale, password=password,
                            must_change_password=True, commit=False)
    user.supervised_units = [db.session.get(Unit, uid) for uid in supervised_ids]
    db.session.commit()
    return user
