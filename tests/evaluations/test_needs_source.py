"""Observed application as a source of the needs analysis, with hand-worked figures.

Self-assessments only (as tests/curriculum/conftest.py), so without application data each
priority is the self need clamp(MWDS / 20):

=====================  ==========  ==========  ===========================  ==============
competency             ani (I, A)  bob (I, A)  MWDS = sum(D) * mean(I) / n  priority
=====================  ==========  ==========  ===========================  ==============
cat-classification     4, 3        5, 1        5 * 4.5 / 2 = 11.25          0.5625 #1
cs-reference-interview 5, 1        2, 2        4 * 3.5 / 2 = 7              0.35   #2
cat-marc               5, 2        3, 3        3 * 4 / 2 = 6                0.30   #3
=====================  ==========  ==========  ===========================  ==============

ani passed the MARC module, but citra observed her applying its three behaviours never,
sometimes, never: ratings 1, 2, 1 before the round closed. Observed application:

    mean = 4 / 3 = 1.333;  need = (4 - 1.333) / 3 = 8/9 = 0.889
    priority(cat-marc) = (0.4 * 0.3 + 0.2 * 0.889) / (0.4 + 0.2) = 0.29778 / 0.6 = 0.496

so cat-marc ("passed but not applied") moves from #3 to #2, above cs-reference-interview.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from lms.extensions import db
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.clock import local_zone
from lms.plugins.needs import analysis
from tests.curriculum.conftest import SELF_ANSWERS, answer, make_round, surveys  # noqa: F401 - fixtures
from tests.evaluations.conftest import INDICATORS, client_of, module


@pytest.fixture
def needs_world(world, make_round, answer):  # noqa: F811
    needs_round = make_round()
    for username, answers in SELF_ANSWERS.items():
        person = world.get(username)
        if person is None:
            continue
        answer(needs_round, person, answers)
    world["round"] = needs_round
    return world


def _observe(world, ratings, before: datetime) -> None:
    """citra's observation of ani on cat-marc, submitted at ``before``."""
    window = EvaluationWindow(user_id=world["ani"].id, competency_id="cat-marc", module_id=module("marc").id,
                              key="m1", origin="completion", unit_id=world["ani"].unit_id,
                              opens_on=before.date() - timedelta(days=5), closes_on=before.date() + timedelta(days=20))
    response = EvaluationResponse(window=window, kind="supervisor", responder_id=world["citra"].id,
                                  submitted_at=before)
    response.ratings = [EvaluationRating(indicator=index, text_id=item["id"], text_en=item["en"], frequency=value)
                        for index, (item, value) in enumerate(zip(INDICATORS["cat-marc"], ratings))]
    db.session.add_all([window, response])
    db.session.commit()


def _ranks(result) -> dict[str, tuple[int | None, float | None]]:
    return {c.competency_id: (c.rank, None if c.priority is None else round(c.priority, 4))
            for c in result.competencies}


def test_passed_but_not_applied_ranks_higher_with_application_data(app, needs_world):
    needs_round = needs_world["round"]
    before = _ranks(analysis.analyze(needs_round))
    assert before["cat-classification"] == (1, 0.5625)
    assert before["cs-reference-interview"] == (2, 0.35)
    assert before["cat-marc"] == (3, 0.3)

    closed = datetime.combine(needs_round.closes_on, time(10), tzinfo=local_zone())
    _observe(needs_world, (1, 2, 1), closed)
    result = analysis.analyze(needs_round)
    after = _ranks(result)
    assert after["cat-marc"] == (2, 0.4963)
    assert after["cs-reference-interview"] == (3, 0.35)
    assert after["cat-classification"] == (1, 0.5625)
    marc = result.by_id("cat-marc")
    assert marc.needs["application"] == pytest.approx(8 / 9)
    assert result.weights["application"] == 0.2


def test_observations_after_the_round_closed_do_not_count(app, needs_world):
    needs_round = needs_world["round"]
    after_close = datetime.combine(needs_round.closes_on + timedelta(days=1), time(10), tzinfo=local_zone())
    _observe(needs_world, (1, 1, 1), after_close)
    assert _ranks(analysis.analyze(needs_round))["cat-marc"] == (3, 0.3)


def test_the_weight_is_a_setting_and_zero_turns_it_off(app, needs_world):
    needs_round = needs_world["round"]
    _observe(needs_world, (1, 2, 1), datetime.combine(needs_round.closes_on, time(10), tzinfo=local_zone()))
    app.config["NEEDS_WEIGHTS"] = {**app.config["NEEDS_WEIGHTS"], "application": 0.4}
    # (0.4 * 0.3 + 0.4 * 8/9) / 0.8 = (0.12 + 0.35556) / 0.8 = 0.59444
    assert _ranks(analysis.analyze(needs_round))["cat-marc"] == (1, 0.5944)
    app.config["NEEDS_WEIGHTS"] = {**app.config["NEEDS_WEIGHTS"], "application": 0}
    assert _ranks(analysis.analyze(needs_round))["cat-marc"] == (3, 0.3)


