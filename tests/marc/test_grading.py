"""Grading a MARC record field by field, against figures worked out by hand.

The key (the authoring example, docs/authoring.md) is worth 25 units:

    =LDR  00000nam a2200000 a 4500                  tag + data                 2
    =020  ##$a9786020000000                         tag + 2 ind + 1 subfield   4
    =100  1#$aRahman, Abdul,$eauthor.               tag + 2 ind + 2 subfields  5
    =245  10$aJudul :$bsub judul /$cAbdul Rahman.   tag + 2 ind + 3 subfields  6
    =650  #4$aSejarah.                              tag + 2 ind + 1 subfield   4
    =650  #4$aKalimantan Tengah.                    tag + 2 ind + 1 subfield   4

The issue's record (``WRONG``): 245 ind2 wrong (2), 245 $b missing, the two 650s swapped.
    245 earns tag 1 + ind1 1 + ind2 0 + $a 1 + $b 0 + $c 1 = 4 of 6.
    650s with `order`: matched best-fit, 8 of 8  -> 2+4+5+4+8 = 23 -> 0.92
    650s without `order`: matched as written, each $a differs: 3+3 = 6 -> 21 -> 0.84

``SLOPPY`` is the same record typed without ISBD/final punctuation and in small letters:
    100 $aRahman, Abdul $eauthor / 245 $ajudul $cAbdul Rahman / 650 $akalimantan tengah, $asejarah
    punctuation+case+order: as WRONG with order, 23 -> 0.92
    punctuation+case:       as WRONG without order, 21 -> 0.84
    punctuation+order:      100: 5; 245 $a "judul" != "Judul": 3; 650s differ in case: 3+3
                            -> 2+4+5+3+6 = 20 -> 0.80
    order only:             100: tag+ind = 3; 245: tag+ind1 = 2 ($c lacks its period); 650s 3+3
                            -> 2+4+3+2+6 = 17 -> 0.68
    no tolerance at all:    the same 17 -> 0.68 (positional 650s differ anyway)
"""
from __future__ import annotations

import pytest
from markupsafe import escape

from lms.plugins.courses.quizparse import parse_quiz_block
from lms.plugins.marc.question import MarcRecord
from lms.questions import ResponseError, builtin_registry

TYPES = {**builtin_registry(), "marc": MarcRecord}
KEY_LINES = """=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul,$eauthor.
  > 100 ind1 1 = surname first.
=245  10$aJudul :$bsub judul /$cAbdul Rahman.
  > 245 ind2 counts the non-filing characters.
=650  #4$aSejarah.
=650  #4$aKalimantan Tengah."""
RIGHT = "\n".join(line for line in KEY_LINES.split("\n") if line.startswith("="))
WRONG = """=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul,$eauthor.
=245  12$aJudul :$cAbdul Rahman.
=650  #4$aKalimantan Tengah.
=650  #4$aSejarah."""
SLOPPY = """=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul$eauthor
=245  12$ajudul$cAbdul Rahman
=650  #4$akalimantan tengah
=650  #4$asejarah"""


def key(tolerance: str | None = "punctuation, case, order", lines: str = KEY_LINES) -> dict:
    header = "id: q-marc\ntype: marc\npoints: 5\n" + (f"tolerance: {tolerance}\n" if tolerance is not None else "")
    question, problems = parse_quiz_block(header + "\nTulis rekamannya.\n\n" + lines, 1, TYPES)
    assert question is not None, problems
    return MarcRecord.render(question.data, lambda text: str(escape(text)))


def read(text: str, data: dict | None = None) -> dict | None:
    return MarcRecord.read([text], data or key(), {}, "q-1", {})


def credit(text: str, data: dict) -> float:
    return MarcRecord.grade(data, read(text, data))


def test_the_key_itself_earns_full_credit_under_any_tolerance():
    for tolerance in (None, "punctuation", "case", "order", "spaces", "punctuation case order spaces"):
        assert credit(RIGHT, key(tolerance)) == 1.0


