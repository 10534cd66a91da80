"""Item analysis of a module version, checked against figures worked out by hand.

The data: six submitted attempts on the MARC quiz (version 1), built directly as rows.
Questions (points): marc-245 single (1; options 100, 245*, 650), marc-multi multiple
(2; options 650*, 651*, 245), marc-tf true/false (1; key: true), marc-short never answered.

    attempt  learner unit  245 (resp -> x)  multi (resp -> x)   tf     score  percent
    A1       branch-a      100    -> 0      650,651 -> 1        T 1    3      75
    A2       branch-a      100    -> 0      650,651 -> 1        T 1    3      75
    A3       section-a1    245    -> 1      650,245 -> 0        T 1    2      50
    A4       branch-b      650    -> 0      650     -> 0.5      T 1    2      50
    A5       branch-b      blank  -> 0      651     -> 0.5      T 1    2      50
    A6       library       100    -> 0      blank   -> 0        T 1    1      25

Ranked by percent ascending, ties by id: A6, A3, A4, A5, A1, A2. N = 6, thirds of 2:
bottom = {A6, A3}, top = {A1, A2}.

marc-245: facility 1/6; discrimination top 0 - bottom (0+1)/2 = -0.5 -> hard, negative.
  Corrected correlation, y = score - x*points: y = 3,3,1,2,2,1; x = 0,0,1,0,0,0.
  n=6 Σx=1 Σy=12 Σxy=1 Σx²=1 Σy²=28: r = (6-12)/sqrt((6-1)(168-144)) = -6/sqrt(120).
marc-multi: facility 3/6; discrimination 1 - 0 = 1.0 -> no flag.
  y = score - 2x = 1,1,2,1,1,1; x = 1,1,0,.5,.5,0.
  Σx=3 Σy=7 Σxy=3 Σx²=2.5 Σy²=9: r = (18-21)/sqrt((15-9)(54-49)) = -3/sqrt(30).
marc-tf: facility 1.0 -> easy; discrimination 1 - 1 = 0 -> weak; correlation None (no variance).
Average percent: (75+75+50+50+50+25)/6 = 54.17.
"""
from __future__ import annotations

import math

import pytest
from lms.auth.models import UnitSupervisor
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.quizzes.item_analysis import flags_for, item_analysis, pearson
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt
from tests.quizzes.conftest import module

ROWS = [  # unit, (245 response, credit), (multi response, credit), score, percent
    ("branch_a", ({"choice": 0}, 0.0), ({"choices": [0, 1]}, 1.0), 3, 75.0),
    ("branch_a", ({"choice": 0}, 0.0), ({"choices": [0, 1]}, 1.0), 3, 75.0),
    ("section_a1", ({"choice": 1}, 1.0), ({"choices": [0, 2]}, 0.0), 2, 50.0),
    ("branch_b", ({"choice": 2}, 0.0), ({"choices": [0]}, 0.5), 2, 50.0),
    ("branch_b", (None, 0.0), ({"choices": [1]}, 0.5), 2, 50.0),
    ("library", ({"choice": 0}, 0.0), (None, 0.0), 1, 25.0),
]


def _attempt(user, version, status=SUBMITTED, score=None, percent=None, module_id=None, answers=()):
    attempt = QuizAttempt(user_id=user.id, module_id=module_id or version.module_id, module_version_id=version.id,
                          number=1, status=status, layout={}, score=score, max_score=4.0 if score is not None
                          else None, percent=percent, passed=percent is not None and percent >= 70,
                          submitted_at=utcnow() if status == SUBMITTED else None)
    db.session.add(attempt)
    db.session.flush()
    for question_id, response, credit in answers:
        db.session.add(QuizAnswer(attempt_id=attempt.id, question_id=question_id, response=response, credit=credit))
    return attempt


@pytest.fixture
def data(imported, make_user, org):
    version = module("marc").current_version
    q = {x.qid: x for x in version.questions}
    attempts = []
    for index, (unit, single, multi, score, percent) in enumerate(ROWS, start=1):
        user = make_user(f"learner{index}", unit=org[unit])
        attempts.append(_attempt(user, version, score=score, percent=percent, answers=[
            (q["marc-245"].id, *single), (q["marc-multi"].id, *multi), (q["marc-tf"].id, {"value": True}, 1.0)]))
    # never counted: an attempt still in progress (even with credits), and another version's attempt
    outsider = make_user("outsider", unit=org["branch_a"])
    _attempt(outsider, version, status=IN_PROGRESS, answers=[(q["marc-245"].id, {"choice": 1}, 1.0),
                                                             (q["marc-tf"].id, {"value": False}, 0.0)])
    ddc = module("ddc").current_version
    _attempt(outsider, ddc, score=0, percent=0.0, answers=[(d.id, None, 0.0) for d in ddc.questions])
    db.session.commit()
    return {"version": version, "ddc": ddc, "attempts": attempts}


def _items(result):
    return {item.qid: item for item in result.items}


