"""Notification preferences: per person and kind, e-mail immediately, in the daily digest or
never (in-app always); documented defaults; stored only where they differ; the page under
My account (no JavaScript, CSRF, both languages, only one's own); real notifications and a
real SMTP server for every choice. And opening a notification marks it read."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.notifications import preferences, services
from lms.plugins.notifications.models import Notification, NotificationPreference
from tests.conftest import csrf_token, deliver_mail

PARAMS = {"title_id": "Dasar MARC", "title_en": "MARC basics", "due": "2026-12-01"}
PAGE = "/notifications/preferences"


def stored_rows() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return sorted(tuple(row) for row in db.session.execute(select(NotificationPreference.user_id, NotificationPreference.kind,
                                            NotificationPreference.email)).all())


def rows_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def choose(client, **choices) -> object:
    """POST the page as a browser would: every radio group sent as it is checked now
    (the person's current choices), with ``choices`` changed."""
    data = {f"email_{kind}": value for kind, value in preferences.choices_for(client.user.id).items()}
    data.update({f"email_{kind}": value for kind, value in choices.items()})
    data["csrf_token"] = csrf_token(client, PAGE)
    return client.post(PAGE, data=data)


# --- defaults and storage ---------------------------------------------------------------------

def test_defaults_per_kind_are_the_behaviour_before_anyone_chose(app, staff):
    ani = staff["ani"].id
    with app.test_request_context():
        assert preferences.email_choice(ani, "assignment") == "immediate"
        assert preferences.email_choice(ani, "reminder") == "immediate"
        assert preferences.email_choice(ani, "discussion") == "digest"  # declared by the discussions plugin
        assert preferences.email_choice(ani, "unknown_kind") == "digest"  # no plugin declares it
        assert services.email_choice is preferences.email_choice  # the name the mail outbox calls
        assert list(preferences.kinds())[:2] == ["assignment", "reminder"]


def test_only_choices_that_differ_from_the_default_are_stored(app, staff):
    ani, budi = staff["ani"].id, staff["budi"].id
    assert preferences.save(ani, {"assignment": "digest", "reminder": "immediate", "discussion": "never"}) == 2
    assert stored_rows() == [(ani, "assignment", "digest"), (ani, "discussion", "never")]
    preferences.save(budi, {"discussion": "immediate"})
    assert preferences.email_choices([ani, budi, staff["dodi"].id], "discussion") == {
        ani: "never", budi: "immediate", staff["dodi"].id: "digest"}
    assert preferences.save(ani, {"assignment": "immediate"}) == 1  # back to the default: its row goes
    assert stored_rows() == [(ani, "discussion", "never"), (budi, "discussion", "immediate")]


@pytest.mark.parametrize("bad", [{"assignment": "weekly"}, {"nope": "never"}, {"assignment": "never", "x": "digest"}])
def test_an_unknown_kind_or_choice_changes_nothing(app, staff, bad):
    preferences.save(staff["ani"].id, {"reminder": "never"})
    with pytest.raises(ValueError):
        preferences.save(staff["ani"].id, bad)
    db.session.rollback()
    assert stored_rows() == [(staff["ani"].id, "reminder", "never")]


def test_the_database_refuses_a_choice_that_is_not_one_of_the_three(app, staff):
    from sqlalchemy.exc import IntegrityError

    db.session.add(NotificationPreference(user_id=staff["ani"].id, kind="assignment", email="weekly"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_choices_for_many_people_are_one_query(app, staff, make_user):
    ids = [make_user(f"p{n}", email=f"p{n}@perpustakaan.test").id for n in range(30)]
    for user_id in ids[::3]:
        preferences.save(user_id, {"assignment": "never"})
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        choices = preferences.email_choices(ids, "assignment")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(statements) == 1
    assert sum(1 for choice in choices.values() if choice == "never") == 10


# --- every choice with real notifications and a real SMTP server ------------------------------

def test_immediately_digest_and_never_with_real_rows(app, staff, mail_on):
    ani, budi, dodi, sari = staff["ani"], staff["budi"], staff["dodi"], staff["sari"]
    preferences.save(budi.id, {"assignment": "digest"})
    preferences.save(dodi.id, {"assignment": "never"})
    # sari keeps the defaults: assignments at once, discussions in the digest
    services.notify([ani.id, budi.id, dodi.id, sari.id], "assignment", "assignment.new", PARAMS, url="/learning/")
    services.notify([sari.id], "discussion", "discussion.reply",
                    {"thread": "Ruas 245?", "author": "Ani", "title_id": "MARC"}, url="/discussions/thread/1")

    # immediately: queued at notify time, and only for those who chose it (ani by default, sari)
    deliver_mail()
    assert sorted(rcpt[0] for rcpt, _message in mail_on.messages) == ["ani@perpustakaan.test",
                                                                        "sari@perpustakaan.test"]
    assert rows_of(ani)[0].emailed_at is not None and rows_of(budi)[0].emailed_at is None
    mail_on.messages.clear()

    # in the daily digest: budi's assignment and sari's discussion; dodi nothing
    assert services.send_digest(utcnow()) == 2
    deliver_mail()
    assert sorted(rcpt[0] for rcpt, _message in mail_on.messages) == ["budi@perpustakaan.test",
                                                                        "sari@perpustakaan.test"]
    (to_sari,) = mail_on.to("sari@perpustakaan.test")
    assert "Ruas 245?" in to_sari.get_content() and "Dasar MARC" not in to_sari.get_content()  # sent at once
    assert rows_of(budi)[0].emailed_at is not None

    # never: no e-mail now or in any digest, and still in the app, unread
    (dodi_row,) = rows_of(dodi)
    assert dodi_row.emailed_at is None and dodi_row.read_at is None
    assert services.unread_count(dodi.id) == 1
    assert services.send_digest(utcnow()) == 0
    deliver_mail()
    assert mail_on.to("dodi@perpustakaan.test") == []


def test_the_digest_follows_the_choice_as_it_stands_when_it_runs(app, staff, mail_on):
    ani = staff["ani"]
    services.notify([ani.id], "discussion", "discussion.reply",
                    {"thread": "Ruas 245?", "author": "Budi", "title_id": "MARC"}, url="/discussions/thread/1")
    assert mail_on.messages == []  # discussions wait for the digest by default
    preferences.save(ani.id, {"discussion": "never"})
    assert services.send_digest(utcnow()) == 0 and mail_on.messages == []
    preferences.save(ani.id, {"discussion": "digest"})
    assert services.send_digest(utcnow()) == 1


def test_immediate_e_mail_is_queued_with_the_commit_for_the_immediate_choosers_only(app, staff, mail_on):
    ani, budi = staff["ani"], staff["budi"]
    preferences.save(budi.id, {"assignment": "never"})
    services.notify([ani.id, budi.id], "assignment", "assignment.new", PARAMS, commit=False)
    assert mail_on.messages == []  # nothing talks SMTP in the request
    db.session.commit()
    deliver_mail()
    assert [rcpt[0] for rcpt, _message in mail_on.messages] == ["ani@perpustakaan.test"]


# --- the page ---------------------------------------------------------------------------------

def test_the_page_is_reached_from_my_account_and_needs_a_sign_in(app, client, staff, signed_in):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    account = signed_in(staff["budi"]).get("/account").get_data(as_text=True)
    assert f'href="{PAGE}"' in account


def test_the_page_is_one_accessible_radio_group_per_kind_in_both_languages(app, staff, signed_in):
    preferences.save(staff["budi"].id, {"reminder": "never"})
    page = signed_in(staff["budi"]).get(PAGE).get_data(as_text=True)  # budi reads English
    # one per kind: assignments, reminders, discussions, grading, post-training evaluations
    assert page.count("<fieldset") == 5 and page.count("<legend>") == 5
    for kind in ("assignment", "reminder", "discussion", "grading", "evaluation"):
        assert len(re.findall(rf'<input[^>]*name="email_{kind}"[^>]*type="radio"|'
                              rf'<input[^>]*type="radio"[^>]*name="email_{kind}"', page)) == 3
        assert f'aria-describedby="email_{kind}-hint"' in page and f'id="email_{kind}-hint"' in page
    assert re.search(r'<input[^>]*checked[^>]*name="email_reminder"[^>]*value="never"|'
                     r'<input[^>]*name="email_reminder"[^>]*value="never"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="email_discussion"[^>]*value="digest"[^>]*checked|'
                     r'<input[^>]*checked[^>]*name="email_discussion"[^>]*value="digest"', page)
    assert "Immediately" in page and "In the daily digest" in page and "Due and overdue reminders" in page
    assert 'name="csrf_token"' in page and "<script" not in page.split("<main", 1)[1]
    indonesian = signed_in(staff["ani"]).get(PAGE).get_data(as_text=True)
    assert "Segera" in indonesian and "Dalam ringkasan harian" in indonesian and "Tidak pernah" in indonesian
    assert "Pengaturan notifikasi" in indonesian


def test_saving_changes_only_ones_own_choices(app, staff, signed_in):
    preferences.save(staff["ani"].id, {"assignment": "never"})
    budi = signed_in(staff["budi"])
    response = choose(budi, assignment="digest", discussion="never")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    assert stored_rows() == sorted([(staff["ani"].id, "assignment", "never"),
                                    (staff["budi"].id, "assignment", "digest"),
                                    (staff["budi"].id, "discussion", "never")])
    assert "Your notification choices are saved." in budi.get(PAGE).get_data(as_text=True)
    # a user id in the form is ignored: there is no field for it
    choose(budi, assignment="immediate", user_id=str(staff["ani"].id))
    assert preferences.email_choice(staff["ani"].id, "assignment") == "never"


def test_a_post_without_csrf_or_with_a_bad_choice_changes_nothing(app, staff, signed_in):
    budi = signed_in(staff["budi"])
    response = budi.post(PAGE, data={"email_assignment": "never", "email_reminder": "never",
                                     "email_discussion": "never"})
    assert response.status_code == 400
    response = choose(budi, assignment="weekly")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    token = csrf_token(budi, PAGE)
    response = budi.post(PAGE, data={"csrf_token": token, "email_assignment": "never"})  # groups missing
    assert response.status_code == 400 and "Choose how e-mail should reach you." in response.get_data(as_text=True)
    assert stored_rows() == []


# --- opening a notification marks it read ---------------------------------------------------

def test_opening_a_notification_marks_it_read_and_goes_to_its_page(app, staff, signed_in):
    ani = staff["ani"]
    services.notify([ani.id], "assignment", "assignment.new", PARAMS, url="/learning/")
    services.notify([ani.id], "assignment", "assignment.new", PARAMS, url="/learning/")
    first, second = rows_of(ani)
    client = signed_in(ani)
    page = client.get("/notifications/").get_data(as_text=True)
    listing = page.split('id="notifications"', 1)[1]
    assert f'href="/notifications/{first.id}"' in listing and 'href="/learning/"' not in listing
    assert re.search(r'<span class="badge" aria-hidden="true">2</span>', page)

    response = client.get(f"/notifications/{first.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/learning/"
    first, second = rows_of(ani)
    read_at = first.read_at
    assert read_at is not None and second.read_at is None
    page = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r'<span class="badge" aria-hidden="true">1</span>', page)  # the layout's count

    again = client.get(f"/notifications/{first.id}")  # idempotent: the same place, read once
    assert again.headers["Location"] == "/learning/"
    assert rows_of(ani)[0].read_at == read_at


def test_someone_elses_notification_cannot_be_opened_or_marked(app, staff, signed_in):
    services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS, url="/learning/")
    (row,) = rows_of(staff["ani"])
    response = signed_in(staff["budi"]).get(f"/notifications/{row.id}")
    assert response.status_code == 404
    assert rows_of(staff["ani"])[0].read_at is None
    assert signed_in(staff["budi"]).get("/notifications/999999").status_code == 404


def test_opening_never_redirects_off_site(app, staff, signed_in):
    """The target is the stored path, checked again: a row that somehow holds an off-site
    address (written around ``notify``'s check) and a row without a link lead to the list."""
    ani = staff["ani"]
    services.notify([ani.id], "assignment", "assignment.new", PARAMS)  # no link
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        db.session.add(Notification(user_id=ani.id, kind="assignment", key="assignment.new", params=PARAMS,
                                    url=bad, created_at=utcnow()))
    db.session.commit()
    client = signed_in(ani)
    for row in rows_of(ani):
        response = client.get(f"/notifications/{row.id}?next=https://evil.example/")
        assert response.status_code == 302 and response.headers["Location"] == "/notifications/", row.url
    assert services.unread_count(ani.id) == 0


def test_mark_all_read_button_in_both_languages_and_the_count_follows(app, staff, signed_in):
    for user in (staff["ani"], staff["budi"]):
        for _ in range(3):
            services.notify([user.id], "assignment", "assignment.new", PARAMS, url="/learning/")
    ani = signed_in(staff["ani"])
    page = ani.get("/notifications/").get_data(as_text=True)
    assert "Tandai semua sudah dibaca" in page and 'id="mark-all-read"' in page
    assert signed_in(staff["budi"]).get("/notifications/").get_data(as_text=True).count("Mark all as read") == 1
    response = ani.post("/notifications/read", data={"csrf_token": csrf_token(ani, "/notifications/"), "all": "1"})
    assert response.status_code == 302
    page = ani.get("/notifications/").get_data(as_text=True)
    assert 'class="badge"' not in page and 'id="mark-all-read"' not in page
    assert services.unread_count(staff["budi"].id) == 3
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.read_at.is_not(None))) == 3
