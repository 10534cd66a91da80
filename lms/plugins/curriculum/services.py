"""Curriculum operations: who may do what, the module -> competency map, editing a draft,
discarding it, and approving it (the only place in this plugin that commits).

Every version belongs to one organisation (``organisation_id``); each organisation has at
most one active version, and a person's curriculum is their organisation's, else that of the
nearest organisation above with one (:func:`in_force`).

Permissions (documented in docs/needs.md as well):

- *view* an organisation's curriculum, its history and the content-gap report: supervisors,
  trainers and admins acting for it (:func:`viewable_ids`); another organisation's version
  is a 404;
- *propose, edit, approve, discard*: install-wide admins; admins of the organisation (or one
  above it); trainers of it; a supervisor only when their supervised units (with everything
  below them) cover the whole scope of the round the version comes from; for a round (or a
  version) without a scope - the whole organisation - only a supervisor of the
  organisation's own unit or one above it.

Approval refuses, changing nothing, a version that is not a draft or that is *stale*: a
closed round newer than its own exists, or the active version is no longer the one it was
proposed against (``base_version_id``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.audit import services as audit
from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.clock import utcnow
from lms.extensions import db
from lms.i18n import localized
from lms.transactions import refusals_roll_back
from lms.plugins.courses.models import Course, Module, ModuleVersion, Question
from lms.plugins.curriculum.models import (ACTIVE, ALL, DISCARDED, DRAFT, POSITION, SUPERSEDED, UNIT,
                                           CurriculumItem, CurriculumVersion)
from lms.plugins.learning.models import Assignment
from lms.plugins.needs.models import NeedsRound

VIEW_ROLES: tuple[str, ...] = ("supervisor", "trainer", "admin")


class CurriculumError(ValueError):
    """A refused curriculum operation; nothing was changed. ``message`` is for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- settings ------------------------------------------------------------------------------

def threshold() -> float:
    """Competencies at or above this priority are "high priority" (``CURRICULUM_PRIORITY_THRESHOLD``)."""
    return float(current_app.config.get("CURRICULUM_PRIORITY_THRESHOLD", 0.35))


def due_step_days() -> int:
    """Days between due dates, per two items (``CURRICULUM_DUE_STEP_DAYS``)."""
    return int(current_app.config.get("CURRICULUM_DUE_STEP_DAYS", 30))


# --- modules and competencies ----------------------------------------------------------------

def active_modules(courses=None) -> list[Module]:
    """Active modules with published content, in catalogue order (course, then module);
    ``courses`` is a condition on ``Course`` saying which courses count (the courses plugin's
    ``visible_to(user)`` or ``shared_or(organisation)``: a private course stays in its library)."""
    query = (select(Module).join(Course, Course.id == Module.course_id)
             .where(Module.active.is_(True), Module.current_version_id.is_not(None))
             .order_by(Course.title_id, Course.id, Module.position, Module.id))
    if courses is not None:
        query = query.where(courses)
    return list(db.session.scalars(query))


def module_competency_map() -> dict[int, list[str]]:
    """For every active module, its competencies: the current version's ``competencies``
    plus the ``competency_id`` of its questions (two queries, declared ones first)."""
    rows = db.session.execute(
        select(Module.id, ModuleVersion.competencies)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .where(Module.active.is_(True))).all()
    found: dict[int, list[str]] = {module_id: list(dict.fromkeys(ids or [])) for module_id, ids in rows}
    question_rows = db.session.execute(
        select(Module.id, Question.competency_id).distinct()
        .join(Question, Question.module_version_id == Module.current_version_id)
        .where(Module.active.is_(True), Question.competency_id.is_not(None))
        .order_by(Module.id, Question.competency_id)).all()
    for module_id, competency_id in question_rows:
        ids = found.setdefault(module_id, [])
        if competency_id not in ids:
            ids.append(competency_id)
    return found


def modules_by_competency(courses=None) -> dict[str, list[Module]]:
    """Competency id -> the active modules mapped to it, in catalogue order (of the courses
    ``courses`` admits, as in :func:`active_modules`)."""
    mapping = module_competency_map()
    result: dict[str, list[Module]] = {}
    for module in active_modules(courses):
        for competency_id in mapping.get(module.id, []):
            result.setdefault(competency_id, []).append(module)
    return result


def module_title(module: Module, locale: str) -> str:
    version = module.current_version
    if version is None:
        return module.slug
    return localized(version, "title", locale)


