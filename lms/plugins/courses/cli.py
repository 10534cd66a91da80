"""``lms courses ...``: import, check, list and export Markdown courses."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask_babel import gettext as _
from flask.cli import with_appcontext

from lms.plugins.courses import services

DEFAULT_PATH = Path("courses")


@click.group("courses")
def courses() -> None:
    """Markdown courses: import, check, list, export."""


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
@with_appcontext
def import_command(paths: tuple[Path, ...], prefer_files: bool) -> None:
    """Import course folders (default: courses/). All or nothing."""
    report = services.import_courses(list(paths) or [DEFAULT_PATH], prefer_files=prefer_files)
    if not report.ok:
        _print_problems(report.problems)
        raise click.ClickException(_("%(n)d problem(s); nothing was imported", n=len(report.problems)))
    for line in report.created:
        click.echo(_("new version: %(module)s", module=line))
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
    click.echo(f"{'slug':24} {'topic':18} {'version':8} {'modules':>7} {'questions':>9} {'JP':>5}  title")
    for row in rows:
        click.echo(f"{row['slug']:24} {row['topic']:18} {row['version']:8} {row['modules']:>7} "
                   f"{row['questions']:>9} {row['jp']:>5g}  {row['title']}")


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
