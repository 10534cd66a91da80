"""Needs rounds: creating and editing them, who is in them, the self-assessment and the
supervisor ratings, and the response counts staff pages show.

Scope is a list of units (each with every unit below it); an empty scope is the whole
organisation. Supervisors work only inside their supervised units, through
:mod:`lms.auth.scoping`. Counts are aggregated in SQL; these pages never show anyone's
answers but one's own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal, select

from lms.audit.services import record as audit_record
from lms.auth.models import Unit, User, UserRole
from lms.auth.scoping import supervised_unit_ids, units_below
from lms.clock import utcnow
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.http import parse_int
from lms.plugins.courses.models import Competency
from lms.plugins.needs import reach
from lms.plugins.needs.analysis import round_status
from lms.plugins.needs.models import (PATRON, SELF, SUPERVISOR, NeedsRound, PatronResponse, StaffAnswer,
                                      StaffResponse, Survey, SurveyItem)

SCALE = range(1, 6)
SURVEY_FIELDS = {SELF: "self_survey_id", SUPERVISOR: "supervisor_survey_id", PATRON: "patron_survey_id"}


class RoundError(ValueError):
    """A refused change; ``field`` names the form field the message belongs to ("" = form)."""

    def __init__(self, message, field: str = ""):
        super().__init__(str(message))
        self.message = message
        self.field = field


class AnswerError(ValueError):
    """A self-assessment or rating that cannot be stored.

    ``item_errors`` maps a competency id to its message (missing answers: the form is shown
    again with them); ``message`` alone means a tampered or refused submission.
    """

    def __init__(self, message, item_errors: dict[str, object] | None = None):
        super().__init__(str(message))
        self.message = message
        self.item_errors = item_errors or {}


# --- rounds -------------------------------------------------------------------------------

@dataclass
class RoundData:
    """What the round form sends, already parsed."""

    title: str
    opens_on: date
    closes_on: date
    self_survey_id: int | None = None
    supervisor_survey_id: int | None = None
    patron_survey_id: int | None = None
    unit_ids: list[int] = field(default_factory=list)
    organisation_id: int | None = None  # the owner of a new round (an edit keeps its own)


def surveys_of_kind(kind: str) -> list[Survey]:
    """The loaded instruments of ``kind``, for the round form's choices."""
    return list(db.session.scalars(select(Survey).where(Survey.kind == kind).order_by(Survey.slug)))


def allowed_units(user: User, organisation_id: int | None) -> list[Unit]:
    """Units ``user`` may put in the scope of a round owned by ``organisation_id``: that
    organisation's tree (with the organisations below it), for a supervisor only the units
    they supervise in it."""
    if organisation_id is None:
        return []
    tree = units_below([organisation_id])
    query = select(Unit).where(Unit.active.is_(True), Unit.id.in_(select(tree.c.id))).order_by(Unit.name)
    managed = reach.managed_ids(user)
    if managed is not None and organisation_id not in managed:
        query = query.where(Unit.id.in_(supervised_unit_ids(user)))
    return list(db.session.scalars(query))


def can_manage(user: User, needs_round: NeedsRound | None = None) -> bool:
    """Admins manage every round, organisation admins the rounds of their organisations and
    those below; a supervisor creates rounds and edits those whose whole scope lies inside
    their supervised units (never a whole-organisation round)."""
    managed = reach.managed_ids(user)
    if managed is None:
        return True
    if needs_round is None:
        return bool(managed) or user.has_role("supervisor")
    if needs_round.organisation_id in managed:
        return True
    if not user.has_role("supervisor"):
        return False
    if not needs_round.units:
        return False
    within = set(db.session.scalars(supervised_unit_ids(user)))
    return all(unit.id in within for unit in needs_round.units)


