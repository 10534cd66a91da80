"""Post-training evaluation (Kirkpatrick level 3): opening, answering, reminding and closing
evaluation windows. The results are in ``results.py``; this module is the one that commits.

A window is open on the library's local dates ``opens_on`` .. ``closes_on`` (both
included) and while ``lms evaluations close`` has not closed it. The person answers a
self-report, a supervisor over the person's unit an observation; both rate every behaviour
indicator of the competency on the same 4-point frequency scale (``FREQUENCIES``).
Anything else posted - a value off the scale, an indicator missing, a window not open, a
person out of scope - is refused and nothing is written.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.audit import services as audit
from lms.auth.models import Unit, UnitSupervisor, User, UserRole
from lms.clock import local_date, local_today, local_zone, utcnow
from lms.auth.scoping import can_see_user, supervised_unit_ids, units_below
from lms.extensions import db
from lms.plugins.needs.impact import module_competencies
from lms.pluginmanager import plugin_enabled
from lms.plugins.courses.models import Competency
from lms.plugins.evaluations.models import COMPLETION, FREQUENCIES, GROUP, SELF, SUPERVISOR
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.learning.models import ModuleCompletion

DEFAULT_SETTINGS = {
    "EVALUATION_DELAY_DAYS": 90,  # days after a completion before its evaluation opens
    "EVALUATION_WINDOW_DAYS": 30,  # how many days a window stays open
    "EVALUATION_REMIND_DAYS": 7,  # remind when this many days (or fewer) are left
    "EVALUATION_TEXT_MAX": 2000,  # characters of an example, a barrier note or an observation note
}

FREQUENCY_LABELS = {1: _l("Never"), 2: _l("Sometimes"), 3: _l("Often"), 4: _l("Always")}
# What got in the way: fixed codes, so the barriers named most often can be counted.
BARRIERS = {
    "no-opportunity": _l("No situation where I could use it"),
    "workload": _l("Too much other work, no time"),
    "tools": _l("Missing tools, systems or materials"),
    "support": _l("No support from my supervisor or colleagues"),
    "procedure": _l("Rules or procedures at work do it differently"),
    "unsure": _l("Unsure how to apply it"),
    "other": _l("Something else"),
}
KIND = "evaluation"  # the notification kind (e-mail preferences)
MESSAGES = {
    "evaluation.open": (_l("Evaluation open: %(competency)s"),
                       _l("%(competency)s: tell us how you have applied it at work since your training. "
                          "Open until %(due)s.")),
    "evaluation.observe": (_l("Observe %(person)s: %(competency)s"),
                           _l("%(person)s completed training in %(competency)s. Please record what you have "
                              "observed at work by %(due)s.")),
    "evaluation.remind": (_l("Reminder: evaluation of %(competency)s closes %(due)s"),
                          _l("Your evaluation of %(competency)s is still waiting for your answer. It closes on "
                             "%(due)s.")),
    "evaluation.remind_observe": (_l("Reminder: observe %(person)s by %(due)s"),
                                  _l("The observation of %(person)s for %(competency)s is still waiting. It closes "
                                     "on %(due)s.")),
}
NOTIFICATION_KINDS = {
    KIND: (_l("Post-training evaluations"),
           _l("An evaluation of how you apply your training opens or is about to close, or a person you "
              "supervise is waiting for your observation."),
           "immediate"),
}


class EvaluationError(ValueError):
    """Input refused; the message is for the person who sent it."""


@dataclass
class OpenReport:
    opened: int = 0
    people: set[int] = field(default_factory=set)
    missed: int = 0  # completions whose window had already ended when first seen


# --- time and settings -----------------------------------------------------------------------

def today() -> date:
    """The library's local date (a test moves time by replacing this function)."""
    return local_today()


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULT_SETTINGS[name]))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def is_open(window: EvaluationWindow, on: date | None = None) -> bool:
    on = on or today()
    return window.closed_at is None and window.opens_on <= on <= window.closes_on


