"""``lms notifications remind``: reminders of assignments due soon or overdue;
``lms notifications digest``: the daily e-mail of unread notifications."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

notifications = AppGroup("notifications", help="In-app notifications and e-mail reminders.")


@notifications.command("remind")
@click.option("--days", default=3, show_default=True, type=click.IntRange(0, 365),
              help="Remind of assignments due within this many days (overdue ones too).")
@with_appcontext
def remind(days: int) -> None:
    """Notify (and e-mail, when MAIL_SERVER is set) librarians with unfinished assignments
    due within DAYS days or overdue; once per assignment a day, so it is safe to rerun."""
    from lms.clock import local_today
    from lms.plugins.notifications import services

    created = services.remind(days, local_today())
    click.echo(f"{created} reminder(s) sent.")


@notifications.command("digest")
@with_appcontext
def digest() -> None:
    """Queue for each user one e-mail listing their unread notifications not yet e-mailed
    (run it once a day, e.g. from cron; ``lms mail send`` delivers it); safe to rerun:
    nothing is queued twice."""
    from lms.clock import utcnow
    from lms.mail import services as mail
    from lms.plugins.notifications import services

    if not mail.enabled():
        click.echo("E-mail is off (MAIL_SERVER is empty): no digest sent.")
        return
    sent = services.send_digest(utcnow())
    click.echo(f"{sent} digest e-mail(s) queued.")
