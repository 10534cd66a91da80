"""Evaluation windows: opened EVALUATION_DELAY_DAYS after a completion, idempotently, for the
competencies with indicators; announced to the person and their supervisors only; answered
on the two forms; refused when out of scope, closed, tampered or without a CSRF token."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.evaluations import services
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.plugins.notifications.models import Notification
from tests.conftest import csrf_token
from tests.evaluations.conftest import client_of, complete, good_ratings


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _notified(user) -> list[str]:
    return list(db.session.scalars(select(Notification.key).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_a_window_opens_after_the_delay_once(app, world, move_to):
    complete(world["ani"], "marc")
    assert services.open_windows(move_to(89)).opened == 0
    report = services.open_windows(move_to(90))
    assert (report.opened, report.people) == (1, {world["ani"].id})
    window = db.session.scalar(select(EvaluationWindow))
    assert (window.competency_id, window.origin, window.key) == ("cat-marc", "completion", f"m{window.module_id}")
    assert window.closes_on - window.opens_on == timedelta(days=29)  # EVALUATION_WINDOW_DAYS 30, both days in
    assert window.unit_id == world["org"]["section_a1"].id
    # a second run the same day (or the next) opens nothing more
    assert services.open_windows(move_to(90)).opened == 0
    assert services.open_windows(move_to(91)).opened == 0
    assert _count(EvaluationWindow) == 1
    # the person and her supervisor (of the unit above) are told; another unit's supervisor is not
    assert _notified(world["ani"]) == ["evaluation.open"]
    assert _notified(world["citra"]) == ["evaluation.observe"]
    assert _notified(world["dedi"]) == []


def test_the_cli_opens_as_on_a_given_day(app, world, runner, move_to):
    complete(world["ani"], "ddc")
    day = move_to(95)
    result = runner.invoke(args=["evaluations", "open", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(EvaluationWindow.competency_id)) == "cat-classification"
    result = runner.invoke(args=["evaluations", "open", "--today", "31-12-2026"])
    assert result.exit_code != 0 and "--today" in result.output


def test_a_completion_seen_after_its_window_ended_is_counted_not_opened(app, world, move_to):
    complete(world["ani"], "marc")
    report = services.open_windows(move_to(90 + 30))  # the day after the window's last
    assert (report.opened, report.missed) == (0, 1)
    assert _count(EvaluationWindow) == 0
    assert services.open_windows(move_to(90 + 31)).missed == 0  # older completions are not scanned


def test_a_competency_without_indicators_gets_no_window(app, world, move_to):
    db.session.get(Competency, "cat-marc").indicators = []
    db.session.commit()
    complete(world["ani"], "marc")
    assert services.open_windows(move_to(90)).opened == 0


def _open_for_ani(world, move_to):
    complete(world["ani"], "marc")
    services.open_windows(move_to(90))
    return db.session.scalar(select(EvaluationWindow))


def test_ani_answers_her_self_report_on_the_form(app, world, move_to):
    window = _open_for_ani(world, move_to)
    client = client_of(app, "ani")
    url = f"/evaluations/{window.id}/answer"
    page = client.get(url).get_data(as_text=True)
    assert "Mengisi indikator 245" in page and 'name="f2"' in page
    data = {"csrf_token": csrf_token(client, url), **good_ratings(), "example": "Saya memeriksa indikator 245.",
            "barriers": ["workload", "tools"], "barrier_note": "Antrean panjang"}
    response = client.post(url, data=data)
    assert response.status_code == 302
    saved = db.session.scalar(select(EvaluationResponse))
    assert (saved.kind, saved.responder_id, saved.barriers) == ("self", world["ani"].id, ["workload", "tools"])
    assert [(r.indicator, r.frequency, r.text_en) for r in saved.ratings] == [
        (0, 3, "Sets the 245 indicators"), (1, 4, "Uses the right subfields"), (2, 2, "Checks the 008 field")]
    assert client.get("/evaluations/").status_code == 200


def test_tampered_ratings_and_barriers_are_refused_and_nothing_is_saved(app, world, move_to):
    window = _open_for_ani(world, move_to)
    client = client_of(app, "ani")
    url = f"/evaluations/{window.id}/answer"
    for bad in ({"f0": "5"}, {"f1": "0"}, {"f2": "often"}, {"f2": ""}):
        data = {"csrf_token": csrf_token(client, url), **good_ratings(), **bad}
        assert client.post(url, data=data).status_code == 400, bad
    data = {"csrf_token": csrf_token(client, url), **good_ratings(), "barriers": ["bribery"]}
    assert client.post(url, data=data).status_code == 400
    assert _count(EvaluationResponse) == 0 and _count(EvaluationRating) == 0


def test_a_post_without_the_csrf_token_is_refused(app, world, move_to):
    window = _open_for_ani(world, move_to)
    response = client_of(app, "ani").post(f"/evaluations/{window.id}/answer", data=good_ratings())
    assert response.status_code == 400
    response = client_of(app, "citra").post(f"/evaluations/{window.id}/observe", data=good_ratings())
    assert response.status_code == 400
    assert _count(EvaluationResponse) == 0


def test_only_the_person_opens_her_self_report(app, world, move_to):
    window = _open_for_ani(world, move_to)
    assert client_of(app, "bob").get(f"/evaluations/{window.id}/answer").status_code == 404
    assert client_of(app, "bob").get("/evaluations/999/answer").status_code == 404


def test_citra_observes_ani_and_dedi_cannot(app, world, move_to):
    window = _open_for_ani(world, move_to)
    url = f"/evaluations/{window.id}/observe"
    dedi = client_of(app, "dedi")
    assert dedi.get(url).status_code == 404
    assert "Ani Lestari" not in dedi.get("/evaluations/observe").get_data(as_text=True)
    data = {"csrf_token": csrf_token(dedi, "/evaluations/observe"), **good_ratings()}
    assert dedi.post(url, data=data).status_code == 404
    assert _count(EvaluationResponse) == 0

    citra = client_of(app, "citra")
    assert "Ani Lestari" in citra.get("/evaluations/observe").get_data(as_text=True)
    assert citra.get(url).status_code == 200
    data = {"csrf_token": csrf_token(citra, url), **good_ratings((1, 2, 1)), "note": "Belum terlihat."}
    assert citra.post(url, data=data).status_code == 302
    saved = db.session.scalar(select(EvaluationResponse))
    assert (saved.kind, saved.responder_id, saved.note) == ("supervisor", world["citra"].id, "Belum terlihat.")
    assert [r.frequency for r in saved.ratings] == [1, 2, 1]


def test_an_observation_may_carry_an_evidence_file_checked_by_content(app, world, move_to):
    window = _open_for_ani(world, move_to)
    url = f"/evaluations/{window.id}/observe"
    citra = client_of(app, "citra")
    import io

    fake = (io.BytesIO(b"<html>not a pdf</html>"), "bukti.pdf")
    data = {"csrf_token": csrf_token(citra, url), **good_ratings(), "evidence": fake}
    assert citra.post(url, data=data, content_type="multipart/form-data").status_code == 400
    assert _count(EvaluationResponse) == 0
    real = (io.BytesIO(b"%PDF-1.4\n% evidence\n"), "../../bukti.pdf")
    data = {"csrf_token": csrf_token(citra, url), **good_ratings(), "evidence": real}
    assert citra.post(url, data=data, content_type="multipart/form-data").status_code == 302
    saved = db.session.scalar(select(EvaluationResponse))
    assert saved.evidence_name == "bukti.pdf" and saved.evidence_type == "application/pdf"
    served = citra.get(f"/evaluations/{window.id}/evidence")
    assert served.status_code == 200 and served.data.startswith(b"%PDF-")
    assert client_of(app, "dedi").get(f"/evaluations/{window.id}/evidence").status_code == 404


def test_a_closed_window_takes_no_answers(app, world, move_to):
    window = _open_for_ani(world, move_to)
    ani, citra = client_of(app, "ani"), client_of(app, "citra")
    tokens = (csrf_token(ani, f"/evaluations/{window.id}/answer"), csrf_token(citra, f"/evaluations/{window.id}/observe"))
    move_to(90 + 30)  # the day after the last
    response = ani.post(f"/evaluations/{window.id}/answer", data={"csrf_token": tokens[0], **good_ratings()})
    assert response.status_code == 400
    response = citra.post(f"/evaluations/{window.id}/observe", data={"csrf_token": tokens[1], **good_ratings()})
    assert response.status_code == 400
    assert _count(EvaluationResponse) == 0
    assert services.close(services.today()) == 1
    assert db.session.get(EvaluationWindow, window.id).closed_at is not None
    assert services.close(services.today()) == 0


def test_reminders_go_once_to_whoever_has_not_answered(app, world, move_to):
    window = _open_for_ani(world, move_to)
    assert services.remind(move_to(90 + 10)) == 0  # 19 days left: too early
    day = move_to(90 + 23)  # 6 days left
    services.submit_self(world["ani"], db.session.get(EvaluationWindow, window.id), good_ratings(), [])
    assert services.remind(day) == 1  # citra only: ani has answered
    assert services.remind(day) == 0
    assert _notified(world["citra"]) == ["evaluation.observe", "evaluation.remind_observe"]
    assert _notified(world["ani"]) == ["evaluation.open"]


def test_an_admin_opens_an_evaluation_for_a_group(app, world, make_user, move_to):
    admin = make_user("adi", roles=("admin",), unit=world["org"]["library"])
    client = client_of(app, "adi")
    today = services.today()
    url = "/evaluations/open"
    data = {"csrf_token": csrf_token(client, url), "units": [str(world["org"]["branch_a"].id)],
            "competency_id": "cat-classification", "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=14)).isoformat()}
    assert client.post(url, data=data).status_code == 302
    assert db.session.scalars(select(EvaluationWindow.user_id)).all() == [world["ani"].id]
    assert client.post(url, data=data).status_code == 302  # again: nobody gets a second one
    assert _count(EvaluationWindow) == 1
    data["competency_id"] = "cs-reference-interview"  # no indicators: not offered
    assert client.post(url, data=data).status_code == 400
    assert admin.id


def test_the_group_page_lists_past_openings_with_who_units_dates_and_windows(app, world, make_user, move_to):
    make_user("adi", roles=("admin",), unit=world["org"]["library"], full_name="Adi Admin")
    client = client_of(app, "adi")
    url = "/evaluations/open"
    empty = client.get(url).get_data(as_text=True)
    assert 'id="past-openings"' in empty and 'id="openings"' not in empty
    today = services.today()
    data = {"csrf_token": csrf_token(client, url),
            "units": [str(world["org"]["branch_a"].id), str(world["org"]["branch_b"].id)],
            "competency_id": "cat-classification", "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=14)).isoformat()}
    assert client.post(url, data=data).status_code == 302
    page = client.get(url).get_data(as_text=True)
    table = page.split('id="openings"', 1)[1].split("</table>", 1)[0]
    (row,) = table.split("<tbody>", 1)[1].split("</tr>")[:-1]
    assert "Adi Admin" in row
    assert f"{world['org']['section_a1'].name}, {world['org']['branch_b'].name}" in row or \
        f"{world['org']['branch_b'].name}, {world['org']['section_a1'].name}" in row  # ani's and bob's units
    assert '<td class="num">2</td>' in row  # ani and bob
    assert today.strftime("%Y") in row
