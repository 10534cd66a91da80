"""Notifications: created in bulk, counted in the navigation, read by their owner only,
e-mailed through a real SMTP server when one is configured, and daily reminders."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.clock import local_today
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.plugins.learning import services as learning
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.notifications import services
from lms.plugins.notifications.models import Notification
from tests.conftest import csrf_token, deliver_mail
from tests.smtp_server import free_port

PARAMS = {"title_id": "Dasar MARC", "title_en": "MARC basics", "due": "2026-12-01"}


def notifications_of(user):
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_notify_inserts_one_row_per_user_and_counts_unread(app, staff):
    ids = services.notify([staff["ani"].id, staff["budi"].id, staff["ani"].id], "assignment", "assignment.new",
                          PARAMS, url="/learning/")
    assert ids == sorted([staff["ani"].id, staff["budi"].id])  # duplicates collapse
    assert services.unread_count(staff["ani"].id) == 1
    assert services.unread_count(staff["budi"].id) == 1
    assert services.unread_count(staff["dodi"].id) == 0
    row = notifications_of(staff["ani"])[0]
    assert (row.key, row.params, row.url, row.read_at) == ("assignment.new", PARAMS, "/learning/", None)


def test_text_is_rendered_in_the_readers_language(app, staff, signed_in):
    services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS, url="/learning/")
    services.notify([staff["budi"].id], "assignment", "assignment.new", PARAMS, url="/learning/")
    english = signed_in(staff["budi"]).get("/notifications/").get_data(as_text=True)
    assert "New assignment: MARC basics, due December 1, 2026" in english
    assert 'href="/learning/"' in english
    indonesian = signed_in(staff["ani"]).get("/notifications/").get_data(as_text=True)
    assert "Dasar MARC" in indonesian and "MARC basics" not in indonesian
    assert "1 Desember 2026" in indonesian


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/a\\b"])
def test_only_local_links_are_stored(app, staff, url):
    with pytest.raises(ValueError, match="path on this site"):
        services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS, url=url)
    assert notifications_of(staff["ani"]) == []


def test_unknown_message_key_is_refused(app, staff):
    with pytest.raises(ValueError, match="unknown message"):
        services.notify([staff["ani"].id], "assignment", "nope", PARAMS)


def test_unread_badge_in_the_navigation(app, staff, signed_in):
    client = signed_in(staff["budi"])
    page = client.get("/").get_data(as_text=True)
    assert 'class="badge"' not in page and 'href="/notifications/"' in page
    for _ in range(3):
        services.notify([staff["budi"].id], "assignment", "assignment.new", PARAMS, url="/learning/")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<span class="badge" aria-hidden="true">3</span>', page)
    assert "3 unread notifications" in page
    services.notify([staff["budi"].id], "assignment", "assignment.new", PARAMS)
    services.mark_read(staff["budi"].id, [notifications_of(staff["budi"])[0].id])
    page = client.get("/").get_data(as_text=True)
    assert '<span class="badge" aria-hidden="true">3</span>' in page  # 4 made, 1 read


def test_notifications_page_needs_a_signed_in_user(client, staff):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_mark_read_touches_only_own_notifications(app, staff, signed_in):
    services.notify([staff["ani"].id, staff["budi"].id], "assignment", "assignment.new", PARAMS)
    services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS)
    ani_first, ani_second = notifications_of(staff["ani"])
    budi_one = notifications_of(staff["budi"])[0]
    client = signed_in(staff["ani"])
    token = csrf_token(client, "/notifications/")
    response = client.post("/notifications/read", data={"csrf_token": token,
                                                        "id": [str(ani_first.id), str(budi_one.id), "x1"]})
    assert response.status_code == 302
    first, second = notifications_of(staff["ani"])
    assert first.read_at is not None and second.read_at is None
    assert notifications_of(staff["budi"])[0].read_at is None  # someone else's id: ignored
    # "mark all" also stays within the reader's own notifications
    client.post("/notifications/read", data={"csrf_token": token, "all": "1"})
    assert all(row.read_at is not None for row in notifications_of(staff["ani"]))
    assert notifications_of(staff["budi"])[0].read_at is None
    assert services.unread_count(staff["ani"].id) == 0 and services.unread_count(staff["budi"].id) == 1


def test_mark_read_without_csrf_token_is_refused(app, staff, signed_in):
    services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS)
    client = signed_in(staff["ani"])
    response = client.post("/notifications/read", data={"all": "1"})
    assert response.status_code == 400
    assert services.unread_count(staff["ani"].id) == 1


# --- e-mail ---------------------------------------------------------------------------------

def test_email_goes_to_the_smtp_server_in_the_recipients_language(app, staff, mail_on):
    services.notify([staff["ani"].id, staff["budi"].id, staff["eka"].id], "assignment", "assignment.new",
                    PARAMS, url="/learning/")
    assert mail_on.messages == []  # only queued: no SMTP in the caller's transaction
    deliver_mail()
    assert len(mail_on.messages) == 2  # eka has no address: in-app only
    (ani,) = mail_on.to("ani@perpustakaan.test")
    assert ani["From"] == "pembina@perpustakaan.test"
    with force_locale("id"):  # the catalog's wording; the title and date are Indonesian either way
        assert ani["Subject"] == gettext("New assignment: %(title)s, due %(due)s", title="Dasar MARC",
                                         due="1 Desember 2026")
    assert "Dasar MARC" in ani["Subject"] and "1 Desember 2026" in ani["Subject"]
    body = ani.get_content()
    assert "Dasar MARC" in body and "1 Desember 2026" in body
    assert ani.get_content_charset() == "utf-8"
    (budi,) = mail_on.to("budi@perpustakaan.test")
    assert budi["Subject"] == "New assignment: MARC basics, due December 1, 2026"


def test_indonesian_text_survives_utf8(app, staff, mail_on):
    params = {"title_id": "Katalogisasi – naskah kuno “lontar”", "title_en": "Manuscripts", "due": "2026-12-01"}
    services.notify([staff["ani"].id], "assignment", "assignment.new", params)
    deliver_mail()
    (message,) = mail_on.to("ani@perpustakaan.test")
    assert "Katalogisasi – naskah kuno “lontar”" in message["Subject"]
    assert "Katalogisasi – naskah kuno “lontar”" in message.get_content()


def test_no_email_without_mail_server(app, staff, smtp_sink):
    assert not app.config["MAIL_SERVER"]
    app.config["MAIL_PORT"] = smtp_sink.port  # a port alone does not turn e-mail on
    services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS)
    deliver_mail()
    assert smtp_sink.messages == []
    assert services.unread_count(staff["ani"].id) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_unreachable_mail_server_is_logged_and_the_mail_waits(app, staff, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    ids = services.notify([staff["ani"].id], "assignment", "assignment.new", PARAMS)
    assert ids == [staff["ani"].id]
    assert services.unread_count(staff["ani"].id) == 1
    result = deliver_mail()
    assert result.unavailable and "mail server unavailable" in caplog.text
    row = db.session.scalar(select(OutboxMessage))
    assert (row.status, row.attempts) == ("queued", 0)  # an outage costs no attempt


# --- reminders ------------------------------------------------------------------------------

@pytest.fixture
def due_assignments(imported, staff):
    """On ``today``: MARC to branch-a due in 2 days (ani and budi; budi finished it), DDC to
    dodi overdue by 1 day, the course to eka due in 10 days (outside a 3-day window)."""
    from tests.quizzes.conftest import module

    today = local_today()
    marc, ddc = module("marc"), module("ddc")
    soon = learning.assign(module_id=marc.id, unit_id=staff["ani"].unit_id, due_on=today + timedelta(days=2))
    late = learning.assign(module_id=ddc.id, user_id=staff["dodi"].id, due_on=today - timedelta(days=1))
    later = learning.assign(course_id=marc.course_id, user_id=staff["eka"].id, due_on=today + timedelta(days=10))
    db.session.add(ModuleCompletion(user_id=staff["budi"].id, module_id=marc.id))
    db.session.commit()
    return {"today": today, "soon": soon, "late": late, "later": later}


def test_reminders_reach_unfinished_due_and_overdue_once_a_day(app, staff, due_assignments):
    today = due_assignments["today"]
    assert services.remind(3, today) == 2
    (ani,) = notifications_of(staff["ani"])
    assert (ani.kind, ani.key, ani.params["assignment_id"]) == ("reminder", "assignment.due",
                                                                due_assignments["soon"].id)
    (dodi,) = notifications_of(staff["dodi"])
    assert dodi.key == "assignment.overdue"
    assert notifications_of(staff["budi"]) == []  # finished it
    assert notifications_of(staff["eka"]) == []  # due in 10 days
    assert services.remind(3, today) == 0  # the same day again: nothing new
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
    assert services.remind(3, today + timedelta(days=1)) == 2  # the next day: again
    assert services.remind(10, today + timedelta(days=1)) == 1  # now eka's course is in the window


def test_remind_command_and_reminder_email(app, staff, due_assignments, mail_on, runner):
    result = runner.invoke(args=["notifications", "remind", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "2 reminder(s) sent." in result.output
    assert runner.invoke(args=["mail", "send"]).output == "2 sent, 0 to retry, 0 failed.\n"
    assert {address for rcpt, _ in mail_on.messages for address in rcpt} == {"ani@perpustakaan.test",
                                                                              "dodi@perpustakaan.test"}
    (dodi,) = mail_on.to("dodi@perpustakaan.test")
    late = due_assignments["late"]
    with force_locale("id"):
        expected = services.render("assignment.overdue", services.assignment_params(late), "id")[0]
    assert dodi["Subject"] == expected
    assert late.due_on.year == int(dodi["Subject"][-4:])
    again = runner.invoke(args=["notifications", "remind"])
    assert "0 reminder(s) sent." in again.output
    deliver_mail()
    assert len(mail_on.messages) == 2


def test_remind_refuses_a_negative_window(app, runner):
    result = runner.invoke(args=["notifications", "remind", "--days", "-1"])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
