"""``lms curriculum``: a learner's path, proposing, showing and approving curriculum versions."""
from __future__ import annotations

import json

import click
from flask_babel import force_locale
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.curriculum import paths, proposals, services
from lms.plugins.curriculum.services import CurriculumError


@click.group("curriculum")
def curriculum():
    """Learning paths and the curriculum that follows the needs analysis."""


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@curriculum.command("recommend")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def recommend(username: str, as_json: bool):
    """Print USERNAME's personal learning path (in their language)."""
    user = _user(username)
    locale = user.locale or "id"
    with force_locale(locale):
        steps = paths.learning_path(user, locale)
        if as_json:
            click.echo(json.dumps(paths.as_json(steps), ensure_ascii=False, indent=2))
            return
        if not steps:
            click.echo("No learning path (no closed needs round, or no evidence for this person).")
            return
        for number, step in enumerate(steps, start=1):
            click.echo(f"{number}. {step.course.slug}/{step.module.slug}  {step.title}  (score {step.score:.3f})")
            click.echo(f"   {step.reason}")


def _version(number: int):
    """A version by its number (what the pages show as "Curriculum N")."""
    from lms.plugins.curriculum.models import CurriculumVersion

    return db.session.scalar(select(CurriculumVersion).where(CurriculumVersion.number == number))


def _print_items(version) -> None:
    names = proposals.competency_names("en")
    for item in version.items:
        due = item.due_on.isoformat() if item.due_on else "-"
        click.echo(f"  {item.position:>2}. {item.module.course.slug}/{item.module.slug}  "
                   f"[{proposals.audience_label(item)}]  due {due}")
        click.echo(f"      {proposals.item_reason(item.reason, names)}")


def _print_changes(changes) -> None:
    if not changes:
        click.echo("No changes against the active curriculum.")
    for change in changes:
        module = change.module
        name = f"{module.course.slug}/{module.slug}" if module is not None else "?"
        click.echo(f"  {change.kind:<9} {name}  {change.reason}")


ORGANISATION_HELP = "Whose curriculum (its unit code; default: the only library)."


@curriculum.command("propose")
@click.option("--round", "round_id", type=int, help="Needs round id (default: the organisation's latest closed one).")
@click.option("--organisation", "organisation_code", help=ORGANISATION_HELP)
def propose(round_id: int | None, organisation_code: str | None):
    """Propose a draft for one organisation from its closed needs round and print its diff
    with its active version."""
    from lms.plugins.needs.analysis_cli import organisation_option
    from lms.plugins.needs.models import NeedsRound

    organisation = organisation_option(organisation_code)
    if organisation is None:
        raise click.ClickException("no organisation yet: create the library's units first")
    needs_round = services.latest_closed_round(organisation.unit_id)
    if round_id is not None:
        needs_round = db.session.get(NeedsRound, round_id)
        if needs_round is None or needs_round.organisation_id != organisation.unit_id:
            raise click.ClickException(f"no needs round {round_id} of {organisation.full_name}")
    if needs_round is None:
        raise click.ClickException(f"no needs round of {organisation.full_name} has closed yet")
    with force_locale("en"):
        try:
            version = proposals.propose(needs_round)
        except CurriculumError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from None
        click.echo(f"Draft {version.number} proposed with {len(version.items)} item(s).")
        _print_changes(proposals.diff(version, services.active_version(version.organisation_id), "en"))


@curriculum.command("show")
@click.argument("number", type=int, required=False)
@click.option("--organisation", "organisation_code", help=ORGANISATION_HELP)
def show(number: int | None, organisation_code: str | None):
    """Show version NUMBER (default: the organisation's active one) and, for a draft, its diff."""
    from lms.plugins.needs.analysis_cli import organisation_option

    if number is not None:
        version = _version(number)
    else:
        organisation = organisation_option(organisation_code)
        version = services.active_version(organisation.unit_id) if organisation is not None else None
    if version is None:
        raise click.ClickException(f"no curriculum version {number}" if number is not None
                                   else "no active curriculum")
    with force_locale("en"):
        click.echo(f"Curriculum {version.number}: {version.status}")
        _print_items(version)
        if version.status == "draft":
            stale = services.stale_reason(version)
            if stale:
                click.echo(f"Cannot be approved: {stale}")
            _print_changes(proposals.diff(version, services.active_version(version.organisation_id), "en"))


@curriculum.command("approve")
@click.argument("number", type=int)
@click.option("--by", "username", required=True, help="Who approves (a trainer, admin or covering supervisor).")
def approve(number: int, username: str):
    """Approve draft NUMBER: it becomes active and its assignments are created."""
    version = _version(number)
    if version is None:
        raise click.ClickException(f"no curriculum version {number}")
    actor = _user(username)
    with force_locale("en"):
        try:
            result = services.approve(version, actor)
        except CurriculumError as error:
            raise click.ClickException(str(error.message)) from None
    click.echo(f"Curriculum {version.number} is active: {result.assignments} assignment(s) created, "
               f"{result.skipped} already existed.")
