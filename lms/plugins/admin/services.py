"""Queries behind the admin pages (writes go through ``lms.auth.services``)."""
from __future__ import annotations

from sqlalchemy import Select, String, and_, cast, or_, select

from lms.audit.models import AuditEntry
from lms.auth.models import ROLES, Unit, User, UserRole
from lms.auth.scoping import AdminScope
from lms.sql import LIKE_ESCAPE, contains_pattern

def user_query(q: str = "", unit_id: int | None = None, role: str = "", status: str = "",
               scope: AdminScope | None = None) -> Select:
    """Users filtered for the admin list; every filter runs in SQL. An organisation admin's
    ``scope`` keeps the people of their organisations' units only."""
    query = select(User).order_by(User.full_name)
    if scope is not None and not scope.everything:
        query = query.where(User.unit_id.in_(sorted(scope.unit_ids) or [-1]))
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


def audit_query(action: str = "", scope: AdminScope | None = None) -> Select:
    """The audit log, newest first. An organisation admin sees the entries *about* their
    organisations: whose target is a person now in one of their units, or one of those units
    (a library's settings are entries about its unit). Not entries by their staff about
    anything else, and nothing about courses, rounds or other shared things: those belong to
    the whole install (docs/organisations.md, section 2)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if scope is not None and not scope.everything:
        units = sorted(scope.unit_ids) or [-1]
        people = select(cast(User.id, String)).where(User.unit_id.in_(units))
        query = query.where(or_(
            and_(AuditEntry.target_type == "user", AuditEntry.target_id.in_(people)),
            and_(AuditEntry.target_type == "unit", AuditEntry.target_id.in_([str(unit) for unit in units]))))
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    return query


def unit_by_id(unit_id: int | None) -> Unit | None:
    from lms.extensions import db

    return db.session.get(Unit, unit_id) if unit_id else None


def create_account(*, username: str, full_name: str, password: str, email: str | None, nip: str | None,
                   position: str | None, roles: list[str], unit_id: int | None, locale: str,
                   supervised_ids: list[int], organisation_roles: set[tuple[str, int]] | None = None,
                   within: frozenset[int] | None = None) -> User:
    """An account made by an admin (validated by the form): it must change ``password`` at
    its first sign-in; the account, its supervised units and the audit entry in one commit."""
    from lms.auth import services as auth
    from lms.extensions import db

    user = auth.create_user(username=username, full_name=full_name, email=email, nip=nip, position=position,
                            roles=roles, unit=unit_by_id(unit_id), locale=locale, password=password,
                            must_change_password=True, commit=False)
    user.supervised_units = [db.session.get(Unit, uid) for uid in supervised_ids]
    if organisation_roles:
        auth.set_organisation_roles(user, organisation_roles, within)
    db.session.commit()
    return user


def units_in(scope: AdminScope) -> list[Unit]:
    """The unit tree as the admin pages show it, cut to ``scope`` (depths start at 0)."""
    from lms.auth.services import unit_choices

    units = [unit for unit in unit_choices() if scope.has_unit(unit.id)]
    top = min((unit.depth for unit in units), default=0)  # type: ignore[attr-defined]
    for unit in units:
        unit.depth -= top  # type: ignore[attr-defined]
    return units
