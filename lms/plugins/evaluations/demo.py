"""Demo evaluations: for every demo completion old enough (EVALUATION_DELAY_DAYS), its window,
the person's self-report and their supervisor's observation, drawn from a fixed seed.

The story at first run is a visible **transfer gap** at the service desk: of the many who
passed the reference-interview module few are observed asking open questions or confirming
the need (they name the queue: too much other work), and the branches' complaint handling,
evaluated for a group after the patron survey, is rarely applied (no support, procedures
that do it differently); cataloguing is applied well. Windows whose last day has passed are closed; the rest stay open. ``ani``'s own
completions get no window, so the walkthrough (and the browser journey) starts hers.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.auth.models import User
from lms.clock import local_date, local_zone, utcnow
from lms.core.demo import HOME_LIBRARY, library_members
from lms.extensions import db
from lms.plugins.evaluations import services
from lms.plugins.evaluations.models import COMPLETION, SELF, SUPERVISOR
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs.impact import module_competencies

SEED = 21
# Mean observed frequency (1 never .. 4 always) per competency; the rest get DEFAULT_MEAN.
OBSERVED_MEAN = {"cs-reference-interview": 2.3, "cs-complaints": 2.3, "cs-inclusive": 2.6, "cs-complex-queries": 2.8,
                 "dig-social-media": 2.4}
DEFAULT_MEAN = 3.3
# The barriers people name, weighted, per competency (default: DEFAULT_BARRIERS).
BARRIERS = {"cs-complaints": {"support": 5, "procedure": 4, "workload": 2, "unsure": 2},
            "cs-reference-interview": {"workload": 5, "procedure": 3, "unsure": 2}}
DEFAULT_BARRIERS = {"workload": 3, "no-opportunity": 2, "tools": 2}
SKIP_USERS = ("ani",)
SELF_SHARE, OBSERVED_SHARE = 0.85, 0.9  # of windows answered by the person / observed


def _rating(rng: random.Random, mean: float) -> int:
    return max(1, min(4, round(rng.gauss(mean, 0.7))))


def seed(log) -> None:
    if db.session.scalar(select(func.count(EvaluationWindow.id))):
        log(_("Demo evaluations: already present."))
        return
    delay, length = services.setting("EVALUATION_DELAY_DAYS"), services.setting("EVALUATION_WINDOW_DAYS")
    today = services.today()
    rows = db.session.execute(
        select(ModuleCompletion.user_id, ModuleCompletion.module_id, ModuleCompletion.completed_at, User.unit_id,
               User.username)
        .join(User, User.id == ModuleCompletion.user_id)
        .where(User.active.is_(True), User.username.not_in(SKIP_USERS), User.id.in_(library_members(HOME_LIBRARY)))
        .order_by(ModuleCompletion.completed_at, ModuleCompletion.id)).all()
    mapping = module_competencies()
    indicators = services.indicators()
    if not rows or not indicators:
        log(_("Demo evaluations skipped: no completions or no behaviour indicators yet."))
        return
    bosses = services.supervisors_of({row[0] for row in rows})
    rng = random.Random(SEED)
    windows = 0
    for user_id, module_id, completed_at, unit_id, _username in rows:
        completed_on = local_date(completed_at)
        opens_on = completed_on + timedelta(days=delay)
        if opens_on > today:
            continue
        closes_on = opens_on + timedelta(days=length - 1)
        for competency_id in sorted(mapping.get(module_id, ()) & indicators.keys()):
            window = EvaluationWindow(user_id=user_id, competency_id=competency_id, module_id=module_id,
                                      key=f"m{module_id}", origin=COMPLETION, unit_id=unit_id,
                                      completed_on=completed_on, opens_on=opens_on, closes_on=closes_on,
                                      closed_at=utcnow() if closes_on < today else None)
            db.session.add(window)
            windows += 1
            last = min(closes_on, today)
            span = max((last - opens_on).days, 0)
            found = indicators[competency_id]
            mean = OBSERVED_MEAN.get(competency_id, DEFAULT_MEAN)
            if rng.random() < SELF_SHARE:
                day = opens_on + timedelta(days=rng.randint(0, span))
                weights = BARRIERS.get(competency_id, DEFAULT_BARRIERS)
                named = sorted({rng.choices(list(weights), list(weights.values()))[0]
                                for _ in range(rng.randint(0, 2))}, key=list(services.BARRIERS).index)
                response = EvaluationResponse(window=window, kind=SELF, responder_id=user_id, barriers=named,
                                              submitted_at=datetime.combine(day, time(10), tzinfo=local_zone()))
                # people rate themselves a little higher than their supervisors see them
                response.ratings = [EvaluationRating(indicator=i, text_id=item["id"], text_en=item["en"],
                                                     frequency=_rating(rng, mean + 0.5)) for i, item in enumerate(found)]
                db.session.add(response)
            observers = sorted(bosses.get(user_id, ()))
            if observers and rng.random() < OBSERVED_SHARE:
                day = opens_on + timedelta(days=rng.randint(0, span))
                response = EvaluationResponse(window=window, kind=SUPERVISOR, responder_id=observers[0],
                                              submitted_at=datetime.combine(day, time(14), tzinfo=local_zone()))
                response.ratings = [EvaluationRating(indicator=i, text_id=item["id"], text_en=item["en"],
                                                     frequency=_rating(rng, mean)) for i, item in enumerate(found)]
                db.session.add(response)
    windows += _complaints_round(rng, today, indicators, bosses)
    db.session.commit()
    from lms.plugins.evaluations import xapi

    xapi.record_all()  # the self-reports' statements (whichever demo step runs last)
    log(_("Demo evaluations: %(n)d windows with self-reports and observations.", n=windows))


def _complaints_round(rng: random.Random, today, indicators: dict, bosses: dict) -> int:
    """After the patron survey's complaints, the head librarian opened an evaluation of
    complaint handling for the branches (40 to 11 days ago, now closed)."""
    from lms.auth.models import Unit

    competency_id = "cs-complaints"
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if competency_id not in indicators or admin is None:
        return 0
    branches = list(db.session.scalars(select(Unit.id).where(Unit.code.like("cabang-%"))))
    opens_on, closes_on = today - timedelta(days=40), today - timedelta(days=11)
    key = f"g{opens_on.isoformat()}"
    people = [p for p in services.group_people(branches) if p.username not in SKIP_USERS]
    bosses = {**bosses, **services.supervisors_of({p.id for p in people})}
    taken = set(db.session.scalars(select(EvaluationWindow.user_id).where(
        EvaluationWindow.competency_id == competency_id, EvaluationWindow.key == key)))
    found, made = indicators[competency_id], 0
    for person in people:
        if person.id in taken:
            continue
        window = EvaluationWindow(user_id=person.id, competency_id=competency_id, key=key, origin="group",
                                  unit_id=person.unit_id, opens_on=opens_on, closes_on=closes_on,
                                  closed_at=utcnow(), created_by_id=admin.id)
        db.session.add(window)
        made += 1
        weights = BARRIERS[competency_id]
        day = opens_on + timedelta(days=rng.randint(0, 20))
        response = EvaluationResponse(window=window, kind=SELF, responder_id=person.id,
                                      barriers=sorted({rng.choices(list(weights), list(weights.values()))[0]
                                                       for _ in range(rng.randint(1, 2))},
                                                      key=list(services.BARRIERS).index),
                                      submitted_at=datetime.combine(day, time(9), tzinfo=local_zone()))
        response.ratings = [EvaluationRating(indicator=i, text_id=item["id"], text_en=item["en"],
                                             frequency=_rating(rng, 2.4)) for i, item in enumerate(found)]
        db.session.add(response)
        observers = sorted(bosses.get(person.id, ()))
        if observers:
            response = EvaluationResponse(window=window, kind=SUPERVISOR, responder_id=observers[0],
                                          submitted_at=datetime.combine(day + timedelta(days=3), time(15),
                                                                        tzinfo=local_zone()))
            response.ratings = [EvaluationRating(indicator=i, text_id=item["id"], text_en=item["en"],
                                                 frequency=_rating(rng, OBSERVED_MEAN[competency_id]))
                                for i, item in enumerate(found)]
            db.session.add(response)
    return made
