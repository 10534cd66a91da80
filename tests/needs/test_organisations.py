"""Needs rounds belong to one organisation (issue 20, docs/organisations.md section 3): another
library's round is invisible and a 404 by id; a provincial round's breakdown by organisation
holds each library to the anonymity threshold on its own."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms import organisations
from lms.auth.models import OrganisationRole, UnitSupervisor
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.needs import analysis, rounds
from lms.plugins.needs.models import SELF, NeedsRound, StaffAnswer, StaffResponse
from tests.conftest import OTHER_MARKER
from tests.needs.test_rounds import surveys_fixture  # noqa: F401 - the "surveys" fixture


def closed_round(surveys, organisation_unit, title: str, units=()) -> NeedsRound:
    today = local_today()
    needs_round = NeedsRound(title=title, opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=2),
                             self_survey_id=surveys["self"].id, supervisor_survey_id=surveys["supervisor"].id,
                             organisation_id=organisation_unit.id)
    needs_round.units = list(units)
    db.session.add(needs_round)
    db.session.commit()
    return needs_round


def self_assess(needs_round, user, ability: int = 2) -> None:
    response = StaffResponse(round_id=needs_round.id, survey_id=needs_round.self_survey_id, kind=SELF,
                             subject_id=user.id, rater_id=user.id, unit_id=user.unit_id, position=user.position)
    response.answers = [StaffAnswer(competency_id="cat-marc", importance=5, ability=ability)]
    db.session.add(response)
    db.session.commit()


@pytest.fixture
def seb_round(surveys, other_org, make_user):
    """A closed round of the second library with one answer from its librarian."""
    needs_round = closed_round(surveys, other_org["library"], f"Putaran {OTHER_MARKER}")
    self_assess(needs_round, make_user("seb-lib", unit=other_org["branch"], full_name=f"Ani {OTHER_MARKER}"))
    return needs_round


def test_a_round_of_another_library_is_invisible_and_a_404(app, org, seb_round, client_as, make_user, surveys):
    own = closed_round(surveys, org["library"], "Putaran Sendiri")
    supervisor = client_as("supervisor")
    db.session.add(UnitSupervisor(user_id=supervisor.user.id, unit_id=org["library"].id))  # the whole library
    db.session.commit()
    trainer, librarian = client_as("trainer"), client_as("librarian")
    for client in (supervisor, trainer):
        for path in ("/needs/", "/needs/analysis/", "/needs/analysis/impact", "/curriculum/"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert OTHER_MARKER not in response.get_data(as_text=True), path
        for path in (f"/needs/rounds/{seb_round.id}", f"/needs/analysis/?round={seb_round.id}",
                     f"/needs/analysis/{seb_round.id}/breakdown?by=unit",
                     f"/needs/analysis/{seb_round.id}/competency/cat-marc"):
            assert client.get(path).status_code == 404, path
        assert "Putaran Sendiri" in client.get("/needs/").get_data(as_text=True)
    assert supervisor.get(f"/needs/rounds/{seb_round.id}/ratings").status_code == 404
    assert librarian.get(f"/needs/rounds/{seb_round.id}/self").status_code == 404
    assert librarian.get(f"/needs/rounds/{own.id}/self").status_code == 200


def test_organisation_admins_manage_their_libraries_rounds_only(app, org, other_org, seb_round, make_user):
    from lms.plugins.needs import reach

    ours = make_user("org-admin", roles=(), unit=org["library"])
    theirs = make_user("seb-admin", roles=(), unit=other_org["library"])
    db.session.add_all([OrganisationRole(user_id=ours.id, organisation_id=org["library"].id, role="admin"),
                        OrganisationRole(user_id=theirs.id, organisation_id=other_org["library"].id, role="admin")])
    db.session.commit()
    db.session.refresh(ours)
    db.session.refresh(theirs)
    assert not reach.can_see(ours, seb_round) and not rounds.can_manage(ours, seb_round)
    assert reach.can_see(theirs, seb_round) and rounds.can_manage(theirs, seb_round)
    assert [r.title for r in rounds.listed_rounds(ours, organisations.for_unit(org["library"].id))] == []
    # a unit of the other library cannot be put in a round of one's own
    today = local_today()
    data = rounds.RoundData("X", today, today, self_survey_id=seb_round.self_survey_id,
                            unit_ids=[other_org["branch"].id], organisation_id=org["library"].id)
    with pytest.raises(rounds.RoundError):
        rounds.save_round(ours, data)


def test_an_install_wide_admin_chooses_the_organisation_in_the_url(app, org, seb_round, client_as):
    admin = client_as("admin")
    assert f"Putaran {OTHER_MARKER}" not in admin.get("/needs/").get_data(as_text=True)  # their own library first
    page = admin.get(f"/needs/?org={seb_round.organisation_id}").get_data(as_text=True)
    assert f"Putaran {OTHER_MARKER}" in page and 'name="org"' in page
    assert admin.get("/needs/?org=999999").status_code == 404


@pytest.fixture
def province(make_unit, org, other_org):
    """A provincial service above both libraries, itself an organisation."""
    service = make_unit("prov", "Dinas Perpustakaan Provinsi", "province")
    for library in (org["library"], other_org["library"]):
        library.parent = service
    db.session.commit()
    organisations.assign_organisations()
    db.session.commit()
    return service


def test_a_provincial_breakdown_hides_a_small_library_on_its_own(app, org, other_org, province, surveys,
                                                                  make_user, client_as):
    needs_round = closed_round(surveys, province, "Putaran Provinsi")
    for index in range(5):
        self_assess(needs_round, make_user(f"big{index}", unit=org["branch_a"]), ability=1 + index % 3)
    for index in range(2):
        self_assess(needs_round, make_user(f"small{index}", unit=other_org["branch"]), ability=4)
    assert sorted(analysis.round_organisations(needs_round)) == sorted(
        [province.id, org["library"].id, other_org["library"].id])
    groups = {group.key: group for group in analysis.breakdown(needs_round, by="organisation")}
    big, small = groups[str(org["library"].id)], groups[str(other_org["library"].id)]
    assert (big.n, big.hidden, "cat-marc" in big.competencies) == (5, False, True)
    assert (small.n, small.hidden, small.competencies) == (2, True, {})
    # the whole round (7 people) still shows: the small library's answers are in it, not split out
    assert analysis.analyze(needs_round).respondents == 7

    admin = client_as("admin")
    page = admin.get(f"/needs/analysis/{needs_round.id}/breakdown?by=organisation").get_data(as_text=True)
    # "hidden: fewer than 5 respondents", in the reader's Indonesian
    assert "disembunyikan: kurang dari 5 responden" in page and f"Perpustakaan {OTHER_MARKER}" in page
    assert "Rincian per perpustakaan" in admin.get(f"/needs/analysis/?round={needs_round.id}").get_data(
        as_text=True)


def test_a_librarian_answers_the_provincial_round_over_their_library(app, org, other_org, province, surveys,
                                                                     client_as):
    needs_round = closed_round(surveys, province, "Putaran Provinsi")
    today = local_today()
    needs_round.opens_on, needs_round.closes_on = today - timedelta(days=1), today + timedelta(days=5)
    db.session.commit()
    librarian = client_as("librarian")
    assert librarian.get(f"/needs/rounds/{needs_round.id}/self").status_code == 200
    assert rounds.in_scope(needs_round, librarian.user)
