"""Moodle GIFT (``lms courses export-gift`` / ``import-gift``): escaping, every question type
both ways, the round trip of the sample quizzes, and bad GIFT reported by line with nothing
written. The ``lms interop`` aliases are tested in ``tests/interop/test_gift.py``."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from lms.plugins.courses.parsing import question_types, split_body, split_front_matter
from lms.plugins.courses.quizparse import parse_quiz_block
from lms.plugins.courses import gift


@pytest.fixture(autouse=True)
def english_messages(app):
    """The CLI and parser run without a request: English messages for the assertions."""
    with force_locale("en"):
        yield


def parse_markdown_blocks(markdown: str) -> dict:
    """Our Markdown quiz blocks parsed by the courses parser, by question id."""
    from pathlib import Path

    problems: list[str] = []
    _meta, body, line = split_front_matter(Path("x.md"), markdown, problems)
    found = {}
    for block, first in split_body(Path("x.md"), body, line, problems)[2]:
        question, block_problems = parse_quiz_block(block, first, question_types())
        assert not block_problems, block_problems
        found[question.id] = question
    assert not problems, problems
    return found


def import_text(runner, tmp_path, text: str, *extra: str):
    source = tmp_path / "in.gift"
    source.write_text(text, encoding="utf-8")
    return runner.invoke(args=["courses", "import-gift", str(source), *extra])


# --- export ------------------------------------------------------------------------------------

def test_escaping():
    assert gift.escape("a~b=c#d{e}f:g\\h") == "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h"
    assert gift.escape("two\nlines") == "two\\nlines"


def test_each_type_exports(app):
    single = gift.question_gift("q1", "single", "Ruas {judul}?", {"options": [
        {"text": "245", "correct": True, "feedback": "Benar: 245"},
        {"text": "100", "correct": False, "feedback": ""}]}, "Umum")
    assert single == "::q1::[markdown]Ruas \\{judul\\}? {\n\t=245#Benar\\: 245\n\t~100\n\t####Umum\n}"
    multiple = gift.question_gift("q2", "multiple", "S", {"options": [
        {"text": "a", "correct": True, "feedback": ""}, {"text": "b", "correct": True, "feedback": ""},
        {"text": "c", "correct": False, "feedback": ""}]})
    assert multiple == "::q2::[markdown]S {\n\t~%50%a\n\t~%50%b\n\t~%-100%c\n}"
    thirds = gift.question_gift("q3", "multiple", "S", {"options": [
        {"text": t, "correct": t in "abc", "feedback": ""} for t in ("a", "b", "c", "x", "y")]})
    assert thirds == "::q3::[markdown]S {\n\t~%33.33333%a\n\t~%33.33333%b\n\t~%33.33333%c\n\t~%-50%x\n\t~%-50%y\n}"
    assert gift.question_gift("q4", "truefalse", "S", {"answer": True}) == "::q4::[markdown]S {T\n}"
    assert gift.question_gift("q5", "truefalse", "S", {"answer": False}) == "::q5::[markdown]S {F\n}"
    assert gift.question_gift("q6", "short", "S", {"accepted": ["RDA", "R.D.A."]}) == \
        "::q6::[markdown]S {\n\t=RDA\n\t=R.D.A.\n}"
    assert gift.question_gift("q7", "numeric", "S", {"value": 3.14, "tolerance": 0.01}) == \
        "::q7::[markdown]S {#3.14:0.01\n}"
    matching = gift.question_gift("q8", "matching", "S", {"pairs": [["a", "1"], ["b", "2"]], "distractors": ["3"]})
    assert matching == "::q8::[markdown]S {\n\t=a -> 1\n\t=b -> 2\n\t= -> 3\n}"  # Moodle's distractor form
    assert gift.question_gift("q9", "ordering", "S", {"items": ["a", "b"]}) == "// ordering question q9 skipped"


def test_export_command_writes_the_current_version(runner, imported, tmp_path):
    target = tmp_path / "marc.gift"
    result = runner.invoke(args=["courses", "export-gift", "contoh/marc", "--output", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "::marc-245::[markdown]Ruas mana yang memuat judul? {" in text
    assert "\t~100#100 adalah tajuk nama orang." in text
    assert "\t=245#Benar." in text
    assert "\t####245 \\= Title Statement." in text
    assert "::marc-multi::[markdown]Mana yang termasuk ruas subjek? {\n\t~%50%650\n\t~%50%651\n\t~%-100%245\n}" in text


def test_export_of_an_unknown_module_fails(runner, imported):
    result = runner.invoke(args=["courses", "export-gift", "contoh/nope"])
    assert result.exit_code != 0 and "contoh/nope" in result.output


@pytest.mark.parametrize("module_slug", ["marc", "ddc"])
def test_round_trip_of_the_sample_quizzes(runner, imported, tmp_path, module_slug):
    exported = runner.invoke(args=["courses", "export-gift", f"contoh/{module_slug}"])
    assert exported.exit_code == 0, exported.output
    back = import_text(runner, tmp_path, exported.stdout)
    assert back.exit_code == 0, back.output
    original = parse_markdown_blocks((imported / "contoh" / f"0{1 if module_slug == 'marc' else 2}-"
                                      f"{module_slug}.md").read_text(encoding="utf-8"))
    again = parse_markdown_blocks("---\n---\n" + back.stdout)
    expected = {qid: q for qid, q in original.items() if q.type != "ordering"}  # GIFT has no ordering
    assert set(again) == set(expected)
    for qid, question in expected.items():
        copy = again[qid]
        assert copy.type == question.type, qid
        assert copy.text == question.text, qid
        assert copy.data == question.data, qid
        assert copy.feedback == question.feedback, qid


# --- import ------------------------------------------------------------------------------------

def test_import_reads_every_type(app):
    text = """// a comment
