"""``lms mail send`` (one pass, for cron every minute), ``lms mail worker`` (a long-running
loop) and ``lms mail status`` (what is queued, sent, failed)."""
from __future__ import annotations

import signal
import threading

import click
from flask.cli import AppGroup, with_appcontext

mail = AppGroup("mail", help="The e-mail outbox: deliver queued messages, show failures.")


def _echo_pass(result) -> None:
    click.echo(f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed"
               + (f", {result.unconfirmed} unconfirmed" if result.unconfirmed else "") + ".")
    if result.unavailable:
        click.echo(f"Mail server unavailable: {result.unavailable}", err=True)


def _echo_report() -> None:
    from lms.mail import services

    counts = services.counts()
    click.echo("Outbox: " + ", ".join(f"{counts[key]} {key}" for key in
                                       ("queued", "sending", "sent", "failed", "unconfirmed")) + ".")
    for row in services.failed():
        click.echo(f"failed #{row.id} {row.kind} to {row.recipient} after {row.attempts} attempt(s): "
                   f"{row.last_error}")
    for row in services.unconfirmed():
        click.echo(f"unconfirmed #{row.id} {row.kind} to {row.recipient}: {row.last_error}")


@mail.command("send")
@click.option("--limit", type=click.IntRange(1), default=None, help="Try at most this many messages.")
@click.option("--report", is_flag=True, help="Then list the counts and every failed message.")
@with_appcontext
def send(limit: int | None, report: bool) -> None:
    """Deliver the due messages once and stop (run it from cron every minute; safe to overlap)."""
    from lms.mail import services

    if not services.enabled():
        click.echo("E-mail is off (MAIL_SERVER is empty): nothing sent.")
    else:
        _echo_pass(services.deliver(limit=limit))
    if report:
        _echo_report()


@mail.command("status")
@with_appcontext
def status() -> None:
    """Counts per status and every failed or unconfirmed message."""
    _echo_report()


@mail.command("worker")
@click.option("--poll", type=click.FloatRange(0.05), default=None,
              help="Seconds between looks at the outbox (MAIL_POLL_SECONDS, default 5).")
@with_appcontext
def worker(poll: float | None) -> None:
    """Deliver continuously. SIGTERM or Ctrl-C stops it after the message in hand."""
    from flask import current_app

    from lms.extensions import db
    from lms.mail import services

    poll = poll or float(current_app.config.get("MAIL_POLL_SECONDS") or 5)
    stop = threading.Event()

    def _stop(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"mail worker: polling every {poll:g} s", err=True)
    while not stop.is_set():
        result = services.deliver(should_stop=stop.is_set)
        if result.sent or result.retrying or result.failed or result.unconfirmed:
            _echo_pass(result)
        elif result.unavailable:
            click.echo(f"Mail server unavailable: {result.unavailable}", err=True)
        db.session.remove()
        stop.wait(poll)
    click.echo("mail worker: stopped", err=True)
