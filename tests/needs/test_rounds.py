"""Needs rounds: creating and editing them (validation, who may), scope helpers, the index
and the response-rate page."""
from __future__ import annotations

import re

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import UnitSupervisor
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.needs import analysis, rounds
from lms.plugins.needs.models import NeedsRound, StaffAnswer, StaffResponse, Survey, SurveyItem
from tests.conftest import post_form


# --- shared fixtures (the staff-survey and feedback tests import them) ------------------------

@pytest.fixture(name="surveys")
def surveys_fixture(imported):
    """One self, one supervisor and one patron instrument over every competency of the
    sample framework (key = competency id), as the surveys loader would make them."""
    competencies = list(db.session.scalars(select(Competency).order_by(Competency.position)))
    made = {}
    for kind in ("self", "supervisor", "patron"):
        survey = Survey(slug=f"{kind}-test", kind=kind, title_id=f"Survei {kind}", title_en=f"Survey {kind}",
                        intro_id="Pengantar survei.", intro_en="About this survey.", source_hash="x" * 64)
        survey.items = [SurveyItem(key=c.id, position=i, text_id=c.name_id, text_en=c.name_en, competency_id=c.id)
                        for i, c in enumerate(competencies)]
        db.session.add(survey)
        made[kind] = survey
    db.session.commit()
    return made


@pytest.fixture(name="make_round")
def make_round_fixture(surveys):
    """A round open today (or shifted with ``days``) over ``units`` (none: everyone)."""
    def make(units=(), days: int = 0, length: int = 7, title: str = "Putaran 2026", **surveys_used) -> NeedsRound:
        today = local_today() + timedelta(days=days)
        chosen = surveys_used or {"self": True, "supervisor": True}
        needs_round = NeedsRound(title=title, opens_on=today - timedelta(days=1),
                                 closes_on=today - timedelta(days=1) + timedelta(days=length),
                                 self_survey=surveys["self"] if chosen.get("self") else None,
                                 supervisor_survey=surveys["supervisor"] if chosen.get("supervisor") else None,
                                 patron_survey=surveys["patron"] if chosen.get("patron") else None,
                                 units=list(units))
        db.session.add(needs_round)
        db.session.commit()
        return needs_round

    return make


def competency_ids() -> list[str]:
    return list(db.session.scalars(select(Competency.id).order_by(Competency.position)))


def supervise(user, unit) -> None:
    db.session.add(UnitSupervisor(unit_id=unit.id, user_id=user.id))
    db.session.commit()


def english(client):
    client.user.locale = "en"
    db.session.commit()
    return client


def round_count() -> int:
    return db.session.scalar(select(func.count()).select_from(NeedsRound))


# --- creating and editing ---------------------------------------------------------------------

def form_data(surveys, **overrides) -> dict:
    today = local_today()
    data = {"title": "Putaran Juli", "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=14)).isoformat(),
            "self_survey_id": str(surveys["self"].id), "supervisor_survey_id": str(surveys["supervisor"].id),
            "patron_survey_id": ""}
    data.update(overrides)
    return data


def test_admin_creates_a_whole_organisation_round_and_it_is_audited(client_as, surveys):
    admin = english(client_as("admin"))
    response = post_form(admin, "/needs/rounds/new", form_data(surveys))
    assert response.status_code == 302
    needs_round = db.session.scalar(select(NeedsRound))
    assert needs_round.title == "Putaran Juli" and needs_round.units == []
    assert needs_round.self_survey_id == surveys["self"].id and needs_round.patron_survey_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "needs.round_created"))
    assert entry.target_id == str(needs_round.id) and entry.actor_id == admin.user.id
    index = admin.get("/needs/").get_data(as_text=True)
    assert "Putaran Juli" in index and "Whole organisation" in index and "open" in index


@pytest.mark.parametrize("overrides, message", [
    ("close-early", "The round cannot close before it opens."),
    ({"self_survey_id": "", "supervisor_survey_id": ""}, "Choose at least one survey."),
    ("wrong-kind", "This is not a survey of the right kind."),
])
def test_round_validation_errors_are_shown_and_nothing_is_saved(client_as, surveys, overrides, message):
    admin = english(client_as("admin"))
    if overrides == "wrong-kind":
        overrides = {"self_survey_id": str(surveys["patron"].id)}
    elif overrides == "close-early":
        overrides = {"closes_on": (local_today() - timedelta(days=1)).isoformat()}
    response = post_form(admin, "/needs/rounds/new", form_data(surveys, **overrides), token_from="/needs/rounds/new")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert round_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("needs.%"))) == 0


def test_supervisor_creates_a_round_for_own_units_only(client_as, org, surveys):
    supervisor = english(client_as("supervisor"))
    supervise(supervisor.user, org["branch_a"])
    page = supervisor.get("/needs/rounds/new").get_data(as_text=True)
    assert "Cabang A" in page and "Seksi A1" in page and "Cabang B" not in page
    refused = post_form(supervisor, "/needs/rounds/new",
                        form_data(surveys, unit_ids=[str(org["branch_b"].id)]))
    assert refused.status_code == 400
    assert "You may only choose units you supervise." in refused.get_data(as_text=True)
    whole = post_form(supervisor, "/needs/rounds/new", form_data(surveys))
    assert whole.status_code == 400 and "Choose at least one of your units." in whole.get_data(as_text=True)
    assert round_count() == 0
    ok = post_form(supervisor, "/needs/rounds/new", form_data(surveys, unit_ids=[str(org["section_a1"].id)]))
    assert ok.status_code == 302
    assert [u.code for u in db.session.scalar(select(NeedsRound)).units] == ["section-a1"]