def status(window: EvaluationWindow, on: date | None = None) -> str:
    """``upcoming``, ``open`` or ``closed``."""
    on = on or today()
    if on < window.opens_on:
        return "upcoming"
    return "open" if is_open(window, on) else "closed"


# --- the framework ---------------------------------------------------------------------------

def indicators(competency_ids: Iterable[str] | None = None) -> dict[str, list[dict]]:
    """Competency id -> its behaviour indicators, for competencies that have any."""
    query = select(Competency.id, Competency.indicators)
    if competency_ids is not None:
        query = query.where(Competency.id.in_(list(competency_ids)))
    return {cid: list(found) for cid, found in db.session.execute(query).all() if found}


def supervisors_of(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """Person -> the active supervisors of their unit or of any unit above it."""
    people = dict(db.session.execute(select(User.id, User.unit_id).where(User.id.in_(list(user_ids)))).all())
    parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    by_unit: dict[int, set[int]] = defaultdict(set)
    for unit_id, supervisor_id in db.session.execute(
            select(UnitSupervisor.unit_id, UnitSupervisor.user_id).join(User, User.id == UnitSupervisor.user_id)
            .where(User.active.is_(True))).all():
        by_unit[unit_id].add(supervisor_id)
    found: dict[int, set[int]] = {}
    for person, unit_id in people.items():
        chain, seen = set(), set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            chain |= by_unit.get(unit_id, set())
            unit_id = parents.get(unit_id)
        chain.discard(person)
        found[person] = chain
    return found


# --- opening ---------------------------------------------------------------------------------

def open_windows(on: date | None = None) -> OpenReport:
    """Open the windows due by ``on`` (default today): one per person and competency (with
    indicators) of each completed module, ``EVALUATION_DELAY_DAYS`` after the completion's
    local date, for ``EVALUATION_WINDOW_DAYS``. Idempotent: a window that exists is left as
    it is, so ``lms evaluations open`` may run every day (or twice). A completion whose
    window has already ended when it is first seen is counted as ``missed``, not opened."""
    on = on or today()
    delay, length = setting("EVALUATION_DELAY_DAYS"), setting("EVALUATION_WINDOW_DAYS")
    earliest, latest = on - timedelta(days=delay + length - 1), on - timedelta(days=delay)
    rows = db.session.execute(
        select(ModuleCompletion.user_id, ModuleCompletion.module_id, ModuleCompletion.completed_at, User.unit_id)
        .join(User, User.id == ModuleCompletion.user_id)
        .where(User.active.is_(True),
               ModuleCompletion.completed_at >= _day_start(earliest - timedelta(days=1)),
               ModuleCompletion.completed_at < _day_start(latest + timedelta(days=1)))).all()
    report = OpenReport()
    if not rows:
        return report
    mapping = module_competencies()
    evaluable = indicators()
    existing = set(db.session.execute(
        select(EvaluationWindow.user_id, EvaluationWindow.competency_id, EvaluationWindow.key)
        .where(EvaluationWindow.user_id.in_({row[0] for row in rows}))).all())
    new: list[EvaluationWindow] = []
    for user_id, module_id, completed_at, unit_id in rows:
        completed_on = local_date(completed_at)
        opens_on = completed_on + timedelta(days=delay)
        closes_on = opens_on + timedelta(days=length - 1)
        if not opens_on <= on:
            continue
        for competency_id in sorted(mapping.get(module_id, ()) & evaluable.keys()):
            key = f"m{module_id}"
            if (user_id, competency_id, key) in existing:
                continue
            if on > closes_on:
                report.missed += 1
                continue
            existing.add((user_id, competency_id, key))
            new.append(EvaluationWindow(user_id=user_id, competency_id=competency_id, module_id=module_id, key=key,
                                        origin=COMPLETION, unit_id=unit_id, completed_on=completed_on,
                                        opens_on=opens_on, closes_on=closes_on))
    db.session.add_all(new)
    db.session.flush()
    report.opened = len(new)
    report.people = {window.user_id for window in new}
    _announce(new)
    db.session.commit()
    return report


def group_people(unit_ids: Iterable[int]) -> list[User]:
    """Active librarians of ``unit_ids`` and every unit below them."""
    tree = units_below([int(unit_id) for unit_id in unit_ids])
    return list(db.session.scalars(
        select(User).join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "librarian"))
        .where(User.active.is_(True), User.unit_id.in_(select(tree.c.id))).order_by(User.full_name, User.id)))


