"""GIFT read as Moodle means it (question/format/gift/format.php): every construct of the GIFT
documentation in ``tests/fixtures/gift/``, checked question by question, the grades they give,
skipped essays and descriptions, ``--strict``, and the round trip Pembina -> GIFT -> Pembina
(generated questions, and every quiz under ``courses/``)."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.plugins.courses import gift
from lms.plugins.courses.parsing import question_types
from lms.plugins.courses.quizparse import parse_quiz_block
from lms.questions import Numeric, ShortAnswer, SingleChoice, TrueFalse, builtin_registry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gift"
REPO = Path(__file__).parent.parent.parent


@pytest.fixture(autouse=True)
def english_messages(app):
    with force_locale("en"):
        yield


@pytest.fixture()
def constructs(app):
    questions, problems, warnings = gift.parse_gift((FIXTURES / "constructs.gift").read_text(encoding="utf-8"),
                                                    "constructs.gift")
    assert problems == []
    assert warnings == ["constructs.gift:3: category '$course$/Katalogisasi/GIFT' ignored: Pembina files "
                        "questions by module",
                        "constructs.gift:12: the negative credit of '100' is read as 0%: a single choice never "
                        "grades below 0"]
    return {q.id: q.parsed for q in questions}


def grade(question, response) -> float:
    return builtin_registry()[question.type].grade(question.data, response)


def rendered(question):
    return builtin_registry()[question.type].render(question.data, lambda text: f"<{text}>")


def test_single_choice_with_feedback(constructs):
    q = constructs["mc-single"]
    assert (q.type, q.text) == ("single", "Who's buried in Grant's tomb?")
    assert q.data["options"] == [
        {"text": "Grant", "correct": False, "feedback": "No, he is entombed."},
        {"text": "no one", "correct": True, "feedback": "Right!"},
        {"text": "Napoleon", "correct": False, "feedback": ""},
        {"text": "Churchill", "correct": False, "feedback": ""},
        {"text": "Mother Teresa", "correct": False, "feedback": ""}]


def test_missing_word_keeps_the_text_before_and_after(constructs):
    q = constructs["missing-word"]
    assert q.text == "Moodle costs _____ to download from moodle.org."
    assert [o["text"] for o in q.data["options"] if o["correct"]] == ["nothing"]


def test_single_choice_keeps_partial_credit(constructs):
    q = constructs["partial"]
    assert q.type == "single"
    assert q.data["options"] == [
        {"text": "245$a", "correct": True, "feedback": "Full marks."},
        {"text": "245", "correct": False, "feedback": "Half: the field, not the subfield.", "credit": 0.5},
        {"text": "100", "correct": False, "feedback": "A negative weight."},  # never below 0 here
        {"text": "650", "correct": False, "feedback": ""}]
    assert [grade(q, {"choice": i}) for i in range(4)] == [1.0, 0.5, 0.0, 0.0]


def test_partial_credit_negative_weight_is_a_warning(app):
    _questions, _problems, warnings = gift.parse_gift("Q {=a ~%-25%b}", "f.gift")
    assert warnings == ["f.gift:1: the negative credit of 'b' is read as 0%: a single choice never grades below 0"]


def test_multiple_answers_with_negative_weights(constructs):
    q = constructs["multi"]
    assert q.type == "multiple"
    assert [(o["text"], o["credit"]) for o in q.data["options"]] == [
        ("No one", -1.0), ("Grant", 0.5), ("Grant's wife", 0.5), ("Grant's father", -1.0)]
    assert grade(q, {"choices": [1, 2]}) == 1.0
    assert grade(q, {"choices": [1]}) == 0.5
    assert grade(q, {"choices": [1, 2, 3]}) == 0.0


def test_classic_weights_stay_the_classic_rule(constructs):
    q = constructs["classic"]
    assert q.data["options"] == [{"text": "650", "correct": True, "feedback": ""},
                                 {"text": "651", "correct": True, "feedback": ""},
                                 {"text": "245", "correct": False, "feedback": ""}]


def test_true_false_with_both_feedbacks(constructs):
    q = constructs["tf-true"]
    assert q.data == {"answer": True, "feedback_right": "Yes, he was.", "feedback_wrong": "No, he was."}
    assert q.feedback == "Grant's tomb is in Manhattan."
    data = rendered(q)
    assert TrueFalse.feedback(data, {"value": True}) == ["<Yes, he was.>"]
    assert TrueFalse.feedback(data, {"value": False}) == ["<No, he was.>"]
    assert constructs["tf-false"].data == {"answer": False}


def test_short_answer_with_weights_and_feedback(constructs):
    q = constructs["short"]
    assert q.type == "short"
    assert q.data == {"accepted": ["Catalog", "Catalogue", "Katalog", "*"], "credits": [1.0, 1.0, 0.5, 0.0],
                      "feedback": ["", "", "Close: that is the Indonesian spelling.", "Not quite."]}
    assert [grade(q, {"text": t}) for t in ("catalog", "CATALOGUE", "Katalog", "Catlog")] == [1.0, 1.0, 0.5, 0.0]
    data = rendered(q)
    assert ShortAnswer.feedback(data, {"text": "katalog"}) == ["<Close: that is the Indonesian spelling.>"]
    assert ShortAnswer.feedback(data, {"text": "x"}) == ["<Not quite.>"]
    assert ShortAnswer.answer_html(data) == "Catalog / Catalogue"


def test_moodles_own_short_answer_export(constructs):
    assert constructs["frog"].data == {"accepted": ["Frog"], "feedback": ["Good"]}
    assert constructs["one"].data == {"accepted": ["Moodler"]}


@pytest.mark.parametrize("qid, value, tolerance", [
    ("num-tol", 1822, 5), ("num-range", 3, 2), ("num-exact", 4, 0), ("num-eq", 13, 0)])
def test_numerical_forms(constructs, qid, value, tolerance):
    assert constructs[qid].type == "numeric"
    assert constructs[qid].data == {"value": value, "tolerance": tolerance}


def test_numerical_with_weights_and_feedback(constructs):
    q = constructs["num-weighted"]
    assert q.data == {"value": 1822, "tolerance": 0, "answers": [
        {"value": 1822, "tolerance": 0, "credit": 1.0, "feedback": "Correct! Full credit."},
        {"value": 1822, "tolerance": 2, "credit": 0.5, "feedback": "He was born in 1822. Half credit for being close."}]}
    assert [grade(q, {"value": v}) for v in (1822, 1823, 1830)] == [1.0, 0.5, 0.0]
    assert Numeric.feedback(rendered(q), {"value": 1821}) == ["<He was born in 1822. Half credit for being close.>"]


def test_moodles_numerical_export_form(constructs):
    q = constructs["num-moodle"]
    assert q.data == {"value": 3, "tolerance": 2, "answers": [
        {"value": 3, "tolerance": 2, "credit": 1.0, "feedback": ""},
        {"value": None, "tolerance": 0.0, "credit": 0.0, "feedback": "Completely wrong"}]}
    assert grade(q, {"value": 4.5}) == 1.0 and grade(q, {"value": 9}) == 0.0
    assert Numeric.feedback(rendered(q), {"value": 9}) == ["<Completely wrong>"]


def test_matching_with_a_distractor(constructs):
    q = constructs["match"]
    assert q.data == {"pairs": [["Canada", "Ottawa"], ["Italy", "Rome"], ["Japan", "Tokyo"], ["India", "New Delhi"]],
                      "distractors": ["Jakarta"]}
    assert q.feedback == "It's good to know the capitals"


def test_format_tags(constructs):
    html_q = constructs["fmt-html"]
    assert html_q.text == ('Read <a href="https://www.loc.gov/marc/">MARC 21</a><br>then answer: '
                           '<b>2 &#42; 3</b>?')  # link and line break kept, `*` not Markdown
    assert html_q.data["options"][0] == {"text": "6", "correct": True, "feedback": "<i>yes</i>"}
    assert html_q.data["options"][1]["text"] == "**five**"  # [markdown] stays Markdown
    assert html_q.data["options"][2]["text"] == "seven"
    plain = constructs["fmt-plain"]
    assert plain.text == "Type &#42;nobody&#42; here."
    assert plain.data == {"accepted": ["nobody"]}
    assert grade(plain, {"text": "nobody"}) == 1.0
    assert constructs["fmt-markdown"].text == "Pick the **bold** one."


def test_escapes(constructs):
    q = constructs["escapes"]
    assert q.text == "Which is {MARC} 245: ~title = #?"
    assert [o["text"] for o in q.data["options"]] == ["a#b", "c&#92;d"]  # `\\` is one backslash


def test_unnamed_question(constructs):
    assert constructs["gift-22"].text == "What has no name?"


def test_html_the_lessons_refuse_is_dropped_with_a_warning(app):
    questions, problems, warnings = gift.parse_gift(
        '[html]<p onclick="x()">Hi<script>alert(1)</script></p>{=a ~b}', "f.gift")
    assert problems == [] and questions[0].text == "<p>Hi</p>"
    assert warnings == ["f.gift:1: HTML the lessons do not allow was removed: <script>, onclick"]


def test_lowercase_true_is_a_short_answer_with_a_warning(app):
    questions, _problems, warnings = gift.parse_gift("Q {true}", "f.gift")
    assert questions[0].type == "short" and questions[0].data == {"accepted": ["true"]}
    assert "write `{TRUE}` or `{FALSE}`" in warnings[0]


def test_choice_grading_of_single_with_credit_and_of_old_data():
    data = {"options": [{"correct": True}, {"correct": False, "credit": 0.5}, {"correct": False}]}
    assert [SingleChoice.grade(data, {"choice": i}) for i in range(3)] == [1.0, 0.5, 0.0]


# --- the trainer's file, skipped questions, --strict ------------------------------------------------------

def test_trainer_file_with_an_essay_imports_it_as_an_essay_with_a_note(runner, imported):
    """A Moodle essay (`{}`) comes in as `type: essay` with one holistic criterion (0 or 1
    point), and the report says per question that a rubric should be added."""
    module_file = imported / "contoh" / "01-marc.md"
    source = FIXTURES / "cataloguing-trainer.gift"
    result = runner.invoke(args=["courses", "import-gift", str(source), "--into", str(module_file)])
    assert result.exit_code == 0, result.output
    assert (f"{source}:18: an essay: imported with one holistic criterion (0 or 1 point); add a rubric "
            "(`- criterion` with `  - N: level` lines) before publishing (warning)") in result.stderr
    assert "skipped" not in result.stderr
    text = module_file.read_text(encoding="utf-8")
    for qid in ("rda-core", "marc-245-judul", "ddc", "aacr2", "esai-rda"):
        assert f"id: {qid}\n" in text
    assert ("id: esai-rda\ntype: essay\n\n<p>Jelaskan perbedaan RDA dan AACR2.</p>\n\n- Jawaban secara keseluruhan\n"
            "  - 0: Belum memenuhi tugas.\n  - 1: Memenuhi tugas.\n") in text
    check = runner.invoke(args=["courses", "check", str(imported)])
    assert check.exit_code == 0, check.output


def test_trainer_file_meanings(app):
    questions, problems, _warnings = gift.parse_gift(
        (FIXTURES / "cataloguing-trainer.gift").read_text(encoding="utf-8"), "t.gift")
    assert problems == []
    by_id = {q.id: q.parsed for q in questions}
    assert by_id["rda-core"].text == "<p>Unsur inti RDA untuk judul adalah ...</p>"
    assert by_id["rda-core"].data["options"][2] == {"text": "judul", "correct": False, "feedback": "<p>Kurang tepat.</p>",
                                                    "credit": 0.5}
    assert by_id["marc-245-judul"].data == {"accepted": ["245", "245a"], "credits": [1.0, 0.5],
                                      "feedback": ["", "Subruas, bukan ruas."]}
    assert by_id["ddc"].data["answers"][-1] == {"value": None, "tolerance": 0.0, "credit": 0.0,
                                                "feedback": "Lihat tabel ringkasan DDC."}
    assert by_id["aacr2"].data == {"answer": False, "feedback_right": "Benar, banyak beralih ke RDA.",
                                   "feedback_wrong": "Masih ada yang memakai RDA."}


def test_strict_refuses_and_writes_nothing(runner, imported):
    module_file = imported / "contoh" / "01-marc.md"
    before = module_file.read_text(encoding="utf-8")
    result = runner.invoke(args=["courses", "import-gift", str(FIXTURES / "cataloguing-trainer.gift"),
                                 "--into", str(module_file), "--strict"])
    assert result.exit_code != 0
    assert "--strict; nothing written" in result.output
    assert module_file.read_text(encoding="utf-8") == before


def test_a_description_is_skipped_with_a_warning(app):
    questions, problems, warnings = gift.parse_gift("Just some text.\n\nQ {=a ~b}\n", "f.gift")
    assert problems == [] and [q.type for q in questions] == ["single"]
    assert warnings == ["f.gift:1: skipped: a description (text without answers) has no place in a Pembina quiz; "
                        "put it in a lesson"]


# --- round trip --------------------------------------------------------------------------------------------

def _round_trip(parsed):
    text = gift.question_gift(parsed.id, parsed.type, parsed.text, parsed.data, parsed.feedback)
    questions, problems, warnings = gift.parse_gift(text, "x.gift")
    assert problems == [] and warnings == [], (text, problems, warnings)
    (back,) = questions
    return back.parsed, text


def test_every_quiz_under_courses_survives_the_round_trip(app):
    from lms.plugins.courses.services import check_courses

    _framework, found, problems = check_courses([REPO / "courses"])
    assert problems == []
    count = 0
    for course in found:
        for module in course.modules:
            for question in module.questions:
                if question.type in ("ordering", "essay", "marc"):  # no GIFT form / no rubric or record in GIFT
                    continue
                back, text = _round_trip(question)
                if question.type == "classnumber":  # back as a short answer with both decimal marks
                    assert back.type == "short" and set(question.data["accepted"]) <= set(back.data["accepted"])
                    assert any("," in answer for answer in back.data["accepted"]), text
                    count += 1
                    continue
                assert (back.id, back.type, back.text, back.data, back.feedback) == \
                    (question.id, question.type, question.text, question.data, question.feedback), text
                count += 1
    assert count > 50


WORD = st.text(alphabet="abcKLM0129~=#{}:\\.,", min_size=1, max_size=6).filter(lambda w: w.strip() == w)
TEXT = st.lists(WORD, min_size=1, max_size=4).map(" ".join).filter(lambda t: t[0] not in "=#~:{}\\.0123456789")
PLAIN = st.lists(st.text(alphabet="abcKLM012", min_size=1, max_size=6), min_size=1, max_size=3).map(" ".join)
CREDIT = st.sampled_from(["", "[50%] ", "[25%] ", "[33.5%] "])
FEEDBACK = st.one_of(st.just(""), TEXT)


def _block(draw) -> str:
    kind = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "numeric", "matching"]))
    lines: list[str] = []
    if kind in ("single", "multiple"):
        texts = draw(st.lists(TEXT, min_size=2, max_size=5, unique_by=str.lower))
        if kind == "single":
            right = draw(st.integers(0, len(texts) - 1))
            marks = ["[x] " if i == right else draw(st.sampled_from(["[ ] ", "[50%] ", "[10%] "]))
                     for i in range(len(texts))]
        else:
            weighted = draw(st.booleans())
            count = draw(st.integers(1, len(texts) - 1)) if len(texts) > 1 else 1
            if weighted:
                marks = ["[50%] ", "[50%] "] + ["[-25%] "] * (len(texts) - 2) if len(texts) >= 2 else ["[100%] "]
            else:
                marks = ["[x] "] * count + ["[ ] "] * (len(texts) - count)
        for mark, text in zip(marks, texts):
            lines.append(f"- {mark}{text}")
            note = draw(FEEDBACK)
            if note:
                lines.append(f"  > {note}")
    elif kind == "truefalse":
        lines.append(draw(st.sampled_from(["= benar", "= salah"])))
        if draw(st.booleans()):
            lines.append(f"  > {draw(TEXT)}")
        if draw(st.booleans()):
            lines.append("= [0%] " + ("salah" if lines[0] == "= benar" else "benar"))
            lines.append(f"  > {draw(TEXT)}")
    elif kind == "short":
        answers = draw(st.lists(TEXT, min_size=1, max_size=4, unique_by=str.lower))
        for index, answer in enumerate(answers):
            lines.append("= " + ("" if index == 0 else draw(CREDIT)) + answer)
            note = draw(FEEDBACK)
            if note:
                lines.append(f"  > {note}")
    elif kind == "numeric":
        values = draw(st.lists(st.decimals(-9999, 9999, places=2), min_size=1, max_size=3))
        for index, value in enumerate(values):
            tolerance = draw(st.sampled_from(["", " ± 0.5", " ± 2"]))
            lines.append("= " + ("" if index == 0 else draw(CREDIT)) + f"{value}{tolerance}")
            note = draw(FEEDBACK)
            if note:
                lines.append(f"  > {note}")
        if draw(st.booleans()):
            lines.append("= [0%] *")
            lines.append(f"  > {draw(TEXT)}")
    else:
        lefts = draw(st.lists(TEXT, min_size=2, max_size=4, unique_by=str.lower))
        lines += [f"- {left} -> {draw(PLAIN)}" for left in lefts]
        lines += [f"- -> {item}" for item in draw(st.lists(PLAIN, max_size=2))]
    general = draw(FEEDBACK)
    return (f"id: q-1\ntype: {kind}\n\n{draw(TEXT)}\n\n" + "\n".join(lines)
            + (f"\n\n> {general}" if general else ""))


@st.composite
def quiz_blocks(draw):
    return _block(draw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=quiz_blocks())
def test_generated_questions_survive_the_round_trip(app, block):
    parsed, problems = parse_quiz_block(block, 1, question_types())
    if problems:  # a generated block our syntax refuses (e.g. a duplicate): nothing to export
        return
    back, text = _round_trip(parsed)
    assert (back.type, back.text, back.data, back.feedback) == \
        (parsed.type, parsed.text, parsed.data, parsed.feedback), text
