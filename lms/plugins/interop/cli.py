"""``lms export xapi`` and ``lms interop ...``: learning events as xAPI JSON lines or pushed
to a learning record store, events backfilled for older facts, and quizzes as Moodle GIFT
(export a module's quiz, import GIFT questions as quiz blocks).

``lms interop export-xapi`` is the same command as ``lms export xapi``. The GIFT commands
belong to the courses plugin (``lms courses export-gift`` / ``import-gift``, code in
``lms/plugins/courses/gift.py``); ``lms interop export-gift`` / ``import-gift`` are aliases
of the same commands.
"""
from __future__ import annotations

import sys
from datetime import datetime, time, timedelta, timezone

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.plugins.courses import cli as courses_cli

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _bound(value: datetime, *, end: bool) -> datetime:
    """A date is a local calendar day (``--until`` includes the whole day); a date and time
    is local time. Returned in UTC."""
    from lms.clock import local_zone

    zone = local_zone()
    local = value.replace(tzinfo=zone)
    if end and value.time() == time.min:  # a date (or midnight): the whole day
        local = datetime.combine(value.date() + timedelta(days=1), time.min, tzinfo=zone)
    return local.astimezone(timezone.utc)


def _open_output(output: str | None):
    return open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout


@click.command("xapi")
@click.option("--since", type=click.DateTime(DATE_FORMATS),
              help="First day (YYYY-MM-DD, library time) or moment to include. Required for a file; "
                   "with --lrs the default is everything.")
@click.option("--until", type=click.DateTime(DATE_FORMATS),
              help="Last day to include (the whole day), or a moment to stop before.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--lrs", metavar="URL",
              help="Send to this learning record store's xAPI root (e.g. https://lrs.example.org/xAPI) "
                   "instead of writing; credentials from LMS_XAPI_LRS_USERNAME / LMS_XAPI_LRS_PASSWORD. "
                   "Resumable: statements it accepted before are not sent again.")
@click.option("--batch-size", type=click.IntRange(min=1, max=10000),
              help="Statements per request with --lrs (default: the XAPI_LRS_BATCH_SIZE setting, 100).")
@with_appcontext
def export_xapi(since: datetime | None, until: datetime | None, output: str | None, lrs: str | None,
                batch_size: int | None) -> None:
    """Write learning events as xAPI statements, one JSON object per line, oldest first, or
    send them to a learning record store with --lrs."""
    from lms.plugins.interop import xapi

    if lrs and output:
        raise click.UsageError("--output and --lrs do not go together: write a file or send to a store.")
    if since is None and not lrs:
        raise click.BadParameter("a file export needs a first day", param_hint="--since")
    start = _bound(since, end=False) if since else None
    stop = _bound(until, end=True) if until else None
    if stop is not None and start is not None and stop <= start:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    if lrs:
        _push(lrs, batch_size, xapi.statements(start, stop))
        return
    out = _open_output(output)
    try:
        count = xapi.write_json_lines(out, start, stop)
    finally:
        if output:
            out.close()
    click.echo(f"{count} statement(s).", err=True)


def _push(url: str, batch_size: int | None, statements) -> None:
    from lms.plugins.interop import lrs

    try:
        client = lrs.Client.from_settings(url, log=lambda line: click.echo(line, err=True))
    except lrs.LrsError as error:
        raise click.ClickException(str(error)) from error
    size = batch_size or int(current_app.config["XAPI_LRS_BATCH_SIZE"])
    report = lrs.push(client, statements, size)
    for statement_id, reason in report.rejected:
        click.echo(f"{client.root}: statement {statement_id} refused: {reason}", err=True)
    click.echo(f"{client.root}: {report.accepted} statement(s) accepted ({report.already} already held), "
               f"{len(report.rejected)} refused, {report.skipped} skipped (accepted before).", err=True)
    if report.stopped:
        click.echo(f"Stopped: {report.stopped}. What was accepted is remembered: run the same command "
                   "again to send the rest.", err=True)
    if not report.ok:
        sys.exit(1)


@click.command("backfill")
@with_appcontext
def backfill() -> None:
    """Add learning events for lesson views, graded quiz attempts and completions that have
    none (recorded before the events table, or by the demo), at their own times. Idempotent."""
    from lms.plugins.interop import services

    report = services.backfill()
    for line in report.skipped:
        click.echo(f"skipped: {line}", err=True)
    added = ", ".join(f"{count} {kind}" for kind, count in report.added.items())
    click.echo(f"{report.total} learning event(s) added ({added}).")


@click.group("export")
def export() -> None:
    """Export data for other systems."""


export.add_command(export_xapi)


@click.group("interop")
def interop() -> None:
    """Interoperability: xAPI statements, Moodle GIFT quizzes."""


interop.add_command(export_xapi, "export-xapi")
interop.add_command(backfill)


# Aliases: the GIFT commands belong to the courses plugin (``lms courses export-gift`` /
# ``import-gift``); the same command objects are registered here too.
interop.add_command(courses_cli.export_gift, "export-gift")
interop.add_command(courses_cli.import_gift, "import-gift")