def open_group(actor: User, unit_ids: list[int], competency_id: str, opens_on: date, closes_on: date) -> int:
    """An admin opens windows for every librarian of the units (and below) on one
    competency for a date range; people who already have that window keep it. Returns how
    many were opened."""
    if not unit_ids:
        raise EvaluationError(_("Choose at least one unit."))
    if competency_id not in indicators([competency_id]):
        raise EvaluationError(_("This competency has no behaviour indicators to evaluate."))
    if closes_on < opens_on:
        raise EvaluationError(_("The window must close on or after the day it opens."))
    if closes_on < today():
        raise EvaluationError(_("The window would already be over."))
    key = f"g{opens_on.isoformat()}"
    people = group_people(unit_ids)
    existing = set(db.session.scalars(select(EvaluationWindow.user_id).where(
        EvaluationWindow.competency_id == competency_id, EvaluationWindow.key == key)))
    new = [EvaluationWindow(user_id=person.id, competency_id=competency_id, key=key, origin=GROUP,
                            unit_id=person.unit_id, opens_on=opens_on, closes_on=closes_on, created_by_id=actor.id)
           for person in people if person.id not in existing]
    db.session.add_all(new)
    db.session.flush()
    audit.record("evaluation.open_group", "competency", competency_id, actor_id=actor.id,
                 details={"units": sorted(unit_ids), "opens_on": opens_on.isoformat(),
                          "closes_on": closes_on.isoformat(), "opened": len(new)})
    if opens_on <= today():
        _announce(new)
    db.session.commit()
    return len(new)


@dataclass
class GroupOpening:
    """Group windows opened together: one competency, one opening day (the windows' key),
    one admin."""

    competency_id: str
    opens_on: date
    closes_on: date
    opened_by: str | None  # full name; None when the account is gone
    units: list[str]  # the people's units when the windows opened
    windows: int
    first_created: datetime


def group_openings(limit: int = 50) -> list[GroupOpening]:
    """The latest group openings for the admins' page, newest first: built from the
    windows themselves (so the demo's and those opened before the audit log count too)."""
    rows = db.session.execute(
        select(EvaluationWindow.competency_id, EvaluationWindow.key, EvaluationWindow.created_by_id,
               func.min(EvaluationWindow.opens_on), func.max(EvaluationWindow.closes_on),
               func.count(EvaluationWindow.id), func.min(EvaluationWindow.created_at))
        .where(EvaluationWindow.origin == GROUP)
        .group_by(EvaluationWindow.competency_id, EvaluationWindow.key, EvaluationWindow.created_by_id)
        .order_by(func.min(EvaluationWindow.opens_on).desc(), func.min(EvaluationWindow.created_at).desc())
        .limit(limit)).all()
    if not rows:
        return []
    units: dict[tuple, set[int]] = defaultdict(set)
    for competency_id, key, created_by, unit_id in db.session.execute(
            select(EvaluationWindow.competency_id, EvaluationWindow.key, EvaluationWindow.created_by_id,
                   EvaluationWindow.unit_id).distinct()
            .where(EvaluationWindow.origin == GROUP, EvaluationWindow.unit_id.is_not(None),
                   EvaluationWindow.key.in_({row[1] for row in rows}))):
        units[(competency_id, key, created_by)].add(unit_id)
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({unit_id for found in units.values() for unit_id in found}))).all())
    people = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({row[2] for row in rows if row[2] is not None}))).all())
    return [GroupOpening(competency_id, opens_on, closes_on, people.get(created_by), sorted(
                unit_names[unit_id] for unit_id in units[(competency_id, key, created_by)] if unit_id in unit_names),
                count, first_created)
            for competency_id, key, created_by, opens_on, closes_on, count, first_created in rows]


# --- notifications ---------------------------------------------------------------------------