def test_supervisor_cannot_edit_a_round_outside_their_units(client_as, org, make_round):
    supervisor = client_as("supervisor")
    supervise(supervisor.user, org["branch_a"])
    other = make_round(units=[org["branch_b"]])
    whole = make_round()
    assert supervisor.get(f"/needs/rounds/{other.id}/edit").status_code == 403
    assert supervisor.get(f"/needs/rounds/{whole.id}/edit").status_code == 403
    mine = make_round(units=[org["section_a1"]])
    assert supervisor.get(f"/needs/rounds/{mine.id}/edit").status_code == 200


def test_librarian_and_trainer_may_not_manage_rounds(client_as, surveys, make_round):
    librarian = client_as("librarian")
    assert librarian.get("/needs/").status_code == 403
    assert librarian.get("/needs/rounds/new").status_code == 403
    needs_round = make_round()
    assert librarian.get(f"/needs/rounds/{needs_round.id}").status_code == 403
    trainer = client_as("trainer")
    assert trainer.get("/needs/").status_code == 200
    assert trainer.get("/needs/rounds/new").status_code == 403


def test_dates_may_change_after_responses_but_surveys_may_not(client_as, org, make_user, make_round, surveys):
    admin = english(client_as("admin"))
    needs_round = make_round()
    librarian = make_user("lib1", unit=org["section_a1"])
    response = StaffResponse(round_id=needs_round.id, survey_id=surveys["self"].id, kind="self",
                             subject_id=librarian.id, rater_id=librarian.id)
    response.answers = [StaffAnswer(competency_id=cid, importance=4, ability=2) for cid in competency_ids()]
    db.session.add(response)
    db.session.commit()
    url = f"/needs/rounds/{needs_round.id}/edit"
    new_close = (needs_round.closes_on + timedelta(days=7)).isoformat()
    changed = post_form(admin, url, form_data(surveys, title="Putaran", opens_on=needs_round.opens_on.isoformat(),
                                              closes_on=new_close, supervisor_survey_id=""))
    assert changed.status_code == 400
    assert "The surveys cannot change once the round has responses." in changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(NeedsRound, needs_round.id).supervisor_survey_id == surveys["supervisor"].id
    kept = post_form(admin, url, form_data(surveys, title="Putaran", opens_on=needs_round.opens_on.isoformat(),
                                           closes_on=new_close))
    assert kept.status_code == 302
    db.session.expire_all()
    assert db.session.get(NeedsRound, needs_round.id).closes_on.isoformat() == new_close
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "needs.round_updated")) == 1


def test_service_refuses_a_tampered_unit_id(app, org, make_user, surveys):
    supervisor = make_user("sup", roles=("supervisor",), unit=org["branch_a"])
    supervise(supervisor, org["branch_a"])
    today = local_today()
    data = rounds.RoundData("X", today, today, self_survey_id=surveys["self"].id, unit_ids=[99999])
    with pytest.raises(rounds.RoundError) as error:
        rounds.save_round(supervisor, data)
    assert error.value.field == "unit_ids"
    db.session.rollback()
    assert round_count() == 0


# --- scope helpers ------------------------------------------------------------------------------

def test_scope_helpers(app, org, make_user, make_round):
    inside = make_user("in", unit=org["section_a1"])
    outside = make_user("out", unit=org["branch_b"])
    trainer = make_user("tr", roles=("trainer",), unit=org["section_a1"])
    needs_round = make_round(units=[org["branch_a"]])
    assert rounds.in_scope(needs_round, inside) and not rounds.in_scope(needs_round, outside)
    users = set(db.session.scalars(rounds.scope_users_select(needs_round)))
    assert users == {inside}  # librarians only, subtree of branch-a
    assert [r.id for r in rounds.open_rounds_for(inside)] == [needs_round.id]
    assert rounds.open_rounds_for(outside) == [] and rounds.open_rounds_for(trainer) == []
    whole = make_round()
    assert rounds.in_scope(whole, outside)
    make_round(days=30)  # upcoming: not open
    assert [r.id for r in rounds.open_rounds_for(outside)] == [whole.id]


def test_min_group_reads_the_setting(app):
    assert analysis.min_group() == 5
    app.config["NEEDS_MIN_GROUP"] = 3
    assert analysis.min_group() == 3


# --- the round page: counts only, within reach ----------------------------------------------------

def test_round_page_shows_unit_rates_within_the_supervisors_reach(client_as, org, make_user, make_round, surveys):
    supervisor = english(client_as("supervisor"))
    supervise(supervisor.user, org["branch_a"])
    a = [make_user(f"a{i}", unit=org["section_a1"]) for i in range(4)]
    b = make_user("b1", unit=org["branch_b"])
    needs_round = make_round()
    for person in (a[0], a[1], b):
        response = StaffResponse(round_id=needs_round.id, survey_id=surveys["self"].id, kind="self",
                                 subject_id=person.id, rater_id=person.id, unit_id=person.unit_id)
        response.answers = [StaffAnswer(competency_id=cid, importance=5, ability=1) for cid in competency_ids()]
        db.session.add(response)
    db.session.commit()
    page = supervisor.get(f"/needs/rounds/{needs_round.id}").get_data(as_text=True)
    assert "Seksi A1" in page and "Cabang B" not in page
    assert '<dd id="count-self">2</dd>' in page  # b's answer is outside the supervisor's reach
    assert "50%" in page  # 2 of 4 librarians of Seksi A1
    visible = re.sub(r"<[^>]*>", " ", page)  # not in a tag: a CSRF token may hold "A0" by chance
    assert not re.search(r"\bA0\b", visible)  # no names on the response-rate page
    admin = english(client_as("admin"))
    page = admin.get(f"/needs/rounds/{needs_round.id}").get_data(as_text=True)
    assert "Cabang B" in page and '<dd id="count-self">3</dd>' in page