def test_the_traceability_page_shows_the_arithmetic(app, needs_world):
    needs_round = needs_world["round"]
    _observe(needs_world, (1, 2, 1), datetime.combine(needs_round.closes_on, time(10), tzinfo=local_zone()))
    app.config["NEEDS_MIN_GROUP"] = 2  # two respondents: the page shows the figures
    client = client_of(app, "tari")
    page = client.get(f"/needs/analysis/{needs_round.id}/competency/cat-marc").get_data(as_text=True)
    assert 'id="source-application"' in page
    assert "mean = Σ rating / n = 4 / 3 = 1.333" in page
    assert "need = (4 − 1.333) / 3 = 0.889" in page
    assert "priority = (0.4 × 0.3 + 0.2 × 0.889) / (0.4 + 0.2) = 0.496" in page


def test_ani_sees_the_observation_in_her_own_evidence(app, needs_world):
    needs_round = needs_world["round"]
    _observe(needs_world, (1, 2, 1), datetime.combine(needs_round.closes_on, time(10), tzinfo=local_zone()))
    mine = analysis.librarian_evidence(needs_world["ani"], needs_round)
    # own: self (5 - 2) * 5 = 15 -> 0.75; application 8/9 -> (0.4 * 0.75 + 0.2 * 0.889) / 0.6 = 0.7963
    assert mine["cat-marc"].personal_priority == pytest.approx((0.4 * 0.75 + 0.2 * 8 / 9) / 0.6)
    assert "application" not in mine["cat-classification"].needs


def test_the_impact_page_shows_the_four_levels_side_by_side(app, world, make_round, answer):  # noqa: F811
    from lms.plugins.needs import impact
    from lms.plugins.needs.models import ModuleFeedback

    first = make_round("Putaran 2025", closed_days_ago=40)
    second = make_round("Putaran 2026", closed_days_ago=2)
    for needs_round in (first, second):
        answer(needs_round, world["ani"], SELF_ANSWERS["ani"])
    between = datetime.combine(first.closes_on + timedelta(days=10), time(10), tzinfo=local_zone())
    db.session.add(ModuleFeedback(user_id=world["ani"].id, module_id=module("marc").id, useful=5, clear=4,
                                  applicable=3, created_at=between))
    db.session.commit()
    _observe(world, (1, 2, 1), between)
    # one person observed: level 3 is not shown under the minimum group
    app.config["NEEDS_MIN_GROUP"] = 2
    row = next(r for r in impact.compare(first, second).rows if r.competency_id == "cat-marc")
    assert row.behaviour == (None, None)
    app.config["NEEDS_MIN_GROUP"] = 1
    result = impact.compare(first, second)
    row = next(r for r in result.rows if r.competency_id == "cat-marc")
    assert row.reaction == (None, 4.0)  # (5 + 4 + 3) / 3, given between the rounds
    assert row.behaviour[0] is None and row.behaviour[1] == pytest.approx(4 / 3)
    page = client_of(app, "tari").get(f"/needs/analysis/impact?from={first.id}&to={second.id}").get_data(as_text=True)
    levels = page.split('id="levels"', 1)[1].split("</table>", 1)[0]
    marc = levels.split('data-competency="cat-marc"', 1)[1].split("</tr>", 1)[0]
    assert 'data-level="3"><span class="muted">—</span> → 1,33' in marc
    assert 'data-level="1"><span class="muted">—</span> → 4,00' in marc


def test_ani_sees_her_observed_application_as_a_column_on_her_evidence_page(app, needs_world):
    needs_round = needs_world["round"]
    _observe(needs_world, (1, 2, 1), datetime.combine(needs_round.closes_on, time(10), tzinfo=local_zone()))
    page = client_of(app, "ani").get("/needs/analysis/mine").get_data(as_text=True)
    table = page.split('id="mine"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col" class="num" data-source="application">Penerapan di tempat kerja (pengamatan atasan)</th>' \
        in table or 'data-source="application">Observed application at work</th>' in table
    marc = table.split('id="c-cat-marc"', 1)[1].split("</tr>", 1)[0]
    assert 'data-source="application"' in marc and ">1,33</td>" in marc  # mean (1 + 2 + 1) / 3
    classification = table.split('id="c-cat-classification"', 1)[1].split("</tr>", 1)[0]
    assert 'data-source="application"><span class="muted">—</span></td>' in classification


def test_the_analysis_page_lists_the_weight_of_observed_application(app, needs_world):
    needs_round = needs_world["round"]
    app.config["NEEDS_MIN_GROUP"] = 1
    page = client_of(app, "tari").get(f"/needs/analysis/?round={needs_round.id}").get_data(as_text=True)
    hint = page.split('id="plugin-weights">', 1)[1].split("</span>", 1)[0]
    assert "0,2" in hint and ("Penerapan di tempat kerja" in hint or "Observed application" in hint)
