"""The personal learning path: order, exclusions, reasons, My learning and the CLI."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from lms.extensions import db
from lms.plugins.curriculum import paths
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs.analysis import PersonalEvidence
from tests.conftest import login
from tests.curriculum.conftest import module


def slugs(steps) -> list[str]:
    return [step.module.slug for step in steps]


def test_path_orders_by_personal_and_org_priority(app, evidence):
    # marc: 0.6 * 0.75 + 0.4 * 0.30 = 0.57; ddc: 0.6 * 0.2 + 0.4 * 0.5625 = 0.345
    with force_locale("en"):
        steps = paths.learning_path(evidence["ani"], "en")
    assert slugs(steps) == ["marc", "ddc"]
    assert [step.score for step in steps] == [pytest.approx(0.57), pytest.approx(0.345)]
    assert [step.competency_id for step in steps] == ["cat-marc", "cat-classification"]
    assert steps[0].reason == ("Chosen because of your gap in MARC 21 format (importance 5, ability 2) "
                               "and organisation priority #3")
    assert steps[1].reason == ("Chosen because of your gap in DDC classification (importance 4, ability 3) "
                               "and organisation priority #1")
    assert steps[0].url == "/courses/contoh/marc/"


def test_path_uses_the_readers_language_for_competency_names(app, evidence):
    with force_locale("id"):
        steps = paths.learning_path(evidence["ani"], "id")
    assert "Format MARC 21" in steps[0].reason
    assert steps[0].competency_name == "Format MARC 21"


def test_completed_modules_are_left_out(app, evidence):
    db.session.add(ModuleCompletion(user_id=evidence["ani"].id, module_id=module("marc").id))
    db.session.commit()
    assert slugs(paths.learning_path(evidence["ani"], "en")) == ["ddc"]


def test_without_personal_evidence_the_org_priority_decides(app, evidence, make_user, org):
    carol = make_user("carol", unit=org["branch_a"])
    # marc 0.4 * 0.30 = 0.12, ddc 0.4 * 0.5625 = 0.225
    with force_locale("en"):
        steps = paths.learning_path(carol, "en")
    assert slugs(steps) == ["ddc", "marc"]
    assert steps[0].score == pytest.approx(0.225)
    assert steps[0].reason == "Chosen because DDC classification is organisation priority #1"


def test_supervisor_rating_is_named_when_it_is_the_strongest_evidence(app, org, make_user, make_round, answer):
    dina = make_user("dina", unit=org["branch_a"])
    head = make_user("head", roles=("supervisor",), unit=org["library"])
    needs_round = make_round()
    # Only a rating: cat-marc ability 2 against the default target 4 -> need (4 - 2) / 4 = 0.5
    answer(needs_round, dina, {"cat-marc": 2}, rater=head)
    with force_locale("en"):
        steps = paths.learning_path(dina, "en")
    assert slugs(steps) == ["marc"]
    assert steps[0].score == pytest.approx(0.6 * 0.5 + 0.4 * 0.5)
    assert steps[0].reason == ("Chosen because your supervisor rated your MARC 21 format at 2 against a target of 4 "
                               "and organisation priority #1")


def test_no_closed_round_no_path(app, org, make_user, make_round, answer):
    ani = make_user("ani", unit=org["branch_a"])
    open_round = make_round(closed_days_ago=-5)  # still open
    answer(open_round, ani, {"cat-marc": (5, 1)})
    assert paths.learning_path(ani, "en") == []


def test_rank_modules_pure_ties_keep_catalogue_order():
    first, second, third = (SimpleNamespace(id=n) for n in (1, 2, 3))
    mapping = {1: ["a"], 2: ["b", "a"], 3: ["c"]}
    evidence = {"a": PersonalEvidence("a", personal_priority=0.5, org_priority=0.5),
                "b": PersonalEvidence("b", personal_priority=None, org_priority=0.25),
                "c": PersonalEvidence("c")}  # no evidence: scores 0, left out
    ranked = paths.rank_modules([first, second, third], mapping, evidence)
    assert [(m.id, round(score, 3), cid) for m, score, cid in ranked] == [(1, 0.5, "a"), (2, 0.5, "a")]


def test_strongest_source_picks_largest_personal_need():
    item = PersonalEvidence("x", needs={"self": 0.2, "quiz": 0.6, "patron": 0.9})
    assert paths.strongest_source(item) == "quiz"  # patron data is the unit's, not personal
    assert paths.strongest_source(PersonalEvidence("x", needs={"patron": 0.9})) is None


def test_my_learning_shows_the_path(app, evidence, client):
    login(client, "ani")
    page = client.get("/learning/").get_data(as_text=True)
    assert 'href="/courses/contoh/marc/"' in page
    assert "Chosen because of your gap in MARC 21 format (importance 5, ability 2)" in page
    assert page.index("/courses/contoh/marc/") < page.index("/courses/contoh/ddc/")


def test_cli_recommend_json(app, evidence, runner):
    result = runner.invoke(args=["curriculum", "recommend", "ani", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(row["course"], row["module"], row["competency"]) for row in data] == [
        ("contoh", "marc", "cat-marc"), ("contoh", "ddc", "cat-classification")]
    assert data[0]["score"] == pytest.approx(0.57)
    assert data[0]["reason"].startswith("Chosen because of your gap in MARC 21 format")


def test_cli_recommend_text_and_unknown_user(app, evidence, runner):
    result = runner.invoke(args=["curriculum", "recommend", "ani"])
    assert result.exit_code == 0
    assert "1. contoh/marc" in result.output
    assert runner.invoke(args=["curriculum", "recommend", "nobody"]).exit_code != 0
