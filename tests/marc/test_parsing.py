"""The MARC record question's key as authored in a ```quiz block: what it is stored as, and
every way a key can be wrong, each reported on its own line (as `lms courses check` prints
it, ``file:line: message``)."""
from __future__ import annotations

import pytest

from lms.plugins.courses.quizparse import parse_quiz_block
from lms.plugins.marc.question import MarcRecord
from lms.questions import builtin_registry

TYPES = {**builtin_registry(), "marc": MarcRecord}

HEADER = "id: praktik-marc-buku-lokal\ntype: marc\ncompetency: cat-marc\npoints: 5\n"
EXAMPLE = HEADER + """tolerance: punctuation, case, order

Question stem in Markdown (e.g. a transcription of the title page).

=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul,$eauthor.
  > Feedback shown for this field when it is wrong, e.g. "100 ind1 1 = surname first".
=245  10$aJudul :$bsub judul /$cAbdul Rahman.
  > 245 ind2 counts the non-filing characters.
=650  #4$aSejarah.
=650  #4$aKalimantan Tengah.

> General feedback."""


def parse(text: str, first_line: int = 1):
    question, problems = parse_quiz_block(text, first_line, TYPES)
    assert question is not None and problems == [], problems
    return question


def problems_of(body: str, header: str = "id: q-marc\ntype: marc\n", first_line: int = 1) -> list[tuple[int, str]]:
    question, problems = parse_quiz_block(header + "\nTulis rekamannya.\n\n" + body, first_line, TYPES)
    assert question is None and problems
    return [(p.line, p.message) for p in problems]


def test_the_authoring_example_is_stored_as_marc_in_json_with_its_notes():
    q = parse(EXAMPLE, first_line=20)
    assert (q.id, q.type, q.points, q.competency) == ("praktik-marc-buku-lokal", "marc", 5.0, "cat-marc")
    assert q.text == "Question stem in Markdown (e.g. a transcription of the title page)."
    assert q.feedback == "General feedback."
    assert q.data == {
        "record": {"leader": "00000nam a2200000 a 4500", "fields": [
            {"020": {"ind1": " ", "ind2": " ", "subfields": [{"a": "9786020000000"}]}},
            {"100": {"ind1": "1", "ind2": " ", "subfields": [{"a": "Rahman, Abdul,"}, {"e": "author."}]}},
            {"245": {"ind1": "1", "ind2": "0",
                     "subfields": [{"a": "Judul :"}, {"b": "sub judul /"}, {"c": "Abdul Rahman."}]}},
            {"650": {"ind1": " ", "ind2": "4", "subfields": [{"a": "Sejarah."}]}},
            {"650": {"ind1": " ", "ind2": "4", "subfields": [{"a": "Kalimantan Tengah."}]}}]},
        "tolerance": ["punctuation", "case", "order"],
        "notes": ["", "", 'Feedback shown for this field when it is wrong, e.g. "100 ind1 1 = surname first".',
                  "245 ind2 counts the non-filing characters.", "", ""]}


def test_blank_indicators_may_be_hash_backslash_or_space_and_the_leader_leads_wherever_written():
    one = parse(HEADER + "\nT\n\n=650  #4$aSejarah.\n=LDR  00000nam#a2200000#a#4500")
    two = parse(HEADER + "\nT\n\n=LDR  00000nam\\a2200000\\a\\4500\n=650  \\4$aSejarah.")
    three = parse(HEADER + "\nT\n\n=LDR  00000nam a2200000 a 4500\n=650   4$aSejarah.")
    assert one.data == two.data == three.data
    assert one.data["record"]["leader"] == "00000nam a2200000 a 4500"
    assert "tolerance" in one.data and one.data["tolerance"] == []