@pytest.mark.parametrize(("record", "tolerance", "expected"), [
    (WRONG, "punctuation, case, order", 23 / 25),
    (WRONG, "punctuation, case", 21 / 25),
    (WRONG, None, 21 / 25),
    (SLOPPY, "punctuation, case, order", 23 / 25),
    (SLOPPY, "punctuation, case", 21 / 25),
    (SLOPPY, "punctuation, order", 20 / 25),
    (SLOPPY, "order", 17 / 25),
    (SLOPPY, None, 17 / 25),
])
def test_a_wrong_indicator_a_missing_subfield_and_reordered_650s_graded_as_the_tolerance_says(
        record, tolerance, expected):
    assert credit(record, key(tolerance)) == pytest.approx(expected, abs=1e-6)


def test_an_extra_field_and_an_extra_subfield_take_one_unit_off_each():
    data = key()
    assert credit(RIGHT + "\n=500  ##$aCatatan.", data) == pytest.approx(24 / 25)
    assert credit(WRONG + "\n=500  ##$aCatatan.", data) == pytest.approx(22 / 25)
    with_qualifier = RIGHT.replace("$a9786020000000", "$a9786020000000$qpaperback")
    assert credit(with_qualifier, data) == pytest.approx(24 / 25)
    three_650s = RIGHT + "\n=650  #4$aSejarah lokal."  # a third 650: the key has two
    assert credit(three_650s, data) == pytest.approx(24 / 25)


def test_credit_never_goes_below_zero_and_a_missing_field_earns_nothing():
    data = key()
    assert credit("\n".join(f"=500  ##$aCatatan {n}." for n in range(30)), data) == 0.0
    no_100 = "\n".join(line for line in RIGHT.split("\n") if not line.startswith("=100"))
    assert credit(no_100, data) == pytest.approx(20 / 25)
    assert MarcRecord.grade(data, None) == 0.0


def test_the_leader_is_compared_by_position_without_the_computed_ones():
    data = key()
    # 00-04 (record length) and 12-16 (base address) are the system's: not compared
    assert credit(RIGHT.replace("00000nam a2200000", "01234nam a2201234"), data) == 1.0
    # 05 `n` -> `c`: one of the 14 compared positions is wrong: the data unit earns 13/14
    assert credit(RIGHT.replace("00000nam", "00000cam"), data) == pytest.approx((25 - 1 / 14) / 25)


def test_spaces_tolerance_ignores_a_space_before_punctuation_and_runs_of_spaces_never_count():
    strict, lenient = key(None), key("spaces")
    no_space = RIGHT.replace("$aJudul :$bsub judul /", "$aJudul:$bsub judul/")
    assert credit(no_space, strict) == pytest.approx(23 / 25)  # $a and $b differ
    assert credit(no_space, lenient) == 1.0
    assert credit(RIGHT.replace("Abdul Rahman.", "Abdul   Rahman."), strict) == 1.0


def test_order_matches_many_repeated_fields_best_fit():
    lines = "\n".join(f"=650  #4$aTopik {n}." for n in range(1, 7))
    shuffled = "\n".join(f"=650  #4$aTopik {n}." for n in (4, 6, 1, 5, 3, 2))
    assert credit(shuffled, key("order", lines)) == 1.0
    assert credit(shuffled, key(None, lines)) == pytest.approx(6 * 3 / 24)


def test_per_field_feedback_names_what_is_wrong_with_the_authors_note():
    data = key("punctuation, case")
    lines = MarcRecord.feedback(data, read(WRONG + "\n=500  ##$aCatatan.", data))
    assert lines == [
        '<span class="marc-outcome marc-right" aria-hidden="true">✓</span> LDR is right.',
        '<span class="marc-outcome marc-right" aria-hidden="true">✓</span> 020 is right.',
        '<span class="marc-outcome marc-right" aria-hidden="true">✓</span> 100 is right.',
        '<span class="marc-outcome marc-partly" aria-hidden="true">±</span> 245: ind2 is wrong (you wrote 2); '
        '$b is missing. <span class="marc-note">245 ind2 counts the non-filing characters.</span>',
        '<span class="marc-outcome marc-partly" aria-hidden="true">±</span> 650 (1): $a differs '
        '(you wrote “Kalimantan Tengah.”).',
        '<span class="marc-outcome marc-partly" aria-hidden="true">±</span> 650 (2): $a differs (you wrote “Sejarah.”).',
        '<span class="marc-outcome marc-extra" aria-hidden="true">+</span> 500 is not in the key: an extra field '
        'takes one unit off.',
    ]


