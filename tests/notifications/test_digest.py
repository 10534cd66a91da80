"""The daily digest: one e-mail per user listing their unread notifications that no e-mail
has carried yet, newest first, in their language; nothing twice; nothing without SMTP. The
digests go through the outbox (``digest()`` below queues them and delivers what is due), so
an unreachable server leaves them queued for the next delivery."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_babel import force_locale, ngettext
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.notifications import services
from lms.plugins.notifications.models import Notification
from tests.conftest import deliver_mail
from tests.smtp_server import free_port

PARAMS = {"title_id": "Dasar MARC", "title_en": "MARC basics", "due": "2026-12-01"}


def notify(user, key="assignment.new", params=None, url="/learning/", **kwargs) -> Notification:
    """One notification for ``user`` that waits for the digest (``email=False``)."""
    services.notify([user.id], "assignment", key, params or PARAMS, url=url, email=False, **kwargs)
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc())).first()


def digest(now) -> int:
    """Queue the digests, then deliver the outbox (``lms notifications digest`` + ``lms mail send``)."""
    queued = services.send_digest(now)
    deliver_mail()
    return queued


def rows_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def subject_in(locale: str, count: int) -> str:
    with force_locale(locale):
        return ngettext("Pembina: %(num)d new notification", "Pembina: %(num)d new notifications", count)


def test_nothing_without_a_mail_server(app, staff, smtp_sink, runner):
    app.config["MAIL_PORT"] = smtp_sink.port  # a port alone does not turn e-mail on
    notify(staff["ani"])
    assert services.send_digest(utcnow()) == 0
    assert smtp_sink.messages == []
    assert rows_of(staff["ani"])[0].emailed_at is None  # still waiting, for when SMTP is set up
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0
    assert "E-mail is off (MAIL_SERVER is empty): no digest sent." in result.output


def test_one_email_per_user_with_unread_not_yet_emailed_notifications(app, staff, mail_on, make_user):
    ani, budi, eka = staff["ani"], staff["budi"], staff["eka"]
    for day in range(3):
        notify(ani, params={**PARAMS, "title_id": f"Modul {day}"})
    read = notify(ani, params={**PARAMS, "title_id": "Sudah dibaca"})
    services.mark_read(ani.id, [read.id])
    services.notify([ani.id], "assignment", "assignment.new", {**PARAMS, "title_id": "Sudah dikirim"})
    deliver_mail()
    assert len(mail_on.messages) == 1 and rows_of(ani)[-1].emailed_at is not None  # e-mailed at once
    mail_on.messages.clear()
    notify(budi)
    notify(eka)  # no address
    gone = make_user("lama", email="lama@perpustakaan.test", active=False)
    notify(gone)

    now = utcnow()
    assert digest(now) == 2
    assert sorted(address for rcpt, _ in mail_on.messages for address in rcpt) == [
        "ani@perpustakaan.test", "budi@perpustakaan.test"]
    (to_ani,) = mail_on.to("ani@perpustakaan.test")
    assert to_ani["Subject"] == subject_in("id", 3)
    assert to_ani["Subject"].startswith("Pembina: 3 ")
    body = to_ani.get_content()
    assert body.index("Modul 2") < body.index("Modul 1") < body.index("Modul 0")  # newest first
    assert "Sudah dibaca" not in body and "Sudah dikirim" not in body
    assert to_ani.get_content_charset() == "utf-8"

    (to_budi,) = mail_on.to("budi@perpustakaan.test")
    assert to_budi["Subject"] == "Pembina: 1 new notification"  # budi reads English
    budi_body = to_budi.get_content()
    assert "Hello Budi," in budi_body
    assert "New assignment: MARC basics, due December 1, 2026" in budi_body
    assert "Please finish it by December 1, 2026." in budi_body

    by_title = {row.params["title_id"]: row for row in rows_of(ani)}
    assert all(by_title[f"Modul {day}"].emailed_at is not None for day in range(3))
    assert by_title["Sudah dibaca"].emailed_at is None  # read: never e-mailed
    assert rows_of(eka)[0].emailed_at is None and rows_of(gone)[0].emailed_at is None


def test_a_second_run_sends_nothing_twice(app, staff, mail_on, runner):
    notify(staff["ani"])
    notify(staff["budi"])
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "2 digest e-mail(s) queued." in result.output
    again = runner.invoke(args=["notifications", "digest"])
    assert "0 digest e-mail(s) queued." in again.output
    assert digest(utcnow()) == 0
    assert len(mail_on.messages) == 2
    notify(staff["ani"], params={**PARAMS, "title_id": "Yang baru"})
    assert digest(utcnow()) == 1
    latest = mail_on.messages[-1][1]
    assert latest["Subject"] == subject_in("id", 1)
    assert "Yang baru" in latest.get_content() and "Dasar MARC" not in latest.get_content()


def test_grouped_by_day_newest_first_in_the_readers_language(app, staff, mail_on):
    budi = staff["budi"]
    old = notify(budi, params={**PARAMS, "title_en": "Older one"})
    new = notify(budi, params={**PARAMS, "title_en": "Newer one"})
    old.created_at = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 09:00 in Jakarta
    new.created_at = datetime(2026, 3, 12, 20, 0, tzinfo=timezone.utc)  # 13 March 03:00 in Jakarta
    db.session.commit()
    digest(utcnow())
    (message,) = mail_on.to("budi@perpustakaan.test")
    body = message.get_content()
    assert body.index("March 13, 2026") < body.index("Newer one") < body.index("March 10, 2026") < \
        body.index("Older one")
    assert "March 12, 2026" not in body  # days in the library's time zone, not UTC


def test_links_are_absolute_with_a_base_url(app, staff, mail_on):
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    notify(staff["ani"], url="/discussions/thread/7#post-9")
    digest(utcnow())
    body = mail_on.to("ani@perpustakaan.test")[0].get_content()
    assert "https://pembina.example.go.id/discussions/thread/7#post-9" in body
    assert "https://pembina.example.go.id/notifications/" in body


def test_links_use_the_development_address_when_none_is_set(app, staff, mail_on):
    """Development always knows an address (BASE_URL's default); production refuses to start
    without one (tests/test_http.py), so the digest never goes out without its links."""
    app.config.update(SERVER_NAME="pembina.test", PREFERRED_URL_SCHEME="https")  # not used for links
    notify(staff["ani"])
    digest(utcnow())
    body = mail_on.to("ani@perpustakaan.test")[0].get_content()
    assert "http://127.0.0.1:5000/learning/" in body and "pembina.test" not in body


def test_a_long_list_is_cut_and_counted(app, staff, mail_on, monkeypatch):
    monkeypatch.setattr(services, "DIGEST_MAX_ITEMS", 2)
    budi = staff["budi"]
    for number in range(5):
        notify(budi, params={**PARAMS, "title_en": f"Item {number}"})
    assert digest(utcnow()) == 1
    message = mail_on.to("budi@perpustakaan.test")[0]
    body = message.get_content()
    assert message["Subject"] == "Pembina: 5 new notifications"
    assert "Item 4" in body and "Item 3" in body and "Item 2" not in body
    assert "... and 3 more notifications." in body
    assert all(row.emailed_at is not None for row in rows_of(budi))  # all counted as sent


def test_unreachable_server_leaves_the_digest_queued_for_the_next_delivery(app, staff, caplog, smtp_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    notify(staff["ani"])
    assert digest(utcnow()) == 1  # queued; the delivery found no server
    assert rows_of(staff["ani"])[0].emailed_at is not None  # carried by the queued e-mail
    assert "mail server unavailable" in caplog.text
    assert digest(utcnow() + timedelta(days=1)) == 0  # nothing is queued twice
    app.config["MAIL_PORT"] = smtp_sink.port  # the server is back
    deliver_mail()
    assert len(smtp_sink.to("ani@perpustakaan.test")) == 1


def test_other_plugins_messages_are_rendered(app, staff, mail_on):
    params = {"thread": "Ruas 245?", "author": "Budi", "where": "Mengenal MARC 21",
              "title_id": "Mengenal MARC 21", "title_en": "Getting to know MARC 21"}
    services.notify([staff["budi"].id], "discussion", "discussion.reply", params,
                    url="/discussions/thread/1#post-2", email=False)
    assert mail_on.messages == []  # email=False: nothing at once
    digest(utcnow())
    body = mail_on.to("budi@perpustakaan.test")[0].get_content()
    assert "New reply in Ruas 245?" in body
    assert "Budi replied in Getting to know MARC 21." in body
