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
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.http import int_arg
from lms.organisations import ids_below
from lms.plugins.needs import analysis, impact, reach, rounds
from lms.plugins.needs.charts import quadrant_chart
from lms.plugins.needs.models import NeedsRound

bp = Blueprint("needs_analysis", __name__, url_prefix="/needs/analysis")

ANALYSTS = ("supervisor", "trainer", "admin")


def _locale() -> str:
    return str(get_locale() or "id")


def _user():
    return current_user._get_current_object()


def _org_wide(needs_round: NeedsRound | None) -> bool:
    """True when the viewer reads every unit of the round (admins and trainers of its organisation)."""
    return needs_round is not None and reach.whole_round(_user(), needs_round)


def _scope(needs_round: NeedsRound | None) -> tuple[list[int] | None, Unit | None, list[Unit]]:
    """(the units to analyse - None for the whole round -, the unit chosen with ``?unit=``,
    the units the viewer may choose from: the round's, or a supervisor's own in it). A unit
    outside them is a 404."""
    unit_id = int_arg("unit", invalid=404)
    if needs_round is None:
        if unit_id is not None:
            abort(404)
        return None, None, []
    covered = select(Unit).where(Unit.id.in_(rounds.scope_unit_ids(needs_round))).order_by(Unit.name)
    org_wide = _org_wide(needs_round)
    if not org_wide:
        covered = covered.where(Unit.id.in_(supervised_unit_ids(current_user)))
    offered = list(db.session.scalars(covered))
    chosen = None
    if unit_id is not None:
        chosen = next((unit for unit in offered if unit.id == unit_id), None)
        if chosen is None:
            abort(404)
    if org_wide:
        return ([chosen.id] if chosen else None), chosen, offered
    return ([chosen.id] if chosen else [unit.id for unit in offered]), chosen, offered


def _organisation(needs_round_id: int | None = None):
    """(the organisation chosen with ``?org=``, those offered): an install-wide admin's choice."""
    return reach.chosen(_user())


def _round(round_id: int | None, organisation=None) -> NeedsRound | None:
    """The round asked for (another organisation's: 404), else the latest closed one of the
    chosen organisation that the viewer may open."""
    if round_id is None:
        return reach.latest_closed(_user(), organisation.unit_id if organisation is not None else None)
    return reach.round_or_404(_user(), round_id)


def _too_small(respondents: int) -> bool:
    """Staff answers of fewer than NEEDS_MIN_GROUP people are not shown: with a unit filter
    (or a small organisation) the means would give away individual answers."""
    return 0 < respondents < analysis.min_group()


def _rounds(organisation=None) -> list[NeedsRound]:
    query = reach.rounds_for(_user(), organisation)
    return list(db.session.scalars(query.order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc())))


def _page_round(organisation, offered):
    """The round of the analysis page: ``?round=`` (ignored when it lies outside a newly
    chosen organisation, so changing the organisation shows its own latest round)."""
    round_id = int_arg("round")
    needs_round = _round(round_id, organisation) if round_id is not None else None
    if needs_round is not None and organisation is not None and "org" in request.args \
            and needs_round.organisation_id not in set(db.session.scalars(ids_below([organisation.unit_id]))):
        needs_round = None
    return needs_round or _round(None, organisation)


@bp.route("/")
@roles_required(*ANALYSTS)
def index():
    organisation, organisations = _organisation()
    needs_round = _page_round(organisation, organisations)
    unit_ids, chosen, offered = _scope(needs_round)
    org_wide = _org_wide(needs_round)
    result = analysis.analyze(needs_round, unit_ids=unit_ids) if needs_round else None
    choice = {"organisations": organisations, "organisation": organisation}
    if result is not None and _too_small(result.respondents):
        return render_template("needs/analysis/too_small.html", needs_round=needs_round,
                               rounds=_rounds(organisation), units=offered, chosen_unit=chosen, org_wide=org_wide,
                               respondents=result.respondents, min_group=analysis.min_group(), **choice)
    several = needs_round is not None and len(analysis.round_organisations(needs_round)) > 1
    return render_template("needs/analysis/index.html", needs_round=needs_round, result=result,
                           chart=quadrant_chart(result) if result and not result.empty else None,
                           rounds=_rounds(organisation), units=offered, chosen_unit=chosen, org_wide=org_wide,
                           several_organisations=several, locale=_locale(),
                           status=analysis.round_status(needs_round) if needs_round else None, **choice)


@bp.route("/<int:round_id>/breakdown")
@roles_required(*ANALYSTS)
def breakdown(round_id: int):
    by = request.args.get("by", "unit")
    if by not in analysis.BREAKDOWNS:
        abort(404)
    needs_round = _round(round_id)
    unit_ids, chosen, _offered = _scope(needs_round)
    groups = analysis.breakdown(needs_round, by=by, unit_ids=unit_ids)
    competencies = analysis.framework_competencies()
    return render_template("needs/analysis/breakdown.html", needs_round=needs_round, groups=groups, by=by,
                           competencies=competencies, chosen_unit=chosen, min_group=analysis.min_group(),
                           several_organisations=len(analysis.round_organisations(needs_round)) > 1,
                           locale=_locale())


@bp.route("/<int:round_id>/competency/<competency_id>")
@roles_required(*ANALYSTS)
def competency(round_id: int, competency_id: str):
    needs_round = _round(round_id)
    unit_ids, chosen, _offered = _scope(needs_round)
    found = analysis.evidence(needs_round, competency_id, unit_ids=unit_ids)
    if found is None:
        abort(404)
    if _too_small(found.score.n_self):
        return render_template("needs/analysis/too_small.html", needs_round=needs_round, rounds=[],
                               units=[], chosen_unit=chosen, org_wide=_org_wide(needs_round),
                               respondents=found.score.n_self, min_group=analysis.min_group())
    return render_template("needs/analysis/competency.html", needs_round=needs_round, evidence=found,
                           score=found.score, chosen_unit=chosen, locale=_locale())


@bp.route("/mine")
@roles_required("librarian")
def mine():
    user = _user()
    needs_round = (analysis.latest_closed_round(covering_unit_id=user.unit_id)
                   if user.unit_id is not None else None)
    found = analysis.librarian_evidence(user, needs_round) if needs_round else {}
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
    organisation, organisations = _organisation()
    listed = _rounds(organisation)
    closed = [r for r in listed if analysis.round_status(r) == "closed"]
    first_id, second_id = int_arg("from"), int_arg("to")
    before = _round(first_id) if first_id else (closed[1] if len(closed) > 1 else None)
    after = _round(second_id) if second_id else (closed[0] if len(closed) > 1 else None)
    unit_ids, chosen, offered = _scope(after)
    result = None
    if before is not None and after is not None and before.id != after.id:
        result = impact.compare(before, after, unit_ids=unit_ids)
    return render_template("needs/analysis/impact.html", result=result, rounds=listed, before=before, after=after,
                           min_group=analysis.min_group(), units=offered, chosen_unit=chosen,
                           org_wide=_org_wide(after), locale=_locale(), organisations=organisations,
                           organisation=organisation)
