"""The two new answer kinds in the ```quiz block: class numbers (compared as text) and
essays with a rubric (criteria and levels), every error with its line, and the credit
arithmetic of a rubric grade worked by hand."""
from __future__ import annotations

import pytest

from lms.plugins.courses.quizparse import parse_quiz_block
from lms.plugins.grading.questions import Essay, credit_of
from lms.questions import builtin_registry, normalise_class_number

TYPES = {**builtin_registry(), "essay": Essay}

ESSAY = """id: praktik-deskripsi-rda
type: essay
competency: cat-rda
points: 6
upload: optional
words: 80-400

Buat deskripsi **RDA** untuk buku ini:

- judul: *Sejarah Kalimantan Tengah*
- penerbit: Dinas

Tulis di kotak jawaban.

- Kelengkapan unsur inti
  - 0: Lebih dari dua unsur inti tidak ada.
  - 1: Satu atau dua unsur inti tidak ada.
  - 2: Semua unsur inti ada.
- Tanda baca ISBD
  - 0: Banyak tanda baca salah.
  - 1: Sebagian besar benar.

> Bandingkan dengan contoh di pelajaran 3."""


def parse(text: str, first_line: int = 1):
    question, problems = parse_quiz_block(text, first_line, TYPES)
    assert question is not None and problems == [], problems
    return question