def has_responses(needs_round: NeedsRound) -> bool:
    """True once anyone answered (staff) or a patron file was imported for the round."""
    staff = db.session.scalar(select(func.count()).select_from(StaffResponse)
                              .where(StaffResponse.round_id == needs_round.id))
    patron = db.session.scalar(select(func.count()).select_from(PatronResponse)
                               .where(PatronResponse.round_id == needs_round.id))
    return bool(staff or patron)


def _check(user: User, data: RoundData, needs_round: NeedsRound | None) -> tuple[int, list[Unit]]:
    if not data.title.strip():
        raise RoundError(_l("Give the round a title."), "title")
    if data.closes_on < data.opens_on:
        raise RoundError(_l("The round cannot close before it opens."), "closes_on")
    chosen = {kind: getattr(data, name) for kind, name in SURVEY_FIELDS.items()}
    if not any(chosen.values()):
        raise RoundError(_l("Choose at least one survey."), "")
    for kind, survey_id in chosen.items():
        if survey_id is None:
            continue
        survey = db.session.get(Survey, survey_id)
        if survey is None or survey.kind != kind:
            raise RoundError(_l("This is not a survey of the right kind."), SURVEY_FIELDS[kind])
    owner = needs_round.organisation_id if needs_round is not None else (
        data.organisation_id if data.organisation_id is not None else reach.own_id(user))
    creatable = reach.creatable_ids(user)
    if owner is None or (needs_round is None and creatable is not None and owner not in creatable):
        raise RoundError(_l("Choose an organisation you manage."), "")
    allowed = {unit.id: unit for unit in allowed_units(user, owner)}
    unit_ids = list(dict.fromkeys(data.unit_ids))
    if any(unit_id not in allowed for unit_id in unit_ids):
        raise RoundError(_l("You may only choose units you supervise."), "unit_ids")
    managed = reach.managed_ids(user)
    if not unit_ids and managed is not None and owner not in managed:
        raise RoundError(_l("Choose at least one of your units."), "unit_ids")
    if needs_round is not None and has_responses(needs_round):
        if any(getattr(needs_round, name) != chosen[kind] for kind, name in SURVEY_FIELDS.items()):
            raise RoundError(_l("The surveys cannot change once the round has responses."), "")
    return owner, [allowed[unit_id] for unit_id in unit_ids]


@refusals_roll_back(RoundError)
def save_round(user: User, data: RoundData, needs_round: NeedsRound | None = None) -> NeedsRound:
    """Create a round (``needs_round`` None) or edit one; audited. Raises :class:`RoundError`
    (nothing changed) for bad dates, no or wrong surveys, units outside the user's reach,
    or a survey change after responses arrived."""
    if not can_manage(user, needs_round):
        raise RoundError(_l("You may not manage this round."), "")
    owner, units = _check(user, data, needs_round)
    creating = needs_round is None
    if creating:
        needs_round = NeedsRound(created_by_id=user.id, organisation_id=owner)
        db.session.add(needs_round)
    needs_round.title = data.title.strip()
    needs_round.opens_on, needs_round.closes_on = data.opens_on, data.closes_on
    for name in SURVEY_FIELDS.values():
        setattr(needs_round, name, getattr(data, name))
    needs_round.units = units
    db.session.flush()
    audit_record("needs.round_created" if creating else "needs.round_updated", "needs_round", needs_round.id,
                 actor_id=user.id, title=needs_round.title, organisation_id=needs_round.organisation_id,
                 opens_on=data.opens_on.isoformat(),
                 closes_on=data.closes_on.isoformat(), units=[unit.id for unit in units],
                 surveys={kind: getattr(data, name) for kind, name in SURVEY_FIELDS.items()})
    db.session.commit()
    return needs_round


def get_round(round_id: int) -> NeedsRound | None:
    return db.session.get(NeedsRound, round_id)


def listed_rounds(user: User, organisation) -> list[NeedsRound]:
    """The rounds the needs page lists for ``user`` and the chosen organisation, newest first."""
    query = reach.rounds_for(user, organisation)
    return list(db.session.scalars(query.order_by(NeedsRound.opens_on.desc(), NeedsRound.id.desc())))


