"""``lms export xapi`` and ``lms interop ...``: learning events as xAPI JSON lines, and
quizzes as Moodle GIFT (export a module's quiz, import GIFT questions as quiz blocks).

``lms interop export-xapi`` is the same command as ``lms export xapi``. The GIFT commands
belong to the courses plugin (``lms courses export-gift`` / ``import-gift``, code in
``lms/plugins/courses/gift.py``); ``lms interop export-gift`` / ``import-gift`` are aliases
of the same commands.
"""
from __future__ import annotations

import sys
from datetime import datetime, time, timedelta, timezone

import click
from flask.cli import with_appcontext

from lms.plugins.courses import cli as courses_cli

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _bound(value: datetime, *, end: bool) -> datetime:
    """A date is a local calendar day (``--until`` includes the whole day); a date and time
    is local time. Returned in UTC."""
    from lms.plugins.learning.services import local_zone

    zone = local_zone()
    local = value.replace(tzinfo=zone)
    if end and value.time() == time.min:  # a date (or midnight): the whole day
        local = datetime.combine(value.date() + timedelta(days=1), time.min, tzinfo=zone)
    return local.astimezone(timezone.utc)


def _open_output(output: str | None):
    return open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout


@click.command("xapi")
@click.option("--since", required=True, type=click.DateTime(DATE_FORMATS),
              help="First day (YYYY-MM-DD, library time) or moment to include.")
@click.option("--until", type=click.DateTime(DATE_FORMATS),
              help="Last day to include (the whole day), or a moment to stop before.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@with_appcontext
def export_xapi(since: datetime, until: datetime | None, output: str | None) -> None:
    """Write learning events as xAPI statements, one JSON object per line, oldest first."""
    from lms.plugins.interop import xapi

    start = _bound(since, end=False)
    stop = _bound(until, end=True) if until else None
    if stop is not None and stop <= start:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    out = _open_output(output)
    try:
        count = xapi.write_json_lines(out, start, stop)
    finally:
        if output:
            out.close()
    click.echo(f"{count} statement(s).", err=True)


@click.group("export")
def export() -> None:
    """Export data for other systems."""


export.add_command(export_xapi)


@click.group("interop")
def interop() -> None:
    """Interoperability: xAPI statements, Moodle GIFT quizzes."""


interop.add_command(export_xapi, "export-xapi")


# Aliases: the GIFT commands belong to the courses plugin (``lms courses export-gift`` /
# ``import-gift``); the same command objects are registered here too.
interop.add_command(courses_cli.export_gift, "export-gift")
interop.add_command(courses_cli.import_gift, "import-gift")
