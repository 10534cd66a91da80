"""The needs analysis: ranked competencies, Locus-for-Focus chart, breakdowns and impact.

Supervisors see their own units only (the scoping helpers decide which); trainers and
admins see the whole organisation and may narrow it to one unit. Librarians see only
their own evidence (``/needs/analysis/mine``).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import roles_required
from lms.auth.models import Unit
from lms.auth.scoping import can_see_unit, supervised_unit_ids
from lms.extensions import db
from lms.http import int_arg
from lms.plugins.needs import analysis, impact
from lms.plugins.needs.charts import quadrant_chart
from lms.plugins.needs.models import NeedsRound

bp = Blueprint("needs_analysis", __name__, url_prefix="/needs/analysis")

ANALYSTS = ("supervisor", "trainer", "admin")


def _locale() -> str:
    return str(get_locale() or "id")


def _org_wide() -> bool:
    return current_user.has_role("trainer", "admin")


def _scope() -> tuple[list[int] | None, Unit | None, list[Unit]]:
    """(the units to analyse - None for the whole organisation -, the unit chosen with
    ``?unit=``, the units the viewer may choose from). Another unit's id is a 404."""
    unit_id = int_arg("unit", invalid=404)
    chosen = None
    if unit_id is not None:
        chosen = db.session.get(Unit, unit_id)
        if chosen is None or not (_org_wide() or can_see_unit(current_user, chosen.id)):
            abort(404)
    if _org_wide():
        offered = list(db.session.scalars(select(Unit).order_by(Unit.name)))
        return ([chosen.id] if chosen else None), chosen, offered
    offered = list(db.session.scalars(select(Unit).where(Unit.id.in_(supervised_unit_ids(current_user)))
                                      .order_by(Unit.name)))
    return ([chosen.id] if chosen else [unit.id for unit in offered]), chosen, offered


def _round(round_id: int | None) -> NeedsRound | None:
    if round_id is None:
        return analysis.latest_closed_round()
    found = db.session.get(NeedsRound, round_id)
    if found is None:
        abort(404)
    return found


def _too_small(respondents: int) -> bool:
    """Staff answers of fewer than NEEDS_MIN_GROUP people are not shown: with a unit filter
    (or a small organisation) the means would give away individual answers."""
    return 0 < respondents < analysis.min_group()


def _rounds() -> list[NeedsRound]:
    return list(db.session.scalars(select(NeedsRound).order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc())))


@bp.route("/")
@roles_required(*ANALYSTS)
def index():
    unit_ids, chosen, offered = _scope()
    needs_round = _round(int_arg("round"))
    result = analysis.analyze(needs_round, unit_ids=unit_ids) if needs_round else None
    if result is not None and _too_small(result.respondents):
        return render_template("needs/analysis/too_small.html", needs_round=needs_round, rounds=_rounds(),
                               units=offered, chosen_unit=chosen, org_wide=_org_wide(),
                               respondents=result.respondents, min_group=analysis.min_group())
    return render_template("needs/analysis/index.html", needs_round=needs_round, result=result,
                           chart=quadrant_chart(result) if result and not result.empty else None,
                           rounds=_rounds(), units=offered, chosen_unit=chosen, org_wide=_org_wide(),
                           locale=_locale(), status=analysis.round_status(needs_round) if needs_round else None)


@bp.route("/<int:round_id>/breakdown")
@roles_required(*ANALYSTS)
def breakdown(round_id: int):
    by = request.args.get("by", "unit")
    if by not in ("unit", "position"):
        abort(404)
    unit_ids, chosen, _offered = _scope()
    needs_round = _round(round_id)
    groups = analysis.breakdown(needs_round, by=by, unit_ids=unit_ids)
    competencies = analysis.framework_competencies()
    return render_template("needs/analysis/breakdown.html", needs_round=needs_round, groups=groups, by=by,
                           competencies=competencies, chosen_unit=chosen, min_group=analysis.min_group(),
                           locale=_locale())


@bp.route("/<int:round_id>/competency/<competency_id>")
@roles_required(*ANALYSTS)
def competency(round_id: int, competency_id: str):
    unit_ids, chosen, _offered = _scope()
    needs_round = _round(round_id)
    found = analysis.evidence(needs_round, competency_id, unit_ids=unit_ids)
    if found is None:
        abort(404)
    if _too_small(found.score.n_self):
        return render_template("needs/analysis/too_small.html", needs_round=needs_round, rounds=[],
                               units=[], chosen_unit=chosen, org_wide=_org_wide(),
                               respondents=found.score.n_self, min_group=analysis.min_group())
    return render_template("needs/analysis/competency.html", needs_round=needs_round, evidence=found,
                           score=found.score, chosen_unit=chosen, locale=_locale())


@bp.route("/mine")
@roles_required("librarian")
def mine():
    needs_round = analysis.latest_closed_round()
    found = analysis.librarian_evidence(current_user, needs_round) if needs_round else {}
    names = {c.id: c for c in analysis.framework_competencies()}
    rows = [(names[cid], item) for cid, item in found.items() if item.has_evidence and cid in names]
    extra: dict[str, object] = {}  # plugins' sources with data about the person: a column each
    for _competency, item in rows:
        extra.update(item.extra_labels)
    return render_template("needs/analysis/mine.html", needs_round=needs_round, rows=rows, extra=extra,
                           locale=_locale())


@bp.route("/impact")
@roles_required(*ANALYSTS)
def impact_page():
    unit_ids, chosen, offered = _scope()
    rounds = _rounds()
    closed = [r for r in rounds if analysis.round_status(r) == "closed"]
    first_id, second_id = int_arg("from"), int_arg("to")
    before = _round(first_id) if first_id else (closed[1] if len(closed) > 1 else None)
    after = _round(second_id) if second_id else (closed[0] if len(closed) > 1 else None)
    result = None
    if before is not None and after is not None and before.id != after.id:
        result = impact.compare(before, after, unit_ids=unit_ids)
    return render_template("needs/analysis/impact.html", result=result, rounds=rounds, before=before, after=after,
                           min_group=analysis.min_group(), units=offered, chosen_unit=chosen, org_wide=_org_wide(), locale=_locale())
