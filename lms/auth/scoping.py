"""Which units and people a supervisor may see: their units and every unit below.

Every later query over people or their records filters through these helpers, so
"no data from other units" is enforced in one place. They return SQL (a recursive CTE),
not Python lists, so the database does the walking and the filtering.
"""
from __future__ import annotations

from sqlalchemy import CTE, Select, literal, select

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


def supervised_unit_ids(user: User) -> Select:
    """Ids of the units ``user`` may see as a supervisor (admins: every unit)."""
    if user.has_role("admin"):
        return select(Unit.id)
    roots = select(UnitSupervisor.unit_id).where(UnitSupervisor.user_id == user.id)
    tree = units_below(roots)
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
    if target.unit_id is None or not viewer.has_role("supervisor"):
        return False
    return can_see_unit(viewer, target.unit_id)
