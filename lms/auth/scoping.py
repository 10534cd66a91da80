"""Which units and people a supervisor may see: their units and every unit below; and
which ones an organisation admin manages: every unit of their organisations.

Every later query over people or their records filters through these helpers, so
"no data from other units" is enforced in one place. They return SQL (a recursive CTE),
not Python lists, so the database does the walking and the filtering.

An organisation admin (``admin`` in ``organisation_roles``) sees, wherever these helpers
scope a page, the units of their organisations and of those below them, as a supervisor of
their library would: their reports show their library and nothing else. Only an install-wide
admin sees everything.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CTE, Select, false, literal, or_, select

from lms.auth.models import Unit, UnitSupervisor, User


def units_below(root_unit_ids) -> CTE:
    """A recursive CTE of unit ids: ``root_unit_ids`` (ids or a select of ids) and descendants."""
    if isinstance(root_unit_ids, Select):
        roots = select(Unit.id.label("id")).where(Unit.id.in_(root_unit_ids))
    else:
        roots = select(Unit.id.label("id")).where(Unit.id.in_(list(root_unit_ids)))
    # Anonymous, so one statement can hold several trees (a round's scope and a
    # supervisor's units) without a name clash; the compiler numbers them.
    tree = roots.cte(recursive=True)
    children = select(Unit.id.label("id")).join(tree, Unit.parent_id == tree.c.id)
    return tree.union(children)


def administered_organisation_ids(user: User) -> Select:
    """Ids of the organisations ``user`` administers: those they hold ``admin`` for and every
    organisation below them (an install-wide admin: every one)."""
    from lms.auth.models import Organisation
    from lms.organisations import ids_below

    if user.has_role("admin"):
        return select(Organisation.unit_id)
    held = user.organisations_for("admin")
    if not held:
        return select(Organisation.unit_id).where(false())
    return ids_below(sorted(held))


def administered_unit_ids(user: User) -> Select:
    """Ids of the units of the organisations ``user`` administers (install-wide admin: all)."""
    if user.has_role("admin"):
        return select(Unit.id)
    return select(Unit.id).where(Unit.organisation_id.in_(administered_organisation_ids(user)))


def supervised_unit_ids(user: User) -> Select:
    """Ids of the units ``user`` may see as a supervisor (admins: every unit; an organisation
    admin: their organisations' units too)."""
    if user.has_role("admin"):
        return select(Unit.id)
    roots = select(UnitSupervisor.unit_id).where(UnitSupervisor.user_id == user.id)
    tree = units_below(roots)
    if user.organisations_for("admin"):
        return select(Unit.id).where(or_(Unit.id.in_(select(tree.c.id)),
                                         Unit.id.in_(administered_unit_ids(user))))
    return select(tree.c.id)


def scoped_users(user: User) -> Select:
    """A select of the users ``user`` may review: members of supervised units."""
    query = select(User)
    if user.has_role("admin"):
        return query
    return query.where(User.unit_id.in_(supervised_unit_ids(user)))


def can_see_unit(viewer: User, unit_id: int) -> bool:
    """True when ``unit_id`` is one of ``viewer``'s supervised units (or viewer is admin)."""
    from lms.extensions import db

    if viewer.has_role("admin"):
        return True
    found = db.session.scalar(select(literal(1)).where(literal(unit_id).in_(supervised_unit_ids(viewer))))
    return bool(found)


def can_see_user(viewer: User, target: User) -> bool:
    """True when ``viewer`` may see ``target``'s records (self, admin, or a supervisor above)."""
    if viewer.id == target.id or viewer.has_role("admin"):
        return True
    if target.unit_id is None or not (viewer.has_role("supervisor") or viewer.organisations_for("admin")):
        return False
    return can_see_unit(viewer, target.unit_id)


SCOPED_GRANTABLE_ROLES = ("librarian", "supervisor")


@dataclass(frozen=True)
class AdminScope:
    """What one admin manages: everything (an install-wide admin) or the organisations they
    administer with their units. Units are few (hundreds), so the ids are read once a request
    and every admin page checks against the same sets."""

    everything: bool
    organisation_ids: frozenset[int]
    unit_ids: frozenset[int]

    @property
    def grantable_roles(self) -> tuple[str, ...]:
        """The install-wide roles this admin may give or take. An organisation admin: librarian
        (a learner) and supervisor (who sees only the units they are given, chosen inside the
        admin's libraries); an install-wide trainer or admin reaches every library."""
        from lms.auth.models import ROLES

        return ROLES if self.everything else SCOPED_GRANTABLE_ROLES

    def has_unit(self, unit_id: int | None) -> bool:
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)

    def has_user(self, user: User) -> bool:
        """``user`` is one of the people this admin manages (their unit is in scope)."""
        return self.everything or self.has_unit(user.unit_id)

    def has_organisation(self, organisation_id: int) -> bool:
        return self.everything or organisation_id in self.organisation_ids

    def beyond(self, user: User) -> bool:
        """True when ``user`` holds power outside this scope: an install-wide admin or trainer
        role, an organisation role or supervision outside it. Such an account is changed by
        an install-wide admin only: a reset password would hand that power over."""
        if self.everything:
            return False
        if user.has_role("admin", "trainer"):
            return True
        if any(held.organisation_id not in self.organisation_ids for held in user.organisation_roles):
            return True
        return any(unit.id not in self.unit_ids for unit in user.supervised_units)


def admin_scope(user: User) -> AdminScope:
    """The :class:`AdminScope` of ``user`` (nothing when they administer nothing)."""
    from lms.extensions import db

    if user.has_role("admin"):
        return AdminScope(True, frozenset(), frozenset())
    if not user.organisations_for("admin"):
        return AdminScope(False, frozenset(), frozenset())
    organisation_ids = frozenset(db.session.scalars(administered_organisation_ids(user)))
    unit_ids = frozenset(db.session.scalars(select(Unit.id).where(Unit.organisation_id.in_(organisation_ids))))
    return AdminScope(False, organisation_ids, unit_ids)