def answer_path(window: EvaluationWindow) -> str:
    """The self-report's path (a notification links a path, built without a request)."""
    return f"/evaluations/{window.id}/answer"


def observe_path(window: EvaluationWindow) -> str:
    return f"/evaluations/{window.id}/observe"


def _notifications_on() -> bool:
    return plugin_enabled("notifications")


def _params(window: EvaluationWindow, names: Mapping[str, tuple[str, str]]) -> dict:
    name_id, name_en = names.get(window.competency_id, (window.competency_id, window.competency_id))
    return {"competency_id": name_id, "competency_en": name_en, "competency": name_id,
            "person": window.user.full_name if window.user else "", "due": window.closes_on.isoformat()}


def _competency_names() -> dict[str, tuple[str, str]]:
    return {cid: (name_id, name_en) for cid, name_id, name_en in
            db.session.execute(select(Competency.id, Competency.name_id, Competency.name_en)).all()}


def _announce(windows: list[EvaluationWindow]) -> None:
    """Tell each person their window opened and their supervisors that an observation
    waits (in the caller's transaction)."""
    if not windows or not _notifications_on():
        return
    from lms.plugins.notifications import services as notifications

    names = _competency_names()
    bosses = supervisors_of({window.user_id for window in windows})
    for window in windows:
        params = _params(window, names)
        notifications.notify([window.user_id], KIND, "evaluation.open", params,
                             url=answer_path(window),
                             dedup_key=f"evaluation-open-{window.id}", commit=False)
        if bosses.get(window.user_id):
            notifications.notify(bosses[window.user_id], KIND, "evaluation.observe", params,
                                 url=observe_path(window),
                                 dedup_key=f"evaluation-observe-{window.id}", commit=False)


def remind(on: date | None = None) -> int:
    """Remind, once per window, the person and the supervisors who have not answered a
    window that closes within ``EVALUATION_REMIND_DAYS``. Returns the notifications sent."""
    on = on or today()
    if not _notifications_on():
        return 0
    from lms.plugins.notifications import services as notifications

    windows = list(db.session.scalars(
        select(EvaluationWindow).options(selectinload(EvaluationWindow.responses), selectinload(EvaluationWindow.user))
        .where(EvaluationWindow.closed_at.is_(None), EvaluationWindow.opens_on <= on,
               EvaluationWindow.closes_on >= on,
               EvaluationWindow.closes_on <= on + timedelta(days=setting("EVALUATION_REMIND_DAYS")))))
    names = _competency_names()
    bosses = supervisors_of({window.user_id for window in windows})
    sent = 0
    for window in windows:
        params = _params(window, names)
        if window.response(SELF) is None:
            sent += len(notifications.notify([window.user_id], KIND, "evaluation.remind", params,
                                              url=answer_path(window),
                                              dedup_key=f"evaluation-remind-{window.id}", commit=False))
        if window.response(SUPERVISOR) is None and bosses.get(window.user_id):
            sent += len(notifications.notify(bosses[window.user_id], KIND, "evaluation.remind_observe", params,
                                              url=observe_path(window),
                                              dedup_key=f"evaluation-remind-observe-{window.id}", commit=False))
    db.session.commit()
    return sent


def close(on: date | None = None) -> int:
    """Mark every window whose last day is before ``on`` closed. Returns how many."""
    on = on or today()
    windows = list(db.session.scalars(select(EvaluationWindow).where(
        EvaluationWindow.closed_at.is_(None), EvaluationWindow.closes_on < on)))
    now = utcnow()
    for window in windows:
        window.closed_at = now
    db.session.commit()
    return len(windows)


# --- who sees what ---------------------------------------------------------------------------

def own_windows(user: User) -> list[EvaluationWindow]:
    """The person's windows that have opened, newest first."""
    return list(db.session.scalars(
        select(EvaluationWindow).options(selectinload(EvaluationWindow.responses))
        .where(EvaluationWindow.user_id == user.id, EvaluationWindow.opens_on <= today())
        .order_by(EvaluationWindow.closes_on.desc(), EvaluationWindow.id.desc())))