def problems_of(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    question, problems = parse_quiz_block(text, first_line, TYPES)
    assert question is None and problems
    return [(p.line, p.message) for p in problems]


# --- class numbers ---

def test_classnumber_block():
    q = parse("id: ddc-sejarah-kalteng\ntype: classnumber\ncompetency: cat-ddc\n\n"
              "Nomor kelas DDC untuk sejarah Kalimantan Tengah?\n\n= 959.83")
    assert (q.type, q.data) == ("classnumber", {"accepted": ["959.83"]})


@pytest.mark.parametrize("given, key, same", [
    ("959.8", "959.8", True),
    ("959,8", "959.8", True),          # comma as the decimal mark
    ("  959.8 ", "959.8", True),       # surrounding spaces
    ("959'8", "959.8", False),         # a prime is a segmentation mark, not a decimal point
    ("959.8'3", "959.83", True),       # segmentation mark ignored
    ("959.8/3", "959.83", True),
    ("959.8′3", "959.83", True),       # the typographic prime too
    ("959.80", "959.8", False),        # a trailing zero is a different class number
    ("020", "20", False),              # so is a leading zero
    ("9598", "959.8", False),
    ("959 .8", "959.8", True),         # spaces around the point
    ("959 8", "9598", False),          # a space inside digits is not dropped
    ("025.3 : 004", "025.3:004", True),  # UDC colon: spaces around signs ignored
    ("025.3+004", "025.3:004", False),   # the sign itself counts
    ("(594.1)", "(594.1)", True),
    ("594.1", "(594.1)", False),
    ('821.111 "19"', '821.111"19"', True),
    ("811 = 111", "811=111", True),
    ("Z 695.1", "z 695.1", True),      # letters without case
])
def test_class_number_normalisation(given, key, same):
    assert (normalise_class_number(given) == normalise_class_number(key)) is same


def test_classnumber_grades_as_class_number_and_short_answer_does_not():
    registry = builtin_registry()
    data = {"accepted": ["959.8"]}
    assert registry["classnumber"].grade(data, {"text": "959,8"}) == 1.0
    assert registry["classnumber"].grade(data, {"text": "959.80"}) == 0.0
    assert registry["short"].grade(data, {"text": "959,8"}) == 0.0


# --- essays ---

def test_essay_block_with_rubric():
    q = parse(ESSAY)
    assert (q.type, q.points, q.competency) == ("essay", 6.0, "cat-rda")
    assert q.text.startswith("Buat deskripsi **RDA**") and "- penerbit: Dinas" in q.text
    assert q.text.endswith("Tulis di kotak jawaban.")  # the list inside the stem stays in it
    assert q.feedback == "Bandingkan dengan contoh di pelajaran 3."
    assert q.data == {"upload": "optional", "words": [80, 400], "rubric": [
        {"text": "Kelengkapan unsur inti", "levels": [
            {"points": 0, "text": "Lebih dari dua unsur inti tidak ada."},
            {"points": 1, "text": "Satu atau dua unsur inti tidak ada."},
            {"points": 2, "text": "Semua unsur inti ada."}]},
        {"text": "Tanda baca ISBD", "levels": [
            {"points": 0, "text": "Banyak tanda baca salah."},
            {"points": 1, "text": "Sebagian besar benar."}]}]}


def test_essay_defaults_no_upload_no_word_range():
    q = parse("id: e1\ntype: essay\n\nJelaskan.\n\n- Isi\n  - 0: Kosong.\n  - 3: Lengkap.")
    assert q.data == {"upload": "none", "rubric": [{"text": "Isi", "levels": [
        {"points": 0, "text": "Kosong."}, {"points": 3, "text": "Lengkap."}]}]}


@pytest.mark.parametrize("block, line, fragment", [
    # a criterion without levels
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n- Bahasa\n  - 0: Buruk.\n  - 1: Baik.", 6, "has no levels"),
    # two levels with the same points
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - 1: Kurang.\n  - 1: Baik.", 8, "two levels worth 1"),
    # points that are not a number
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - dua: Baik.\n  - 0: Kurang.", 7, "`- N: description`"),
    # negative points
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - -1: Buruk.\n  - 1: Baik.", 7, "`- N: description`"),
    # a level without its description
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - 0:\n  - 1: Baik.", 7, "no description"),
    # only zero-point levels
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - 0: Tidak ada.", 6, "no level worth more than 0"),
    # the same criterion twice
    ("id: e\ntype: essay\n\nTugas.\n\n- Isi\n  - 1: Ya.\n- isi\n  - 1: Ya.", 6, "appears twice"),
    # no rubric at all
    ("id: e\ntype: essay\n\nTugas tanpa rubrik.", 4, "needs a rubric"),
    # a bad upload setting
    ("id: e\ntype: essay\nupload: maybe\n\nTugas.\n\n- Isi\n  - 1: Ya.", 3, "upload must be"),
    # a bad word range
    ("id: e\ntype: essay\nwords: 400-80\n\nTugas.\n\n- Isi\n  - 1: Ya.", 3, "range like `80-400`"),
    ("id: e\ntype: essay\nwords: banyak\n\nTugas.\n\n- Isi\n  - 1: Ya.", 3, "range like `80-400`"),
    # answers of another kind in an essay
    ("id: e\ntype: essay\n\nTugas.\n\n= jawaban\n\n- Isi\n  - 1: Ya.", 6, "graded with its rubric"),
])
def test_essay_errors_with_their_line(block, line, fragment):
    found = problems_of(block, first_line=1)
    assert any(number == line and fragment in message for number, message in found), found


def test_essay_error_lines_are_absolute_in_the_file():
    found = problems_of("id: e\ntype: essay\n\nTugas.\n\n- Isi\n- Bahasa\n  - 1: Baik.", first_line=41)
    assert [number for number, _message in found] == [46]


def test_essay_settings_refused_on_other_types_and_rubric_lines_keep_old_meaning():
    found = problems_of("id: s\ntype: short\nupload: optional\n\nApa?\n\n= ya")
    assert found == [(3, "the setting 'upload' is for essay questions (`type: essay`)")]
    found = problems_of("id: s\nwords: 10-20\n\nApa?\n\n= ya")
    assert found[0][0] == 2
    # without `type: essay`, a plain `- text` list is what it always was: the stem
    found = problems_of("id: s\n\nTugas.\n\n- Isi\n  - 1: Ya.")
    assert "has no answers" in found[-1][1]


# --- grading arithmetic ---

RUBRIC = [{"text": "A", "levels": [{"points": 0}, {"points": 1}, {"points": 2}]},
          {"text": "B", "levels": [{"points": 0}, {"points": 1}]},
          {"text": "C", "levels": [{"points": 0}, {"points": 2.5}, {"points": 5}]}]


@pytest.mark.parametrize("levels, credit", [
    ([2, 1, 5], 1.0),            # 8 / 8
    ([0, 0, 0], 0.0),
    ([1, 1, 2.5], 0.5625),       # 4.5 / 8
    ([2, 0, 2.5], 0.5625),       # 4.5 / 8
    ([1, 0, 0], 0.125),          # 1 / 8
])
def test_rubric_credit(levels, credit):
    assert credit_of(RUBRIC, levels) == pytest.approx(credit)


def test_essay_grade_waits_for_a_person_unless_blank():
    assert Essay.grade({}, {"text": "Jawaban saya"}) is None
    assert Essay.grade({}, None) == 0.0