def course_title(course: Course, locale: str) -> str:
    return localized(course, "title", locale)


# --- reading -----------------------------------------------------------------------------------

def get_version(version_id: int) -> CurriculumVersion | None:
    return db.session.get(CurriculumVersion, version_id)


def active_version(organisation_id: int | None) -> CurriculumVersion | None:
    """``organisation_id``'s own active version (None: nobody's)."""
    return db.session.scalar(select(CurriculumVersion).where(CurriculumVersion.status == ACTIVE,
                                                             CurriculumVersion.organisation_id == organisation_id)
                             .order_by(CurriculumVersion.id.desc()).limit(1))


def organisation_chain(organisation_id: int | None) -> list[int]:
    """``organisation_id`` and the organisations above it, nearest first (a library, then its
    provincial service)."""
    chain: list[int] = []
    while organisation_id is not None and organisation_id not in chain:
        chain.append(organisation_id)
        parent = db.session.scalar(select(Unit.parent_id).where(Unit.id == organisation_id))
        organisation_id = (db.session.scalar(select(Unit.organisation_id).where(Unit.id == parent))
                           if parent is not None else None)
    return chain


def in_force(organisation_id: int | None) -> CurriculumVersion | None:
    """The curriculum a person of ``organisation_id`` follows: their organisation's active
    version, else that of the nearest organisation above with one, else none (its
    ``organisation_id`` tells which one it is)."""
    for candidate in organisation_chain(organisation_id):
        found = active_version(candidate)
        if found is not None:
            return found
    return None


def current_draft(organisation_id: int | None) -> CurriculumVersion | None:
    return db.session.scalar(select(CurriculumVersion).where(CurriculumVersion.status == DRAFT,
                                                             CurriculumVersion.organisation_id == organisation_id)
                             .order_by(CurriculumVersion.id.desc()).limit(1))


def history(organisation_id: int | None) -> list[CurriculumVersion]:
    """Every version of ``organisation_id``, newest first."""
    return list(db.session.scalars(select(CurriculumVersion)
                                   .where(CurriculumVersion.organisation_id == organisation_id)
                                   .order_by(CurriculumVersion.number.desc())))


def next_number() -> int:
    """Version numbers run over the whole install, so "Curriculum 7" names one version in the
    audit log and on the command line; each organisation's history shows its own."""
    return (db.session.scalar(select(func.max(CurriculumVersion.number))) or 0) + 1