def test_figures_match_the_hand_worked_values(data):
    result = item_analysis(data["version"].id)
    assert result.attempts == 6
    assert result.average == pytest.approx(54.17, abs=0.005)
    items = _items(result)
    assert [item.qid for item in result.items] == ["marc-245", "marc-multi", "marc-tf", "marc-short"]

    single = items["marc-245"]
    assert (single.n, single.blank) == (6, 1)
    assert single.facility == pytest.approx(1 / 6)
    assert single.discrimination == pytest.approx(-0.5)
    assert single.correlation == pytest.approx(-6 / math.sqrt(120))
    assert single.flags == ["hard", "negative"]

    multi = items["marc-multi"]
    assert (multi.n, multi.blank) == (6, 1)
    assert multi.facility == pytest.approx(0.5)
    assert multi.discrimination == pytest.approx(1.0)
    assert multi.correlation == pytest.approx(-3 / math.sqrt(30))
    assert multi.flags == []

    tf = items["marc-tf"]
    assert tf.facility == pytest.approx(1.0)
    assert tf.discrimination == pytest.approx(0.0)
    assert tf.correlation is None  # everyone right: no variance
    assert tf.flags == ["easy", "weak"]

    short = items["marc-short"]
    assert (short.n, short.facility, short.discrimination, short.correlation, short.options) == (0, None, None,
                                                                                                  None, None)


def test_option_frequencies(data):
    items = _items(item_analysis(data["version"].id))
    single = [(o.label, o.count, round(o.share, 4), o.correct) for o in items["marc-245"].options]
    # 100 chosen by A1, A2, A6; 245 (the key) by A3; 650 by A4; A5 blank
    assert single == [("100", 3, 0.5, False), ("245", 1, round(1 / 6, 4), True), ("650", 1, round(1 / 6, 4), False)]
    multi = [(o.label, o.count, o.correct) for o in items["marc-multi"].options]
    assert multi == [("650", 4, True), ("651", 3, True), ("245", 1, False)]  # A6 blank
    tf = [(o.count, o.correct) for o in items["marc-tf"].options]
    assert tf == [(6, True), (0, False)]  # the in-progress attempt's False is not counted


def test_other_versions_attempts_are_excluded(data):
    result = item_analysis(data["ddc"].id)
    assert result.attempts == 1
    assert all(item.n == 1 for item in result.items)


def test_fewer_than_three_attempts_give_no_discrimination(data, org):
    result = item_analysis(data["version"].id, [org["branch_b"].id])  # A4 and A5 only
    assert result.attempts == 2
    items = _items(result)
    assert items["marc-multi"].facility == pytest.approx(0.5)
    assert all(item.discrimination is None for item in result.items)
    assert items["marc-245"].correlation is None  # both got 0
    assert "negative" not in items["marc-245"].flags and "weak" not in items["marc-tf"].flags


def test_supervisor_counts_only_their_units(data, client_as, org):
    from lms.auth.scoping import supervised_unit_ids

    supervisor = client_as("supervisor")
    db.session.add(UnitSupervisor(unit_id=org["branch_a"].id, user_id=supervisor.user.id))
    db.session.commit()
    # branch-a and section-a1 below it: A1, A2, A3. Ranked: A3 (50), A1, A2 (75); thirds of 1:
    # bottom A3 (245 right), top A2 (245 wrong) -> discrimination -1; facility 1/3.
    result = item_analysis(data["version"].id, supervised_unit_ids(supervisor.user))
    assert result.attempts == 3
    single = _items(result)["marc-245"]
    assert single.facility == pytest.approx(1 / 3)
    assert single.discrimination == pytest.approx(-1.0)
    page = supervisor.get(f"/quiz/items/{data['version'].id}").get_data(as_text=True)
    assert '<dd>3</dd>' in page and 'id="scope-note"' in page
    listing = supervisor.get("/quiz/items/").get_data(as_text=True)
    assert "(3)" in listing and "(6)" not in listing


def test_trainer_pages_show_figures_and_no_names(data, client_as):
    trainer = client_as("trainer")
    trainer.user.locale = "en"
    db.session.commit()
    listing = trainer.get("/quiz/items/")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f'href="/quiz/items/{data["version"].id}"' in text and "(6)" in text
    page = trainer.get(f"/quiz/items/{data['version'].id}").get_data(as_text=True)
    row = page[page.index('id="item-marc-245"'):]
    row = row[:row.index("</tr>")]
    assert "16.7%" in row and "-0.50" in row and "-0.55" in row
    assert "Too hard" in row and "Negative discrimination" in row
    options = page[page.index('id="options-marc-245"'):]
    options = options[:options.index("</table>")]
    assert "50.0%" in options and "Correct" in options
    assert "Learner1" not in page and "learner1" not in page and 'id="scope-note"' not in page
    results = trainer.get("/quiz/results/contoh/marc/").get_data(as_text=True)
    assert f'href="/quiz/items/{data["version"].id}"' in results


def test_indonesian_page_renders(data, client_as):
    page = client_as("admin").get(f"/quiz/items/{data['version'].id}")
    assert page.status_code == 200


def test_librarians_are_refused(data, client_as):
    librarian = client_as("librarian")
    assert librarian.get("/quiz/items/").status_code == 403
    assert librarian.get(f"/quiz/items/{data['version'].id}").status_code == 403


def test_unknown_version_is_404(client_as, imported):
    assert client_as("trainer").get("/quiz/items/999999").status_code == 404


def test_helpers():
    assert pearson(1, 1, 1, 1, 1, 1) is None
    assert pearson(3, 3, 6, 8, 5, 14) == pytest.approx(1.0)  # x = 0,1,2 ; y = 1,2,3
    assert flags_for(0.95, 0.5) == ["easy"]
    assert flags_for(0.5, -0.1) == ["negative"]
    assert flags_for(0.5, 0.1) == ["weak"]
    assert flags_for(0.15, None) == ["hard"]
    assert flags_for(None, None) == []
