"""Which organisations' needs rounds (and curricula) a person reaches.

A round belongs to one organisation (``NeedsRound.organisation_id``). A person acts for
their unit's organisation; an organisation admin (``organisation_roles``) manages the rounds
of their organisations and of those below them; a trainer held for an organisation works
with that organisation's rounds; an install-wide admin chooses the organisation on each page
(``?org=``, remembered in the URL). Supervisors stay scoped to their units: they reach the
rounds whose scope meets their supervised units (:func:`lms.plugins.needs.services.rounds_touching`),
a provincial round included. Anything else is a 404, never a 403 that confirms it exists.
docs/organisations.md, section 3.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, or_, select, true

from lms.auth.models import Organisation, Unit, User
from lms.extensions import db
from lms.http import int_arg
from lms.organisations import ids_below
from lms.plugins.needs.models import NeedsRound


def own_id(user: User) -> int | None:
    """The organisation of ``user``'s unit (None without a unit)."""
    if user.unit_id is None:
        return None
    if "unit" in user.__dict__ and user.unit is not None:  # the signed-in user comes with it
        return user.unit.organisation_id
    return db.session.scalar(select(Unit.organisation_id).where(Unit.id == user.unit_id))


def everywhere(user: User) -> bool:
    """An install-wide admin reaches every organisation (and chooses one per page)."""
    return user.has_role("admin")


def managed_ids(user: User) -> set[int] | None:
    """Organisations whose rounds and curricula ``user`` manages (None: every one): an
    install-wide admin's all, an organisation admin's and those below them."""
    if everywhere(user):
        return None
    held = user.organisations_for("admin")
    return set(db.session.scalars(ids_below(sorted(held)))) if held else set()


def acting_ids(user: User) -> set[int] | None:
    """Organisations whose rounds ``user`` may open (None: every one): the ones they manage,
    those they teach in as a trainer for one organisation, and their own (a supervisor opens
    their library's rounds but reads only their units' figures, :func:`whole_round`)."""
    managed = managed_ids(user)
    if managed is None:
        return None
    found = managed | set(user.organisations_for("trainer"))
    own = own_id(user)
    if own is not None:
        found.add(own)
    return found


def choices(user: User, ids: set[int] | None = ...) -> list[Organisation]:
    """The organisations ``user`` may choose on a needs or curriculum page (``ids``, by
    default :func:`acting_ids`; None: every one), by name."""
    query = select(Organisation).order_by(Organisation.full_name, Organisation.unit_id)
    if ids is ...:
        ids = acting_ids(user)
    if ids is not None:
        query = query.where(Organisation.unit_id.in_(sorted(ids)))
    return list(db.session.scalars(query))


def chosen(user: User, arg: str = "org", ids: set[int] | None = ...) -> tuple[Organisation | None,
                                                                            list[Organisation]]:
    """``(the organisation a page is about, the ones offered)``: ``?org=`` when it is one of
    the offered ones (another id is a 404), else the person's own, else the first offered."""
    offered = choices(user, ids)
    wanted = int_arg(arg, invalid=404)
    if wanted is not None:
        found = next((organisation for organisation in offered if organisation.unit_id == wanted), None)
        if found is None:
            abort(404)
        return found, offered
    own = own_id(user)
    found = next((organisation for organisation in offered if organisation.unit_id == own), None)
    return (found or (offered[0] if offered else None)), offered


def org_args(organisation: Organisation | None, offered: list) -> dict:
    """The query arguments that keep the chosen organisation in links (only when there is a choice)."""
    if organisation is None or len(offered) < 2:
        return {}
    return {"org": organisation.unit_id}


def visible(user: User) -> ColumnElement:
    """A condition on ``NeedsRound``: the rounds ``user`` may open."""
    if everywhere(user):
        return true()
    conditions = []
    acting = acting_ids(user)
    if acting:
        conditions.append(NeedsRound.organisation_id.in_(sorted(acting)))
    if user.has_role("supervisor"):
        from lms.plugins.needs.services import rounds_touching

        conditions.append(NeedsRound.id.in_(rounds_touching(user).with_only_columns(NeedsRound.id)))
    return or_(*conditions) if conditions else false()


def rounds_for(user: User, organisation: Organisation | None):
    """A select of the rounds a listing shows ``user`` for ``organisation``: those owned by it
    or by an organisation below it, and for a supervisor the rounds meeting their units."""
    query = select(NeedsRound).where(visible(user))
    if organisation is None:
        return query.where(false()) if not user.has_role("supervisor") else query
    mine = NeedsRound.organisation_id.in_(ids_below([organisation.unit_id]))
    if user.has_role("supervisor") and not everywhere(user):
        from lms.plugins.needs.services import rounds_touching

        mine = or_(mine, NeedsRound.id.in_(rounds_touching(user).with_only_columns(NeedsRound.id)))
    return query.where(mine)


def round_or_404(user: User, round_id: int) -> NeedsRound:
    """The round ``round_id`` when ``user`` may open it; another organisation's is a 404."""
    found = db.session.scalar(select(NeedsRound).where(NeedsRound.id == round_id, visible(user)))
    if found is None:
        abort(404)
    return found


def can_see(user: User, needs_round: NeedsRound) -> bool:
    return bool(db.session.scalar(select(NeedsRound.id).where(NeedsRound.id == needs_round.id, visible(user))))


def whole_round(user: User, needs_round: NeedsRound) -> bool:
    """True when ``user`` reads every unit of ``needs_round`` (an admin or a trainer of the
    owning organisation, or an install-wide one); supervisors read their own units only."""
    if everywhere(user):
        return True
    if not user.holds("admin") and not user.holds("trainer"):
        return False
    acting = acting_ids(user) or set()
    if needs_round.organisation_id not in acting:
        return False
    return (user.has_role("trainer") or needs_round.organisation_id in (managed_ids(user) or set())
            or needs_round.organisation_id in user.organisations_for("trainer"))


def creatable_ids(user: User) -> set[int] | None:
    """Organisations ``user`` may create a round for (None: any): the ones they manage, and a
    supervisor's own organisation (over their own units)."""
    managed = managed_ids(user)
    if managed is None:
        return None
    own = own_id(user)
    if user.has_role("supervisor") and own is not None:
        managed = managed | {own}
    return managed


def latest_closed(user: User, organisation_id: int | None = None, today=None) -> NeedsRound | None:
    """The latest closed round ``user`` may open, owned by ``organisation_id`` (or one below
    it) when given: the default round of the analysis pages."""
    from lms.clock import local_today

    query = select(NeedsRound).where(NeedsRound.closes_on < (today or local_today()), visible(user))
    if organisation_id is not None:
        query = query.where(NeedsRound.organisation_id.in_(ids_below([organisation_id])))
    return db.session.scalar(query.order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))