def latest_closed_round(organisation_id: int | None, today=None) -> NeedsRound | None:
    """The latest closed round owned by ``organisation_id`` itself: what its curriculum is
    proposed from (a library's own, never another library's or the province's)."""
    from lms.clock import local_today

    return db.session.scalar(select(NeedsRound).where(NeedsRound.organisation_id == organisation_id,
                                                      NeedsRound.closes_on < (today or local_today()))
                             .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


# --- permissions -------------------------------------------------------------------------------

def can_view(user: User) -> bool:
    return user.has_role(*VIEW_ROLES) or user.holds("admin") or user.holds("trainer")


def viewable_ids(user: User) -> set[int] | None:
    """Organisations whose curriculum ``user`` may read (None: every one): those they act for
    (:func:`lms.plugins.needs.reach.acting_ids`) and, for a supervisor, those their units touch."""
    from lms.organisations import supervised_ids
    from lms.plugins.needs import reach

    acting = reach.acting_ids(user)
    if acting is None:
        return None
    if user.has_role("supervisor"):
        acting = acting | set(db.session.scalars(supervised_ids(user)))
    return acting


def can_view_version(user: User, version: CurriculumVersion) -> bool:
    viewable = viewable_ids(user)
    return viewable is None or version.organisation_id in viewable


def can_manage(user: User, needs_round: NeedsRound | None, organisation_id: int | None = None) -> bool:
    """Propose, edit, approve or discard a curriculum of ``organisation_id`` (default: the
    round's) from ``needs_round`` (see the module docstring)."""
    from lms.plugins.needs import reach

    organisation_id = organisation_id if organisation_id is not None else (
        needs_round.organisation_id if needs_round is not None else None)
    managed = reach.managed_ids(user)
    if managed is None:
        return True
    if organisation_id is None:
        return False
    if organisation_id in managed or organisation_id in user.organisations_for("trainer"):
        return True
    if user.has_role("trainer") and organisation_id == reach.own_id(user):
        return True
    if not user.has_role("supervisor"):
        return False
    within = set(db.session.scalars(supervised_unit_ids(user)))
    if needs_round is None or not needs_round.units:
        return organisation_id in within
    return all(unit.id in within for unit in needs_round.units)


def can_manage_version(user: User, version: CurriculumVersion) -> bool:
    needs_round = db.session.get(NeedsRound, version.round_id) if version.round_id else None
    return can_manage(user, needs_round, version.organisation_id)


# --- staleness ---------------------------------------------------------------------------------

def stale_reason(version: CurriculumVersion) -> str | None:
    """Why ``version`` can no longer be approved, or None. Only drafts are ever checked."""
    if version.round_id is not None:
        own = db.session.get(NeedsRound, version.round_id)
        latest = latest_closed_round(version.organisation_id)
        if own is not None and latest is not None and latest.id != own.id \
                and (latest.closes_on, latest.id) > (own.closes_on, own.id):
            return str(_l("A newer needs round (%(title)s) has closed since this draft was proposed. "
                          "Propose a new curriculum from it.", title=latest.title))
    active = active_version(version.organisation_id)
    if (active.id if active else None) != version.base_version_id:
        return str(_l("The active curriculum changed since this draft was proposed. Propose a new one."))
    return None


# --- editing a draft ---------------------------------------------------------------------------

def _editable(version: CurriculumVersion) -> None:
    if version.status != DRAFT:
        raise CurriculumError(_l("Only a draft can be changed."))


def _item_of(version: CurriculumVersion, item_id) -> CurriculumItem:
    item = next((item for item in version.items if item.id == item_id), None)
    if item is None:
        raise CurriculumError(_l("That item is not part of this draft. Nothing was changed."))
    return item


def _renumber(version: CurriculumVersion, ordered: list[CurriculumItem]) -> None:
    for number, item in enumerate(ordered, start=1):
        item.position = number


@refusals_roll_back(CurriculumError)
def remove_item(version: CurriculumVersion, item_id: int, actor: User) -> None:
    _editable(version)
    item = _item_of(version, item_id)
    remaining = [other for other in version.items if other is not item]
    version.items.remove(item)
    _renumber(version, remaining)
    audit.record("curriculum.item_removed", "curriculum_version", version.id, actor_id=actor.id,
                 module_id=item.module_id, audience=item.audience)
    db.session.commit()


@refusals_roll_back(CurriculumError)
def move_item(version: CurriculumVersion, item_id: int, direction: str, actor: User) -> None:
    """Move an item one place ``up`` or ``down``."""
    _editable(version)
    item = _item_of(version, item_id)
    if direction not in ("up", "down"):
        raise CurriculumError(_l("Unknown direction. Nothing was changed."))
    ordered = sorted(version.items, key=lambda other: other.position)
    index = ordered.index(item)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(version, ordered)
        audit.record("curriculum.item_moved", "curriculum_version", version.id, actor_id=actor.id,
                     module_id=item.module_id, direction=direction)
        db.session.commit()


@refusals_roll_back(CurriculumError)
def set_due(version: CurriculumVersion, item_id: int, due_on: date | None, actor: User) -> None:
    _editable(version)
    item = _item_of(version, item_id)
    item.due_on = due_on
    audit.record("curriculum.item_due_changed", "curriculum_version", version.id, actor_id=actor.id,
                 module_id=item.module_id, due=due_on.isoformat() if due_on else None)
    db.session.commit()


@refusals_roll_back(CurriculumError)
def add_module(version: CurriculumVersion, module_id, due_on: date | None, actor: User) -> CurriculumItem:
    """Add an active module for everyone in scope at the end of the draft (by hand)."""
    _editable(version)
    module = db.session.get(Module, module_id) if isinstance(module_id, int) else None
    if module is None or not module.active or module.current_version_id is None:
        raise CurriculumError(_l("Choose an active module. Nothing was changed."))
    if module.course.organisation_id is not None:  # one plan for the network: every library must open it
        raise CurriculumError(_l("This module belongs to a course private to one library; the curriculum "
                                 "is for every library. Nothing was changed."))
    if any(item.module_id == module.id and item.audience == ALL for item in version.items):
        raise CurriculumError(_l("This module is already in the draft for everyone."))
    item = CurriculumItem(module_id=module.id, position=len(version.items) + 1, audience=ALL, due_on=due_on,
                          reason={"manual": True, "by": actor.id})
    version.items.append(item)
    audit.record("curriculum.item_added", "curriculum_version", version.id, actor_id=actor.id,
                 module_id=module.id)
    db.session.commit()
    return item


@refusals_roll_back(CurriculumError)
def discard(version: CurriculumVersion, actor: User | None) -> None:
    _editable(version)
    version.status = DISCARDED
    audit.record("curriculum.discarded", "curriculum_version", version.id,
                 actor_id=actor.id if actor else None, number=version.number)
    db.session.commit()


# --- approval ------------------------------------------------------------------------------------

@dataclass
class Approval:
    version: CurriculumVersion
    assignments: int  # created
    skipped: int  # identical ones that already existed


def _scope_roots(version: CurriculumVersion, needs_round: NeedsRound | None) -> list[int]:
    """The units a version's ``all`` items reach: its round's units, else its organisation's own unit."""
    if needs_round is not None and needs_round.units:
        return [unit.id for unit in needs_round.units]
    return [version.organisation_id]


def _targets(item: CurriculumItem, version: CurriculumVersion, needs_round: NeedsRound | None) -> list[dict]:
    """The assignment targets of one item: the scope's units (or the organisation's unit) for
    ``all``; for a ``position`` item each active holder of the position inside that scope, one
    by one (an assignment to a position would reach every library's holders)."""
    from lms.auth.scoping import units_below

    if item.audience == UNIT and item.unit_id is not None:
        return [{"unit_id": item.unit_id}]
    roots = _scope_roots(version, needs_round)
    if item.audience == POSITION and item.position_name:
        tree = units_below(roots)
        people = db.session.scalars(select(User.id).where(User.active.is_(True), User.position == item.position_name,
                                                          User.unit_id.in_(select(tree.c.id))).order_by(User.id))
        return [{"user_id": user_id} for user_id in people]
    return [{"unit_id": unit_id} for unit_id in roots]


def _exists(module_id: int, due_on: date | None, target: dict) -> bool:
    query = select(func.count(Assignment.id)).where(Assignment.module_id == module_id, Assignment.due_on == due_on
                                                    if due_on is not None else Assignment.due_on.is_(None))
    column = {"unit_id": Assignment.unit_id, "user_id": Assignment.user_id, "position": Assignment.position}
    for key, value in target.items():
        query = query.where(column[key] == value)
    return bool(db.session.scalar(query))


@refusals_roll_back(CurriculumError)
def approve(version: CurriculumVersion, actor: User) -> Approval:
    """Make ``version`` the active curriculum and create its assignments, in one transaction.

    Refused (``CurriculumError``, nothing changed) for a non-draft or a stale draft, or
    for an actor who may not manage it.
    """
    from lms.plugins.learning.assigning import announce
    from lms.plugins.learning.services import assign

    if version.status != DRAFT:
        raise CurriculumError(_l("Only a draft can be approved."))
    if not can_manage_version(actor, version):
        raise CurriculumError(_l("You may not approve this curriculum: your units do not cover its scope."))
    reason = stale_reason(version)
    if reason:
        raise CurriculumError(reason)
    if not version.items:
        raise CurriculumError(_l("The draft has no modules. Add one or discard the draft."))
    needs_round = db.session.get(NeedsRound, version.round_id) if version.round_id else None
    created = skipped = 0
    made = []
    try:
        previous = active_version(version.organisation_id)
        if previous is not None:
            previous.status = SUPERSEDED
        version.status = ACTIVE
        version.approved_at = utcnow()
        version.approved_by_id = actor.id
        db.session.flush()
        for item in sorted(version.items, key=lambda item: item.position):
            for target in _targets(item, version, needs_round):
                if _exists(item.module_id, item.due_on, target):
                    skipped += 1
                    continue
                made.append(assign(module_id=item.module_id, due_on=item.due_on, assigned_by_id=actor.id,
                                   commit=False, curriculum_version=version.number, **target))
                created += 1
        audit.record("curriculum.approved", "curriculum_version", version.id, actor_id=actor.id,
                     number=version.number, organisation_id=version.organisation_id, round_id=version.round_id,
                     round=needs_round.title if needs_round else None,
                     approved_at=version.approved_at.isoformat(),
                     superseded=previous.number if previous is not None else None,
                     assignments=created, skipped=skipped)
        announce(made)  # the notifications plugin tells the librarians reached, in this transaction
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Approval(version=version, assignments=created, skipped=skipped)
