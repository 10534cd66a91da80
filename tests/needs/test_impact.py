"""Impact: two rounds compared, and the librarians who trained in between."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Module
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs import impact
from tests.needs.test_analysis import FULL, PARTIAL, local, make_round, questions, quiz, rate, self_assess


def complete(user, module_slug: str, when) -> None:
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    db.session.add(ModuleCompletion(user_id=user.id, module_id=module.id, completed_at=when))
    db.session.commit()


@pytest.fixture
def story(imported, make_user, org):
    """Round 2025 closes 31 Jan 2025, round 2026 closes 31 Jan 2026; L1 trains on MARC in between."""
    first = make_round("Putaran 2025", date(2025, 1, 1), date(2025, 1, 31))
    second = make_round("Putaran 2026", date(2026, 1, 1), date(2026, 1, 31))
    l1 = make_user("l1", unit=org["branch_a"])
    l2 = make_user("l2", unit=org["branch_a"])
    l3 = make_user("l3", unit=org["branch_b"])
    coach = make_user("coach", roles=("trainer",), unit=org["branch_a"])
    boss, boss2 = make_user("boss", roles=("supervisor",)), make_user("boss2", roles=("supervisor",))

    complete(l1, "marc", local(2025, 6, 1))  # between the closes: counts
    complete(l2, "marc", local(2025, 1, 20))  # before the first close: does not
    complete(l3, "ddc", local(2025, 2, 1, 0, 30))  # just after the first round's last day: counts
    complete(coach, "marc", local(2025, 6, 1))  # not a librarian

    self_assess(first, l1, {"cat-marc": (5, 2)})
    self_assess(first, l2, {"cat-marc": (5, 1)})
    self_assess(second, l1, {"cat-marc": (5, 4)})
    self_assess(second, l2, {"cat-marc": (5, 1)})
    rate(first, boss, l1, {"cat-marc": 2})
    rate(second, boss, l1, {"cat-marc": 3})
    rate(second, boss2, l1, {"cat-marc": 4})

    quiz(l1, "marc", PARTIAL, local(2025, 1, 10))  # before: 3 of 5
    quiz(l1, "marc", FULL, local(2025, 3, 1))  # after: 5 of 5
    quiz(l1, "marc", {"marc-245": 0.0}, local(2025, 2, 1, 0, 30))  # after (next local day): 0 of 1
    quiz(l1, "marc", FULL, local(2026, 3, 1))  # after the second close: ignored
    return {"first": first, "second": second, "l1": l1, "l3": l3}


def test_module_competency_map_includes_question_competencies(story):
    ddc_question = questions("ddc")["ddc-num"]
    ddc_question.competency_id = "cs-reference-interview"
    db.session.commit()
    mapping = {db.session.get(Module, mid).slug: found for mid, found in impact.module_competencies().items()}
    assert mapping == {"marc": {"cat-marc"}, "ddc": {"cat-classification", "cs-reference-interview"}}


def test_compare_by_hand(story):
    result = impact.compare(story["first"], story["second"])
    rows = {row.competency_id: row for row in result.rows}
    marc = rows["cat-marc"]
    # before: D = 3 + 4, mean I 5, n 2 -> 17.5; after: D = 1 + 4 -> 12.5
    assert marc.mwds_before == pytest.approx(17.5) and marc.mwds_after == pytest.approx(12.5)
    assert marc.change == pytest.approx(-5.0)
    assert marc.n_people == 1  # l1 only: l2 trained too early, the coach is no librarian
    assert (marc.ability_before, marc.ability_after) == (pytest.approx(2.0), pytest.approx(4.0))
    assert (marc.supervisor_before, marc.supervisor_after) == (pytest.approx(2.0), pytest.approx(3.5))
    assert marc.mastery_before == pytest.approx(3 / 5)
    assert marc.mastery_after == pytest.approx(5 / 6)
    ddc = rows["cat-classification"]
    assert ddc.n_people == 1 and ddc.ability_before is None and ddc.mastery_after is None
    assert ddc.mwds_before is None and ddc.change is None
    assert [row.competency_id for row in result.completers] == ["cat-marc", "cat-classification"]


def test_compare_in_either_order_and_by_unit(story, org):
    swapped = impact.compare(story["second"], story["first"])
    assert swapped.before.id == story["first"].id
    assert {r.competency_id: r.mwds_before for r in swapped.rows}["cat-marc"] == pytest.approx(17.5)
    only_b = {r.competency_id: r for r in impact.compare(story["first"], story["second"],
                                                         unit_ids=[org["branch_b"].id]).rows}
    assert only_b["cat-marc"].n_people == 0 and only_b["cat-marc"].mwds_before is None
    assert only_b["cat-classification"].n_people == 1


def test_impact_page_lists_the_completers(app, client_as, story):
    app.config["NEEDS_MIN_GROUP"] = 1  # the story has one or two completers per competency
    trainer = client_as("trainer")
    trainer.user.locale = "en"
    db.session.commit()
    html = trainer.get(f"/needs/analysis/impact?from={story['first'].id}&to={story['second'].id}").get_data(as_text=True)
    table = html[html.index('id="completers"'):]
    assert "60%" in table and "83%" in table and "3.50" in table
    assert "-5.00" in html


def test_impact_page_hides_completers_under_the_minimum_group(app, client_as, story):
    """Before/after self-ratings of one or two people would be their own answers."""
    app.config["NEEDS_MIN_GROUP"] = 5
    trainer = client_as("trainer")
    trainer.user.locale = "en"
    db.session.commit()
    html = trainer.get(f"/needs/analysis/impact?from={story['first'].id}&to={story['second'].id}").get_data(as_text=True)
    table = html[html.index('id="completers"'):]
    assert "fewer than 5 people: not shown" in table
    assert "60%" not in table and "83%" not in table and "3.50" not in table
    assert "-5.00" in html  # organisation-level MWDS change stays visible