def own_window(user: User, window_id: int) -> EvaluationWindow | None:
    """The window if it is ``user``'s own and has opened (else None: the view answers 404)."""
    window = db.session.get(EvaluationWindow, window_id)
    if window is None or window.user_id != user.id or window.opens_on > today():
        return None
    return window


def observable_query(viewer: User):
    """Windows of people in ``viewer``'s units (admins: everyone), never the viewer's own."""
    query = select(EvaluationWindow).where(EvaluationWindow.user_id != viewer.id,
                                           EvaluationWindow.opens_on <= today())
    if viewer.has_role("admin"):
        return query
    scoped = select(User.id).where(User.unit_id.in_(supervised_unit_ids(viewer)))
    return query.where(EvaluationWindow.user_id.in_(scoped))


def observable_window(viewer: User, window_id: int) -> EvaluationWindow | None:
    """The window if ``viewer`` may observe its person (same scoping as supervisors' other
    pages: ``lms.auth.scoping``), else None."""
    window = db.session.scalar(observable_query(viewer).where(EvaluationWindow.id == window_id))
    if window is None or not can_see_user(viewer, window.user):
        return None
    return window


def observation_queue(viewer: User, state: str = "open") -> list[EvaluationWindow]:
    """Windows of ``viewer``'s people: ``open`` ones first by closing day, or ``all``."""
    query = observable_query(viewer).options(selectinload(EvaluationWindow.responses),
                                             selectinload(EvaluationWindow.user))
    if state == "open":
        on = today()
        query = query.where(EvaluationWindow.closed_at.is_(None), EvaluationWindow.closes_on >= on)
        return list(db.session.scalars(query.order_by(EvaluationWindow.closes_on, EvaluationWindow.id)))
    return list(db.session.scalars(query.order_by(EvaluationWindow.closes_on.desc(), EvaluationWindow.id.desc())))


def waiting_count(viewer: User) -> int:
    """Open windows of ``viewer``'s people with no observation yet, counted in SQL."""
    observed = select(EvaluationResponse.window_id).where(EvaluationResponse.kind == SUPERVISOR)
    on = today()
    query = observable_query(viewer).where(EvaluationWindow.closed_at.is_(None), EvaluationWindow.closes_on >= on,
                                           EvaluationWindow.id.not_in(observed))
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def own_waiting_count(user: User) -> int:
    answered = select(EvaluationResponse.window_id).where(EvaluationResponse.kind == SELF)
    on = today()
    return db.session.scalar(select(func.count(EvaluationWindow.id)).where(
        EvaluationWindow.user_id == user.id, EvaluationWindow.closed_at.is_(None),
        EvaluationWindow.opens_on <= on, EvaluationWindow.closes_on >= on,
        EvaluationWindow.id.not_in(answered))) or 0


# --- answering -------------------------------------------------------------------------------

def read_ratings(window: EvaluationWindow, values: Mapping[str, str]) -> list[tuple[int, dict, int]]:
    """``[(index, indicator, frequency)]`` from form fields ``f0``, ``f1``, ...: every
    indicator answered with one of FREQUENCIES, nothing else accepted."""
    found = indicators([window.competency_id]).get(window.competency_id, [])
    if not found:
        raise EvaluationError(_("This competency has no behaviour indicators to evaluate."))
    ratings, missing = [], 0
    for index, indicator in enumerate(found):
        raw = (values.get(f"f{index}") or "").strip()
        if not raw:
            missing += 1
            continue
        if raw not in {str(value) for value in FREQUENCIES}:
            raise EvaluationError(_("A rating is not one of the four answers offered."))
        ratings.append((index, indicator, int(raw)))
    if missing:
        raise EvaluationError(_("Answer every behaviour (%(n)d not answered).", n=missing))
    return ratings


def _text(value: str | None, label: str) -> str:
    text = (value or "").strip()
    if len(text) > setting("EVALUATION_TEXT_MAX"):
        raise EvaluationError(_("%(field)s is too long: at most %(n)d characters.", field=label,
                                n=setting("EVALUATION_TEXT_MAX")))
    return text


