"""``lms learning ...``: recompute progress, and assign courses until the reports pages do."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.extensions import db
from lms.plugins.learning import services
from lms.plugins.learning.assigning import announce


@click.group("learning")
def learning() -> None:
    """Learning progress: completions, certificates, assignments."""


@learning.command("recompute")
@click.option("--user", "usernames", multiple=True, help="Only this user (repeatable).")
@with_appcontext
def recompute(usernames: tuple[str, ...]) -> None:
    """Re-evaluate completions from lesson views and quiz results (e.g. after turning the
    plugin on where quizzes were already taken). Issues any certificates now due."""
    user_ids = None
    if usernames:
        try:
            user_ids = services.user_ids_by_username(list(usernames))
        except LookupError as error:
            raise click.ClickException(str(error)) from error
    checked = services.recompute(user_ids)
    click.echo(f"Checked {checked} module(s).")


@learning.command("assign")
@click.argument("subject")
@click.option("--user", "username", help="Assign to one user (username).")
@click.option("--unit", "unit_code", help="Assign to a unit (its code) and every unit below it.")
@click.option("--position", help="Assign to everyone holding this position (jabatan), exactly as written.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), help="Due date, YYYY-MM-DD.")
@with_appcontext
def assign(subject: str, username: str | None, unit_code: str | None, position: str | None, due) -> None:
    """Assign SUBJECT (a course slug, or course-slug/module-slug) to a user, unit or position."""
    try:
        assignment = services.create_assignment(subject, username=username, unit_code=unit_code,
                                                position=position, due_on=due.date() if due else None)
    except (LookupError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    announce([assignment])  # tell the librarians it reaches (notifications plugin), then commit both
    db.session.commit()
    click.echo(f"Assignment {assignment.id} created.")
