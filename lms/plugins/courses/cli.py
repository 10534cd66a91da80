"""``lms courses ...``: import, check, list and export Markdown courses, and exchange quizzes
with Moodle as GIFT (``export-gift`` / ``import-gift``; ``lms interop`` has aliases)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask_babel import gettext as _
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses import gift, services

DEFAULT_PATH = Path("courses")


@click.group("courses")
def courses() -> None:
    """Markdown courses: import, check, list, export; quizzes as Moodle GIFT."""


def _print_problems(problems: list[str]) -> None:
    for problem in problems:
        click.echo(problem, err=True)


@courses.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def check(paths: tuple[Path, ...]) -> None:
    """Validate course folders without importing (trainers run this before sharing)."""
    _framework, found, problems = services.check_courses(list(paths) or [DEFAULT_PATH])
    if problems:
        _print_problems(problems)
        raise click.ClickException(_("%(n)d problem(s) found", n=len(problems)))
    modules = sum(len(course.modules) for course in found)
    questions = sum(len(m.questions) for course in found for m in course.modules)
    click.echo(_("OK: %(courses)d course(s), %(modules)d module(s), %(questions)d question(s)",
                 courses=len(found), modules=modules, questions=questions))


@courses.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prefer-files", is_flag=True, help="Let files win over modules edited in the browser.")
@click.option("--prune", is_flag=True,
              help="Deactivate (hide, never delete) modules that are not in their course's folder; "
                   "without it they are kept and listed.")
@with_appcontext
def import_command(paths: tuple[Path, ...], prefer_files: bool, prune: bool) -> None:
    """Import course folders (default: courses/). All or nothing.

    Modules in the database but not in their course's folder (created in the browser, or
    whose file was removed) are kept and listed; --prune deactivates them."""
    report = services.import_courses(list(paths) or [DEFAULT_PATH], prefer_files=prefer_files, prune=prune)
    if not report.ok:
        _print_problems(report.problems)
        raise click.ClickException(_("%(n)d problem(s); nothing was imported", n=len(report.problems)))
    for line in report.created:
        click.echo(_("new version: %(module)s", module=line))
    for module in report.kept:
        click.echo(_("%(module)s: kept (not in folder; use --prune to deactivate)", module=module))
    for module in report.deactivated:
        click.echo(_("%(module)s: deactivated (not in folder)", module=module))
    for change in report.organisations:  # who sees a course changed: never silently
        click.echo(change)
    click.echo(_("Imported %(courses)d course(s): %(created)d new module version(s), %(unchanged)d unchanged.",
                 courses=len(report.courses), created=len(report.created), unchanged=len(report.unchanged)))


@courses.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(as_json: bool) -> None:
    """List the imported courses."""
    rows = services.course_rows()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'slug':24} {'topic':18} {'version':8} {'modules':>7} {'questions':>9} {'JP':>5}  "
               f"{'organisation':14} title")
    for row in rows:
        click.echo(f"{row['slug']:24} {row['topic']:18} {row['version']:8} {row['modules']:>7} "
                   f"{row['questions']:>9} {row['jp']:>5g}  {row['organisation'] or '-':14} {row['title']}")


@courses.command("export")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(slug: str, directory: Path) -> None:
    """Write a course back to Markdown in DIRECTORY/SLUG (with topics and competencies)."""
    try:
        folder = services.export_course(slug, directory)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    services.write_framework(directory)
    click.echo(f"Exported to {folder}")


@courses.command("export-gift")
@click.argument("target", metavar="COURSE/MODULE")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@with_appcontext
def export_gift(target: str, output: str | None) -> None:
    """Write the quiz of a module's current version as Moodle GIFT."""
    from lms.plugins.courses.models import Course, Module

    course_slug, _sep, module_slug = target.partition("/")
    module = db.session.scalar(select(Module).join(Course).where(Course.slug == course_slug,
                                                                 Module.slug == module_slug))
    if module is None or not module_slug:
        raise click.ClickException(f"no module {target!r} (write course-slug/module-slug)")
    if module.current_version is None:
        raise click.ClickException(f"module {target!r} has no published version")
    warnings: list[str] = []
    text = gift.export_version(module.current_version, warnings)
    _print_problems(warnings)
    out = open(output, "w", encoding="utf-8", newline="\n") if output else sys.stdout
    try:
        out.write(text)
    finally:
        if output:
            out.close()


@courses.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "into", type=click.Path(exists=True, dir_okay=False),
              help="Module file (COURSE_DIR/NN-module.md) to append the quiz blocks to; default: print them.")
@click.option("--strict", is_flag=True,
              help="Refuse the whole file when any question is skipped or anything would be dropped.")
@with_appcontext
def import_gift(file: str, into: str | None, strict: bool) -> None:
    """Turn GIFT questions into quiz blocks, read as Moodle reads them. Questions Pembina cannot
    hold (essays, descriptions) are skipped with a warning each; problems are listed as
    FILE:line: message and nothing is written when there is any (with --strict, warnings too)."""
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}:1: not UTF-8 text") from None
    questions, problems, warnings = gift.parse_gift(text, file)
    if into and not problems:
        clashes = gift.existing_ids(Path(into)) & {question.id for question in questions}
        problems = [f"{file}:{question.line}: question id {question.id!r} is already used in {into}"
                    for question in questions if question.id in clashes]
    _print_problems([_("%(warning)s (warning)", warning=warning) for warning in warnings])
    if strict and warnings and not problems:
        raise click.ClickException(_("%(n)d warning(s) and --strict; nothing written", n=len(warnings)))
    if problems:
        _print_problems(problems)
        raise click.ClickException(f"{len(problems)} problem(s); nothing written")
    if not questions:
        raise click.ClickException(_("no question to import; nothing written"))
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
