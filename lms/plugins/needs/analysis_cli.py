"""``lms needs analyze``: the ranked competencies of a needs round, as a table or JSON.

Exit status: 1 when there is no round to analyse (none closed yet, or ``--round``/``--unit``
names nothing, or several organisations and none named with ``--organisation``); 0 otherwise,
including a round without responses (a note says so).
"""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select


def _fmt(value: float | None, places: int = 3) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def organisation_option(code: str | None):
    """The organisation named by its unit's code (``--organisation``), else the only top-level
    one (or ``HOME_ORGANISATION``), else None when there is none at all; a ClickException
    when it cannot tell."""
    from lms.auth.models import Organisation, Unit
    from lms.extensions import db
    from lms.organisations import home

    if code:
        found = db.session.scalar(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                                  .where(Unit.code == code))
        if found is None:
            raise click.ClickException(_("No organisation with unit code %(code)s.", code=code))
        return found
    found = home()
    if found is None and db.session.scalar(select(Organisation.unit_id).limit(1)) is not None:
        raise click.ClickException(_("Several organisations: name one with --organisation (its unit code)."))
    return found


@click.command("analyze")
@click.option("--round", "round_id", type=int, help="Round id (default: the latest closed round).")
@click.option("--unit", "unit_code", help="Only this unit (its code) and the units below it.")
@click.option("--organisation", "organisation_code",
              help="Whose rounds (its unit code; default: the only library). A round of another is refused.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole analysis as JSON.")
@with_appcontext
def analyze(round_id: int | None, unit_code: str | None, organisation_code: str | None, as_json: bool) -> None:
    """Print the ranked competencies of one organisation's needs round."""
    from lms.auth.models import Unit
    from lms.extensions import db
    from lms.plugins.needs import analysis
    from lms.plugins.needs.models import NeedsRound

    from lms.organisations import ids_below
    from lms.plugins.needs.rounds import scope_unit_ids

    organisation = organisation_option(organisation_code)
    mine = set(db.session.scalars(ids_below([organisation.unit_id]))) if organisation is not None else set()
    if round_id is not None:
        needs_round = db.session.get(NeedsRound, round_id)
        if needs_round is None or needs_round.organisation_id not in mine:
            raise click.ClickException(_("No needs round with id %(id)d.", id=round_id))
    else:
        needs_round = (analysis.latest_closed_round(organisation_id=organisation.unit_id)
                       if organisation is not None else None)
        if needs_round is None:
            raise click.ClickException(_("No needs round has closed yet; name one with --round."))
    unit_ids = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code,
                                                    Unit.id.in_(scope_unit_ids(needs_round))))
        if unit is None:
            raise click.ClickException(_("No unit with code %(code)s.", code=unit_code))
        unit_ids = [unit.id]

    result = analysis.analyze(needs_round, unit_ids=unit_ids)
    if as_json:
        click.echo(json.dumps(analysis.to_json(result), indent=2, ensure_ascii=False))
        return
    click.echo(f"{needs_round.title} ({needs_round.opens_on.isoformat()} – {needs_round.closes_on.isoformat()})")
    if result.empty:
        click.echo(_("No responses in this round (and scope): nothing to rank."))
        return
    click.echo(_("Respondents: %(n)d", n=result.respondents))
    click.echo(f"{'rank':>4}  {'competency':32} {'priority':>8} {'MWDS':>8} {'n':>4}")
    for score in result.competencies:
        rank = str(score.rank) if score.rank else "-"
        click.echo(f"{rank:>4}  {score.competency_id:32} {_fmt(score.priority):>8} {_fmt(score.mwds, 2):>8} "
                   f"{score.n_self:>4}")
