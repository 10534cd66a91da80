"""``lms needs``: load survey instruments, import patron CSV files, analyse a round."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

from lms.plugins.needs.analysis_cli import analyze

needs = AppGroup("needs", help="Needs assessment: surveys, patron CSV import, analysis.")
needs.add_command(analyze)


@needs.group("surveys")
def surveys() -> None:
    """Survey instruments (courses/surveys/*.yml): check, import, list."""


def _surveys_dir(directory: Path | None) -> Path:
    return directory or Path(current_app.config["NEEDS_SURVEYS_DIR"])


def _fail(problems: list[str], summary: str) -> None:
    for problem in problems:
        click.echo(problem, err=True)
    raise click.ClickException(summary)


@surveys.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@with_appcontext
def check_command(directory: Path | None) -> None:
    """Validate the instrument files without loading them."""
    from lms.plugins.needs import surveys as service

    found, problems = service.check_surveys(_surveys_dir(directory))
    if problems:
        _fail(problems, _("%(n)d problem(s) found", n=len(problems)))
    click.echo(_("OK: %(n)d survey(s)", n=len(found)))


@surveys.command("import")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@with_appcontext
def import_command(directory: Path | None) -> None:
    """Load the instrument files (default: NEEDS_SURVEYS_DIR). All or nothing."""
    from lms.plugins.needs import surveys as service

    try:
        summary = service.import_surveys(_surveys_dir(directory))
    except service.SurveyError as error:
        _fail(error.problems, _("%(n)d problem(s); nothing was imported", n=len(error.problems)))
    click.echo(_("Surveys: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                 created=len(summary.created), updated=len(summary.updated), unchanged=len(summary.unchanged)))


@surveys.command("list")
@with_appcontext
def list_command() -> None:
    """List the loaded instruments."""
    from lms.plugins.needs import surveys as service

    click.echo(f"{'slug':28} {'kind':10} {'items':>5}  title")
    for row in service.survey_rows():
        click.echo(f"{row['slug']:28} {row['kind']:10} {row['items']:>5}  {row['title']}")


@needs.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--survey", "survey_slug", required=True, help="Slug of the patron survey.")
@click.option("--round", "round_id", type=int, help="Round id (default: the open round, else the latest closed).")
@click.option("--unit", "unit_code", help="Unit code for every response (default: the survey's unit column).")
@click.option("--organisation", "organisation_code",
              help="Whose round (its unit code; default: the only library). Another's round is refused.")
@click.option("--date-format", "date_format",
              help="Order of the dates when the file cannot tell, e.g. %d/%m/%Y or %m/%d/%Y "
                   "(a format with the time too, e.g. '%m/%d/%Y %I:%M:%S %p', must match it exactly).")
@with_appcontext
def import_csv_command(file: Path, survey_slug: str, round_id: int | None, unit_code: str | None,
                       organisation_code: str | None, date_format: str | None) -> None:
    """Import a patron-survey CSV export into one organisation's round. All or nothing."""
    from lms.extensions import db
    from lms.organisations import ids_below
    from lms.plugins.needs import patron
    from lms.plugins.needs.analysis_cli import organisation_option
    from lms.plugins.needs.models import NeedsRound

    organisation = organisation_option(organisation_code)
    try:
        result = patron.import_patron_csv(file.read_bytes(), file.name, survey_slug, round_id=round_id,
                                          unit_code=unit_code, date_format=date_format,
                                          rounds_where=(NeedsRound.organisation_id.in_(ids_below([organisation.unit_id]))
                                                        if organisation is not None else None))
    except patron.PatronImportError as error:
        _fail([f"{file}: {problem}" for problem in error.problems],
              _("%(n)d problem(s); nothing was imported", n=len(error.problems)))
    record = result.record
    title = db.session.get(NeedsRound, record.round_id).title
    click.echo(_("Imported %(n)d responses into round %(round)r (import %(id)d).", n=record.rows,
                 round=title, id=record.id))
    for line in result.lines():
        click.echo(line)


@needs.group("evidence")
def evidence_group() -> None:
    """The quiz evidence kept for closed rounds (see lms/plugins/needs/evidence.py)."""


@evidence_group.command("rebuild")
@click.option("--round", "round_id", type=int, help="Round id (default: every closed round).")
@with_appcontext
def evidence_rebuild_command(round_id: int | None) -> None:
    """Sum the quiz evidence of closed rounds now and keep it, so no page view pays for it."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.clock import local_today
    from lms.plugins.needs import evidence
    from lms.plugins.needs.models import NeedsRound

    query = select(NeedsRound).where(NeedsRound.closes_on < local_today()).order_by(NeedsRound.closes_on)
    if round_id is not None:
        query = query.where(NeedsRound.id == round_id)
    rounds = list(db.session.scalars(query))
    if round_id is not None and not rounds:
        raise click.ClickException(_("No closed round with id %(id)d.", id=round_id))
    for needs_round in rounds:
        kept, skipped = evidence.rebuild_round(needs_round)
        click.echo(_("Round %(round)r: quiz evidence kept for %(kept)d scope(s), not kept for %(skipped)d.",
                     round=needs_round.title, kept=kept, skipped=skipped))
