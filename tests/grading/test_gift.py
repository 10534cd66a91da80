"""GIFT and the new types: a Moodle essay imports as an essay with one holistic criterion
and a note; an essay exports as `{}` with a warning (the rubric is not carried); a class
number exports as a short answer with both decimal marks."""
from __future__ import annotations

from lms.plugins.courses import gift

ESSAY_DATA = {"upload": "optional", "rubric": [{"text": "Isi", "levels": [{"points": 0, "text": "a"},
                                                                          {"points": 2, "text": "b"}]}]}


def test_moodle_essay_imports_as_an_essay_with_a_holistic_criterion_and_a_note(app):
    questions, problems, warnings = gift.parse_gift("::esai::Jelaskan perbedaan RDA dan AACR2. {}\n", "t.gift")
    assert problems == []
    assert warnings == ["t.gift:1: esai: diimpor dengan satu kriteria holistik (0 atau 1 poin); tambahkan rubrik "
                        "(`- criterion` dengan baris `  - N: level`) sebelum diterbitkan"]
    (essay,) = questions
    assert (essay.id, essay.type, essay.text) == ("esai", "essay", "Jelaskan perbedaan RDA dan AACR2.")
    assert essay.data == {"upload": "none", "rubric": [{"text": "Jawaban secara keseluruhan", "levels": [
        {"points": 0, "text": "Belum memenuhi tugas."}, {"points": 1, "text": "Memenuhi tugas."}]}]}
    assert gift.to_markdown(essay) == ("```quiz\nid: esai\ntype: essay\n\nJelaskan perbedaan RDA dan AACR2.\n\n"
                                       "- Jawaban secara keseluruhan\n  - 0: Belum memenuhi tugas.\n"
                                       "  - 1: Memenuhi tugas.\n```\n")


def test_essay_exports_as_moodle_essay_with_a_warning(app):
    warnings: list[str] = []
    text = gift.question_gift("praktik", "essay", "Tulis deskripsi.", ESSAY_DATA, "Lihat contoh.", warnings)
    assert text == "::praktik::[markdown]Tulis deskripsi. {\n\t####Lihat contoh.\n}"
    assert warnings == ["essay question praktik exported as a Moodle essay: its rubric is not carried (GIFT has none)"]
    # and Moodle's reading of it comes back as an essay
    questions, problems, _warnings = gift.parse_gift(text + "\n", "back.gift")
    assert problems == [] and questions[0].type == "essay"


def test_class_number_exports_as_short_answer_with_both_decimal_marks(app):
    warnings: list[str] = []
    text = gift.question_gift("ddc", "classnumber", "Nomor?", {"accepted": ["959.83", "959,83", "020"]}, "",
                              warnings)
    assert text == "::ddc::[markdown]Nomor? {\n\t=959.83\n\t=959,83\n\t=020\n}"
    assert len(warnings) == 1 and "class-number question ddc exported as a short answer" in warnings[0]
