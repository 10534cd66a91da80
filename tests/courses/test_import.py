"""Importing course folders: versions, idempotency, export round trip, conflicts, CLI."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.courses.models import Course, Lesson, Module, ModuleVersion, Question
from lms.plugins.courses.services import import_courses


@pytest.fixture
def app(english_app):
    """An English app: the conflict test asserts the English message."""
    return english_app


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _module(slug: str) -> Module:
    db.session.expire_all()
    return db.session.scalar(select(Module).where(Module.slug == slug))


def test_import_creates_course_modules_lessons_and_questions(imported):
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    assert course.title_id == "Kursus Contoh" and course.title_en == "Sample Course"
    assert course.topic_id == "cataloguing" and course.jp == 2 and course.competency_ids == ["cat-marc",
                                                                                           "cat-classification"]
    marc = _module("marc")
    version = marc.current_version
    assert version.number == 1 and version.minutes == 30 and version.pass_mark == 70
    assert [lesson.title for lesson in version.lessons] == ["Ruas dan indikator", "Latihan"]  # "Kuis" is the quiz
    assert [q.qid for q in version.questions] == ["marc-245", "marc-multi", "marc-tf", "marc-short"]
    assert [q.type for q in version.questions] == ["single", "multiple", "truefalse", "short"]
    ddc = _module("ddc").current_version
    assert ddc.title_en == "DDC classification" and ddc.settings["attempts"] == 3
    assert ddc.settings["grading"] == "last"
    assert [q.type for q in ddc.questions] == ["numeric", "matching", "ordering"]


def test_markdown_is_rendered_once_at_import(imported):
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "ruas-dan-indikator"))
    assert "<strong>245</strong>" in lesson.html and "<table>" in lesson.html
    assert 'class="admonition tip"' in lesson.html
    assert 'src="/courses/contoh/files/gambar/titik.png"' in lesson.html
    assert lesson.toc == [["h-indikator", "Indikator"]]
    code = db.session.scalar(select(Lesson).where(Lesson.slug == "latihan"))
    assert "# kode ## bukan judul pelajaran" in code.html  # a ## inside code is no lesson


def test_question_defaults_to_the_module_competency(imported):
    question = db.session.scalar(select(Question).where(Question.qid == "ddc-num"))
    assert question.competency_id == "cat-classification"
    assert question.data == {"value": 900.0, "tolerance": 0.0}


def test_reimport_of_unchanged_files_makes_no_new_version(imported, runner):
    before = (_count(ModuleVersion), _count(Question), _count(Lesson))
    result = runner.invoke(args=["courses", "import", str(imported)])
    assert result.exit_code == 0, result.output
    assert "0 new module version(s), 2 unchanged" in result.output
    assert (_count(ModuleVersion), _count(Question), _count(Lesson)) == before


def test_changed_module_becomes_a_new_version_and_old_versions_stay(imported):
    old = _module("marc").current_version
    old_id, old_question_ids = old.id, [q.id for q in old.questions]
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("Ruas mana yang memuat judul?", "Ruas mana yang memuat judul utama?"))
    report = import_courses([imported])
    assert report.ok and report.created == ["contoh/marc v2"] and report.unchanged == ["contoh/ddc v1"]
    marc = _module("marc")
    assert marc.current_version.number == 2
    assert [v.number for v in marc.versions] == [1, 2]
    first = db.session.get(ModuleVersion, old_id)
    assert [q.id for q in first.questions] == old_question_ids  # the old questions are untouched
    assert "judul?" in first.questions[0].stem_html
    assert "judul utama?" in marc.current_version.questions[0].stem_html
    assert first.questions[0].qid == marc.current_version.questions[0].qid == "marc-245"


def test_a_module_missing_from_the_folder_is_kept_and_reported(imported):
    (imported / "contoh" / "02-ddc.md").unlink()
    report = import_courses([imported])
    assert report.ok and report.kept == ["contoh/ddc"] and report.deactivated == []
    assert _module("ddc").active is True


def test_prune_hides_a_module_missing_from_the_folder_but_never_deletes_it(imported):
    (imported / "contoh" / "02-ddc.md").unlink()
    report = import_courses([imported], prune=True)
    assert report.ok and report.deactivated == ["contoh/ddc"] and report.kept == []
    ddc = _module("ddc")
    assert ddc is not None and ddc.active is False and ddc.current_version is not None
    again = import_courses([imported], prune=True)  # already hidden: nothing more to say
    assert again.ok and again.deactivated == [] and again.kept == []


def test_cli_keeps_a_module_made_in_the_browser_unless_asked_to_prune(imported, runner, make_user):
    """``make run`` imports courses/ again on every start: a module a trainer created and
    published in the browser (so not in the folder) must survive it."""
    from lms.plugins.courses import authoring

    trainer = make_user("pelatih", roles=("trainer",))
    course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
    module = authoring.new_module(course, "baru", "Modul Baru", trainer.id)
    source = ("---\ntitle: Modul Baru\nobjectives: [Tujuan.]\ncompetencies: [cat-marc]\nminutes: 10\n---\n"
              "## Pelajaran\nIsi.\n")
    assert authoring.publish(course, module, source, trainer.id).number == 1
    result = runner.invoke(args=["courses", "import", str(imported)])
    assert result.exit_code == 0, result.output
    assert "contoh/baru: kept (not in folder; use --prune to deactivate)" in result.stdout.splitlines()
    assert _module("baru").active is True
    result = runner.invoke(args=["courses", "import", "--prune", str(imported)])
    assert result.exit_code == 0, result.output
    assert "contoh/baru: deactivated (not in folder)" in result.stdout.splitlines()
    assert "kept" not in result.stdout
    baru = _module("baru")
    assert baru.active is False and baru.current_version.origin == "web"


def test_export_then_import_is_a_no_op(imported, runner, tmp_path):
    out = tmp_path / "export"
    result = runner.invoke(args=["courses", "export", "contoh", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "contoh" / "01-marc.md").read_text() == (imported / "contoh" / "01-marc.md").read_text()
    assert (out / "contoh" / "gambar" / "titik.png").read_bytes() == (imported / "contoh/gambar/titik.png").read_bytes()
    assert (out / "competencies.yml").exists() and (out / "topics.yml").exists()
    before = _count(ModuleVersion)
    result = runner.invoke(args=["courses", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert _count(ModuleVersion) == before


def test_export_of_unknown_course_fails(app, runner, tmp_path):
    result = runner.invoke(args=["courses", "export", "nope", str(tmp_path)])
    assert result.exit_code != 0 and "nope" in result.output


def test_import_of_a_single_course_folder(app, course_root):
    report = import_courses([course_root / "contoh"])
    assert report.ok, report.problems
    assert _count(Course) == 1


def test_a_module_edited_in_the_browser_is_not_overwritten_silently(imported):
    marc = _module("marc")
    marc.current_version.origin = "web"  # as if a trainer had published it in the browser
    db.session.commit()
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("Pembuka modul.", "Pembuka modul yang baru."))
    before = _count(ModuleVersion)
    report = import_courses([imported])
    assert not report.ok
    assert report.problems[0].startswith(f"{path}:1: conflict: contoh/marc was edited in the browser")
    assert _count(ModuleVersion) == before
    report = import_courses([imported], prefer_files=True)
    assert report.ok and report.created == ["contoh/marc v2"]


def test_list_prints_a_table_and_json(imported, runner):
    table = runner.invoke(args=["courses", "list"])
    assert table.exit_code == 0 and "contoh" in table.output and "Kursus Contoh" in table.output
    result = runner.invoke(args=["courses", "list", "--json"])
    rows = json.loads(result.output)
    assert rows == [{"slug": "contoh", "title": "Kursus Contoh", "topic": "cataloguing", "version": "1.0",
                     "modules": 2, "questions": 7, "jp": 2, "organisation": None}]


def test_check_reports_counts_without_touching_the_database(app, runner, course_root):
    result = runner.invoke(args=["courses", "check", str(course_root)])
    assert result.exit_code == 0 and "1 course(s), 2 module(s), 7 question(s)" in result.output
    assert _count(Course) == 0


def test_the_real_courses_folder_is_valid(app, runner):
    """The launch courses shipped in courses/ must always import cleanly."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "courses"
    result = runner.invoke(args=["courses", "check", str(root)])
    assert result.exit_code == 0, result.output
