"""The course-format messages speak the reader's language.

``lms courses check|import`` runs in an app context without a request, so it reports in the
app's default language (Indonesian unless configured otherwise); the browser editor reports
in the trainer's language; the quiz parser used on its own (no app) reports in English.
Every message of the format is in the Indonesian catalog with the same placeholders, and
the syntax it quotes (``id:``, ``- [x]``, ``= benar`` ...) is left as code.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from lms import organisations
from lms.extensions import db
from lms.translations_build import DEFAULT_DIR, compile_catalogs
from tests.conftest import make_test_app, post_form, reset_database

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad_courses"
PO_PATH = DEFAULT_DIR / "id" / "LC_MESSAGES" / "messages.po"
MO_PATH = PO_PATH.with_suffix(".mo")
EDIT = "/authoring/contoh/marc/edit"
SOURCES = ["lms/plugins/courses/parsing.py", "lms/plugins/courses/quizparse.py", "lms/plugins/courses/framework.py",
           "lms/questions.py", "lms/plugins/courses/services.py", "lms/plugins/courses/authoring.py"]
PLACEHOLDER = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
CODE = re.compile(r"`[^`]+`")
# Code spans that are patterns rather than literal syntax, written as the Indonesian guide does.
TRANSLATED_CODE = {"`= answer`": "`= jawaban`", "`left -> right`": "`kiri -> kanan`",
                   "`## Title`": "`## Judul`", "`key: value`": "`kunci: nilai`"}

# case folder -> (file, line, English message, Indonesian message)
CLI_CASES = {
    "quiz-no-correct": ("01-dasar.md", 18, "no correct answer: mark at least one choice with [x]",
                        "tidak ada jawaban yang benar: tandai sedikitnya satu pilihan dengan [x]"),
    "unknown-topic": ("course.md", 5,
                      "unknown topic 'astrologi'; use one of cataloguing, customer-service (see topics.yml)",
                      "topik 'astrologi' tidak dikenal; gunakan salah satu dari cataloguing, customer-service "
                      "(lihat topics.yml)"),
    "quiz-mixed-answers": ("01-dasar.md", 20, "a question mixes choices and answers; use one kind of answer",
                           "soal mencampur pilihan dan jawaban; gunakan satu jenis jawaban saja"),
    "quiz-no-id": ("01-dasar.md", 14, "the question has no id; add a line like `id: marc-245-1`",
                   "soal tidak memiliki id; tambahkan baris seperti `id: marc-245-1`"),
    "missing-course-fields": ("course.md", 1, "missing required field `title`", "kolom wajib `title` tidak ada"),
}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """The messages are only Indonesian with a current ``.mo`` (``make`` builds it)."""
    if not MO_PATH.is_file() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        compile_catalogs()


@pytest.fixture
def english_runner(tmp_path):
    app = make_test_app(tmp_path, BABEL_DEFAULT_LOCALE="en")
    reset_database(app)
    yield app.test_cli_runner()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _where(case: str, name: str, line: int) -> str:
    return f"{BAD / case / 'kursus' / name}:{line}: "


# --- lms courses check ------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_check_reports_in_indonesian_by_default(runner, case):
    name, line, english, indonesian = CLI_CASES[case]
    result = runner.invoke(args=["courses", "check", str(BAD / case)])
    assert result.exit_code != 0
    assert _where(case, name, line) + indonesian in result.output, result.output
    assert english not in result.output


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_check_reports_in_english_with_an_english_app(english_runner, case):
    name, line, english, indonesian = CLI_CASES[case]
    result = english_runner.invoke(args=["courses", "check", str(BAD / case)])
    assert result.exit_code != 0
    assert _where(case, name, line) + english in result.output, result.output
    assert indonesian not in result.output


def test_import_reports_in_indonesian_by_default(runner):
    result = runner.invoke(args=["courses", "import", str(BAD / "quiz-no-correct")])
    assert result.exit_code != 0
    name, line, _english, indonesian = CLI_CASES["quiz-no-correct"]
    assert _where("quiz-no-correct", name, line) + indonesian in result.output


def test_missing_folder_is_reported_in_indonesian(runner, tmp_path):
    result = runner.invoke(args=["courses", "check", str(tmp_path / "tidak-ada")])
    assert f"{tmp_path / 'tidak-ada'}:1: berkas atau folder tidak ditemukan" in result.output


# --- the browser editor -----------------------------------------------------------------

def _marc_source() -> str:
    from sqlalchemy import select

    from lms.plugins.courses.models import Module

    db.session.expire_all()
    return db.session.scalar(select(Module).where(Module.slug == "marc")).current_version.source


BROKEN_BLOCK = "\n```quiz\nid: marc-jodoh\ntype: matching\n\nPasangkan.\n\n- [x] satu\n- [ ] dua\n```\n"


def _problems(page: str) -> str:
    start = page.index('id="problems"')
    return html.unescape(page[start:page.index("</ul>", start)])


def test_editor_shows_indonesian_problems_to_an_indonesian_trainer(client_as, imported):
    trainer = client_as("trainer")
    # no language chosen: their library's (Indonesian, the default of a new library here)
    assert trainer.user.locale == "" and organisations.for_user(trainer.user).default_locale == "id"
    broken = _marc_source().replace("- [x] 245", "- [ ] 245").replace("id: marc-tf", "id: ddc-num") + BROKEN_BLOCK
    response = post_form(trainer, EDIT, {"source": broken, "action": "preview"})
    assert response.status_code == 200
    problems = _problems(response.get_data(as_text=True))
    assert "tidak ada jawaban yang benar: tandai sedikitnya satu pilihan dengan [x]" in problems  # questions.py
    assert "id soal 'ddc-num' sudah dipakai di modul 'ddc'" in problems  # authoring.py
    assert "soal matching memerlukan pasangan `kiri -> kanan`" in problems  # a lazy requirement
    assert "no correct answer" not in problems and "already used" not in problems and "needs" not in problems


def test_editor_shows_english_problems_to_an_english_trainer(client_as, imported):
    trainer = client_as("trainer")
    trainer.user.locale = "en"
    db.session.commit()
    broken = _marc_source().replace("- [x] 245", "- [ ] 245") + BROKEN_BLOCK
    problems = _problems(post_form(trainer, EDIT, {"source": broken, "action": "preview"}).get_data(as_text=True))
    assert "no correct answer: mark at least one choice with [x]" in problems
    assert "a matching question needs `left -> right` pairs" in problems
    assert "tidak ada jawaban" not in problems


def test_live_preview_problems_are_indonesian(client_as, imported):
    from tests.conftest import csrf_token

    trainer = client_as("trainer")
    token = csrf_token(trainer, EDIT)
    response = trainer.post("/authoring/contoh/marc/preview", data={"source": "---\ntitle: x\n---\n## A\nteks"},
                            headers={"X-CSRFToken": token})
    messages = [p["message"] for p in response.get_json()["problems"]]
    assert "`objectives` harus berupa daftar tujuan pembelajaran" in messages
    assert "kolom wajib `minutes` tidak ada" in messages


# --- no app: English --------------------------------------------------------------------

def test_the_quiz_parser_needs_no_app_and_speaks_english():
    from flask import has_app_context

    from lms.plugins.courses.quizparse import parse_quiz_block

    assert not has_app_context()
    question, problems = parse_quiz_block("type: matching\n\nPasangkan.\n\n- [x] a\n- [ ] b", 10)
    assert question is None
    assert [p.message for p in problems] == ["the question has no id; add a line like `id: marc-245-1`",
                                             "a matching question needs `left -> right` pairs"]


def test_the_quiz_parser_follows_the_app_language(app):
    from lms.plugins.courses.quizparse import parse_quiz_block

    _question, problems = parse_quiz_block("id: x\n\nBerapa?\n\n= 1\n= 2\n\n- [x] a\n- [ ] b", 10)
    assert [p.message for p in problems] == ["soal mencampur jawaban dan pilihan; gunakan satu jenis jawaban saja"]


# --- the catalog ------------------------------------------------------------------------

def _format_messages() -> list[tuple[str | None, str]]:
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    found = []
    for source in SOURCES:
        for _lineno, message, _comments, context in extract_from_file("python", ROOT / source, keywords=keywords):
            found.append((context, message))
    return found


def _placeholders(text: str) -> set[str]:
    return {f"%({name}){conversion}" for name, conversion in PLACEHOLDER.findall(text)}


def test_every_format_message_is_translated_with_its_placeholders_and_code():
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    messages = _format_messages()
    assert len(messages) > 90
    problems = []
    for context, message in messages:
        entry = catalog.get(message, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(("untranslated", message))
            continue
        if _placeholders(entry.string) != _placeholders(message):
            problems.append(("placeholders", message, entry.string))
        for code in CODE.findall(message):
            if TRANSLATED_CODE.get(code, code) not in entry.string:
                problems.append(("code", code, entry.string))
    assert problems == []


def test_cli_summaries_are_indonesian_by_default(runner, course_root):
    checked = runner.invoke(args=["courses", "check", str(course_root)])
    assert checked.exit_code == 0 and "OK: 1 kursus, 2 modul, 7 soal" in checked.output
    imported = runner.invoke(args=["courses", "import", str(course_root)])
    assert "1 kursus diimpor: 2 versi modul baru, 0 tidak berubah." in imported.output