def test_a_dollar_or_a_percent_in_brackets_inside_a_field_is_text_not_a_credit():
    """The quiz parser reads `= [50%] ...` as a credit; a MARC line never starts that way, so
    `[..%]` inside a value stays text, and `{dollar}` is a dollar sign (MarcEdit's escape)."""
    q = parse(HEADER + "\nT\n\n=020  ##$a9786020000000$c[50%] Rp50.000\n"
                       "=500  ##$aHarga lama {dollar}5 [diskon 50%].")
    fields = q.data["record"]["fields"]
    assert fields[0]["020"]["subfields"] == [{"a": "9786020000000"}, {"c": "[50%] Rp50.000"}]
    assert fields[1]["500"]["subfields"] == [{"a": "Harga lama $5 [diskon 50%]."}]
    assert "notes" not in q.data


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ("=245  10$aJudul.\n=24  10$aX", 7, "“24 ” is not a MARC tag"),
    ("=2a5  10$aX", 6, "“2a5” is not a MARC tag"),
    ("=000  10$aX", 6, "000 is not a MARC tag"),
    ("=245\t10$aX", 6, "put two spaces after the tag"),
    ("=245  1$aX", 6, "write exactly two indicators"),
    ("=245  10 $aX", 6, "write exactly two indicators"),
    ("=245  1x$aX", 6, "indicator “x” of 245 is not a digit or # (blank)"),
    ("=245  10Judul", 6, "245 is a data field: write two indicators and $ subfields"),
    ("=650", 6, "650 is a data field: write two indicators and $ subfields"),
    ("=245  10$aJudul$", 6, "a $ with no subfield code in 245"),
    ("=245  10$a$bsub", 6, "$a in 245 has no value"),
    ("=245  10$AJudul", 6, "$A in 245: a subfield code is a lowercase letter or a digit"),
    ("=008  $a123", 6, "008 is a control field: it has data only, no $ subfields"),
    ("=001  ", 6, "001 has no data"),
    ("=LDR  00000nam a2200000 a", 6, "LDR has 19 characters; it has 24"),
    ("=008  200101s2020    io a          000 0 ind", 6, "008 has 38 characters; it has 40"),
    ("=245  10$aJudul.\n=650  #4$aX\n=245  00$aLain.", 8, "245 is not repeatable; it is on line 6 already"),
    ("=100  1#$aRahman, Abdul.\n=110  2#$aPerpustakaan.", 7, "a record has one main entry (1XX): 110 here and 100"),
    ("= [50%] 245  10$aJudul.", 6, "a MARC field line takes no credit"),
])
def test_each_key_error_is_reported_on_its_line(body, line, fragment):
    found = problems_of(body)
    assert any(at == line and fragment in message for at, message in found), found


def test_every_problem_of_a_key_is_reported_at_once_with_absolute_lines():
    found = problems_of("=245  1x$aX\n=650  #4$a\n=008  $a", first_line=30)
    assert [line for line, _message in found] == [35, 36, 37]


@pytest.mark.parametrize(("value", "fragment"), [
    ("punctuation, kasus", "unknown tolerance 'kasus' for a MARC record; use punctuation, case, order, spaces"),
    ("", "tolerance lists what is not graded"),
])
def test_the_tolerance_header_takes_known_words_only(value, fragment):
    found = problems_of("=245  10$aJudul.", header=f"id: q-marc\ntype: marc\ntolerance: {value}\n")
    assert found == [(3, found[0][1])] and fragment in found[0][1]


def test_tolerance_words_may_be_separated_by_commas_or_spaces_and_are_kept_in_one_order():
    q = parse("id: q\ntype: marc\ntolerance: Order case\n\nT\n\n=245  10$aJudul.")
    assert q.data["tolerance"] == ["case", "order"]


def test_marc_lines_need_the_marc_type_declared():
    """Without `type: marc` the `=` lines are short answers: the type is what makes them fields."""
    question, _problems = parse_quiz_block("id: q\n\nT\n\n=245  10$aJudul.", 1, TYPES)
    assert question.type == "short"


def test_the_example_in_the_authoring_guide_parses():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "authoring.md").read_text(encoding="utf-8")
    blocks = [block.split("\n```", 1)[0] for block in text.split("```quiz\n")[1:] if "type: marc" in block[:200]]
    assert blocks
    for block in blocks:
        question = parse(block)
        assert question.type == "marc" and len(question.data["record"]["fields"]) == 5