$CATEGORY: $course$/Contoh

::Judul 245::Ruas \\{judul\\} \\= ? {
  =245#Benar\\: ini judul
  ~100#Nama orang
  ####Umum
}

::multi::Subjek? {~%50%650 ~%50%651 ~%-100%245}

::tf::RDA menggantikan AACR2. {TRUE}

::short::Singkatan? {=RDA =R.D.A.}

::num::Pi? {#3.14:0.01}

::range::Antara? {#1..3}

::match::Jodohkan. {=a -> 1 =b -> 2}

Tanpa nama {=satu ~dua}
"""
    questions, problems, warnings = gift.parse_gift(text, "in.gift")
    assert problems == []
    assert warnings == ["in.gift:2: category '$course$/Contoh' ignored: Pembina files questions by module"]
    by_id = {q.id: q for q in questions}
    assert list(by_id) == ["judul-245", "multi", "tf", "short", "num", "range", "match", "gift-8"]
    first = by_id["judul-245"]
    assert (first.type, first.line, first.feedback) == ("single", 4, "Umum")
    assert first.data["options"] == [{"text": "245", "correct": True, "feedback": "Benar: ini judul"},
                                     {"text": "100", "correct": False, "feedback": "Nama orang"}]
    assert by_id["multi"].type == "multiple"
    assert [o["correct"] for o in by_id["multi"].data["options"]] == [True, True, False]
    assert by_id["tf"].data == {"answer": True}
    assert by_id["short"].data == {"accepted": ["RDA", "R.D.A."]}
    assert by_id["judul-245"].text == "Ruas {judul} = ?"
    assert by_id["num"].data == {"value": 3.14, "tolerance": 0.01}
    assert by_id["range"].data == {"value": 2.0, "tolerance": 1.0}
    assert by_id["match"].data == {"pairs": [["a", "1"], ["b", "2"]], "distractors": []}
    assert by_id["gift-8"].type == "single"
    markdown = "".join(gift.to_markdown(q) for q in questions)
    parsed = parse_markdown_blocks("---\n---\n" + markdown)
    assert parsed["num"].data == {"value": 3.14, "tolerance": 0.01}
    assert parsed["judul-245"].data["options"][0] == {"text": "245", "correct": True, "feedback": "Benar: ini judul"}


BAD = """::ok::Fine {=a ~b}

::no-answers::A question without answers

::open::Never closed {
  =a
  ~b

::tf::{T}
"""


def test_bad_gift_reports_each_line_and_writes_nothing(runner, imported, tmp_path):
    module_file = imported / "contoh" / "01-marc.md"
    before = module_file.read_text(encoding="utf-8")
    result = import_text(runner, tmp_path, BAD, "--into", str(module_file))
    assert result.exit_code != 0
    source = str(tmp_path / "in.gift")
    assert f"{source}:3: skipped: a description" in result.output  # no braces: Moodle's description
    assert f"{source}:5: the answer braces" in result.output
    assert f"{source}:9: the question has no text" in result.output
    assert "nothing written" in result.output
    assert module_file.read_text(encoding="utf-8") == before


@pytest.mark.parametrize("text, line, message", [
    ("Q {~a ~b}", 1, "add up to 100% (here 0%)"),  # Moodle refuses it too
    ("\n\nQ {=a -> 1 =b}", 3, "only `=left -> right`"),
    ("Q {#abc}", 1, "not a number"),
    ("Q {=a -> }", 1, "at least two"),
    ("// only a comment\n", 1, "no GIFT questions"),
])
def test_each_bad_block_names_its_line(app, text, line, message):
    questions, problems, _warnings = gift.parse_gift(text, "f.gift")
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"f.gift:{line}: ") and message in problems[0]


def test_import_into_a_module_file_appends_blocks_that_import(runner, imported, tmp_path):
    module_file = imported / "contoh" / "01-marc.md"
    result = import_text(runner, tmp_path, "::baru::Ruas subjek? {=650 ~245}\n", "--into", str(module_file))
    assert result.exit_code == 0, result.output
    from lms.plugins.courses.services import import_courses

    report = import_courses([imported])
    assert report.ok, report.problems
    from tests.quizzes.conftest import module

    assert [q.qid for q in module("marc").current_version.questions][-1] == "baru"


def test_an_id_already_in_the_module_is_refused(runner, imported, tmp_path):
    module_file = imported / "contoh" / "01-marc.md"
    before = module_file.read_text(encoding="utf-8")
    result = import_text(runner, tmp_path, "\n::marc-245::Lagi? {=a ~b}\n", "--into", str(module_file))
    assert result.exit_code != 0
    assert f"{tmp_path / 'in.gift'}:2: question id 'marc-245' is already used" in result.output
    assert module_file.read_text(encoding="utf-8") == before


def test_text_that_is_not_utf8_is_refused(runner, imported, tmp_path):
    module_file = imported / "contoh" / "01-marc.md"
    before = module_file.read_text(encoding="utf-8")
    source = tmp_path / "latin1.gift"
    source.write_bytes("::q::Ruas \xe9? {=a ~b}\n".encode("latin-1"))
    result = runner.invoke(args=["courses", "import-gift", str(source), "--into", str(module_file)])
    assert result.exit_code != 0
    assert f"{source}:1: not UTF-8 text" in result.output
    assert module_file.read_text(encoding="utf-8") == before


def test_existing_ids_reads_the_quiz_headers(imported):
    ids = gift.existing_ids(imported / "contoh" / "01-marc.md")
    assert {"marc-245", "marc-multi"} <= ids
    assert all(gift.ID_RE.match(qid) for qid in ids)


def test_the_courses_plugin_does_not_import_interop():
    """GIFT belongs to the courses plugin: it must work with the interop plugin turned off."""
    from pathlib import Path

    folder = Path(gift.__file__).parent
    offenders = [path.name for path in folder.glob("*.py") if "plugins.interop" in path.read_text(encoding="utf-8")]
    assert offenders == []