def test_feedback_for_missing_fields_control_positions_subfield_order_and_escaped_input():
    data = key(None, "=008  200101s2020    io a          000 0 ind d\n=100  1#$aRahman, Abdul.\n"
                     "  > Nama keluarga dulu.\n=245  10$aJudul /$cAbdul Rahman.")
    given = "=008  200101s2021    xx a          000 0 ind d\n=245  10$c<b>Abdul</b> Rahman.$aJudul /"
    lines = MarcRecord.feedback(data, read(given, data))
    assert "008: positions 10, 15-16 differ." in lines[0]
    assert lines[1].endswith('100 is missing. <span class="marc-note">Nama keluarga dulu.</span>')
    assert "245: $c differs (you wrote “&lt;b&gt;Abdul&lt;/b&gt; Rahman.”)" in lines[2]
    right_order = "=008  200101s2020    io a          000 0 ind d\n=100  1#$aRahman, Abdul.\n" \
                  "=245  10$cAbdul Rahman.$aJudul /"
    assert MarcRecord.feedback(data, read(right_order, data))[2].endswith(
        "245 is right; the subfields are in another order than in the key (not graded).")


@pytest.mark.parametrize(("text", "message"), [
    ("245  10$aJudul.", "Line 1: a field starts with = and its tag"),
    ("=LDR  00000nam a2200000 a 4500\n\n=24  10$aX", "Line 3: “24 ” is not a MARC tag"),
    ("=245  10$aJudul.\n=650  4$aSejarah.", "Line 2: write exactly two indicators"),
    ("=008  $a1", "Line 1: 008 is a control field"),
])
def test_a_line_that_is_not_a_field_is_refused_with_its_number(text, message):
    with pytest.raises(ResponseError) as refused:
        read(text)
    assert message in str(refused.value)


def test_read_errors_are_all_listed_up_to_five_and_counted_beyond():
    with pytest.raises(ResponseError) as refused:
        read("\n".join(["x"] * 8))
    text = str(refused.value)
    assert [f"Line {n}:" in text for n in range(1, 7)] == [True] * 5 + [False]
    assert text.endswith("and 3 more.")


def test_a_response_keeps_its_text_as_typed_and_the_widget_gets_it_back():
    typed = "\r\n  \r\n=245  10$aJudul :$cAbdul  Rahman.\r\n=008  200101s2020    io a          000 0 ind  \r\n\r\n"
    response = read(typed)
    assert response == {"text": "=245  10$aJudul :$cAbdul  Rahman.\n"
                                "=008  200101s2020    io a          000 0 ind  "}
    assert MarcRecord.form_values(response, {}, "q-1") == {"q-1": [response["text"]]}
    assert read("  \n ") is None and read("") is None
    with pytest.raises(ResponseError, match="too long"):
        read("=500  ##$a" + "x" * 10_001)


def test_present_shows_the_tolerance_and_tag_names_never_the_key():
    data = key()
    shown = MarcRecord.present(data, {})
    assert set(shown) == {"tolerance", "tags"}
    text = repr(shown)
    for secret in ("9786020000000", "Rahman", "Judul", "Sejarah", "Kalimantan", "non-filing", "nam a22"):
        assert secret not in text
    assert shown["tags"]["245"] == "Title statement"


def test_the_result_shows_the_learners_record_escaped_and_the_key_in_mnemonic_form():
    data = key()
    assert MarcRecord.response_html(data, {"text": "=245  10$a<i>x</i>"}) == \
        '<code class="marc-record">=245  10$a&lt;i&gt;x&lt;/i&gt;</code>'
    assert MarcRecord.answer_html(data) == (
        '<code class="marc-record">=LDR  00000nam#a2200000#a#4500\n=020  ##$a9786020000000\n'
        '=100  1#$aRahman, Abdul,$eauthor.\n=245  10$aJudul :$bsub judul /$cAbdul Rahman.\n'
        '=650  #4$aSejarah.\n=650  #4$aKalimantan Tengah.</code>')
