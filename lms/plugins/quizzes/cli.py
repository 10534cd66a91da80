"""``lms quizzes regrade``: apply a fixed answer key to past attempts, with an audit trail."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.auth.services import find_user
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.quizzes import results, services


@click.group("quizzes")
def quizzes() -> None:
    """Quiz maintenance."""


@quizzes.command("regrade")
@click.argument("module_ref", metavar="COURSE/MODULE")
@click.option("--version", "version_number", type=int, help="The version whose attempts to regrade "
              "(default: every older version).")
@click.option("--by", "username", required=True, help="Who asks for the regrade (recorded in the audit log).")
@with_appcontext
def regrade(module_ref: str, version_number: int | None, username: str) -> None:
    """Regrade attempts with the current version's answer keys (matched by question id)."""
    course_slug, _, module_slug = module_ref.partition("/")
    module = db.session.scalar(select(Module).join(Course).where(Course.slug == course_slug,
                                                                 Module.slug == module_slug))
    if module is None or module.current_version is None:
        raise click.ClickException(f"no published module {module_ref!r} (write it as course/module)")
    actor = find_user(username)
    if actor is None:
        raise click.ClickException(f"no user {username!r}")
    numbers = [version_number] if version_number else [v.number for v in module.versions
                                                        if v.number != module.current_version.number]
    if not numbers:
        click.echo("Only one version exists: nothing to regrade.")
        return
    for number in numbers:
        try:
            report = results.regrade(module, number, actor.id)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"version {number}: {report.attempts} attempt(s) regraded, {len(report.changed)} score(s) changed")
        for change in report.changed:
            click.echo(f"  attempt {change['attempt']}: {change['before']}% -> {change['after']}%")
        if report.skipped:
            click.echo(f"  not regraded (question changed shape or was removed): {', '.join(report.skipped)}")


@quizzes.command("rebuild-scores")
@with_appcontext
def rebuild_scores_command() -> None:
    """Recompute the per learner and module score summary (quiz_scores) from every attempt:
    after loading attempts in bulk or restoring a backup; the page figures do not change."""
    rows = services.rebuild_scores()
    db.session.commit()
    click.echo(f"{rows} quiz score row(s) rebuilt")