def _save(window: EvaluationWindow, kind: str, responder: User, ratings, **fields) -> EvaluationResponse:
    response = window.response(kind)
    if response is None:
        response = EvaluationResponse(window=window, kind=kind)
        db.session.add(response)
    response.responder_id = responder.id
    response.submitted_at = utcnow()
    for name, value in fields.items():
        setattr(response, name, value)
    if response.ratings:  # a replaced answer: its old ratings go first (the unit of work inserts before it deletes)
        response.ratings = []
        db.session.flush()
    response.ratings = [EvaluationRating(indicator=index, text_id=indicator["id"], text_en=indicator["en"],
                                         frequency=frequency) for index, indicator, frequency in ratings]
    return response


def submit_self(user: User, window: EvaluationWindow, values: Mapping[str, str], barriers: list[str]) -> EvaluationResponse:
    """Save (or replace, while the window is open) the person's self-report."""
    if window.user_id != user.id:
        raise EvaluationError(_("This evaluation is not yours."))
    if not is_open(window):
        raise EvaluationError(_("This evaluation is closed; answers are no longer taken."))
    ratings = read_ratings(window, values)
    unknown = [code for code in barriers if code not in BARRIERS]
    if unknown:
        raise EvaluationError(_("A barrier is not one of those offered."))
    response = _save(window, SELF, user, ratings, example=_text(values.get("example"), _("The example")),
                     barriers=sorted(set(barriers), key=list(BARRIERS).index),
                     barrier_note=_text(values.get("barrier_note"), _("What got in the way")))
    from lms.plugins.evaluations import xapi

    xapi.record(window, response)  # its xAPI statement, when the interop plugin is on
    db.session.commit()
    return response


def submit_observation(observer: User, window: EvaluationWindow, values: Mapping[str, str],
                       file_bytes: bytes | None = None, filename: str | None = None) -> EvaluationResponse:
    """Save (or replace, while open) the supervisor's observation; an evidence file is kept
    by the records plugin's storage (type from its content, random name, outside the web
    root) and removed again if the change cannot be committed."""
    if window.user_id == observer.id or not (observer.has_role("admin") or can_see_user(observer, window.user)):
        raise EvaluationError(_("This person is not in your units."))
    if not is_open(window):
        raise EvaluationError(_("This evaluation is closed; observations are no longer taken."))
    ratings = read_ratings(window, values)
    note = _text(values.get("note"), _("The note"))
    stored = None
    evidence_fields: dict = {}
    if file_bytes:
        if not plugin_enabled("records"):
            raise EvaluationError(_("Evidence files cannot be uploaded here."))
        from lms.plugins.records import storage

        try:
            stored = storage.save(file_bytes, filename)
        except storage.EvidenceError as error:
            raise EvaluationError(str(error)) from None
        evidence_fields = {"evidence_name": stored.name, "evidence_stored": stored.stored,
                           "evidence_type": stored.content_type, "evidence_size": stored.size}
    old = window.response(SUPERVISOR)
    old_file = old.evidence_stored if old is not None and stored is not None else None
    try:
        response = _save(window, SUPERVISOR, observer, ratings, note=note, **evidence_fields)
        db.session.flush()
        db.session.commit()
    except Exception:
        db.session.rollback()
        if stored is not None:
            from lms.plugins.records import storage

            storage.remove(stored.stored)
        raise
    if old_file:
        from lms.plugins.records import storage

        storage.remove(old_file)
    return response


def evidence_of(viewer: User, window_id: int) -> EvaluationResponse | None:
    """The observation with an evidence file, if ``viewer`` is its person's supervisor (or
    admin); the person sees their own observation's file too."""
    window = observable_window(viewer, window_id) or (
        own_window(viewer, window_id) if viewer.has_role("librarian") else None)
    if window is None:
        return None
    response = window.response(SUPERVISOR)
    return response if response is not None and response.evidence_stored else None


def delete_window_files(windows: Iterable[EvaluationWindow]) -> list[str]:
    """The stored evidence names of these windows' observations (for erasure)."""
    return [r.evidence_stored for w in windows for r in w.responses if r.evidence_stored]

