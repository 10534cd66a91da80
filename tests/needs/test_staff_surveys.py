"""The self-assessment, supervisor ratings and the home panels that lead to them."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.needs.models import StaffAnswer, StaffResponse
from tests.conftest import csrf_token, login, post_form
from tests.needs.test_rounds import competency_ids, english, supervise
from tests.needs.test_rounds import make_round_fixture, surveys_fixture  # noqa: F401 - fixtures


def librarian_in(client_as, unit_code="section-a1"):
    client = english(client_as("librarian", unit_code=unit_code))
    return client


def full_answers(importance=4, ability=2, **per_item) -> dict:
    data = {}
    for cid in competency_ids():
        i, a = per_item.get(cid, (importance, ability))
        data[f"importance-{cid}"] = str(i)
        data[f"ability-{cid}"] = str(a)
    return data


def responses(kind="self") -> list[StaffResponse]:
    db.session.expire_all()
    return list(db.session.scalars(select(StaffResponse).where(StaffResponse.kind == kind)))


def answer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StaffAnswer))


def test_self_assessment_page_groups_items_by_area_with_labelled_scales(client_as, org, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round(units=[org["branch_a"]])
    page = librarian.get(f"/needs/rounds/{needs_round.id}/self").get_data(as_text=True)
    assert "About this survey." in page
    assert "Cataloguing" in page and "Customer Service" in page and "MARC 21 format" in page
    assert page.count("How important is this for my work?") == len(competency_ids())
    assert page.count("How able am I now?") == len(competency_ids())
    assert '<fieldset class="scale">' in page and "1 = not important" in page and "5 = fully able" in page
    assert 'name="importance-cat-marc" value="5"' in page


def test_self_assessment_stores_values_with_unit_and_position(client_as, org, make_round):
    librarian = librarian_in(client_as)
    librarian.user.position = "Pustakawan Ahli Pertama"
    db.session.commit()
    needs_round = make_round(units=[org["branch_a"]])
    url = f"/needs/rounds/{needs_round.id}/self"
    response = post_form(librarian, url, full_answers(**{"cat-marc": (5, 1), "cat-classification": (3, 3)}))
    assert response.status_code == 302
    [stored] = responses()
    assert (stored.subject_id, stored.rater_id, stored.round_id) == (librarian.user.id, librarian.user.id, needs_round.id)
    assert stored.unit_id == org["section_a1"].id and stored.position == "Pustakawan Ahli Pertama"
    values = {a.competency_id: (a.importance, a.ability) for a in stored.answers}
    assert values["cat-marc"] == (5, 1) and values["cat-classification"] == (3, 3)
    assert values["cs-reference-interview"] == (4, 2)
    assert len(values) == len(competency_ids())
    page = librarian.get(url).get_data(as_text=True)
    assert 'name="importance-cat-marc" value="5" checked' in page
    assert "You can change your answers until" in page


def test_missing_answers_reshow_the_form_with_a_message_per_item_and_keep_answers(client_as, org, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round()
    data = full_answers(importance=3, ability=3)
    del data["ability-cat-marc"]
    response = post_form(librarian, f"/needs/rounds/{needs_round.id}/self", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("Please answer both questions for this competency.") == 1
    assert 'id="item-cat-marc"' in page and 'class="survey-item card has-error" id="item-cat-marc"' in page
    assert 'name="importance-cat-marc" value="3" checked' in page  # the given half is kept
    assert 'name="ability-cat-classification" value="3" checked' in page
    assert responses() == [] and answer_count() == 0


def test_tampered_values_are_refused_and_nothing_is_saved(client_as, org, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round()
    url = f"/needs/rounds/{needs_round.id}/self"
    for bad in ("6", "0", "x", "-1", "9" * 5000, "\u0663"):
        data = full_answers()
        data["ability-cat-marc"] = bad
        response = post_form(librarian, url, data)
        assert response.status_code == 400, bad
        assert "Answers must be a number from 1 to 5. Nothing was saved." in response.get_data(as_text=True)
    data = full_answers()
    data["importance-not-a-competency"] = "3"
    response = post_form(librarian, url, data)
    assert response.status_code == 400
    assert "not in this survey. Nothing was saved." in response.get_data(as_text=True)
    assert responses() == [] and answer_count() == 0


def test_resubmitting_updates_the_same_response(client_as, org, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round()
    url = f"/needs/rounds/{needs_round.id}/self"
    assert post_form(librarian, url, full_answers(4, 2)).status_code == 302
    [first] = responses()
    first_id, first_updated = first.id, first.updated_at
    assert post_form(librarian, url, full_answers(5, 5)).status_code == 302
    [again] = responses()
    assert again.id == first_id and again.updated_at >= first_updated
    assert {(a.importance, a.ability) for a in again.answers} == {(5, 5)}
    assert answer_count() == len(competency_ids())


def test_out_of_scope_librarian_gets_a_clear_refusal(client_as, org, make_round):
    librarian = librarian_in(client_as, unit_code="branch-b")
    needs_round = make_round(units=[org["branch_a"]])
    url = f"/needs/rounds/{needs_round.id}/self"
    page = librarian.get(url)
    assert page.status_code == 403 and "This survey is not for your unit" in page.get_data(as_text=True)
    token = csrf_token(librarian, "/")
    response = librarian.post(url, data={"csrf_token": token, **full_answers()})
    assert response.status_code == 403
    assert responses() == []


def test_closed_round_shows_own_answers_read_only_and_refuses_posts(client_as, org, make_round, surveys):
    librarian = librarian_in(client_as)
    needs_round = make_round(days=-30)  # opened and closed last month
    url = f"/needs/rounds/{needs_round.id}/self"
    assert "This survey closed on" in librarian.get(url).get_data(as_text=True)
    stored = StaffResponse(round_id=needs_round.id, survey_id=surveys["self"].id, kind="self",
                           subject_id=librarian.user.id, rater_id=librarian.user.id)
    stored.answers = [StaffAnswer(competency_id=cid, importance=2, ability=4) for cid in competency_ids()]
    db.session.add(stored)
    db.session.commit()
    page = librarian.get(url).get_data(as_text=True)
    assert 'id="read-only"' in page and 'value="2" checked disabled' in page and "Send my answers" not in page
    token = csrf_token(librarian, "/")
    response = librarian.post(url, data={"csrf_token": token, **full_answers(5, 5)})
    assert response.status_code == 403
    assert {(a.importance, a.ability) for a in responses()[0].answers} == {(2, 4)}


def test_upcoming_round_is_not_open_yet(client_as, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round(days=10)
    assert "This survey opens on" in librarian.get(f"/needs/rounds/{needs_round.id}/self").get_data(as_text=True)


def test_csrf_is_required(client_as, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round()
    response = librarian.post(f"/needs/rounds/{needs_round.id}/self", data=full_answers())
    assert response.status_code == 400
    assert responses() == []


# --- supervisor ratings -----------------------------------------------------------------------

def test_supervisor_rates_staff_in_scope_and_reach_only(client_as, org, make_user, make_round):
    supervisor = english(client_as("supervisor", unit_code="branch-a"))
    supervise(supervisor.user, org["branch_a"])
    mine = make_user("mine", unit=org["section_a1"], full_name="Ani Mine")
    other = make_user("other", unit=org["branch_b"], full_name="Budi Other")
    needs_round = make_round()
    page = supervisor.get(f"/needs/rounds/{needs_round.id}/ratings").get_data(as_text=True)
    assert "Ani Mine" in page and "Budi Other" not in page and "0 of 1 staff rated" in page
    assert supervisor.get(f"/needs/rounds/{needs_round.id}/ratings/{other.id}").status_code == 404
    assert supervisor.get(f"/needs/rounds/{needs_round.id}/ratings/{supervisor.user.id}").status_code == 404
    url = f"/needs/rounds/{needs_round.id}/ratings/{mine.id}"
    token = csrf_token(supervisor, url)
    refused = supervisor.post(f"/needs/rounds/{needs_round.id}/ratings/{other.id}",
                              data={"csrf_token": token, **{f"ability-{c}": "3" for c in competency_ids()}})
    assert refused.status_code == 404
    data = {f"ability-{c}": "3" for c in competency_ids()}
    data["ability-cat-marc"] = "1"
    assert post_form(supervisor, url, data).status_code == 302
    assert post_form(supervisor, url, {**data, "ability-cat-marc": "2"}).status_code == 302  # updates
    [rating] = responses("supervisor")
    assert (rating.rater_id, rating.subject_id, rating.unit_id) == (supervisor.user.id, mine.id, org["section_a1"].id)
    assert {a.competency_id: (a.importance, a.ability) for a in rating.answers}["cat-marc"] == (None, 2)
    page = supervisor.get(f"/needs/rounds/{needs_round.id}/ratings").get_data(as_text=True)
    assert "1 of 1 staff rated" in page


def test_librarian_cannot_open_ratings(client_as, make_round):
    librarian = librarian_in(client_as)
    needs_round = make_round()
    assert librarian.get(f"/needs/rounds/{needs_round.id}/ratings").status_code == 403


# --- home panels --------------------------------------------------------------------------------

def test_librarian_home_panel_shows_open_round_then_thanks(client_as, org, make_round):
    librarian = librarian_in(client_as)
    assert "Training-needs survey" not in librarian.get("/").get_data(as_text=True)
    make_round(days=-30)  # closed: no panel
    make_round(units=[org["branch_b"]])  # not theirs: no panel
    assert "Training-needs survey" not in librarian.get("/").get_data(as_text=True)
    needs_round = make_round(units=[org["branch_a"]], title="Putaran Saya")
    home = librarian.get("/").get_data(as_text=True)
    assert "Training-needs survey open until" in home and f"/needs/rounds/{needs_round.id}/self" in home
    assert post_form(librarian, f"/needs/rounds/{needs_round.id}/self", full_answers()).status_code == 302
    home = librarian.get("/").get_data(as_text=True)
    assert "Thank you for answering. You can change your answers until" in home
    assert "Training-needs survey open until" not in home


def test_supervisor_home_panel_counts_rated_staff(app, client_as, org, make_user, make_round):
    supervisor = english(client_as("supervisor"))
    assert "staff rated" not in supervisor.get("/").get_data(as_text=True)
    supervise(supervisor.user, org["branch_a"])
    make_user("s1", unit=org["section_a1"])
    make_user("s2", unit=org["branch_a"])
    make_user("s3", unit=org["branch_b"])
    needs_round = make_round()
    home = supervisor.get("/").get_data(as_text=True)
    assert "0 of 2 staff rated" in home and f"/needs/rounds/{needs_round.id}/ratings" in home


def test_login_helper_still_works_for_a_second_client(app, make_user, org):
    # a librarian who signs in fresh sees the home page (the panels hook must not break it)
    make_user("plain", unit=org["branch_b"])
    client = app.test_client()
    assert login(client, "plain").status_code == 302
    assert client.get("/").status_code == 200
