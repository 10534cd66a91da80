"""``lms export xapi`` and ``lms interop ...``: learning events as xAPI JSON lines, and
quizzes as Moodle GIFT (export a module's quiz, import GIFT questions as quiz blocks).

``lms interop export-xapi`` is the same command as ``lms export xapi``. The GIFT commands
live under ``lms interop`` (not ``lms courses``) so the courses plugin's CLI stays its own.
"""
from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.extensions import db

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


@interop.command("export-gift")
@click.argument("target", metavar="COURSE/MODULE")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@with_appcontext
def export_gift(target: str, output: str | None) -> None:
    """Write the quiz of a module's current version as Moodle GIFT."""
    from lms.plugins.courses.models import Course, Module
    from lms.plugins.interop import gift

    course_slug, _sep, module_slug = target.partition("/")
    module = db.session.scalar(select(Module).join(Course).where(Course.slug == course_slug,
                                                                 Module.slug == module_slug))
    if module is None or not module_slug:
        raise click.ClickException(f"no module {target!r} (write course-slug/module-slug)")
    if module.current_version is None:
        raise click.ClickException(f"module {target!r} has no published version")
    text = gift.export_version(module.current_version)
    out = _open_output(output)
    try:
        out.write(text)
    finally:
        if output:
            out.close()


def _existing_ids(path: Path) -> set[str]:
    from lms.plugins.courses.parsing import split_body, split_front_matter
    from lms.plugins.courses.quizparse import HEADER_RE

    problems: list[str] = []
    _meta, body, line = split_front_matter(path, path.read_text(encoding="utf-8").replace("\r\n", "\n"), problems)
    ids = set()
    for block, _line in split_body(path, body, line, problems)[2]:
        for raw in block.split("\n"):
            match = HEADER_RE.match(raw.strip())
            if not match:
                break
            if match.group(1).lower() == "id":
                ids.add(match.group(2).strip())
    return ids


@interop.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "into", type=click.Path(exists=True, dir_okay=False),
              help="Module file (COURSE_DIR/NN-module.md) to append the quiz blocks to; default: print them.")
@with_appcontext
def import_gift(file: str, into: str | None) -> None:
    """Turn GIFT questions into quiz blocks. Problems are listed as FILE:line: message and
    nothing is written when there is any."""
    from lms.plugins.interop import gift

    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}:1: not UTF-8 text") from None
    questions, problems = gift.parse_gift(text, file)
    if not problems:
        problems = gift.check_blocks(questions, file)
    if into and not problems:
        clashes = _existing_ids(Path(into)) & {question.id for question in questions}
        problems = [f"{file}:{question.line}: question id {question.id!r} is already used in {into}"
                    for question in questions if question.id in clashes]
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(problems)} problem(s); nothing written")
    blocks = "\n".join(gift.to_markdown(question) for question in questions)
    if not into:
        click.echo(blocks, nl=False)
        return
    target = Path(into)
    current = target.read_text(encoding="utf-8")
    joined = current.rstrip("\n") + "\n\n" + blocks
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".gift-", suffix=".md")
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(joined)
    os.replace(temporary, target)
    click.echo(f"{len(questions)} question(s) added to {into}; check it with `lms courses check`.", err=True)