# --- who is in a round --------------------------------------------------------------------

def scope_unit_ids(needs_round: NeedsRound) -> Select:
    """A select of the unit ids the round covers: its units and those below, or without
    units its organisation's whole tree (a provincial round: the libraries below it too)."""
    roots = [unit.id for unit in needs_round.units] or [needs_round.organisation_id]
    tree = units_below(roots)
    return select(tree.c.id)


def in_scope(needs_round: NeedsRound, user: User) -> bool:
    """True when ``user``'s unit lies in the round's scope (see :func:`scope_unit_ids`)."""
    if user.unit_id is None:
        return False
    return bool(db.session.scalar(select(func.count()).where(literal(user.unit_id).in_(scope_unit_ids(needs_round)))))


def scope_users_select(needs_round: NeedsRound) -> Select:
    """A select of the active librarians the round covers."""
    query = (select(User).where(User.active.is_(True))
             .where(User.id.in_(select(UserRole.user_id).where(UserRole.role == "librarian"))))
    return query.where(User.unit_id.in_(scope_unit_ids(needs_round)))


def open_rounds_for(user: User, today: date | None = None) -> list[NeedsRound]:
    """Open rounds with a self-assessment that cover ``user`` (a librarian)."""
    if not user.has_role("librarian"):
        return []
    rounds = db.session.scalars(select(NeedsRound).where(NeedsRound.self_survey_id.is_not(None))
                                .order_by(NeedsRound.closes_on, NeedsRound.id))
    return [r for r in rounds if round_status(r, today) == "open" and in_scope(r, user)]


def _reach_filter(query: Select, viewer: User, column, needs_round: NeedsRound) -> Select:
    """Limit ``query`` to ``viewer``'s units unless they read the whole round."""
    if reach.whole_round(viewer, needs_round):
        return query
    return query.where(column.in_(supervised_unit_ids(viewer)))


# --- counts ---------------------------------------------------------------------------------

@dataclass
class RoundCounts:
    self_assessments: int = 0
    supervisor: int = 0
    patron: int = 0


def response_counts(needs_round: NeedsRound, viewer: User) -> RoundCounts:
    """Self-assessments, supervisor ratings and patron responses in the viewer's reach."""
    staff = select(StaffResponse.kind, func.count()).where(StaffResponse.round_id == needs_round.id)
    staff = _reach_filter(staff, viewer, StaffResponse.unit_id, needs_round).group_by(StaffResponse.kind)
    found = dict(db.session.execute(staff).all())
    patron = select(func.count()).select_from(PatronResponse).where(PatronResponse.round_id == needs_round.id)
    patron = _reach_filter(patron, viewer, PatronResponse.unit_id, needs_round)
    return RoundCounts(self_assessments=found.get(SELF, 0), supervisor=found.get(SUPERVISOR, 0),
                       patron=db.session.scalar(patron) or 0)


@dataclass
class UnitRate:
    unit: Unit
    staff: int
    answered: int
    rated: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.staff if self.staff else None


def unit_rates(needs_round: NeedsRound, viewer: User) -> list[UnitRate]:
    """Per unit in the round and the viewer's reach: librarians, self-assessments sent and
    people rated by a supervisor (counts only)."""
    people = scope_users_select(needs_round).subquery()
    staff = select(people.c.unit_id, func.count()).group_by(people.c.unit_id)
    staff = _reach_filter(staff, viewer, people.c.unit_id, needs_round)
    totals = {unit_id: n for unit_id, n in db.session.execute(staff).all() if unit_id is not None}

    def done(kind: str) -> dict[int, int]:
        query = (select(User.unit_id, func.count(func.distinct(StaffResponse.subject_id)))
                 .join(User, User.id == StaffResponse.subject_id)
                 .where(StaffResponse.round_id == needs_round.id, StaffResponse.kind == kind,
                        StaffResponse.subject_id.in_(select(people.c.id)))
                 .group_by(User.unit_id))
        return dict(db.session.execute(query).all())

    answered, rated = done(SELF), done(SUPERVISOR)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(list(totals))))}
    rows = [UnitRate(units[uid], n, answered.get(uid, 0), rated.get(uid, 0)) for uid, n in totals.items()]
    return sorted(rows, key=lambda row: row.unit.name)


