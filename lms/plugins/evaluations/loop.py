"""Observed application fed back into the loop: a needs-analysis source (hook
``lms_needs_sources``) and a content-gap signal for modules whose learners pass but are not
observed applying what they learned (hook ``lms_content_signals``)."""
from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.evaluations.models import APPLIED, COMPLETION, SUPERVISOR
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.evaluations.results import needs_rows
from lms.plugins.needs.analysis import NeedsSource, SourceFigure, min_group

NAME = "application"
DEFAULT_WEIGHT = 0.2
APPLIED_RATE_MIN = 0.5  # a module whose observed learners apply it less often than this is flagged


def _num(value: float, places: int = 3) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def needs_source(end, unit_ids, position, user_id) -> NeedsSource:
    """Observed application as a needs source: mean rating m over the supervisors' ratings
    (1-4) submitted before ``end``; A = (m − 1) / 3; need = 1 − A = (4 − m) / 3."""
    figures = {}
    for cid, (n, total, people) in needs_rows(end, unit_ids, position, user_id).items():
        mean = total / n
        need = (4 - mean) / 3
        figures[cid] = SourceFigure(
            n=n, need=need,
            detail=str(_l("%(n)d observed ratings (1 never … 4 always), sum %(sum)d, mean %(mean)s",
                          n=n, sum=total, mean=_num(mean, 2))),
            steps=[f"mean = Σ rating / n = {total} / {n} = {_num(mean)}",
                   f"need = (4 − {_num(mean)}) / 3 = {_num(need)}"], value=mean, people=people)
    return NeedsSource(NAME, _l("Observed application at work"), DEFAULT_WEIGHT, figures)


def content_signals(module_ids: list[int]) -> dict[int, dict]:
    """Module -> people observed after completing it and how many apply it; a concern when
    at least NEEDS_MIN_GROUP were observed and fewer than half apply."""
    if not module_ids:
        return {}
    rows = db.session.execute(
        select(EvaluationWindow.module_id, EvaluationWindow.user_id, func.count(EvaluationRating.id),
               func.sum(EvaluationRating.frequency))
        .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
        .join(EvaluationRating, EvaluationRating.response_id == EvaluationResponse.id)
        .where(EvaluationResponse.kind == SUPERVISOR, EvaluationWindow.origin == COMPLETION,
               EvaluationWindow.module_id.in_(module_ids))
        .group_by(EvaluationWindow.module_id, EvaluationWindow.user_id)).all()
    people: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for module_id, _user, n, total in rows:
        people[module_id][0] += 1
        people[module_id][1] += int(n and total / n >= APPLIED)
    threshold = min_group()
    signals = {}
    for module_id, (observed, applied) in people.items():
        if observed < threshold:
            continue
        rate = applied / observed
        signals[module_id] = {"label": _l("applied at work"), "value": f"{applied}/{observed}",
                              "rate": rate, "concern": rate < APPLIED_RATE_MIN}
    return signals


def practice_recommendations(user) -> list:
    """For each competency the person passed (completed a mapped module) but was last
    observed not applying (mean below "often"): practise it at work with the supervisor's
    coaching - put before the learning path's modules, never a retake of the module."""
    from flask_babel import get_locale
    from flask_babel import gettext as _

    from lms.nav import Recommendation
    from lms.plugins.courses.models import Competency

    rows = db.session.execute(
        select(EvaluationWindow.id, EvaluationWindow.competency_id, EvaluationRating.frequency,
               EvaluationRating.text_id, EvaluationRating.text_en)
        .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
        .join(EvaluationRating, EvaluationRating.response_id == EvaluationResponse.id)
        .where(EvaluationWindow.user_id == user.id, EvaluationWindow.origin == COMPLETION,
               EvaluationResponse.kind == SUPERVISOR)
        .order_by(EvaluationWindow.closes_on, EvaluationWindow.id, EvaluationRating.indicator)).all()
    latest: dict[str, list] = {}
    for window_id, cid, frequency, text_id, text_en in rows:
        if cid in latest and latest[cid][0] != window_id:
            latest[cid] = [window_id, []]
        latest.setdefault(cid, [window_id, []])[1].append((frequency, text_id, text_en))
    english = str(get_locale() or "id") == "en"
    names = {c.id: (c.name_en if english else c.name_id) for c in
             db.session.scalars(select(Competency).where(Competency.id.in_(list(latest))))} if latest else {}
    found = []
    for index, (cid, (_window, ratings)) in enumerate(sorted(latest.items())):
        mean = sum(r[0] for r in ratings) / len(ratings)
        if mean >= APPLIED:
            continue
        seldom = [r[2] if english else r[1] for r in sorted(ratings, key=lambda r: r[0])[:2] if r[0] < APPLIED]
        found.append(Recommendation(
            title=_("Practise at work: %(competency)s", competency=names.get(cid, cid)), url="/evaluations/",
            reason=_("You passed the module, but your supervisor seldom saw: %(behaviours)s. Agree on chances to "
                     "practise them with coaching rather than retaking the module.", behaviours="; ".join(seldom)),
            order=5 + index))
    return found
