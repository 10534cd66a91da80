"""Bad course folders: every mistake is reported as ``path:line: message`` and nothing is imported.

Each folder under ``tests/fixtures/bad_courses/`` is a complete root (``topics.yml``,
``competencies.yml`` and one course folder ``kursus/``) with exactly the mistakes listed in
``CASES``; everything else in it is valid, so each case also checks that no other
(cascading) problem is reported.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.courses.models import Competency, Course, Module, ModuleVersion, Question, Topic

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad_courses"
ALLOWED = ".csv, .gif, .jpeg, .jpg, .pdf, .png, .svg, .txt, .webp"

# case folder -> [(file inside kursus/, line, start of the message)]
CASES: dict[str, list[tuple[str, int, str]]] = {
    "yaml-broken": [("01-dasar.md", 2, "invalid front matter: mapping values are not allowed here")],
    "missing-course-fields": [
        ("course.md", 1, "missing required field `title`"),
        ("course.md", 1, "missing required field `competencies`"),
        ("course.md", 1, "missing required field `jp`"),
        ("course.md", 1, "missing required field `topic`"),
        ("course.md", 1, "missing required field `version`"),
    ],
    "missing-module-fields": [
        ("01-dasar.md", 1, "missing required field `title`"),
        ("01-dasar.md", 1, "`objectives` must be a list of learning objectives"),
        ("01-dasar.md", 1, "missing required field `competencies`"),
        ("01-dasar.md", 1, "missing required field `minutes`"),
    ],
    "unknown-topic": [("course.md", 5, "unknown topic 'astrologi'; use one of cataloguing, customer-service")],
    "unknown-competency-course": [("course.md", 9, "unknown competency 'cat-astrologi' (see competencies.yml)")],
    "unknown-competency-module": [("01-dasar.md", 5, "unknown competency 'cat-astrologi' (see competencies.yml)")],
    "unknown-competency-question": [("01-dasar.md", 14, "unknown competency 'cat-astrologi'")],
    "quiz-no-correct": [("01-dasar.md", 18, "no correct answer: mark at least one choice with [x]")],
    "duplicate-id-module": [("01-dasar.md", 23, "question id 'dasar-1' is used twice in this module")],
    "duplicate-id-modules": [("02-lanjut.md", 14, "question id 'dasar-1' is used twice (also in 01-dasar.md)")],
    "quiz-no-id": [("01-dasar.md", 14, "the question has no id")],
    "quiz-unknown-setting": [("01-dasar.md", 15, "unknown quiz setting 'difficulty'")],
    "quiz-unknown-type": [("01-dasar.md", 15, "unknown question type 'puisi'")],
    "quiz-mixed-answers": [("01-dasar.md", 20, "a question mixes choices and answers")],
    "quiz-numeric-not-a-number": [("01-dasar.md", 19, "not a number: 'dua ratus empat puluh lima'")],
    "quiz-truefalse-word": [("01-dasar.md", 19, "a truefalse question needs exactly one `= benar` or `= salah`")],
    "quiz-matching-one-pair": [("01-dasar.md", 18, "a matching question needs at least two pairs")],
    "quiz-ordering-one-item": [("01-dasar.md", 18, "an ordering question needs at least two items")],
    "quiz-text-after-feedback": [("01-dasar.md", 23, "text after the general feedback")],
    "missing-image": [("01-dasar.md", 9, "missing file 'gambar/hilang.gif' (not in kursus/)")],
    "missing-image-intro-and-quiz": [  # course.md's introduction and quiz blocks are checked too
        ("course.md", 11, "missing file 'sampul.gif' (not in kursus/)"),
        ("01-dasar.md", 16, "missing file 'gambar/soal.gif' (not in kursus/)"),
    ],
    "file-type-not-allowed": [("01-dasar.md", 9, f"'alat.exe' is not an allowed file type ({ALLOWED})")],
    "link-escapes-folder": [("01-dasar.md", 9, "the link '../secret.gif' points outside the course folder")],
    "not-utf8": [("01-dasar.md", 9, "the file is not UTF-8 (save it as UTF-8)")],
    "bad-module-name": [("1-intro.md", 1, "module files are named NN-slug.md")],
    "module-without-lessons": [("01-dasar.md", 8, "the module has no lessons")],
    "fence-not-closed": [("01-dasar.md", 11, "a fenced block opened here is never closed")],
    "front-matter-not-closed": [("01-dasar.md", 1, "the front matter has no closing `---` line")],
    "several-errors": [
        ("course.md", 5, "unknown topic 'astrologi'"),
        ("01-dasar.md", 18, "no correct answer"),
        ("02-lanjut.md", 6, "`minutes` must be a whole number"),
        ("02-lanjut.md", 9, "missing file 'gambar/hilang.gif'"),
        ("02-lanjut.md", 15, "unknown question type 'puisi'"),
    ],
}
COUNT_RE = re.compile(r"(\d+) problem\(s\)")


@pytest.fixture
def app(english_app):
    """An English app: these tests assert the English messages (the default locale, Indonesian,
    is covered by test_messages_i18n.py)."""
    return english_app


def _expected(case: str) -> list[str]:
    return [f"{BAD / case / 'kursus' / name}:{line}: {message}" for name, line, message in CASES[case]]


def _problem_count(output: str) -> int:
    match = COUNT_RE.search(output)
    assert match, output
    return int(match.group(1))


def test_every_case_folder_is_listed():
    assert sorted(p.name for p in BAD.iterdir() if p.is_dir()) == sorted(CASES)
    for case in CASES:  # each case is a complete, independent root
        assert (BAD / case / "topics.yml").is_file() and (BAD / case / "competencies.yml").is_file()
        assert (BAD / case / "kursus" / "course.md").is_file()


def test_the_not_utf8_case_really_is_latin1():
    data = (BAD / "not-utf8" / "kursus" / "01-dasar.md").read_bytes()
    assert b"caf\xe9" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_reports_the_problem_with_file_and_line(runner, case):
    result = runner.invoke(args=["courses", "check", str(BAD / case)])
    assert result.exit_code != 0, result.output
    for line in _expected(case):
        assert line in result.output, f"expected {line!r} in:\n{result.output}"
    assert _problem_count(result.output) == len(CASES[case]), result.output  # nothing else, no cascade
    assert "OK:" not in result.output


def test_several_errors_in_different_files_are_all_reported_in_one_run(runner):
    result = runner.invoke(args=["courses", "check", str(BAD / "several-errors")])
    assert result.exit_code != 0
    files = {name for name, _line, _message in CASES["several-errors"]}
    assert files == {"course.md", "01-dasar.md", "02-lanjut.md"}
    reported = [line for line in result.output.splitlines() if re.search(r"\.md:\d+: ", line)]
    assert len(reported) == 5, result.output
    for line in _expected("several-errors"):
        assert line in result.output


def test_check_can_name_a_single_course_folder(runner):
    """``check ROOT/kursus`` finds the framework next to the folder and reports the same line."""
    result = runner.invoke(args=["courses", "check", str(BAD / "quiz-no-correct" / "kursus")])
    assert result.exit_code != 0
    assert _expected("quiz-no-correct")[0] in result.output


def _snapshot() -> dict:
    db.session.expire_all()
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Course, ModuleVersion, Question, Topic, Competency)}
    courses = db.session.execute(select(Course.slug, Course.source_hash, Course.title_id, Course.topic_id)
                                 .order_by(Course.slug)).all()
    modules = db.session.execute(select(Module.slug, Module.current_version_id, Module.active)
                                 .order_by(Module.slug)).all()
    names = db.session.execute(select(Topic.id, Topic.name_id).order_by(Topic.id)).all()
    return {"counts": counts, "courses": courses, "modules": modules, "topics": names}


@pytest.mark.parametrize("case", sorted(CASES))
def test_import_refuses_and_changes_nothing(runner, app, case):
    empty = _snapshot()
    assert set(empty["counts"]) == {"courses", "module_versions", "questions", "topics", "competencies"}
    result = runner.invoke(args=["courses", "import", str(BAD / case)])
    assert result.exit_code != 0, result.output
    assert "nothing was imported" in result.output
    assert _expected(case)[0] in result.output
    assert _snapshot() == empty


@pytest.mark.parametrize("case", ["unknown-topic", "quiz-no-correct", "duplicate-id-modules", "not-utf8",
                                  "link-escapes-folder", "several-errors"])
def test_import_leaves_existing_courses_untouched(runner, imported, case):
    before = _snapshot()
    assert before["counts"]["courses"] == 1 and before["counts"]["questions"] == 7
    result = runner.invoke(args=["courses", "import", str(BAD / case)])
    assert result.exit_code != 0, result.output
    assert "nothing was imported" in result.output
    for line in _expected(case):
        assert line in result.output
    assert _snapshot() == before
    assert db.session.scalar(select(Course).where(Course.slug == "kursus")) is None