# --- the self-assessment and ratings --------------------------------------------------------

@dataclass
class ItemGroup:
    """A competency area and the survey's items in it, in the instrument's order."""

    area: str
    area_name_id: str
    area_name_en: str
    items: list[tuple[SurveyItem, Competency]]


def grouped_items(survey: Survey) -> list[ItemGroup]:
    """The survey's items grouped by competency area (area order follows the items)."""
    rows = db.session.execute(select(SurveyItem, Competency).join(Competency, Competency.id == SurveyItem.competency_id)
                              .where(SurveyItem.survey_id == survey.id).order_by(SurveyItem.position)).all()
    groups: dict[str, ItemGroup] = {}
    for item, competency in rows:
        group = groups.setdefault(competency.area, ItemGroup(competency.area, competency.area_name_id,
                                                             competency.area_name_en, []))
        group.items.append((item, competency))
    return list(groups.values())


def _competency_ids(survey: Survey) -> list[str]:
    return list(db.session.scalars(select(SurveyItem.competency_id).where(SurveyItem.survey_id == survey.id)
                                   .order_by(SurveyItem.position)))


def staff_response(needs_round: NeedsRound, kind: str, subject: User, rater: User) -> StaffResponse | None:
    return db.session.scalar(select(StaffResponse).where(
        StaffResponse.round_id == needs_round.id, StaffResponse.kind == kind,
        StaffResponse.subject_id == subject.id, StaffResponse.rater_id == rater.id))


def answers_of(response: StaffResponse | None) -> dict[str, dict[str, int | None]]:
    """``{competency_id: {"importance": i, "ability": a}}`` of a stored response."""
    if response is None:
        return {}
    return {a.competency_id: {"importance": a.importance, "ability": a.ability} for a in response.answers}


