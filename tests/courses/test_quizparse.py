"""The quiz block syntax: every question type, feedback, settings, line numbers, and a property
test that the parser never raises and always answers "a question" or "problems"."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.plugins.courses.quizparse import parse_quiz_block
from lms.questions import builtin_registry

QUESTION_TYPES = tuple(builtin_registry())


def parse(text: str, first_line: int = 1):
    question, problems = parse_quiz_block(text, first_line)
    assert question is not None and problems == [], problems
    return question


def problems_of(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    question, problems = parse_quiz_block(text, first_line)
    assert question is None and problems
    return [(p.line, p.message) for p in problems]


# --- every question type ---

def test_single_choice():
    q = parse("id: marc-245\ncompetency: cat-marc\n\nRuas mana memuat **judul**?\n\n- [ ] 100\n- [x] 245\n- [ ] 650")
    assert (q.id, q.type, q.competency, q.points, q.shuffle) == ("marc-245", "single", "cat-marc", 1.0, True)
    assert q.text == "Ruas mana memuat **judul**?"
    assert q.data == {"options": [{"text": "100", "correct": False, "feedback": ""},
                                  {"text": "245", "correct": True, "feedback": ""},
                                  {"text": "650", "correct": False, "feedback": ""}]}


def test_multiple_is_inferred_from_two_correct_choices_and_accepts_other_bullets():
    q = parse("id: subjek\n\nRuas subjek?\n\n* [x] 650\n+ [X] 651\n- [ ] 245")
    assert q.type == "multiple"
    assert [o["correct"] for o in q.data["options"]] == [True, True, False]


def test_declared_multiple_with_one_correct_choice():
    assert parse("id: m\ntype: multiple\n\nPilih.\n\n- [x] a\n- [ ] b").type == "multiple"


@pytest.mark.parametrize("word, value", [("benar", True), ("salah", False), ("true", True), ("false", False),
                                         ("Benar", True), ("FALSE", False), ("betul", True), ("tidak", False)])
def test_truefalse_words(word, value):
    q = parse(f"id: tf\ntype: truefalse\n\nRDA menggantikan AACR2.\n\n= {word}")
    assert q.type == "truefalse" and q.data == {"answer": value}


def test_short_answer_with_several_accepted_answers():
    q = parse("id: rda\n\nSingkatan Resource Description and Access?\n\n= RDA\n= R.D.A.\n=   rda  ")
    assert q.type == "short" and q.data == {"accepted": ["RDA", "R.D.A.", "rda"]}


@pytest.mark.parametrize("answer, value, tolerance", [
    ("= 900", 900.0, 0.0),
    ("= 658.1 ± 0.05", 658.1, 0.05),
    ("= 658.1 +- 0.05", 658.1, 0.05),
    ("= 658.1+/-0.05", 658.1, 0.05),
    ("= 3,5 ± 0,1", 3.5, 0.1),
    ("= -2", -2.0, 0.0),
    ("= 900 ± 0", 900.0, 0.0),
])
def test_numeric_answers(answer, value, tolerance):
    q = parse(f"id: num\ntype: numeric\n\nBerapa?\n\n{answer}")
    assert q.type == "numeric"
    assert q.data["value"] == pytest.approx(value) and q.data["tolerance"] == pytest.approx(tolerance)


def test_numeric_tolerance_setting_and_decimal_comma():
    q = parse("id: num\ntype: numeric\ntolerance: 0,5\n\nBerapa?\n\n= 12,25")
    assert q.data == {"value": pytest.approx(12.25), "tolerance": pytest.approx(0.5)}


def test_numeric_tolerance_setting_wins_over_plus_minus():
    q = parse("id: num\ntype: numeric\ntolerance: 2\n\nBerapa?\n\n= 10 ± 1")
    assert q.data["tolerance"] == 2.0


def test_matching_with_distractor_and_all_arrows():
    q = parse("id: cocok\n\nJodohkan.\n\n- 000 -> Karya umum\n- 300 => Ilmu sosial\n- 900 → Sejarah\n- -> Teknologi")
    assert q.type == "matching"
    assert q.data == {"pairs": [["000", "Karya umum"], ["300", "Ilmu sosial"], ["900", "Sejarah"]],
                      "distractors": ["Teknologi"]}


def test_ordering():
    q = parse("id: urut\n\nUrutkan dari kecil ke besar.\n\n1. 000\n2) 300\n3. 900")
    assert q.type == "ordering" and q.data == {"items": ["000", "300", "900"]}


def test_every_type_is_covered():
    assert set(QUESTION_TYPES) == {"single", "multiple", "truefalse", "short", "numeric", "matching", "ordering",
                                   "classnumber"}


# --- feedback and settings ---

def test_per_option_and_general_feedback():
    q = parse("id: fb\n\nRuas judul?\n\n- [ ] 100\n  > 100 adalah tajuk nama orang.\n  > Lihat bab 2.\n"
              "- [x] 245\n\t> Benar.\n- [ ] 650\n\n> 245 = Title Statement.\n> Baris kedua.")
    assert [o["feedback"] for o in q.data["options"]] == ["100 adalah tajuk nama orang. Lihat bab 2.", "Benar.", ""]
    assert q.feedback == "245 = Title Statement.\nBaris kedua."


def test_general_feedback_on_other_types():
    q = parse("id: s\n\nSingkatan?\n\n= RDA\n\n> Resource Description and Access.")
    assert q.feedback == "Resource Description and Access."


@pytest.mark.parametrize("value, points", [("2", 2.0), ("0.5", 0.5), ("1,5", 1.5), ("100", 100.0)])
def test_points(value, points):
    assert parse(f"id: p\npoints: {value}\n\nSoal?\n\n= a").points == points


@pytest.mark.parametrize("value", ["0", "-1", "101", "banyak", "nan", "inf"])
def test_bad_points(value):
    assert problems_of(f"id: p\npoints: {value}\n\nSoal?\n\n= a", 10) == [
        (11, "points must be a number above 0 (at most 100)")]


@pytest.mark.parametrize("value, shuffle", [("false", False), ("tidak", False), ("no", False), ("FALSE", False),
                                            ("true", True), ("ya", True), ("yes", True)])
def test_shuffle(value, shuffle):
    assert parse(f"id: s\nshuffle: {value}\n\nPilih.\n\n- [x] a\n- [ ] Semua benar").shuffle is shuffle


def test_settings_are_case_insensitive_and_may_precede_the_stem_without_blank_line():
    q = parse("ID: kasus\nType: Single\nRuas judul?\n\n- [x] 245\n- [ ] 100")
    assert q.id == "kasus" and q.type == "single" and q.text == "Ruas judul?"


def test_numbered_list_inside_the_stem_stays_in_the_stem():
    text = ("id: stem-list\n\nPerhatikan langkah berikut:\n\n1. Buka katalog.\n2. Cari judul.\n3. Catat nomor panggil."
            "\n\nLangkah mana yang pertama?\n\n- [x] Buka katalog\n- [ ] Catat nomor panggil")
    q = parse(text)
    assert q.type == "single" and len(q.data["options"]) == 2
    assert "1. Buka katalog.\n2. Cari judul.\n3. Catat nomor panggil." in q.text
    assert q.text.endswith("Langkah mana yang pertama?")


def test_numbered_list_directly_followed_by_choices_stays_in_the_stem():
    q = parse("id: x\n\nUrutan:\n1. a\n2. b\n- [x] benar\n- [ ] salah")
    assert q.type == "single" and q.text == "Urutan:\n1. a\n2. b"


def test_stem_may_hold_markdown_bullets_and_quotes():
    q = parse("id: x\n\nPerhatikan:\n\n- butir satu\n- butir dua\n\n> kutipan\n\nMana?\n\n= satu")
    assert "- butir satu" in q.text and "> kutipan" in q.text and q.data == {"accepted": ["satu"]}


def test_question_line_is_the_first_line_passed_in():
    assert parse("id: x\n\nSoal?\n\n= a", 42).line == 42


# --- problems and their line numbers ---

def test_problem_lines_are_absolute():
    text = "id: no-correct\n\nRuas judul?\n\n- [ ] 100\n- [ ] 245"
    assert problems_of(text, 20) == [(24, "no correct answer: mark at least one choice with [x]")]


@pytest.mark.parametrize("text, expected", [
    ("Soal tanpa pengaturan?\n\n- [x] a\n- [ ] b", [(5, "a quiz block starts with settings")]),
    ("", [(5, "a quiz block starts with settings")]),
    ("type: single\n\nSoal?\n\n- [x] a\n- [ ] b", [(5, "the question has no id")]),
    ("id: Bad_Id\n\nSoal?\n\n= a", [(5, "question id 'Bad_Id' may use lowercase")]),
    ("id: a\ndifficulty: hard\n\nSoal?\n\n= a", [(6, "unknown quiz setting 'difficulty'")]),
    ("id: a\nid: b\n\nSoal?\n\n= a", [(6, "quiz setting 'id' given twice")]),
    ("id: a\ntype: essay\n\nSoal?\n\n= a", [(6, "unknown question type 'essay'")]),
    ("id: a\n\n- [x] a\n- [ ] b", [(7, "the question has no text")]),
    ("id: a", [(5, "the question has no text"), (5, "the question has no answers")]),
    ("id: a\n\nSoal tanpa jawaban?", [(7, "the question has no answers")]),
    ("id: a\n\nSoal?\n\n- [x] a\n- [ ] b\n= a", [(11, "a question mixes choices and answers")]),
    ("id: a\n\nSoal?\n\n= a\n- [x] a\n- [ ] b", [(10, "a question mixes answers and choices")]),
    ("id: a\n\nSoal?\n\n- [x] satu", [(9, "a choice question needs at least two choices")]),
    ("id: a\n\nSoal?\n\n- [x] a\n- [x] b\n- [ ] c\ntype: x", [(12, "unexpected line among the answers")]),
    ("id: a\ntype: single\n\nSoal?\n\n- [x] a\n- [x] b", [(10, "type single has one correct choice")]),
    ("id: a\n\nSoal?\n\n- [x] a\n- [ ] A", [(9, "the choice 'a' appears twice")]),
    ("id: a\n\nSoal?\n\n- [x] a\n- [ ]", [(10, "a choice has no text")]),
    ("id: a\ntype: truefalse\n\nSoal?\n\n= mungkin", [(10, "a truefalse question needs exactly one")]),
    ("id: a\ntype: truefalse\n\nSoal?\n\n= benar\n= salah", [(10, "a truefalse question needs exactly one")]),
    ("id: a\ntype: truefalse\n\nSoal?\n\n- [x] benar\n- [ ] salah", [(10, "a truefalse question needs one line")]),
    ("id: a\ntype: numeric\n\nSoal?\n\n= sembilan", [(10, "not a number: 'sembilan'")]),
    ("id: a\ntype: numeric\n\nSoal?\n\n= [50%] 1\n= [50%] 2", [(10, "one answer must earn 100%")]),
    ("id: a\ntype: numeric\ntolerance: -1\n\nSoal?\n\n= 1", [(7, "tolerance must be a number of 0 or more")]),
    ("id: a\nshuffle: kadang\n\nSoal?\n\n- [x] a\n- [ ] b", [(6, "shuffle must be true or false")]),
    ("id: a\n\nSoal?\n\n- 245 -> Judul", [(9, "a matching question needs at least two pairs")]),
    ("id: a\n\nSoal?\n\n- a -> 1\n- b ->", [(10, "a pair has nothing after the arrow")]),
    ("id: a\n\nSoal?\n\n- a -> 1\n- A -> 2", [(9, "the same left item appears twice")]),
    ("id: a\n\nSoal?\n\n1. satu", [(9, "an ordering question needs at least two items")]),
    ("id: a\n\nSoal?\n\n1. satu\n2. Satu", [(9, "two items of the list are the same")]),
    ("id: a\n\nSoal?\n\n- a -> b\n- c -> d\n  > umpan balik", [(11, "indented `>` feedback belongs under a `- [ ]` choice or an `=` answer")]),
    ("id: a\n\nSoal?\n\n- [x] a\n- [ ] b\n\n> umum\n\nTeks lagi.", [(14, "text after the general feedback")]),
    ("id: a\n\nSoal?\n\n= ", [(9, "an `=` line has no answer")]),
])
def test_problems_and_their_lines(text, expected):
    found = problems_of(text, 5)
    assert [(line, message[:len(want)]) for (line, message), (_, want) in zip(found, expected)] == expected, found
    assert len(found) == len(expected), found


def test_several_problems_are_reported_together():
    found = problems_of("id: Bad Id\npoints: 0\nshuffle: kadang\n\nSoal?\n\n- [ ] a\n- [ ] a", 1)
    assert [line for line, _ in found] == [1, 2, 3, 7, 7]


# --- property: never raises, always a question xor problems, lines inside the block ---

PIECES = st.sampled_from([
    "", "", " ", "id: x", "id: q-1", "ID: Q", "id:", "type: single", "type: multiple", "type: truefalse",
    "type: short", "type: numeric", "type: matching", "type: ordering", "type: essay", "points: 2", "points: 0",
    "points: nan", "shuffle: false", "shuffle: maybe", "tolerance: 0,5", "tolerance: -1", "competency: cat-marc",
    "foo: bar", "Soal?", "Perhatikan: ini", "- [x] a", "- [ ] b", "- [X] a", "- [ ]", "* [x] c", "  > f",
    "\t> g", "> umum", ">", "= 1", "= benar", "= salah", "= 3,5 ± 0,1", "= 1 +- x", "=", "= 1e999",
    "- a -> b", "- a -> a", "- -> c", "- x ->", "- b => c", "1. a", "2) b", "1. a", "999. z", "12.", "```",
    "## judul", "\u00a0", "\u2028", "٣. عربي", "= ٣",
])


def check_contract(text: str, first_line: int) -> None:
    question, problems = parse_quiz_block(text, first_line)
    last_line = first_line + len(text.split("\n")) - 1
    if question is None:
        assert problems, "no question and no problem"
    else:
        assert problems == []
        assert question.type in QUESTION_TYPES and question.id and question.text
        assert question.line == first_line
    for problem in problems:
        assert first_line <= problem.line <= last_line, (problem, text)
        assert isinstance(problem.message, str) and problem.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), first_line=st.integers(min_value=1, max_value=10_000))
def test_parser_never_raises_on_any_text(text, first_line):
    check_contract(text, first_line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(PIECES, st.text(alphabet=" -[]xX>=.:1aé±\t", max_size=12)), max_size=14),
       first_line=st.integers(min_value=1, max_value=500))
def test_parser_never_raises_on_texts_made_of_the_syntax(lines, first_line):
    check_contract("\n".join(lines), first_line)


@settings(max_examples=200, deadline=None)
@given(header=st.lists(st.sampled_from(["id: q", "type: single", "points: 2", "shuffle: false", "foo: 1"]),
                       max_size=4),
       body=st.lists(PIECES, max_size=10))
def test_parser_contract_with_header_blank_line_and_body(header, body):
    check_contract("\n".join(header + [""] + body), 7)