def parse_answers(survey: Survey, form, fields: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Read ``<field>-<competency_id>`` radio values for every item of ``survey``.

    Raises :class:`AnswerError`: with ``item_errors`` when answers are missing (the
    learner fixes them), without when a value is not 1-5 or a field names no item of the
    survey (a tampered request).
    """
    keys = _competency_ids(survey)
    known = {f"{name}-{key}" for key in keys for name in fields}
    for name in form:
        if name != "csrf_token" and name not in known:
            raise AnswerError(_l("The form contained an answer to a question that is not in this survey. "
                                 "Nothing was saved."))
    answers: dict[str, dict[str, int]] = {}
    missing: dict[str, object] = {}
    for key in keys:
        answers[key] = {}
        for name in fields:
            raw = (form.get(f"{name}-{key}") or "").strip()
            if not raw:
                missing[key] = _l("Please answer both questions for this competency.")
                continue
            value = parse_int(raw)
            if value not in SCALE:
                raise AnswerError(_l("Answers must be a number from 1 to 5. Nothing was saved."))
            answers[key][name] = value
    if missing:
        raise AnswerError(_l("Please answer every question."), missing)
    return answers


def _store(needs_round: NeedsRound, survey: Survey, kind: str, subject: User, rater: User,
           answers: dict[str, dict[str, int]]) -> StaffResponse:
    response = staff_response(needs_round, kind, subject, rater)
    now = utcnow()
    if response is None:
        response = StaffResponse(round_id=needs_round.id, kind=kind, subject_id=subject.id, rater_id=rater.id,
                                 submitted_at=now)
        db.session.add(response)
    response.survey_id = survey.id
    response.unit_id, response.position = subject.unit_id, subject.position
    response.updated_at = now
    existing = {a.competency_id: a for a in response.answers}
    for key, values in answers.items():
        answer = existing.pop(key, None)
        if answer is None:
            answer = StaffAnswer(competency_id=key)
            response.answers.append(answer)
        answer.importance = values.get("importance")
        answer.ability = values["ability"]
    for stale in existing.values():
        response.answers.remove(stale)
    db.session.commit()
    return response


def can_self_assess(needs_round: NeedsRound, user: User) -> bool:
    return (needs_round.self_survey is not None and user.has_role("librarian")
            and round_status(needs_round) == "open" and in_scope(needs_round, user))


@refusals_roll_back(AnswerError)
def submit_self(needs_round: NeedsRound, user: User, form) -> StaffResponse:
    """Store (or update) ``user``'s self-assessment from the posted ``form``; the unit and
    position are copied now. Raises :class:`AnswerError` with nothing saved."""
    if not can_self_assess(needs_round, user):
        raise AnswerError(_l("This survey is not open for you."))
    answers = parse_answers(needs_round.self_survey, form, ("importance", "ability"))
    return _store(needs_round, needs_round.self_survey, SELF, user, user, answers)


def rating_subjects_select(needs_round: NeedsRound, supervisor: User) -> Select:
    """Librarians both in the round and in the supervisor's reach, the supervisor excluded."""
    return (scope_users_select(needs_round).where(User.unit_id.in_(supervised_unit_ids(supervisor)))
            .where(User.id != supervisor.id))


def rating_subjects(needs_round: NeedsRound, supervisor: User) -> list[tuple[User, bool]]:
    """``(librarian, rated)`` pairs for the supervisor's rating list."""
    people = list(db.session.scalars(rating_subjects_select(needs_round, supervisor).order_by(User.full_name)))
    done = set(db.session.scalars(select(StaffResponse.subject_id).where(
        StaffResponse.round_id == needs_round.id, StaffResponse.kind == SUPERVISOR,
        StaffResponse.rater_id == supervisor.id)))
    return [(person, person.id in done) for person in people]


def rating_subject(needs_round: NeedsRound, supervisor: User, user_id: int) -> User | None:
    """The librarian ``user_id`` when the supervisor may rate them in this round, else None."""
    return db.session.scalar(rating_subjects_select(needs_round, supervisor).where(User.id == user_id))


@refusals_roll_back(AnswerError)
def submit_rating(needs_round: NeedsRound, supervisor: User, subject: User, form) -> StaffResponse:
    """Store (or update) the supervisor's ability ratings of ``subject``."""
    if (needs_round.supervisor_survey is None or round_status(needs_round) != "open"
            or rating_subject(needs_round, supervisor, subject.id) is None):
        raise AnswerError(_l("This rating is not open for you."))
    answers = parse_answers(needs_round.supervisor_survey, form, ("ability",))
    return _store(needs_round, needs_round.supervisor_survey, SUPERVISOR, subject, supervisor, answers)


# --- home panels ----------------------------------------------------------------------------

@dataclass
class SelfPanelItem:
    round: NeedsRound
    answered: bool


@dataclass
class RatingPanelItem:
    round: NeedsRound
    rated: int
    total: int


def librarian_panel_items(user: User) -> list[SelfPanelItem]:
    """Open rounds the librarian is in, and whether they already answered."""
    return [SelfPanelItem(r, staff_response(r, SELF, user, user) is not None) for r in open_rounds_for(user)]


def supervisor_panel_items(user: User) -> list[RatingPanelItem]:
    """Open rounds with a supervisor survey and someone for ``user`` to rate."""
    items = []
    rounds = db.session.scalars(select(NeedsRound).where(NeedsRound.supervisor_survey_id.is_not(None))
                                .order_by(NeedsRound.closes_on, NeedsRound.id))
    for needs_round in rounds:
        if round_status(needs_round) != "open":
            continue
        pairs = rating_subjects(needs_round, user)
        if pairs:
            items.append(RatingPanelItem(needs_round, sum(1 for _, done in pairs if done), len(pairs)))
    return items
